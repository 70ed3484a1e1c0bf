//! `messages` group: `POST /v1/messages`, the Anthropic Messages API.
//!
//! Claude models: pass-through. The body goes upstream unchanged except `model` (alias →
//! upstream id); `anthropic-version` and `anthropic-beta` are forwarded; the answer and every
//! SSE byte come back unchanged, with usage read on the side (extended thinking, cache_control,
//! tool use and images all survive untouched).
//! Any other model: translated Anthropic → OpenAI format, sent to that provider through the chat
//! adapters, and translated back (including the streamed event sequence), so Anthropic-SDK
//! users can call every model.

use super::chat::{self, CallCtx};
use super::llm;
use super::pipeline::{self, Begin, HoldSpec, RouteSpec, Ticket};
use super::relay::{self, Downstream};
use crate::auth::KeyHeaders;
use crate::catalog::ModelInfo;
use crate::error::ApiError;
use crate::providers::anthropic::{self as anth, ChatToMessagesStream, StreamUsageTap};
use crate::providers::{self, ChatStreamTranslator, ProviderKind, Usage};
use crate::state::AppState;
use crate::upstream;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Response};
use axum::response::IntoResponse;
use axum::routing::post;
use eventsource_stream::Eventsource;
use futures_util::{FutureExt, StreamExt};

const SPEC: RouteSpec = RouteSpec {
    scope: "messages",
    service: "messages",
    key_headers: KeyHeaders::BearerOrXApiKey,
};

/// The `messages` router.
pub fn router(state: AppState) -> Router {
    // The API reference configures the Anthropic SDK with base_url ".../v1", and the SDK
    // appends "/v1/messages" to it: serve that path too, so the snippet works as written.
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/v1/messages", post(messages))
        .with_state(state)
}

async fn messages(State(state): State<AppState>, req: Request) -> Response<Body> {
    let headers = req.headers().clone();
    match handle(state, headers, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(
    state: AppState,
    headers: HeaderMap,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let body = super::extract::read_body(req, state.config.max_body_bytes).await?;
    let principal = pipeline::authenticate(&state, SPEC, &headers).await?;
    let info = anth::validate_messages_request(&body).map_err(chat::invalid)?;
    let model = llm::resolve_model(&info.model)?;
    let kind = llm::provider_kind(model);
    let pkey = llm::provider_key(&state, &headers, kind)?;
    if kind == ProviderKind::Anthropic {
        passthrough(state, headers, principal, body.to_vec(), info, model, pkey).await
    } else {
        translated(
            state,
            headers,
            principal,
            body.to_vec(),
            info,
            model,
            kind,
            pkey,
        )
        .await
    }
}

/// Prompt-token upper bound for a native body: text bytes / 2, a fixed budget per image
/// (base64 image data is not text the model reads token by token).
fn native_prompt_upper(v: &serde_json::Value) -> u64 {
    fn walk(v: &serde_json::Value, bytes: &mut u64, images: &mut u64) {
        match v {
            serde_json::Value::String(s) => *bytes += s.len() as u64,
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, bytes, images)),
            serde_json::Value::Object(o) => {
                if matches!(
                    o.get("type").and_then(|t| t.as_str()),
                    Some("image" | "document")
                ) {
                    *images += 1;
                    return;
                }
                for (k, x) in o {
                    *bytes += k.len() as u64;
                    walk(x, bytes, images);
                }
            }
            other => *bytes += other.to_string().len() as u64,
        }
    }
    let (mut bytes, mut images) = (0, 0);
    for field in ["system", "messages", "tools"] {
        if let Some(x) = v.get(field) {
            walk(x, &mut bytes, &mut images);
        }
    }
    bytes.div_ceil(2) + images * llm::IMAGE_TOKENS_HOLD + 8
}

async fn passthrough(
    state: AppState,
    headers: HeaderMap,
    principal: crate::auth::Principal,
    body: Vec<u8>,
    info: anth::MessagesRequestInfo,
    model: &'static ModelInfo,
    pkey: llm::ProviderKey,
) -> Result<Response<Body>, ApiError> {
    let mut v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("model".into(), serde_json::json!(model.upstream_id));
    }
    let prompt_upper = native_prompt_upper(&v);
    let upstream_body = serde_json::to_vec(&v).unwrap_or_default();
    let hold = HoldSpec {
        amount: llm::hold_amount(model, prompt_upper, Some(info.max_tokens), pkey.byok),
        deadline_secs: chat::HOLD_DEADLINE_SECS,
        keep_on_402: false,
    };
    let begun = pipeline::begin_with_hold(
        &state,
        SPEC,
        principal,
        &headers,
        "POST",
        "/v1/messages",
        &body,
        Some(hold),
    );
    let ticket = match begun.await? {
        Begin::Replay(r) => return Ok(r),
        Begin::Proceed(t) => t,
    };
    let version = headers
        .get("anthropic-version")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(providers::ANTHROPIC_VERSION)
        .to_owned();
    let mut up_headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("x-api-key".to_owned(), pkey.key.clone()),
        ("anthropic-version".to_owned(), version),
    ];
    if let Some(b) = headers.get("anthropic-beta").and_then(|v| v.to_str().ok()) {
        up_headers.push(("anthropic-beta".to_owned(), b.to_owned()));
    }
    let origin = state
        .config
        .upstream_origin(crate::config::Upstream::Anthropic);
    let url = format!("{origin}/v1/messages");
    let resp = match upstream::post_with_retry(
        &state.http,
        &url,
        &up_headers,
        &upstream_body,
        upstream::chat_opts(info.stream),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        let b = resp.bytes().await.unwrap_or_default();
        let pe = providers::map_upstream_error(ProviderKind::Anthropic, status, &b, pkey.byok);
        return Ok(ticket.fail(chat::provider_error(pe)).await);
    }
    let ctx = CallCtx {
        kind: ProviderKind::Anthropic,
        model,
        model_requested: info.model.clone(),
        key: pkey,
        include_usage: true,
        prompt_estimate: prompt_upper / 2 + 1,
        guard: None,
    };
    let mut out_headers = HeaderMap::new();
    chat::model_headers(&mut out_headers, &ctx.model_requested, model.id);
    ticket.apply_headers(&mut out_headers);
    if info.stream {
        let (response, down) = relay::sse_response(out_headers.clone(), ticket.has_idempotency());
        tokio::spawn(relay_native(ticket, resp, ctx, down, out_headers));
        return Ok(response);
    }
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Ok(ticket.fail(upstream::transport_error(&e)).await),
    };
    let (usage, estimated) = match anth::usage_from_message(&bytes) {
        Some(u) => (u, false),
        None => (estimate(&ctx, bytes.len()), true),
    };
    let stop = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["stop_reason"].as_str().map(str::to_owned));
    let body = bytes.to_vec();
    Ok(settle_and_answer(
        ticket,
        ctx,
        usage,
        estimated,
        stop.as_deref(),
        body,
        out_headers,
        "application/json",
    )
    .await)
}

/// Usage estimate when the provider reported none: the prompt estimate and ~4 bytes per
/// output token.
fn estimate(ctx: &CallCtx, output_bytes: usize) -> Usage {
    Usage {
        prompt_tokens: Some(ctx.prompt_estimate),
        completion_tokens: Some((output_bytes as u64).div_ceil(4)),
        ..Default::default()
    }
}

#[allow(clippy::too_many_arguments)]
async fn settle_and_answer(
    ticket: Box<Ticket>,
    ctx: CallCtx,
    usage: Usage,
    estimated: bool,
    stop_reason: Option<&str>,
    body: Vec<u8>,
    mut headers: HeaderMap,
    content_type: &'static str,
) -> Response<Body> {
    let cost = chat::stream_cost(&ctx, &usage, ticket.held());
    headers.insert("content-type", HeaderValue::from_static(content_type));
    let generation = llm::generation(llm::GenerationInfo {
        id: &ticket.generation_id,
        account_id: ticket.account_id(),
        key_id: &ticket.principal.key.id,
        service: "messages",
        model_requested: &ctx.model_requested,
        model: ctx.model,
        usage: &usage,
        latency_ms: ticket.started.elapsed().as_millis() as u64,
        streamed: false,
        cancelled: false,
        byok: ctx.key.byok,
        finish_reason: stop_reason,
        status: "completed",
        estimated,
    });
    let stored = ticket.replay_copy(&headers, &body);
    let delta = llm::usage_delta("messages", ctx.model, &usage);
    match ticket
        .settle(cost, &generation, &delta, stored.as_ref())
        .await
    {
        Ok(_) => {
            let mut r = Response::new(Body::from(body));
            *r.headers_mut() = headers;
            r
        }
        Err(e) => e.into_response(),
    }
}

/// Relay Claude's SSE bytes unchanged, reading usage on the side.
async fn relay_native(
    ticket: Box<Ticket>,
    resp: reqwest::Response,
    ctx: CallCtx,
    mut down: Downstream,
    headers: HeaderMap,
) {
    let mut tap = StreamUsageTap::new();
    // A side channel feeds copies of the raw chunks to an SSE parser for the usage tap, so the
    // bytes the client gets are exactly Anthropic's.
    let (side_tx, mut side_rx) =
        tokio::sync::mpsc::unbounded_channel::<Result<bytes::Bytes, std::convert::Infallible>>();
    let mut parsed = futures_util::stream::poll_fn(move |cx| side_rx.poll_recv(cx)).eventsource();
    let mut upstream = resp.bytes_stream();
    let mut output_bytes = 0usize;
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(300), upstream.next()).await;
        let chunk = match next {
            Ok(Some(Ok(c))) => c,
            Ok(Some(Err(e))) => {
                tracing::warn!(error = %e, "upstream stream broke");
                break;
            }
            Ok(None) => {
                // Flush a final event that lacks its blank line, for the usage tap.
                let _ = side_tx.send(Ok(bytes::Bytes::from_static(b"\n\n")));
                while let Some(Some(Ok(ev))) = parsed.next().now_or_never() {
                    let name = (ev.event != "message").then_some(ev.event.as_str());
                    tap.observe(name, &ev.data);
                }
                break;
            }
            Err(_) => break,
        };
        output_bytes += chunk.len();
        let _ = side_tx.send(Ok(chunk.clone()));
        while let Some(Some(Ok(ev))) = parsed.next().now_or_never() {
            let name = (ev.event != "message").then_some(ev.event.as_str());
            tap.observe(name, &ev.data);
        }
        down.emit(String::from_utf8_lossy(&chunk).into_owned())
            .await;
        if down.drain_expired() {
            break;
        }
    }
    let complete = tap.is_complete() && tap.error().is_none();
    let (usage, estimated) = match tap.usage() {
        Some(u) => (u, false),
        None => (estimate(&ctx, output_bytes), true),
    };
    let stop = tap.stop_reason().map(str::to_owned);
    finish_stream(
        ticket,
        ctx,
        down,
        headers,
        usage,
        estimated,
        complete,
        stop.as_deref(),
    )
    .await;
}

/// Settle a `/v1/messages` stream (shared with chat: `relay::settle_stream`).
#[allow(clippy::too_many_arguments)]
async fn finish_stream(
    ticket: Box<Ticket>,
    ctx: CallCtx,
    down: Downstream,
    headers: HeaderMap,
    usage: Usage,
    estimated: bool,
    complete: bool,
    stop_reason: Option<&str>,
) {
    let cost = chat::stream_cost(&ctx, &usage, ticket.held());
    let end = relay::StreamEnd {
        service: "messages",
        usage,
        estimated,
        cost,
        complete,
        failed: false,
        stop_reason,
    };
    relay::settle_stream(ticket, &ctx, down, &headers, end).await;
}

#[allow(clippy::too_many_arguments)]
async fn translated(
    state: AppState,
    headers: HeaderMap,
    principal: crate::auth::Principal,
    body: Vec<u8>,
    info: anth::MessagesRequestInfo,
    model: &'static ModelInfo,
    kind: ProviderKind,
    pkey: llm::ProviderKey,
) -> Result<Response<Body>, ApiError> {
    let mut chat_req = anth::messages_request_to_chat(&body).map_err(chat::invalid)?;
    chat_req.max_tokens = Some(model.output_token_budget(Some(info.max_tokens)));
    let prompt_upper = llm::prompt_tokens_upper_bound(&chat_req);
    let up = providers::build_chat_request(kind, &chat_req, model.upstream_id, info.stream)
        .map_err(chat::invalid)?;
    let hold = HoldSpec {
        amount: llm::hold_amount(model, prompt_upper, chat_req.max_tokens, pkey.byok),
        deadline_secs: chat::HOLD_DEADLINE_SECS,
        keep_on_402: false,
    };
    let begun = pipeline::begin_with_hold(
        &state,
        SPEC,
        principal,
        &headers,
        "POST",
        "/v1/messages",
        &body,
        Some(hold),
    );
    let ticket = match begun.await? {
        Begin::Replay(r) => return Ok(r),
        Begin::Proceed(t) => t,
    };
    let ctx = CallCtx {
        kind,
        model,
        model_requested: info.model.clone(),
        key: pkey,
        include_usage: true,
        prompt_estimate: llm::prompt_tokens_estimate(&chat_req),
        guard: None,
    };
    let resp = match chat::send(&state, &ctx, &up).await {
        Ok(r) => r,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let mut out_headers = HeaderMap::new();
    chat::model_headers(&mut out_headers, &ctx.model_requested, model.id);
    ticket.apply_headers(&mut out_headers);
    let msg_id = format!("msg_{}", &ticket.generation_id[4..]);
    if info.stream {
        let (response, down) = relay::sse_response(out_headers.clone(), ticket.has_idempotency());
        tokio::spawn(relay_translated(
            ticket,
            resp,
            ctx,
            down,
            out_headers,
            msg_id,
        ));
        return Ok(response);
    }
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Ok(ticket.fail(upstream::transport_error(&e)).await),
    };
    let created = chrono::Utc::now().timestamp();
    let outcome = match providers::parse_chat_response(kind, &bytes, model.id, &msg_id, created) {
        Ok(o) => o,
        Err(pe) => return Ok(ticket.fail(chat::provider_error(pe)).await),
    };
    let (usage, estimated) = if outcome.usage.is_reported() {
        (outcome.usage, false)
    } else {
        (estimate(&ctx, bytes.len()), true)
    };
    let mut message = anth::chat_response_to_message(&outcome.body, &usage);
    if let Some(o) = message.as_object_mut() {
        o.insert("id".into(), serde_json::json!(msg_id));
    }
    let stop = message["stop_reason"].as_str().map(str::to_owned);
    let body = serde_json::to_vec(&message).unwrap_or_default();
    Ok(settle_and_answer(
        ticket,
        ctx,
        usage,
        estimated,
        stop.as_deref(),
        body,
        out_headers,
        "application/json",
    )
    .await)
}

/// Translate a non-Claude provider's stream into Anthropic's event sequence.
async fn relay_translated(
    ticket: Box<Ticket>,
    resp: reqwest::Response,
    ctx: CallCtx,
    mut down: Downstream,
    headers: HeaderMap,
    msg_id: String,
) {
    let created = chrono::Utc::now().timestamp();
    let mut tr = ChatStreamTranslator::new(ctx.kind, &msg_id, ctx.model.id, created, true);
    let mut back = ChatToMessagesStream::new(&msg_id, ctx.model.id);
    let mut events = relay::upstream_events(resp);
    let mut failed: Option<providers::ProviderError> = None;
    'outer: while let Some(ev) = relay::next_event(&mut events).await {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                tracing::warn!(error = %e, "upstream stream broke");
                break;
            }
        };
        let name = (ev.event != "message").then_some(ev.event.as_str());
        let chunks = match tr.on_event(name, &ev.data) {
            Ok(c) => c,
            Err(pe) => {
                failed = Some(pe);
                break;
            }
        };
        for c in chunks {
            match back.on_chunk(&c) {
                Ok(pairs) => send_events(&mut down, pairs).await,
                Err(pe) => {
                    failed = Some(pe);
                    break 'outer;
                }
            }
        }
        if down.drain_expired() {
            break;
        }
    }
    for c in tr.finish() {
        if let Ok(pairs) = back.on_chunk(&c) {
            send_events(&mut down, pairs).await;
        }
    }
    let complete = failed.is_none() && tr.upstream_complete();
    let (usage, estimated) = match tr.usage() {
        Some(u) => (u, false),
        None => (estimate(&ctx, tr.output_bytes()), true),
    };
    match &failed {
        Some(pe) => {
            down.emit(format!(
                "event: error\ndata: {}\n\n",
                pe.to_anthropic_json()
            ))
            .await
        }
        None => send_events(&mut down, back.finish(Some(usage))).await,
    }
    let stop = tr.finish_reason().map(|f| f.as_str());
    finish_stream(ticket, ctx, down, headers, usage, estimated, complete, stop).await;
}

/// Write Anthropic SSE events (`event:` + `data:`).
async fn send_events(down: &mut Downstream, pairs: Vec<(String, String)>) {
    for (e, d) in pairs {
        down.emit(format!("event: {e}\ndata: {d}\n\n")).await;
    }
}
