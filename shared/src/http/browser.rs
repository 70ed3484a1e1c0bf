//! `browser` group (scope `browser`): headless browser sessions on Browserbase, billed 2
//! credits per started minute (minimum one) when they end.
//!
//! `POST /v1/browser/sessions` creates one and answers its WebSocket `connect_url`;
//! `GET /v1/browser/sessions/{id}` reports its status; `DELETE` ends and bills it. Sessions
//! nobody ends are billed by `sessions::sweep_expired_sessions` at their timeout.

pub mod sessions;

use super::pipeline::{self, RouteSpec};
use super::tools::metered::{self, Meta, Started};
use super::tools::{parts, respond};
use crate::auth::{KeyHeaders, Principal};
use crate::catalog::browser_cost;
use crate::error::ApiError;
use crate::metering;
use crate::providers::browserbase;
use crate::state::AppState;
use crate::store::{Cond, Item, Table};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use axum::routing::{get, post};
use serde::Deserialize;

pub use sessions::sweep_expired_sessions;

const SPEC: RouteSpec = RouteSpec {
    scope: "browser",
    service: "browser",
    key_headers: KeyHeaders::Bearer,
};

/// Session timeout when the request names none (seconds): the hold is its minutes × 2 credits.
pub const DEFAULT_TIMEOUT_SECS: u32 = 300;

/// The `browser` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/browser/sessions", post(create))
        .route("/v1/browser/sessions/{id}", get(status).delete(end))
        .with_state(state)
}

#[derive(Deserialize)]
struct CreateReq {
    proxy: Option<bool>,
    timeout: Option<u32>,
}

async fn create(State(state): State<AppState>, req: Request) -> Response<Body> {
    respond(run_create(state, req).await)
}

async fn run_create(state: AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let (headers, body) = parts(&state, req).await?;
    let principal = pipeline::authenticate(&state, SPEC, &headers).await?;
    // An empty body means all defaults.
    let r: CreateReq = if body.iter().all(u8::is_ascii_whitespace) {
        CreateReq {
            proxy: None,
            timeout: None,
        }
    } else {
        super::extract::parse_json(&body)?
    };
    let proxy = r.proxy.unwrap_or(false);
    let timeout = r.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
    let range = sessions::timeout_range();
    if !range.contains(&timeout) {
        return Err(ApiError::bad_request(format!(
            "timeout must be between {} and {} seconds",
            range.start(),
            range.end()
        )));
    }
    let bb = sessions::client(&state)?;
    let ticket = match metered::start(
        &state,
        SPEC,
        principal,
        &headers,
        "/v1/browser/sessions",
        &body,
        None,
    )
    .await?
    {
        Started::Go(t) => t,
        Started::Answer(r) => return Ok(r),
    };
    let now = crate::store::now_secs();
    let max = browser_cost(timeout as u64 * 1000);
    let deadline = timeout as i64 + sessions::HOLD_GRACE_SECS;
    // The session outlives this request, so its hold is not the ticket's.
    let hold = match metering::hold(
        &state.store,
        ticket.account_id(),
        max,
        &ticket.generation_id,
        deadline,
        now,
    )
    .await
    {
        Ok(h) => h,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let session = match bb.create(proxy, timeout).await {
        Ok(s) => s,
        Err(e) => {
            if let Err(ve) = metering::void(&state.store, &hold).await {
                tracing::error!(hold = %hold.id, error = %ve, "void failed; the hold sweeper will void it");
            }
            return Ok(ticket.fail(e).await);
        }
    };
    let id = format!("bs_{}", uuid::Uuid::now_v7().simple());
    let item = sessions::new_item(&sessions::NewRecord {
        id: &id,
        account_id: ticket.account_id(),
        key_id: &ticket.principal.key.id,
        generation_id: &ticket.generation_id,
        hold: &hold,
        bb: &session,
        proxy,
        timeout_secs: timeout,
        now,
    });
    if let Err(e) = state
        .store
        .put(Table::Holds, item.clone(), Some(Cond::NotExists))
        .await
    {
        // Without a record nobody could end or bill it: end it now and charge nothing.
        let _ = bb.release(&session.id).await;
        let _ = metering::void(&state.store, &hold).await;
        return Ok(ticket
            .fail(ApiError::internal(format!("storing session {id}: {e}")))
            .await);
    }
    let body = sessions::view(&item, Some(&session.status), session.connect_url.as_deref());
    let meta = Meta {
        service: "browser",
        provider: "browserbase",
        ..Meta::default()
    };
    let mut resp = metered::json_response(&ticket, StatusCode::CREATED, &body, &meta);
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/browser/sessions/{id}")) {
        resp.headers_mut().insert("location", v);
    }
    let replay = metered::stored(&resp, &body);
    ticket.finish_free(Some(&replay)).await;
    Ok(resp)
}

/// The caller's session record, or 404 (also for another account's session).
async fn owned(state: &AppState, principal: &Principal, id: &str) -> Result<Item, ApiError> {
    let not_found = || ApiError::not_found(format!("No browser session '{id}'"));
    let item = state
        .store
        .get(Table::Holds, &sessions::key(id))
        .await?
        .ok_or_else(not_found)?;
    if item.s("account_id") != Some(principal.account_id()) {
        return Err(not_found());
    }
    Ok(item)
}

fn json(v: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(Body::from(serde_json::to_vec(v).unwrap_or_default()));
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response<Body> {
    respond(run_status(&state, &headers, &id).await)
}

async fn run_status(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let principal = pipeline::authenticate(state, SPEC, headers).await?;
    let item = owned(state, &principal, id).await?;
    if item.s("state") != Some("open") {
        return Ok(json(&sessions::view(&item, None, None)));
    }
    let live = sessions::client(state)?
        .get(item.s("bb_id").unwrap_or_default())
        .await?;
    if live.ended() {
        // Browserbase already ended it (timeout, disconnect): bill it now.
        let closed = sessions::close(
            state,
            item,
            Some(&live),
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
        return Ok(json(&sessions::view(&closed, None, None)));
    }
    Ok(json(&sessions::view(&item, Some(&live.status), None)))
}

async fn end(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response<Body> {
    respond(run_end(&state, &headers, &id).await)
}

async fn run_end(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let principal = pipeline::authenticate(state, SPEC, headers).await?;
    let item = owned(state, &principal, id).await?;
    if item.s("state") != Some("open") {
        return Ok(json(&sessions::view(&item, None, None)));
    }
    let released: Option<browserbase::Session> = sessions::client(state)?
        .release(item.s("bb_id").unwrap_or_default())
        .await?;
    let closed = sessions::close(
        state,
        item,
        released.as_ref(),
        chrono::Utc::now().timestamp_millis(),
    )
    .await?;
    Ok(json(&sessions::view(&closed, None, None)))
}
