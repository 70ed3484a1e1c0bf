//! `keys` group: `GET /v1/key` (introspect the calling key). Key management with Firebase ID
//! tokens and device tokens lives here too.

use crate::auth::{self, KeyHeaders};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};

/// The `keys` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/key", get(introspect))
        .with_state(state)
}

/// Metadata of the calling key: never the secret.
async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = auth::authenticate(&state, &headers, KeyHeaders::Bearer).await?;
    let limits = p.tier.limits();
    let mut v = p.key.to_json(Some(p.tier));
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "effective_rate_limits".into(),
            serde_json::json!({
                "requests_per_minute": p.key.rate_limits.requests_per_minute.unwrap_or(limits.requests_per_minute),
                "requests_per_day": p.key.rate_limits.requests_per_day.unwrap_or(limits.requests_per_day),
                "concurrent": p.key.rate_limits.concurrent.unwrap_or(limits.concurrent_requests),
            }),
        );
    }
    Ok(Json(v))
}
