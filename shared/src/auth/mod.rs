//! Authentication: API keys and CLI device tokens → a `Principal`; Firebase ID tokens (key
//! management) → an account, in `firebase`.
//! Well-formedness and checksum are checked before any store read; verified keys are cached in
//! memory for `key_cache_ttl_secs`, which bounds how long a revoked key keeps working.

pub mod apikey;
pub mod device;
pub mod firebase;
pub mod keys;

use crate::catalog::Tier;
use crate::error::ApiError;
use crate::state::AppState;
use axum::http::HeaderMap;
use keys::KeyRecord;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub key: KeyRecord,
    pub tier: Tier,
}

impl Principal {
    pub fn account_id(&self) -> &str {
        &self.key.account_id
    }

    /// 403 unless the key carries `scope`.
    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        if self.key.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "This API key lacks the '{scope}' scope"
            )))
        }
    }
}

/// Which headers may carry the key on a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyHeaders {
    /// `Authorization: Bearer` only.
    Bearer,
    /// Bearer or `x-api-key` (Anthropic SDK convention, /v1/messages).
    BearerOrXApiKey,
}

/// In-memory cache of verified keys, keyed by HMAC.
pub struct KeyCache {
    ttl: Duration,
    map: RwLock<HashMap<String, (Instant, Principal)>>,
}

const CACHE_CAP: usize = 10_000;

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        KeyCache {
            ttl,
            map: RwLock::new(HashMap::new()),
        }
    }

    fn get(&self, hash: &str) -> Option<Principal> {
        let map = self.map.read().ok()?;
        let (at, p) = map.get(hash)?;
        (at.elapsed() < self.ttl).then(|| p.clone())
    }

    fn put(&self, hash: String, p: Principal) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.map.write() {
            if map.len() >= CACHE_CAP {
                let ttl = self.ttl;
                map.retain(|_, (at, _)| at.elapsed() < ttl);
                if map.len() >= CACHE_CAP {
                    map.clear();
                }
            }
            map.insert(hash, (Instant::now(), p));
        }
    }

    /// Drop a key at once (used when this process revokes it).
    pub fn evict(&self, hash: &str) {
        if let Ok(mut map) = self.map.write() {
            map.remove(hash);
        }
    }
}

/// Pull the bearer token (or x-api-key) out of the headers; 401 if missing.
pub fn extract_token(headers: &HeaderMap, allowed: KeyHeaders) -> Result<&str, ApiError> {
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION) {
        let v = v
            .to_str()
            .map_err(|_| ApiError::unauthorized("Malformed Authorization header"))?;
        let token = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized("Authorization header must be 'Bearer <api key>'")
            })?
            .trim();
        return Ok(token);
    }
    if allowed == KeyHeaders::BearerOrXApiKey {
        if let Some(v) = headers.get("x-api-key") {
            return v
                .to_str()
                .map(str::trim)
                .map_err(|_| ApiError::unauthorized("Malformed x-api-key header"));
        }
    }
    Err(ApiError::unauthorized(
        "Missing API key: send 'Authorization: Bearer hx_live_…'",
    ))
}

/// Authenticate a request's API key.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    allowed: KeyHeaders,
) -> Result<Principal, ApiError> {
    let token = extract_token(headers, allowed)?;
    // Reject garbage before touching the store (and never echo the token back).
    if !apikey::is_well_formed(token) {
        return Err(ApiError::unauthorized("Invalid API key"));
    }
    let hash = apikey::hash(state.config.key_pepper.expose(), token);
    if let Some(p) = state.key_cache.get(&hash) {
        return Ok(p);
    }
    let rec = keys::get_by_hash(&state.store, &hash)
        .await?
        .ok_or_else(|| ApiError::unauthorized("Invalid API key"))?;
    if !rec.active {
        return Err(ApiError::unauthorized("This API key has been revoked"));
    }
    let account = crate::accounts::get(&state.store, &rec.account_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("Invalid API key"))?;
    let p = Principal {
        key: rec,
        tier: account.tier,
    };
    state.key_cache.put(hash, p.clone());
    Ok(p)
}
