//! Firebase ID tokens (key management, device linking): RS256 signatures checked against
//! Google's published keys, cached in memory for their `Cache-Control: max-age`, and the
//! account a Firebase user maps to, created (Trial tier) the first time a `sub` is seen.

use crate::accounts::{self, Account};
use crate::catalog::Tier;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Cond, Item, Key, StoreError, Table, Update};
use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest token we bother to parse (Firebase ID tokens are ~1 KB).
const MAX_TOKEN_LEN: usize = 8 * 1024;
/// Clock skew tolerated on `exp`, `iat` and `auth_time`.
const LEEWAY_SECS: i64 = 30;
/// Used when the key endpoint sends no `max-age`; Google's is several hours.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);
/// Never trust a cached key set longer than this, whatever `max-age` says.
const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// An unknown `kid` triggers a refetch at most this often, so random kids cannot make every
/// request fetch from Google.
const MIN_REFETCH: Duration = Duration::from_secs(60);
/// How long a first request waits for a concurrent one that is creating the same account.
const CLAIM_WAIT: Duration = Duration::from_secs(5);
/// A claim on a new account's mapping lapses after this (a creator that died frees it).
const CLAIM_TTL_SECS: i64 = 30;

/// A verified Firebase user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirebaseUser {
    pub uid: String,
    pub email: Option<String>,
    pub email_verified: bool,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    auth_time: i64,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
}

struct CachedKeys {
    keys: Arc<HashMap<String, DecodingKey>>,
    fetched: Instant,
    fresh_for: Duration,
}

/// Google's signing keys by `kid`, cached for their `max-age`.
#[derive(Default)]
pub struct JwksCache {
    cached: tokio::sync::RwLock<Option<CachedKeys>>,
    /// One fetch at a time; others wait and reuse its result.
    fetching: tokio::sync::Mutex<()>,
}

/// What the cache can say about a `kid` without fetching.
enum Lookup {
    Found(DecodingKey),
    /// Fresh set without this kid, fetched too recently to try again.
    Unknown,
    NeedFetch,
}

impl JwksCache {
    async fn lookup(&self, kid: &str) -> Lookup {
        let guard = self.cached.read().await;
        let Some(c) = guard.as_ref() else {
            return Lookup::NeedFetch;
        };
        let age = c.fetched.elapsed();
        match c.keys.get(kid) {
            Some(k) if age < c.fresh_for => Lookup::Found(k.clone()),
            None if age < c.fresh_for && age < MIN_REFETCH => Lookup::Unknown,
            _ => Lookup::NeedFetch,
        }
    }

    /// The verification key for `kid`, fetching the key set from `url` when needed.
    pub async fn key(
        &self,
        http: &reqwest::Client,
        url: &str,
        kid: &str,
    ) -> Result<DecodingKey, ApiError> {
        match self.lookup(kid).await {
            Lookup::Found(k) => return Ok(k),
            Lookup::Unknown => return Err(unknown_kid()),
            Lookup::NeedFetch => {}
        }
        let _one_fetch = self.fetching.lock().await;
        // Whoever held the lock before us may have fetched already.
        match self.lookup(kid).await {
            Lookup::Found(k) => return Ok(k),
            Lookup::Unknown => return Err(unknown_kid()),
            Lookup::NeedFetch => {}
        }
        match fetch_keys(http, url).await {
            Ok((keys, fresh_for)) => {
                let found = keys.get(kid).cloned();
                *self.cached.write().await = Some(CachedKeys {
                    keys: Arc::new(keys),
                    fetched: Instant::now(),
                    fresh_for,
                });
                found.ok_or_else(unknown_kid)
            }
            Err(e) => {
                // Keys outlive their max-age at Google; a stale copy beats failing every login.
                let stale = self
                    .cached
                    .read()
                    .await
                    .as_ref()
                    .and_then(|c| {
                        (c.fetched.elapsed() < MAX_MAX_AGE).then(|| c.keys.get(kid).cloned())
                    })
                    .flatten();
                match stale {
                    Some(k) => {
                        tracing::warn!(error = %e, "Firebase key refresh failed; using cached keys");
                        Ok(k)
                    }
                    None => {
                        tracing::error!(error = %e, "cannot fetch Firebase signing keys");
                        Err(ApiError::unavailable(
                            "Cannot fetch Firebase signing keys; try again shortly",
                        ))
                    }
                }
            }
        }
    }
}

fn unknown_kid() -> ApiError {
    invalid("signed with an unknown key (kid)")
}

fn invalid(why: &str) -> ApiError {
    ApiError::unauthorized(format!("Invalid Firebase ID token: {why}"))
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<RawJwk>,
}

#[derive(Deserialize)]
struct RawJwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

async fn fetch_keys(
    http: &reqwest::Client,
    url: &str,
) -> Result<(HashMap<String, DecodingKey>, Duration), String> {
    let resp = http
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", resp.status()));
    }
    let fresh_for = resp
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(max_age)
        .unwrap_or(DEFAULT_MAX_AGE)
        .min(MAX_MAX_AGE);
    let body = resp.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
    let set: JwkSet =
        serde_json::from_slice(&body).map_err(|e| format!("{url} is not a JWK set: {e}"))?;
    let keys: HashMap<String, DecodingKey> = set
        .keys
        .iter()
        .filter(|k| k.kty == "RSA")
        .filter_map(|k| {
            let key = DecodingKey::from_rsa_components(k.n.as_deref()?, k.e.as_deref()?).ok()?;
            Some((k.kid.clone()?, key))
        })
        .collect();
    if keys.is_empty() {
        return Err(format!("{url} holds no RSA keys"));
    }
    Ok((keys, fresh_for))
}

/// `max-age` of a `Cache-Control` value, if any.
pub fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control.split(',').find_map(|d| {
        let (name, value) = d.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| value.trim().trim_matches('"').parse().ok())
            .flatten()
            .map(Duration::from_secs)
    })
}

/// The configured Firebase project, or 503 when there is none.
fn project_id(state: &AppState) -> Result<&str, ApiError> {
    state.config.firebase_project_id.as_deref().ok_or_else(|| {
        ApiError::unavailable(
            "Firebase sign-in is not configured on this server (HEXACLAW_FIREBASE_PROJECT_ID)",
        )
    })
}

/// Verify a Firebase ID token: RS256, known `kid`, `iss`/`aud` of our project, `exp` ahead,
/// `iat` and `auth_time` behind, `sub` of 1..=128 characters. Every failure is a 401.
pub async fn verify(state: &AppState, token: &str) -> Result<FirebaseUser, ApiError> {
    let project = project_id(state)?;
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid("too long"));
    }
    // An unknown `alg` (such as "none") fails to parse here.
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed"))?;
    if header.alg != Algorithm::RS256 {
        return Err(invalid("algorithm must be RS256"));
    }
    let kid = header.kid.ok_or_else(|| invalid("no key id (kid)"))?;
    let key = state
        .firebase_keys
        .key(&state.http, &state.config.firebase_jwks_url, &kid)
        .await?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[format!("https://securetoken.google.com/{project}")]);
    v.set_audience(&[project]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = LEEWAY_SECS as u64;
    let data = jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        invalid(match e.kind() {
            K::ExpiredSignature => "expired",
            K::InvalidIssuer => "wrong issuer",
            K::InvalidAudience => "wrong audience",
            K::InvalidSignature => "bad signature",
            K::MissingRequiredClaim(_) | K::Json(_) => "missing or malformed claims",
            _ => "malformed",
        })
    })?;
    let c = data.claims;
    let now = crate::store::now_secs();
    if c.iat > now + LEEWAY_SECS {
        return Err(invalid("issued in the future (iat)"));
    }
    if c.auth_time > now + LEEWAY_SECS {
        return Err(invalid("authenticated in the future (auth_time)"));
    }
    if c.sub.is_empty() || c.sub.chars().count() > 128 {
        return Err(invalid("subject (sub) must be 1 to 128 characters"));
    }
    Ok(FirebaseUser {
        uid: c.sub,
        email: c.email.filter(|e| !e.is_empty()),
        email_verified: c.email_verified.unwrap_or(false),
    })
}

/// Authenticate a key-management request: a Firebase ID token in `Authorization: Bearer`.
/// Returns the user and their account (created on first sight).
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(FirebaseUser, Account), ApiError> {
    project_id(state)?;
    let token = super::extract_token(headers, super::KeyHeaders::Bearer).map_err(|_| {
        ApiError::unauthorized(
            "Missing credentials: send 'Authorization: Bearer <Firebase ID token>'",
        )
    })?;
    if token.starts_with(super::apikey::KEY_PREFIX) {
        return Err(ApiError::unauthorized(
            "Key management needs a Firebase ID token; API keys and device tokens are not accepted here",
        ));
    }
    let user = verify(state, token).await?;
    let account = account_for(state, &user).await?;
    Ok((user, account))
}

fn mapping_key(uid: &str) -> Key {
    Key::new(format!("FIREBASE#{uid}"), "A")
}

/// The account of a Firebase user, created (Trial tier) the first time. Concurrent first
/// requests race for a claim on the `FIREBASE#<uid>` mapping item: exactly one creates the
/// account, the others wait for the mapping to name it.
pub async fn account_for(state: &AppState, user: &FirebaseUser) -> Result<Account, ApiError> {
    let store = &state.store;
    let key = mapping_key(&user.uid);
    let deadline = Instant::now() + CLAIM_WAIT;
    loop {
        if let Some(item) = store.get(Table::Accounts, &key).await? {
            if let Some(id) = item.s("account_id") {
                return accounts::get(store, id).await?.ok_or_else(|| {
                    ApiError::internal(format!("account {id} of a Firebase user is missing"))
                });
            }
        } else {
            let claim = uuid::Uuid::new_v4().simple().to_string();
            let now = crate::store::now_secs();
            let item = Item::new(&key)
                .with("claim", claim.as_str())
                .with(crate::store::EXPIRES_AT, now + CLAIM_TTL_SECS);
            match store
                .put(Table::Accounts, item, Some(Cond::NotExists))
                .await
            {
                Ok(()) => return create_claimed(state, user, &key, &claim).await,
                Err(StoreError::ConditionFailed) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if Instant::now() >= deadline {
            let mut e = ApiError::unavailable("Your account is being set up; retry in a moment");
            e.retry_after = Some(1);
            return Err(e);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn create_claimed(
    state: &AppState,
    user: &FirebaseUser,
    key: &Key,
    claim: &str,
) -> Result<Account, ApiError> {
    let store = &state.store;
    // Only a verified email is recorded: an unverified one could squat someone else's address.
    let email = user.email.as_deref().filter(|_| user.email_verified);
    let account = match accounts::create(store, email, Tier::Trial, Some(&user.uid)).await {
        // The address already belongs to another account (made by an admin, say): the new
        // account goes without it rather than failing the sign-in.
        Err(e) if e.status.as_u16() == 409 && email.is_some() => {
            accounts::create(store, None, Tier::Trial, Some(&user.uid)).await?
        }
        other => other?,
    };
    match store
        .update(
            Table::Accounts,
            key,
            &[
                Update::set("account_id", account.id.as_str()),
                Update::set("created_at", account.created_at),
                Update::remove(crate::store::EXPIRES_AT),
            ],
            Some(Cond::And(vec![Cond::Exists, Cond::eq("claim", claim)])),
        )
        .await
    {
        Ok(_) => {
            tracing::info!(account = %account.id, "account created for a new Firebase user");
            Ok(account)
        }
        Err(StoreError::ConditionFailed) => Err(ApiError::unavailable(
            "Account setup took too long; retry in a moment",
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_parsed_from_cache_control() {
        assert_eq!(
            max_age("public, max-age=19302, must-revalidate, no-transform"),
            Some(Duration::from_secs(19302))
        );
        assert_eq!(max_age("Max-Age = 5"), Some(Duration::from_secs(5)));
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("max-age=abc"), None);
    }
}
