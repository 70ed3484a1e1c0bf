//! `chat` group: `POST /v1/chat/completions`, OpenAI-compatible, routed by model to seven
//! providers, streamed or not, metered through the pipeline.

use super::guard;
use super::llm::{self, ProviderKey};
use super::pipeline::{self, Begin, HoldSpec, RouteSpec, Ticket};
use super::relay::{self, StreamJob};
use crate::auth::KeyHeaders;
use crate::catalog::ModelInfo;
use crate::error::ApiError;
use crate::money::MicroCredits;
use crate::providers::{self, ChatRequest, ProviderKind};
use crate::state::AppState;
use crate::upstream;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;

const SPEC: RouteSpec = RouteSpec {
    scope: "chat",
    service: "chat",
    key_headers: KeyHeaders::Bearer,
};

/// Seconds a chat hold may stay HELD before the sweeper voids it.
pub const HOLD_DEADLINE_SECS: i64 = 1_800;

/// The `chat` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .with_state(state)
}

async fn chat_completions(State(state): State<AppState>, req: Request) -> Response<Body> {
    let headers = req.headers().clone();
    match handle(state, headers, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Convert a translation-layer validation error into a 400.
pub fn invalid(e: providers::ValidationError) -> ApiError {
    let mut err = ApiError::bad_request(e.message);
    if let Some(p) = e.param {
        err = err.with_details(serde_json::json!({ "param": p }));
    }
    err
}

async fn handle(
    state: AppState,
    headers: HeaderMap,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let body = super::extract::read_body(req, state.config.max_body_bytes).await?;
    let principal = pipeline::authenticate(&state, SPEC, &headers).await?;
    let mut chat = ChatRequest::from_json(&body).map_err(invalid)?;
    let model = llm::resolve_model(&chat.model)?;
    let kind = llm::provider_kind(model);
    let pkey = llm::provider_key(&state, &headers, kind)?;
    let prompt_upper = llm::prompt_tokens_upper_bound(&chat);
    let client_max = chat.max_tokens;
    chat.max_tokens = Some(model.output_token_budget(client_max));
    // Translate before taking anything, so a bad request (tool schemas, unsupported parts)
    // costs no store write; rebuilt below only if the output cap changes.
    let mut up = providers::build_chat_request(kind, &chat, model.upstream_id, chat.stream)
        .map_err(invalid)?;
    let guard_ctx = if guard::active(&principal) {
        let report = state.guardian.scan_input(&guard::chat_input_text(&chat));
        if report.verdict == crate::guardian::Verdict::Block {
            let path = "/v1/chat/completions";
            return guard::block_input(&state, SPEC, principal, &headers, path, &body, &report)
                .await;
        }
        Some(guard::GuardCtx {
            mode: principal.key.guardian_mode,
            input_verdict: report.verdict,
        })
    } else {
        None
    };

    let hold = HoldSpec {
        amount: llm::hold_amount(model, prompt_upper, chat.max_tokens, pkey.byok),
        deadline_secs: HOLD_DEADLINE_SECS,
        keep_on_402: client_max.is_none() && !pkey.byok,
    };
    let path = "/v1/chat/completions";
    let begun = pipeline::begin_with_hold(
        &state,
        SPEC,
        principal,
        &headers,
        "POST",
        path,
        &body,
        Some(hold),
    );
    let mut ticket = match begun.await? {
        Begin::Replay(r) => return Ok(r),
        Begin::Proceed(t) => t,
    };
    if let Some(refused) = ticket.hold_refused.take() {
        if let Err(e) = affordable_hold(&mut ticket, model, &mut chat, prompt_upper, refused).await
        {
            return Ok(ticket.fail(e).await);
        }
        up = match providers::build_chat_request(kind, &chat, model.upstream_id, chat.stream) {
            Ok(u) => u,
            Err(e) => return Ok(ticket.fail(invalid(e)).await),
        };
    }
    let ctx = CallCtx {
        kind,
        model,
        model_requested: chat.model.clone(),
        key: pkey,
        include_usage: chat.include_usage,
        prompt_estimate: llm::prompt_tokens_estimate(&chat),
        guard: guard_ctx,
    };
    let resp = match send(&state, &ctx, &up).await {
        Ok(r) => r,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    if chat.stream {
        Ok(relay::start(StreamJob::Chat { ticket, resp, ctx }))
    } else {
        Ok(complete_once(ticket, resp, ctx).await)
    }
}

/// The client set no `max_tokens` and the balance cannot cover the model's full output cap:
/// hold what the balance affords instead and cap the output to match, as long as at least a
/// short answer fits; otherwise the original 402 stands.
async fn affordable_hold(
    ticket: &mut Ticket,
    model: &ModelInfo,
    chat: &mut ChatRequest,
    prompt_upper: u64,
    refused: ApiError,
) -> Result<(), ApiError> {
    const MIN_OUTPUT: u64 = 16;
    let acct = crate::accounts::get(&ticket.state().store, ticket.account_id())
        .await?
        .ok_or_else(ApiError::payment_required)?;
    let prompt_cost = llm::hold_amount(model, prompt_upper, Some(0), false);
    let left = acct.available - prompt_cost;
    let per_million = model.output_per_1m.0.max(1) as i128;
    let affordable = if left.0 > 0 {
        (left.0 as i128 * 1_000_000 / per_million) as u64
    } else {
        0
    };
    if affordable < MIN_OUTPUT {
        return Err(refused);
    }
    chat.max_tokens = Some(affordable.min(model.output_token_budget(None)));
    let amount = llm::hold_amount(model, prompt_upper, chat.max_tokens, false);
    ticket.hold(amount, HOLD_DEADLINE_SECS).await
}

/// What a call needs after it was sent.
pub struct CallCtx {
    pub kind: ProviderKind,
    pub model: &'static ModelInfo,
    pub model_requested: String,
    pub key: ProviderKey,
    pub include_usage: bool,
    pub prompt_estimate: u64,
    /// Guardian settings when the caller's plan has it.
    pub guard: Option<guard::GuardCtx>,
}

/// Send the upstream request (retrying 429/5xx before any byte was relayed) and map a non-2xx
/// answer to our error.
pub async fn send(
    state: &AppState,
    ctx: &CallCtx,
    up: &providers::UpstreamRequest,
) -> Result<reqwest::Response, ApiError> {
    let origin = state.config.upstream_origin(llm::upstream_of(ctx.kind));
    let url = format!("{origin}{}", up.path_and_query);
    let mut headers = up.headers.clone();
    headers.extend(providers::auth_headers(ctx.kind, &ctx.key.key));
    let opts = upstream::chat_opts(
        up.headers
            .iter()
            .any(|(k, v)| k == "accept" && v == "text/event-stream"),
    );
    let resp = upstream::post_with_retry(&state.http, &url, &headers, &up.body, opts).await?;
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(resp);
    }
    let body = resp.bytes().await.unwrap_or_default();
    let pe = providers::map_upstream_error(ctx.kind, status, &body, ctx.key.byok);
    tracing::warn!(
        provider = ctx.kind.name(),
        status,
        mapped = pe.status,
        "upstream error"
    );
    Err(provider_error(pe))
}

/// A provider error in our shape (the provider's message kept, scrubbed of keys).
pub fn provider_error(pe: providers::ProviderError) -> ApiError {
    let status = StatusCode::from_u16(pe.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let kind: &'static str = match pe.status {
        400 | 404 | 422 => "invalid_request_error",
        401 | 403 => "authentication_error",
        429 => "rate_limit_exceeded",
        503 => "service_unavailable",
        504 => "timeout_error",
        _ => "upstream_error",
    };
    ApiError::new(status, kind, pe.message)
}

/// Non-streaming: read the whole answer, translate, settle, answer.
async fn complete_once(
    ticket: Box<Ticket>,
    resp: reqwest::Response,
    ctx: CallCtx,
) -> Response<Body> {
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return ticket.fail(upstream::transport_error(&e)).await,
    };
    let created = chrono::Utc::now().timestamp();
    let id = format!("chatcmpl-{}", &ticket.generation_id[4..]);
    let outcome = match providers::parse_chat_response(ctx.kind, &bytes, ctx.model.id, &id, created)
    {
        Ok(o) => o,
        Err(pe) => return ticket.fail(provider_error(pe)).await,
    };
    let (usage, estimated) = if outcome.usage.is_reported() {
        (outcome.usage, false)
    } else {
        let text = outcome.body["choices"][0]["message"]["content"]
            .as_str()
            .map_or(0, str::len) as u64;
        (
            providers::Usage {
                prompt_tokens: Some(ctx.prompt_estimate),
                completion_tokens: Some(text.div_ceil(4)),
                ..Default::default()
            },
            true,
        )
    };
    let cost = llm::charge(ctx.model, &usage, ctx.key.byok).min(ticket.held());
    let mut body = outcome.body;
    if let Some(u) = body.get_mut("usage").and_then(|u| u.as_object_mut()) {
        u.insert("cost".into(), cost.to_credits_json());
    }
    let guard_verdict = ctx
        .guard
        .map(|g| guard::guard_completion(ticket.state(), g, &mut body));
    let body_bytes = serde_json::to_vec(&body).unwrap_or_default();
    let finish = outcome.finish_reason.map(|f| f.as_str());
    let generation = llm::generation(llm::GenerationInfo {
        id: &ticket.generation_id,
        account_id: ticket.account_id(),
        key_id: &ticket.principal.key.id,
        service: "chat",
        model_requested: &ctx.model_requested,
        model: ctx.model,
        usage: &usage,
        latency_ms: ticket.started.elapsed().as_millis() as u64,
        streamed: false,
        cancelled: false,
        byok: ctx.key.byok,
        finish_reason: finish,
        status: "completed",
        estimated,
    });
    let mut response = Response::new(Body::empty());
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    model_headers(h, &ctx.model_requested, ctx.model.id);
    if let Some(v) = guard_verdict {
        guard::verdict_header(h, v);
    }
    ticket.apply_headers(h);
    let stored = ticket.replay_copy(h, &body_bytes);
    *response.body_mut() = Body::from(body_bytes);
    let delta = llm::usage_delta("chat", ctx.model, &usage);
    match ticket
        .settle(cost, &generation, &delta, stored.as_ref())
        .await
    {
        Ok(_) => response,
        Err(e) => e.into_response(),
    }
}

/// `X-Model-Requested` / `X-Model-Used`.
pub fn model_headers(h: &mut HeaderMap, requested: &str, used: &str) {
    if let Ok(v) = HeaderValue::from_str(requested) {
        h.insert("x-model-requested", v);
    }
    if let Ok(v) = HeaderValue::from_str(used) {
        h.insert("x-model-used", v);
    }
}

/// The headers worth replaying with a stored response (not the per-request rate figures).
pub fn stored_headers(h: &HeaderMap) -> Vec<(String, String)> {
    [
        "content-type",
        "x-generation-id",
        "x-model-requested",
        "x-model-used",
        "x-guardian-verdict",
    ]
    .iter()
    .filter_map(|n| Some((n.to_string(), h.get(*n)?.to_str().ok()?.to_owned())))
    .collect()
}

/// Charge for a stream's usage, capped at the hold.
pub fn stream_cost(ctx: &CallCtx, usage: &providers::Usage, held: MicroCredits) -> MicroCredits {
    llm::charge(ctx.model, usage, ctx.key.byok).min(held)
}
