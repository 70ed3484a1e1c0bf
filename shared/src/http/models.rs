//! `models` group: `GET /v1/models`, `GET /v1/models/{id}` (id or alias). The catalog is public
//! pricing information, so a key is optional here; a key that is sent must still be valid.

use crate::auth::{self, KeyHeaders};
use crate::catalog;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};

/// The `models` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/models", get(list))
        .route("/v1/models/{*id}", get(one))
        .with_state(state)
}

async fn optional_auth(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        auth::authenticate(state, headers, KeyHeaders::Bearer).await?;
    }
    Ok(())
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    optional_auth(&state, &headers).await?;
    Ok(Json(catalog::models_list_json()))
}

async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    optional_auth(&state, &headers).await?;
    catalog::model_json_for(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("The model '{id}' does not exist")))
}
