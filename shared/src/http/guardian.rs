//! `guardian` group: on-demand security scans (Max plan): `POST /v1/guardian/scan/input`,
//! `/scan/output`, `/scan` (both), `/analyze` (per-rule breakdown), 1 credit each, and
//! `GET /v1/guardian/status`. The same scanner runs automatically on Max-plan chat traffic
//! (see `http/guard.rs`).

use super::chat::stored_headers;
use super::pipeline::{self, Begin, HoldSpec, RouteSpec, Ticket};
use crate::auth::{KeyHeaders, Principal};
use crate::catalog::{self, Tier};
use crate::error::ApiError;
use crate::idempotency::StoredResponse;
use crate::metering::{Generation, UsageDelta};
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Response};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};

const SPEC: RouteSpec = RouteSpec {
    scope: "guardian",
    service: "guardian",
    key_headers: KeyHeaders::Bearer,
};

/// Largest text accepted by one scan (the body limit still applies first).
pub const MAX_SCAN_BYTES: usize = 1024 * 1024;

/// The `guardian` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/guardian/scan/input", post(scan_input))
        .route("/v1/guardian/scan/output", post(scan_output))
        .route("/v1/guardian/scan", post(scan_both))
        .route("/v1/guardian/analyze", post(analyze))
        .route("/v1/guardian/status", get(status))
        .with_state(state)
}

/// Whether a tier has Guardian (Max, and Enterprise above it).
pub fn tier_has_guardian(t: Tier) -> bool {
    matches!(t, Tier::Max | Tier::Enterprise)
}

fn require_plan(p: &Principal) -> Result<(), ApiError> {
    if tier_has_guardian(p.tier) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "Guardian is available on the Max plan ($49/mo); this account is on the {} plan",
            p.tier.display_name()
        )))
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Input,
    Output,
    Both,
    Analyze,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Input => "/v1/guardian/scan/input",
            Kind::Output => "/v1/guardian/scan/output",
            Kind::Both => "/v1/guardian/scan",
            Kind::Analyze => "/v1/guardian/analyze",
        }
    }
}

async fn scan_input(State(s): State<AppState>, req: Request) -> Response<Body> {
    run(s, req, Kind::Input).await
}
async fn scan_output(State(s): State<AppState>, req: Request) -> Response<Body> {
    run(s, req, Kind::Output).await
}
async fn scan_both(State(s): State<AppState>, req: Request) -> Response<Body> {
    run(s, req, Kind::Both).await
}
async fn analyze(State(s): State<AppState>, req: Request) -> Response<Body> {
    run(s, req, Kind::Analyze).await
}

async fn run(state: AppState, req: Request, kind: Kind) -> Response<Body> {
    match run_inner(state, req, kind).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// A text field: `text`, or the direction's own name (`input` / `output`).
fn field<'a>(body: &'a Value, names: &[&str]) -> Result<Option<&'a str>, ApiError> {
    for n in names {
        match body.get(*n) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => {
                if s.len() > MAX_SCAN_BYTES {
                    return Err(ApiError::bad_request(format!(
                        "'{n}' is larger than {MAX_SCAN_BYTES} bytes"
                    )));
                }
                return Ok(Some(s));
            }
            Some(_) => return Err(ApiError::bad_request(format!("'{n}' must be a string"))),
        }
    }
    Ok(None)
}

async fn run_inner(state: AppState, req: Request, kind: Kind) -> Result<Response<Body>, ApiError> {
    let headers = req.headers().clone();
    let bytes = super::extract::read_body(req, state.config.max_body_bytes).await?;
    let principal = pipeline::authenticate(&state, SPEC, &headers).await?;
    require_plan(&principal)?;
    let body: Value = super::extract::parse_json(&bytes)?;
    // Validate before anything is taken.
    let (input, output) =
        match kind {
            Kind::Input | Kind::Analyze => (
                Some(field(&body, &["text", "input"])?.ok_or_else(|| {
                    ApiError::bad_request("'text' (the text to scan) is required")
                })?),
                None,
            ),
            Kind::Output => (
                None,
                Some(field(&body, &["text", "output"])?.ok_or_else(|| {
                    ApiError::bad_request("'text' (the text to scan) is required")
                })?),
            ),
            Kind::Both => {
                let i = field(&body, &["input"])?;
                let o = field(&body, &["output"])?;
                if i.is_none() && o.is_none() {
                    return Err(ApiError::bad_request("Send 'input', 'output' or both"));
                }
                (i, o)
            }
        };
    let price = catalog::guardian_cost(1);
    let hold = HoldSpec {
        amount: price,
        deadline_secs: 300,
        keep_on_402: false,
    };
    let scanned = input.map_or(0, str::len) + output.map_or(0, str::len);
    // The scan needs nothing from the pre-call writes, so it runs on a blocking thread while
    // they make their store round trip: a warm request waits for the longer of the two, not
    // both, and a long text never holds an async worker. If the writes refuse (402, 429,
    // replay), its result is dropped unbilled.
    let scan = {
        let g = state.guardian.clone();
        let (input, output) = (input.map(str::to_owned), output.map(str::to_owned));
        tokio::task::spawn_blocking(move || run_scan(&g, kind, input.as_deref(), output.as_deref()))
    };
    let begun = pipeline::begin_with_hold(
        &state,
        SPEC,
        principal,
        &headers,
        "POST",
        kind.path(),
        &bytes,
        Some(hold),
    );
    let ticket = match begun.await? {
        Begin::Replay(r) => return Ok(r),
        Begin::Proceed(t) => t,
    };
    let (verdict, v) = match scan.await {
        Ok(done) => done,
        // Dropping the ticket voids the hold and frees the lease and idempotency claim.
        Err(e) => return Err(ApiError::internal(format!("guardian scan failed: {e}"))),
    };
    finish(ticket, v, verdict, scanned, price).await
}

/// One scan of the request's text(s): the verdict and the response body.
fn run_scan(
    g: &crate::guardian::Guardian,
    kind: Kind,
    input: Option<&str>,
    output: Option<&str>,
) -> (crate::guardian::Verdict, Value) {
    match kind {
        Kind::Input => {
            let r = g.scan_input(input.unwrap_or_default());
            (
                r.verdict,
                json!({"object": "guardian.scan", "direction": "input", "report": r}),
            )
        }
        Kind::Output => {
            let r = g.scan_output(output.unwrap_or_default());
            (
                r.verdict,
                json!({"object": "guardian.scan", "direction": "output", "report": r}),
            )
        }
        Kind::Both => {
            let ri = input.map(|t| g.scan_input(t));
            let ro = output.map(|t| g.scan_output(t));
            let verdict = ri
                .iter()
                .map(|r| r.verdict)
                .chain(ro.iter().map(|r| r.verdict))
                .max()
                .unwrap_or(crate::guardian::Verdict::Allow);
            (
                verdict,
                json!({"object": "guardian.scan", "direction": "both", "verdict": verdict, "input": ri, "output": ro}),
            )
        }
        Kind::Analyze => {
            let a = g.analyze(input.unwrap_or_default());
            (
                a.verdict,
                json!({"object": "guardian.analysis", "analysis": a}),
            )
        }
    }
}

async fn finish(
    ticket: Box<Ticket>,
    mut v: Value,
    verdict: crate::guardian::Verdict,
    scanned: usize,
    price: crate::money::MicroCredits,
) -> Result<Response<Body>, ApiError> {
    if let Some(o) = v.as_object_mut() {
        o.insert("scanned_bytes".into(), json!(scanned));
        o.insert("cost".into(), price.to_credits_json());
    }
    let bytes = serde_json::to_vec(&v).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes.clone()));
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(val) = HeaderValue::from_str(verdict_str(verdict)) {
        h.insert("x-guardian-verdict", val);
    }
    ticket.apply_headers(h);
    let stored = StoredResponse {
        status: 200,
        headers: stored_headers(h),
        body: bytes,
    };
    let generation = Generation {
        id: ticket.generation_id.clone(),
        account_id: ticket.account_id().to_owned(),
        key_id: ticket.principal.key.id.clone(),
        service: "guardian".into(),
        units: Some(scanned as u64),
        latency_ms: ticket.started.elapsed().as_millis() as u64,
        status: "completed".into(),
        finish_reason: Some(verdict_str(verdict).into()),
        created_at: crate::store::now_secs(),
        ..Default::default()
    };
    let delta = UsageDelta {
        model: None,
        service: "guardian".into(),
        units: 1,
        ..Default::default()
    };
    ticket
        .settle(price, &generation, &delta, Some(&stored))
        .await?;
    Ok(resp)
}

/// `allow` / `flag` / `block`.
pub fn verdict_str(v: crate::guardian::Verdict) -> &'static str {
    match v {
        crate::guardian::Verdict::Allow => "allow",
        crate::guardian::Verdict::Flag => "flag",
        crate::guardian::Verdict::Block => "block",
    }
}

async fn status(State(state): State<AppState>, req: Request) -> Response<Body> {
    let headers = req.headers().clone();
    let r = async {
        let principal = pipeline::authenticate(&state, SPEC, &headers).await?;
        require_plan(&principal)?;
        let ticket = match pipeline::begin(
            &state,
            SPEC,
            principal,
            &headers,
            "GET",
            "/v1/guardian/status",
            b"",
        )
        .await?
        {
            Begin::Replay(r) => return Ok(r),
            Begin::Proceed(t) => t,
        };
        let mut v = state.guardian.status();
        if let Some(o) = v.as_object_mut() {
            o.insert("object".into(), json!("guardian.status"));
            o.insert(
                "price_per_scan".into(),
                catalog::guardian_cost(1).to_credits_json(),
            );
        }
        let mut resp = axum::Json(v).into_response();
        ticket.apply_headers(resp.headers_mut());
        ticket.finish_free(None).await;
        Ok::<_, ApiError>(resp)
    }
    .await;
    r.unwrap_or_else(|e| e.into_response())
}
