//! HTTP: one router per endpoint group (each served by its own Lambda), merged into one for the
//! local gateway, plus the shared extractors and fallbacks.

pub mod audio;
pub mod browser;
pub mod chat;
pub mod embeddings;
pub mod extract;
pub mod guard;
pub mod guardian;
pub mod keys;
pub mod llm;
pub mod media;
pub mod messages;
pub mod models;
pub mod pipeline;
pub mod relay;
pub mod tools;
pub mod usage;
pub mod vectors;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Endpoint groups, one Lambda each (ARCHITECTURE §1). `maintenance` has no routes.
pub const GROUPS: &[&str] = &[
    "chat",
    "messages",
    "models",
    "embeddings",
    "audio",
    "media",
    "tools",
    "vectors",
    "browser",
    "guardian",
    "keys",
    "usage",
];

/// Every public route: (group, method, path in axum syntax). template.yaml must declare
/// exactly these (checked by `tests/tests/template_routes.rs`), and each group's router must
/// serve its own.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("chat", "POST", "/v1/chat/completions"),
    ("messages", "POST", "/v1/messages"),
    ("messages", "POST", "/v1/v1/messages"),
    ("embeddings", "POST", "/v1/embeddings"),
    ("audio", "POST", "/v1/audio/speech"),
    ("audio", "POST", "/v1/audio/transcriptions"),
    ("models", "GET", "/v1/models"),
    ("models", "GET", "/v1/models/{*id}"),
    ("guardian", "POST", "/v1/guardian/scan/input"),
    ("guardian", "POST", "/v1/guardian/scan/output"),
    ("guardian", "POST", "/v1/guardian/scan"),
    ("guardian", "POST", "/v1/guardian/analyze"),
    ("guardian", "GET", "/v1/guardian/status"),
    ("keys", "GET", "/v1/key"),
    ("keys", "POST", "/v1/keys"),
    ("keys", "GET", "/v1/keys"),
    ("keys", "PATCH", "/v1/keys/{id}"),
    ("keys", "DELETE", "/v1/keys/{id}"),
    ("keys", "POST", "/v1/device/provision"),
    ("keys", "POST", "/v1/device/link"),
    ("keys", "POST", "/v1/device/token"),
    ("usage", "GET", "/v1/usage"),
    ("usage", "GET", "/v1/usage/history"),
    ("usage", "GET", "/v1/usage/summary"),
    ("usage", "GET", "/v1/usage/by-model"),
    ("usage", "GET", "/v1/usage/by-service"),
    ("usage", "GET", "/v1/credits/ledger"),
    ("usage", "GET", "/v1/generation"),
    ("vectors", "POST", "/v1/vectors/upsert"),
    ("vectors", "POST", "/v1/vectors/query"),
    ("vectors", "DELETE", "/v1/vectors/delete"),
    ("media", "POST", "/v1/images/generate"),
    ("media", "POST", "/v1/video/generate"),
    ("media", "GET", "/v1/video/jobs/{id}"),
    ("media", "POST", "/v1/music/generate"),
    ("media", "GET", "/v1/music/jobs/{id}"),
    ("tools", "POST", "/v1/search"),
    ("tools", "POST", "/v1/scrape"),
    ("tools", "POST", "/v1/email"),
    ("browser", "POST", "/v1/browser/sessions"),
    ("browser", "GET", "/v1/browser/sessions/{id}"),
    ("browser", "DELETE", "/v1/browser/sessions/{id}"),
];

/// The router of one endpoint group, with the common layers.
pub fn group_router(group: &str, state: AppState) -> Option<Router> {
    let r = match group {
        "chat" => chat::router(state),
        "messages" => messages::router(state),
        "models" => models::router(state),
        "keys" => keys::router(state),
        "usage" => usage::router(state),
        "vectors" => vectors::router(state),
        "embeddings" => embeddings::router(state),
        "audio" => audio::router(state),
        "media" => media::router(state),
        "tools" => tools::router(state),
        "browser" => browser::router(state),
        "guardian" => guardian::router(state),
        _ => return None,
    };
    Some(finish(r))
}

/// Every group's routes on one router: `hexaclaw gateway run`.
pub fn gateway_router(state: AppState) -> Router {
    let r = Router::new()
        .merge(chat::router(state.clone()))
        .merge(embeddings::router(state.clone()))
        .merge(audio::router(state.clone()))
        .merge(messages::router(state.clone()))
        .merge(models::router(state.clone()))
        .merge(keys::router(state.clone()))
        .merge(usage::router(state.clone()))
        .merge(vectors::router(state.clone()))
        .merge(media::router(state.clone()))
        .merge(tools::router(state.clone()))
        .merge(browser::router(state.clone()))
        .merge(guardian::router(state))
        .route("/health", axum::routing::get(health));
    finish(r)
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

/// The common layers (404/405 in the error shape, request ids) around a router.
pub fn finish(r: Router) -> Router {
    r.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(request_id))
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(format!(
        "No route for {} {}",
        req.method(),
        req.uri().path()
    ))
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Give every response an `x-request-id` (the Lambda request id when there is one).
async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .extensions()
        .get::<lambda_http::request::RequestContext>()
        .and_then(|ctx| match ctx {
            lambda_http::request::RequestContext::ApiGatewayV1(c) => c.request_id.clone(),
            lambda_http::request::RequestContext::ApiGatewayV2(c) => c.request_id.clone(),
            _ => None,
        })
        .unwrap_or_else(|| format!("req_{}", uuid::Uuid::now_v7().simple()));
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}
