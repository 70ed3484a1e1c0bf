//! CLI device login, shaped after RFC 8628: provisioning a device code (stored only as its
//! HMAC) and a short user code, linking the user code to an account, and polling, which hands
//! out the device token — a `KeyKind::Device` key — exactly once.

use super::apikey;
use super::keys::{self, KeyKind, KeyRecord, NewKeyParams, RateLimitOverride};
use crate::error::ApiError;
use crate::ratelimit::{self, Limits};
use crate::state::AppState;
use crate::store::{Cond, Item, Key, StoreError, Table, TxOp, Update};
use axum::http::StatusCode;
use rand::Rng;

/// User-code letters: no vowels (no words), none that look alike (0/O, 1/I/L, 5/S stay out).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// User-code length (shown as `XXXX-XXXX`): 20^8 ≈ 2.6e10 codes.
pub const USER_CODE_LEN: usize = 8;
/// Device-code length in base62 characters (~256 bits).
pub const DEVICE_CODE_LEN: usize = 43;
/// How long a pair of codes can be linked and polled.
pub const CODE_TTL_SECS: i64 = 600;
/// RFC 8628 §3.5: each `slow_down` adds this to the interval.
const SLOW_DOWN_STEP: i64 = 5;
/// Device items stay readable this long past expiry so polls can answer `expired_token`.
const GRACE_SECS: i64 = 3600;
/// Link attempts per account, against guessing user codes.
pub const LINK_LIMITS: Limits = Limits {
    per_minute: 10,
    per_day: 100,
    concurrent: 0,
};
/// Longest device name a client may send.
const MAX_NAME: usize = 100;

/// Codes handed to a device that asked to log in.
#[derive(Clone, Debug)]
pub struct Provisioned {
    pub device_code: String,
    /// Formatted `XXXX-XXXX`.
    pub user_code: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A device linked to an account.
#[derive(Clone, Debug)]
pub struct Linked {
    pub name: String,
    pub scopes: Vec<String>,
    pub approved: bool,
}

fn device_key(hash: &str) -> Key {
    Key::new(format!("DEV#{hash}"), "D")
}

fn user_code_key(code: &str) -> Key {
    Key::new(format!("UC#{code}"), "U")
}

fn random_user_code() -> String {
    let mut rng = rand::rng();
    (0..USER_CODE_LEN)
        .map(|_| USER_CODE_ALPHABET[rng.random_range(0..USER_CODE_ALPHABET.len())] as char)
        .collect()
}

/// `ABCDEFGH` → `ABCD-EFGH`.
pub fn format_user_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(USER_CODE_LEN / 2));
    format!("{a}-{b}")
}

/// Canonical form of a typed user code (case, dashes and spaces ignored), if it can be one.
pub fn normalize_user_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// Start a device login: a device code (kept by the device), a user code (typed by the user).
pub async fn provision(
    state: &AppState,
    name: &str,
    scopes: &[String],
) -> Result<Provisioned, ApiError> {
    if name.chars().count() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "Device name must be at most {MAX_NAME} characters"
        )));
    }
    let scopes = keys::normalize_scopes(scopes)?;
    let interval = state.config.device_poll_interval_secs as i64;
    for _ in 0..5 {
        let device_code = apikey::random_base62(DEVICE_CODE_LEN);
        let user_code = random_user_code();
        let hash = apikey::hash(state.config.key_pepper.expose(), &device_code);
        let now = crate::store::now_secs();
        let expires = now + CODE_TTL_SECS;
        let device = Item::new(&device_key(&hash))
            .with("status", "pending")
            .with("user_code", user_code.as_str())
            .with("name", name)
            .with("scopes", scopes.join(","))
            .with("created_at", now)
            .with("code_expires_at", expires)
            .with("interval", interval)
            .with(crate::store::EXPIRES_AT, expires + GRACE_SECS);
        let lookup = Item::new(&user_code_key(&user_code))
            .with("device_hash", hash.as_str())
            .with(crate::store::EXPIRES_AT, expires);
        let ops = vec![
            TxOp::Put {
                table: Table::Devices,
                item: device,
                cond: Some(Cond::NotExists),
            },
            // A live user code names one device only; a collision just draws again.
            TxOp::Put {
                table: Table::Devices,
                item: lookup,
                cond: Some(Cond::NotExists),
            },
        ];
        match state.store.transact(ops).await {
            Ok(()) => {
                return Ok(Provisioned {
                    device_code,
                    user_code: format_user_code(&user_code),
                    expires_in: CODE_TTL_SECS,
                    interval,
                });
            }
            Err(StoreError::TransactionCanceled { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal("no free user code after 5 draws"))
}

fn bad_code() -> ApiError {
    ApiError::bad_request(
        "Invalid or expired code: device codes work once and expire 10 minutes after they are shown",
    )
}

/// Link (or, with `approve = false`, deny) the device waiting with `user_code` to the caller's
/// account. Attempts are rate-limited per account; a code works once.
pub async fn link(
    state: &AppState,
    account_id: &str,
    user_code: &str,
    approve: bool,
    scopes: Option<&[String]>,
) -> Result<Linked, ApiError> {
    let now = crate::store::now_secs();
    // Counted before the code is even looked at, so every guess costs one attempt.
    ratelimit::admit(
        &state.store,
        &format!("devlink:{account_id}"),
        LINK_LIMITS,
        now,
    )
    .await?;
    let scopes = scopes.map(keys::normalize_scopes).transpose()?;
    let code = normalize_user_code(user_code).ok_or_else(bad_code)?;
    let lookup = state
        .store
        .get(Table::Devices, &user_code_key(&code))
        .await?
        .ok_or_else(bad_code)?;
    let hash = lookup.s("device_hash").ok_or_else(bad_code)?.to_owned();
    let mut updates = vec![
        Update::set("status", if approve { "linked" } else { "denied" }),
        Update::set("account_id", account_id),
        Update::set("linked_at", now),
    ];
    if let Some(s) = &scopes {
        updates.push(Update::set("scopes", s.join(",")));
    }
    let ops = vec![
        TxOp::Delete {
            table: Table::Devices,
            key: user_code_key(&code),
            cond: Some(Cond::Exists),
        },
        TxOp::Update {
            table: Table::Devices,
            key: device_key(&hash),
            updates,
            cond: Some(Cond::And(vec![
                Cond::Exists,
                Cond::eq("status", "pending"),
                Cond::Gt("code_expires_at".into(), now),
            ])),
        },
    ];
    match state.store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => return Err(bad_code()),
        Err(e) => return Err(e.into()),
    }
    let item = state.store.get(Table::Devices, &device_key(&hash)).await?;
    let item = item.unwrap_or_default();
    Ok(Linked {
        name: item.s("name").unwrap_or_default().to_owned(),
        scopes: split_scopes(item.s("scopes")),
        approved: approve,
    })
}

fn split_scopes(s: Option<&str>) -> Vec<String> {
    s.unwrap_or("*")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An RFC 8628 token-endpoint error, in our error shape (`error.type` is the RFC code).
fn grant_error(kind: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, kind, message)
}

/// Poll for the device token. Errors carry the RFC 8628 codes `authorization_pending`,
/// `slow_down` (with the new `interval`), `expired_token`, `access_denied` and `invalid_grant`
/// (unknown or already used code). Once linked, the token is returned exactly once.
pub async fn poll(state: &AppState, device_code: &str) -> Result<(KeyRecord, String), ApiError> {
    let unknown = || grant_error("invalid_grant", "Unknown or already used device code");
    if device_code.len() != DEVICE_CODE_LEN
        || !device_code.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(unknown());
    }
    let hash = apikey::hash(state.config.key_pepper.expose(), device_code);
    let key = device_key(&hash);
    let item = state
        .store
        .get(Table::Devices, &key)
        .await?
        .ok_or_else(unknown)?;
    let now = crate::store::now_secs();
    let status = item.s("status").unwrap_or_default();
    if matches!(status, "pending" | "linked") && item.n("code_expires_at").is_none_or(|t| t <= now)
    {
        return Err(grant_error(
            "expired_token",
            "The device code has expired; run the login again",
        ));
    }
    match status {
        "linked" => issue(state, &key, &item).await,
        "pending" => Err(pending(state, &key, &item, now).await?),
        "denied" => Err(grant_error("access_denied", "The login request was denied")),
        _ => Err(unknown()),
    }
}

/// Answer a pending poll: `authorization_pending`, or `slow_down` when polled too fast.
async fn pending(state: &AppState, key: &Key, item: &Item, now: i64) -> Result<ApiError, ApiError> {
    let interval = item
        .n("interval")
        .unwrap_or(state.config.device_poll_interval_secs as i64);
    let on_time = Cond::Or(vec![
        Cond::AttrNotExists("last_poll".into()),
        Cond::le("last_poll", now - interval),
    ]);
    let r = state
        .store
        .update(
            Table::Devices,
            key,
            &[Update::set("last_poll", now)],
            Some(Cond::And(vec![Cond::Exists, on_time])),
        )
        .await;
    match r {
        Ok(_) => Ok(grant_error(
            "authorization_pending",
            "Waiting for the user to enter the code",
        )),
        Err(StoreError::ConditionFailed) => {
            let after = state
                .store
                .update(
                    Table::Devices,
                    key,
                    &[
                        Update::add("interval", SLOW_DOWN_STEP),
                        Update::set("last_poll", now),
                    ],
                    Some(Cond::Exists),
                )
                .await;
            let interval = match after {
                Ok(i) => i.n("interval").unwrap_or(interval + SLOW_DOWN_STEP),
                Err(StoreError::ConditionFailed) => interval + SLOW_DOWN_STEP,
                Err(e) => return Err(e.into()),
            };
            Ok(grant_error(
                "slow_down",
                &format!("Polling too fast; wait {interval} seconds between polls"),
            )
            .with_details(serde_json::json!({ "interval": interval })))
        }
        Err(e) => Err(e.into()),
    }
}

/// Flip `linked` → `issued` (only one poll can win), then mint the device token.
async fn issue(state: &AppState, key: &Key, item: &Item) -> Result<(KeyRecord, String), ApiError> {
    let account_id = item
        .s("account_id")
        .ok_or_else(|| ApiError::internal("linked device without an account"))?;
    let won = state
        .store
        .update(
            Table::Devices,
            key,
            &[
                Update::set("status", "issued"),
                Update::set("issued_at", crate::store::now_secs()),
            ],
            Some(Cond::And(vec![Cond::Exists, Cond::eq("status", "linked")])),
        )
        .await;
    match won {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => {
            return Err(grant_error(
                "invalid_grant",
                "Unknown or already used device code",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let name = match item.s("name") {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => "hexaclaw CLI".to_owned(),
    };
    let (rec, secret) = keys::create(
        &state.store,
        state.config.key_pepper.expose(),
        NewKeyParams {
            account_id,
            name: &name,
            scopes: split_scopes(item.s("scopes")),
            rate_limits: RateLimitOverride::default(),
            kind: KeyKind::Device,
        },
    )
    .await?;
    // Audit trail only: the device record names the key it produced.
    let _ = state
        .store
        .update(
            Table::Devices,
            key,
            &[Update::set("key_id", rec.id.as_str())],
            Some(Cond::Exists),
        )
        .await;
    Ok((rec, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_typable_and_normalize() {
        for _ in 0..100 {
            let c = random_user_code();
            let shown = format_user_code(&c);
            assert_eq!(shown.len(), 9);
            assert_eq!(&shown[4..5], "-");
            assert_eq!(normalize_user_code(&shown).as_deref(), Some(c.as_str()));
            assert_eq!(
                normalize_user_code(&shown.to_lowercase()).as_deref(),
                Some(c.as_str())
            );
        }
        assert_eq!(
            normalize_user_code("bcdf ghjk").as_deref(),
            Some("BCDFGHJK")
        );
        assert!(
            normalize_user_code("ABCD-EFGH").is_none(),
            "vowels are not in the alphabet"
        );
        assert!(normalize_user_code("BCDF-GHJ").is_none());
        assert!(normalize_user_code("BCDF-GHJK-L").is_none());
        assert!(normalize_user_code("0CDF-GHJK").is_none());
    }
}
