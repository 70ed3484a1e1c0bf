//! `keys` group: `GET /v1/key` (introspect the calling key), key management with Firebase ID
//! tokens (`/v1/keys`), and the CLI device login (`/v1/device/*`).

use crate::accounts::Account;
use crate::auth::keys::{self, KeyKind, KeyPatch, KeyRecord, NewKeyParams, RateLimitOverride};
use crate::auth::{self, KeyHeaders, device, firebase};
use crate::catalog::Tier;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, parse_json, read_body};
use crate::state::AppState;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// Most active keys (API keys and device tokens) one account may hold.
pub const MAX_ACTIVE_KEYS: usize = 100;

/// The `keys` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/key", get(introspect))
        .route("/v1/keys", post(create_key).get(list_keys))
        .route("/v1/keys/{id}", patch(update_key).delete(delete_key))
        .route("/v1/device/provision", post(provision))
        .route("/v1/device/link", post(link))
        .route("/v1/device/token", post(device_token))
        .with_state(state)
}

/// Metadata of the calling key: never the secret.
async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let p = auth::authenticate(&state, &headers, KeyHeaders::Bearer).await?;
    let limits = p.tier.limits();
    let mut v = p.key.to_json(Some(p.tier));
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "effective_rate_limits".into(),
            json!({
                "requests_per_minute": p.key.rate_limits.requests_per_minute.unwrap_or(limits.requests_per_minute),
                "requests_per_day": p.key.rate_limits.requests_per_day.unwrap_or(limits.requests_per_day),
                "concurrent": p.key.rate_limits.concurrent.unwrap_or(limits.concurrent_requests),
            }),
        );
    }
    Ok(Json(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    rate_limits: Option<RateLimitOverride>,
}

/// Per-key limits may only tighten the tier's: a key cannot buy more than its account has.
fn check_limits(rl: &RateLimitOverride, tier: Tier) -> Result<(), ApiError> {
    let t = tier.limits();
    for (name, v, max) in [
        (
            "requests_per_minute",
            rl.requests_per_minute,
            t.requests_per_minute,
        ),
        ("requests_per_day", rl.requests_per_day, t.requests_per_day),
        ("concurrent", rl.concurrent, t.concurrent_requests),
    ] {
        if let Some(v) = v
            && (v == 0 || v > max)
        {
            return Err(ApiError::bad_request(format!(
                "rate_limits.{name} must be between 1 and {max} (the {} tier's limit)",
                tier.id()
            )));
        }
    }
    Ok(())
}

/// `POST /v1/keys`: create an API key; the secret is in this response only.
async fn create_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (_, account) = firebase::authenticate(&state, &headers).await?;
    let rate_limits = body.rate_limits.unwrap_or_default();
    check_limits(&rate_limits, account.tier)?;
    let active = active_keys(&state, &account.id).await?.len();
    if active >= MAX_ACTIVE_KEYS {
        return Err(ApiError::bad_request(format!(
            "An account may hold at most {MAX_ACTIVE_KEYS} active keys; delete one first"
        )));
    }
    let (rec, secret) = keys::create(
        &state.store,
        state.config.key_pepper.expose(),
        NewKeyParams {
            account_id: &account.id,
            name: body.name.as_deref().unwrap_or(""),
            scopes: body.scopes.unwrap_or_default(),
            rate_limits,
            kind: KeyKind::Api,
        },
    )
    .await?;
    let mut v = rec.to_json(Some(account.tier));
    if let Some(o) = v.as_object_mut() {
        o.insert("key".into(), json!(secret));
    }
    Ok((StatusCode::CREATED, Json(v)))
}

async fn active_keys(state: &AppState, account_id: &str) -> Result<Vec<KeyRecord>, ApiError> {
    let mut all = keys::list_for_account(&state.store, account_id).await?;
    all.retain(|k| k.active);
    Ok(all)
}

/// `GET /v1/keys`: the account's active keys and device tokens, never their secrets.
async fn list_keys(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (_, account) = firebase::authenticate(&state, &headers).await?;
    let data: Vec<Value> = active_keys(&state, &account.id)
        .await?
        .iter()
        .map(|k| k.to_json(None))
        .collect();
    Ok(Json(json!({"object": "list", "data": data})))
}

/// One of the caller's active keys; everyone else's keys (and revoked ones) are not found.
async fn own_key(state: &AppState, account: &Account, id: &str) -> Result<KeyRecord, ApiError> {
    keys::find_in_account(&state.store, &account.id, id)
        .await?
        .filter(|k| k.active)
        .ok_or_else(|| ApiError::not_found(format!("No such key: {id}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateKey {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    /// `null` clears every override; an object replaces them.
    #[serde(default, deserialize_with = "present")]
    rate_limits: Option<Option<RateLimitOverride>>,
    /// Guardian's handling of secrets in output (Max plan): monitor, redact or block.
    #[serde(default)]
    guardian_mode: Option<crate::guardian::StreamMode>,
}

/// Distinguish `"rate_limits": null` (clear) from an absent field (keep).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<RateLimitOverride>>, D::Error> {
    Option::<RateLimitOverride>::deserialize(d).map(Some)
}

/// `PATCH /v1/keys/{id}`: rename, rescope, or change per-key rate limits.
async fn update_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<UpdateKey>,
) -> Result<Json<Value>, ApiError> {
    let (_, account) = firebase::authenticate(&state, &headers).await?;
    let rec = own_key(&state, &account, &id).await?;
    let rate_limits = body.rate_limits.map(Option::unwrap_or_default);
    if let Some(rl) = &rate_limits {
        check_limits(rl, account.tier)?;
    }
    keys::update(
        &state.store,
        &rec,
        KeyPatch {
            name: body.name,
            scopes: body.scopes,
            rate_limits,
            guardian_mode: body.guardian_mode,
        },
    )
    .await?;
    // New scopes and limits apply in this process at once; elsewhere within the cache TTL.
    state.key_cache.evict(&rec.hash);
    let updated = own_key(&state, &account, &id).await?;
    Ok(Json(updated.to_json(Some(account.tier))))
}

/// `DELETE /v1/keys/{id}`: deactivate for good. The key stops working in this process at once
/// and everywhere within `key_cache_ttl_secs`.
async fn delete_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (_, account) = firebase::authenticate(&state, &headers).await?;
    let rec = own_key(&state, &account, &id).await?;
    keys::revoke(&state.store, &rec).await?;
    state.key_cache.evict(&rec.hash);
    Ok(Json(json!({
        "id": rec.id,
        "object": "api_key",
        "type": rec.kind,
        "deleted": true,
        "active": false,
    })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProvisionBody {
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

/// `POST /v1/device/provision`: start a CLI login (no auth; the body is optional).
async fn provision(State(state): State<AppState>, req: Request) -> Result<Json<Value>, ApiError> {
    let bytes = read_body(req, 16 * 1024).await?;
    let body: ProvisionBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        ProvisionBody::default()
    } else {
        parse_json(&bytes)?
    };
    let p = device::provision(
        &state,
        body.client_name.as_deref().unwrap_or("hexaclaw CLI"),
        &body.scopes.unwrap_or_default(),
    )
    .await?;
    let uri = &state.config.device_verification_uri;
    let sep = if uri.contains('?') { '&' } else { '?' };
    Ok(Json(json!({
        "device_code": p.device_code,
        "user_code": p.user_code,
        "verification_uri": uri,
        "verification_uri_complete": format!("{uri}{sep}code={}", p.user_code),
        "expires_in": p.expires_in,
        "interval": p.interval,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    user_code: String,
    /// `false` denies the request (the device then gets `access_denied`).
    #[serde(default = "yes")]
    approve: bool,
    /// Narrow the device token's scopes (default: what the device asked for).
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

/// `POST /v1/device/link`: a signed-in user links the code shown by their CLI.
async fn link(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Json<Value>, ApiError> {
    let (_, account) = firebase::authenticate(&state, &headers).await?;
    let linked = device::link(
        &state,
        &account.id,
        &body.user_code,
        body.approve,
        body.scopes.as_deref(),
    )
    .await?;
    Ok(Json(json!({
        "object": "device_link",
        "status": if linked.approved { "linked" } else { "denied" },
        "account_id": account.id,
        "name": linked.name,
        "scopes": linked.scopes,
    })))
}

/// Lenient on purpose: OAuth clients also send `grant_type` and `client_id`.
#[derive(Deserialize)]
struct TokenBody {
    device_code: String,
}

/// `POST /v1/device/token`: the device polls; RFC 8628 error codes until it is linked, then
/// the device token, once.
async fn device_token(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Json<Value>, ApiError> {
    let (rec, secret) = device::poll(&state, &body.device_code).await?;
    Ok(Json(json!({
        "access_token": secret,
        "token_type": "Bearer",
        "key_id": rec.id,
        "account_id": rec.account_id,
        "scopes": rec.scopes,
        "name": rec.name,
    })))
}
