//! The metered-call shape the service routes (media, tools, browser) share: enter the pipeline,
//! hold the price, and after the provider answered, settle the actual cost with the generation,
//! the usage counters and the response for idempotent replay.

use crate::config::Upstream;
use crate::error::ApiError;
use crate::http::chat::stored_headers;
use crate::http::pipeline::{self, Begin, RouteSpec, Ticket};
use crate::idempotency::StoredResponse;
use crate::metering::{Generation, UsageDelta};
use crate::money::MicroCredits;
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};

/// Seconds a synchronous service call's hold may stay HELD before the sweeper voids it.
pub const HOLD_DEADLINE_SECS: i64 = 1_800;

/// What a billable call was, for its generation record and usage counters.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    /// Usage/generation service name (`images`, `video`, `web_search`, …).
    pub service: &'static str,
    pub model_requested: Option<String>,
    pub model_used: Option<String>,
    pub provider: &'static str,
    /// Service units: images, queries, pages, emails, tracks, minutes.
    pub units: u64,
}

/// The platform key for `u`, or 503 when this gateway has none.
pub fn platform_key(state: &AppState, u: Upstream, provider: &str) -> Result<String, ApiError> {
    state
        .config
        .provider_key(u)
        .map(|k| k.expose().to_owned())
        .ok_or_else(|| {
            ApiError::unavailable(format!(
                "{provider} is not configured on this gateway ({} is not set)",
                u.key_name()
            ))
        })
}

/// A request that entered the pipeline, or the answer to give instead (replay, 402, 429…).
pub enum Started {
    Go(Box<Ticket>),
    Answer(Response<Body>),
}

/// Enter the pipeline and hold `price` (a 402 comes back as `Started::Answer`).
pub async fn start(
    state: &AppState,
    spec: RouteSpec,
    principal: crate::auth::Principal,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    price: Option<MicroCredits>,
) -> Result<Started, ApiError> {
    let mut ticket =
        match pipeline::begin(state, spec, principal, headers, "POST", path, body).await? {
            Begin::Replay(r) => return Ok(Started::Answer(r)),
            Begin::Proceed(t) => t,
        };
    let held = match price {
        Some(p) => ticket.hold(p, HOLD_DEADLINE_SECS).await,
        None => Ok(()),
    };
    match held {
        Ok(()) => Ok(Started::Go(ticket)),
        Err(e) => Ok(Started::Answer(ticket.fail(e).await)),
    }
}

/// The generation record of a finished call.
pub fn generation(
    id: &str,
    account_id: &str,
    key_id: &str,
    meta: &Meta,
    latency_ms: u64,
    status: &str,
) -> Generation {
    Generation {
        id: id.to_owned(),
        account_id: account_id.to_owned(),
        key_id: key_id.to_owned(),
        service: meta.service.to_owned(),
        model_requested: meta.model_requested.clone(),
        model_used: meta.model_used.clone(),
        provider: Some(meta.provider.to_owned()),
        units: Some(meta.units),
        latency_ms,
        status: status.to_owned(),
        created_at: crate::store::now_secs(),
        ..Generation::default()
    }
}

/// The usage-counter delta of a finished call.
pub fn usage(meta: &Meta) -> UsageDelta {
    UsageDelta {
        model: None,
        service: meta.service.to_owned(),
        units: meta.units,
        ..UsageDelta::default()
    }
}

/// A JSON response with the ticket's headers (rate limits, generation id, idempotency key).
pub fn json_response(
    ticket: &Ticket,
    status: StatusCode,
    body: &serde_json::Value,
    meta: &Meta,
) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, v) in [
        ("x-model-requested", &meta.model_requested),
        ("x-model-used", &meta.model_used),
    ] {
        if let Some(v) = v.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            h.insert(name, v);
        }
    }
    ticket.apply_headers(h);
    resp
}

/// The stored (replayable) form of a response whose body is `body`.
pub fn stored(resp: &Response<Body>, body: &serde_json::Value) -> StoredResponse {
    let mut headers = stored_headers(resp.headers());
    if let Some(l) = resp.headers().get("location").and_then(|v| v.to_str().ok()) {
        headers.push(("location".into(), l.to_owned()));
    }
    StoredResponse {
        status: resp.status().as_u16(),
        headers,
        body: serde_json::to_vec(body).unwrap_or_default(),
    }
}

/// Settle the hold on `actual` and answer with `body`.
pub async fn finish(
    ticket: Box<Ticket>,
    status: StatusCode,
    body: serde_json::Value,
    actual: MicroCredits,
    meta: Meta,
) -> Response<Body> {
    let record = generation(
        &ticket.generation_id,
        ticket.account_id(),
        &ticket.principal.key.id,
        &meta,
        ticket.started.elapsed().as_millis() as u64,
        "completed",
    );
    let resp = json_response(&ticket, status, &body, &meta);
    let replay = stored(&resp, &body);
    match ticket
        .settle(actual, &record, &usage(&meta), Some(&replay))
        .await
    {
        Ok(_) => resp,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}
