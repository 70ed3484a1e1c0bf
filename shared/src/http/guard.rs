//! Guardian on Max-plan traffic: inputs are scanned before the upstream call (a `block` verdict
//! ends the request with 400 `guardian_blocked`, charging only the scan), outputs are scanned
//! per the key's `guardian_mode` (monitor / redact / block), streamed ones through the sliding
//! window scanner so a secret split across chunks is still caught. The verdict travels in
//! `X-Guardian-Verdict` (for streams: the input verdict, as headers leave before the output).

use super::guardian::{tier_has_guardian, verdict_str};
use super::pipeline::{self, Begin, HoldSpec, RouteSpec};
use crate::auth::Principal;
use crate::catalog;
use crate::error::ApiError;
use crate::guardian::{ScanReport, StreamMode, StreamScanner, Verdict};
use crate::metering::{Generation, UsageDelta};
use crate::providers::ChatRequest;
use crate::providers::chat::Role;
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// Guardian settings of one request.
#[derive(Clone, Copy, Debug)]
pub struct GuardCtx {
    pub mode: StreamMode,
    pub input_verdict: Verdict,
}

/// Whether Guardian runs on this caller's traffic.
pub fn active(p: &Principal) -> bool {
    tier_has_guardian(p.tier)
}

/// Everything in a chat request that did not come from the model: system, user, developer and
/// tool messages (tool results are where indirect injections arrive).
pub fn chat_input_text(req: &ChatRequest) -> String {
    let mut out = String::new();
    for m in &req.messages {
        if m.role == Role::Assistant {
            continue;
        }
        let t = m.content.joined_text();
        if !t.is_empty() {
            out.push_str(&t);
            out.push('\n');
        }
    }
    out
}

/// The block answer for an input: the scan is charged (1 credit), nothing else happens.
pub async fn block_input(
    state: &AppState,
    spec: RouteSpec,
    principal: Principal,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    report: &ScanReport,
) -> Result<Response<Body>, ApiError> {
    let price = catalog::guardian_cost(1);
    let hold = HoldSpec {
        amount: price,
        deadline_secs: 300,
        keep_on_402: false,
    };
    let scan_spec = RouteSpec {
        service: "guardian",
        ..spec
    };
    let ticket = match pipeline::begin_with_hold(
        state,
        scan_spec,
        principal,
        headers,
        "POST",
        path,
        body,
        Some(hold),
    )
    .await?
    {
        Begin::Replay(r) => return Ok(r),
        Begin::Proceed(t) => t,
    };
    let mut resp = blocked_error(report).into_response();
    ticket.apply_headers(resp.headers_mut());
    let generation = Generation {
        id: ticket.generation_id.clone(),
        account_id: ticket.account_id().to_owned(),
        key_id: ticket.principal.key.id.clone(),
        service: "guardian".into(),
        status: "blocked".into(),
        finish_reason: Some("guardian_blocked".into()),
        latency_ms: ticket.started.elapsed().as_millis() as u64,
        created_at: crate::store::now_secs(),
        ..Default::default()
    };
    let delta = UsageDelta {
        model: None,
        service: "guardian".into(),
        units: 1,
        ..Default::default()
    };
    ticket.settle(price, &generation, &delta, None).await?;
    Ok(resp)
}

/// 400 `guardian_blocked` with the findings (excerpts are already masked).
pub fn blocked_error(report: &ScanReport) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::BAD_REQUEST,
        "guardian_blocked",
        "Guardian blocked this request: it looks like a prompt injection or data exfiltration attempt",
    )
    .with_details(json!({ "guardian": report }))
    .with_header("x-guardian-verdict", "block");
    e.retry_after = None;
    e
}

/// Set `X-Guardian-Verdict`.
pub fn verdict_header(h: &mut HeaderMap, v: Verdict) {
    h.insert(
        "x-guardian-verdict",
        HeaderValue::from_static(verdict_str(v)),
    );
}

/// Scan a non-streamed chat completion's text in place: redact, or withhold it (finish reason
/// `content_filter`) when the key's mode is `block` and the verdict is `block`. Returns the
/// combined verdict of input and output.
pub fn guard_completion(state: &AppState, g: GuardCtx, body: &mut Value) -> Verdict {
    let Some(msg) = body
        .get_mut("choices")
        .and_then(|c| c.get_mut(0))
        .and_then(|c| c.get_mut("message"))
    else {
        return g.input_verdict;
    };
    let Some(text) = msg
        .get("content")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return g.input_verdict;
    };
    let report = state.guardian.scan_output(&text);
    let verdict = report.verdict.max(g.input_verdict);
    match g.mode {
        StreamMode::Monitor => {}
        StreamMode::Redact if !report.findings.is_empty() => {
            msg["content"] = json!(crate::guardian::redact(&text, &report.findings));
        }
        StreamMode::Block if report.verdict == Verdict::Block => {
            msg["content"] = json!("");
            if let Some(c) = body.get_mut("choices").and_then(|c| c.get_mut(0)) {
                c["finish_reason"] = json!("content_filter");
            }
        }
        _ => {}
    }
    if let Some(o) = body.as_object_mut() {
        o.insert(
            "guardian".into(),
            json!({"verdict": verdict, "output": report}),
        );
    }
    verdict
}

/// Guardian over a translated chat stream (OpenAI chunk JSON strings).
pub struct ChunkGuard {
    scanner: StreamScanner,
    /// A chunk to clone for content we release late (keeps id/model/created).
    template: Option<Value>,
    blocked: bool,
}

impl ChunkGuard {
    pub fn new(state: &AppState, g: GuardCtx) -> Self {
        ChunkGuard {
            scanner: state.guardian.stream(g.mode),
            template: None,
            blocked: false,
        }
    }

    fn content_chunk(&self, text: String) -> Option<String> {
        let mut c = self.template.clone()?;
        c["choices"] = json!([{"index": 0, "delta": {"content": text}, "logprobs": null, "finish_reason": null}]);
        Some(c.to_string())
    }

    /// Filter one chunk; returns the chunks to send instead (possibly none).
    pub fn filter(&mut self, chunk: &str) -> Vec<String> {
        let Ok(mut v) = serde_json::from_str::<Value>(chunk) else {
            return vec![chunk.to_owned()];
        };
        if self.template.is_none() && v["choices"].as_array().is_some_and(|c| !c.is_empty()) {
            self.template = Some(v.clone());
        }
        let mut out = Vec::new();
        let finishing = v["choices"][0]["finish_reason"].is_string();
        if let Some(text) = v["choices"][0]["delta"]["content"]
            .as_str()
            .map(str::to_owned)
        {
            let step = self.scanner.push(&text);
            self.blocked |= step.blocked;
            v["choices"][0]["delta"]["content"] = json!(step.emit);
        }
        if finishing {
            // Release what the window still holds before the finish chunk.
            let rest = self.scanner.finish();
            self.blocked |= rest.blocked;
            let content = v["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            v["choices"][0]["delta"]["content"] = json!(format!("{content}{}", rest.emit));
            if self.blocked {
                v["choices"][0]["finish_reason"] = json!("content_filter");
            }
        }
        let delta = &v["choices"][0]["delta"];
        let empty_content = delta["content"].as_str().is_some_and(str::is_empty);
        let only_content = delta
            .as_object()
            .is_some_and(|d| d.len() == 1 && d.contains_key("content"));
        if empty_content && only_content && !finishing && v["usage"].is_null() {
            return out;
        }
        out.push(v.to_string());
        out
    }

    /// At the end of the stream: text still held (if no finish chunk carried it).
    pub fn flush(&mut self) -> Vec<String> {
        let rest = self.scanner.finish();
        self.blocked |= rest.blocked;
        if rest.emit.is_empty() {
            return Vec::new();
        }
        self.content_chunk(rest.emit).into_iter().collect()
    }

    /// The verdict of everything streamed so far.
    pub fn verdict(&self) -> Verdict {
        self.scanner.report().verdict
    }
}
