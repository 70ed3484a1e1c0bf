//! Streaming relay: upstream SSE in, our SSE out, each frame forwarded the moment it is
//! translated (no buffering), and the request settled on the provider's reported usage when the
//! stream ends. If the client disconnects, we keep reading upstream (bounded) so the settlement
//! is on real usage; with no usage at all, an estimate capped at the hold.

use super::chat::{self, CallCtx};
use super::pipeline::Ticket;
use crate::idempotency::StoredResponse;
use crate::providers::{self, ChatStreamTranslator, Usage};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response};
use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Longest we keep reading upstream after the client went away.
const DRAIN_AFTER_DISCONNECT: Duration = Duration::from_secs(120);
/// Longest silence from upstream before we give up on a stream.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Streams larger than this are not stored for idempotent replay.
const MAX_STORED_STREAM: usize = 4 * 1024 * 1024;

/// A stream to relay.
pub enum StreamJob {
    /// `/v1/chat/completions` with `stream: true`.
    Chat {
        ticket: Box<Ticket>,
        resp: reqwest::Response,
        ctx: CallCtx,
    },
}

/// The downstream half: a channel the relay task writes frames into.
pub struct Downstream {
    tx: mpsc::Sender<Bytes>,
    gone_at: Option<Instant>,
    /// The stream as sent, kept for idempotent replay: `None` when the request has no
    /// Idempotency-Key (nothing would store it) or once it outgrew `MAX_STORED_STREAM`.
    recorded: Option<Vec<u8>>,
}

impl Downstream {
    /// Send one frame (recorded for replay if kept); notes when the client has gone.
    pub async fn emit(&mut self, frame: String) {
        if let Some(r) = &mut self.recorded {
            if r.len() + frame.len() > MAX_STORED_STREAM {
                self.recorded = None;
            } else {
                r.extend_from_slice(frame.as_bytes());
            }
        }
        if self.gone_at.is_none() && self.tx.send(Bytes::from(frame)).await.is_err() {
            self.gone_at = Some(Instant::now());
            tracing::info!("client disconnected mid-stream; draining upstream for usage");
        }
    }

    pub fn client_gone(&self) -> bool {
        self.gone_at.is_some()
    }

    /// Whether we have drained long enough after a disconnect.
    pub fn drain_expired(&self) -> bool {
        self.gone_at
            .is_some_and(|t| t.elapsed() > DRAIN_AFTER_DISCONNECT)
    }

    /// The whole stream as sent, unless it was not kept or too big to keep.
    pub fn recorded(self) -> Option<Vec<u8>> {
        self.recorded
    }
}

/// An SSE response whose body is fed by a new `Downstream`, which keeps a copy of the
/// stream for replay only if `keep` (the request has an Idempotency-Key).
pub fn sse_response(headers: HeaderMap, keep: bool) -> (Response<Body>, Downstream) {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<Bytes, std::convert::Infallible>(b), rx))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    *h = headers;
    h.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    (
        resp,
        Downstream {
            tx,
            gone_at: None,
            recorded: keep.then(Vec::new),
        },
    )
}

/// Start relaying in a background task and return the streaming response at once.
pub fn start(job: StreamJob) -> Response<Body> {
    match job {
        StreamJob::Chat { ticket, resp, ctx } => {
            let mut headers = HeaderMap::new();
            chat::model_headers(&mut headers, &ctx.model_requested, ctx.model.id);
            if let Some(g) = ctx.guard {
                super::guard::verdict_header(&mut headers, g.input_verdict);
            }
            ticket.apply_headers(&mut headers);
            let (response, down) = sse_response(headers.clone(), ticket.has_idempotency());
            tokio::spawn(relay_chat(ticket, resp, ctx, down, headers));
            response
        }
    }
}

/// Upstream events one at a time, with the idle timeout; `None` at the end.
pub async fn next_event<S, E>(events: &mut S) -> Option<Result<eventsource_stream::Event, String>>
where
    S: futures_util::Stream<Item = Result<eventsource_stream::Event, E>> + Unpin,
    E: std::fmt::Display,
{
    match tokio::time::timeout(IDLE_TIMEOUT, events.next()).await {
        Ok(Some(Ok(ev))) => Some(Ok(ev)),
        Ok(Some(Err(e))) => Some(Err(e.to_string())),
        Ok(None) => None,
        Err(_) => Some(Err("upstream stream went silent".into())),
    }
}

/// The upstream body as SSE events. A blank line is added at a clean end of body so that a
/// last event without its terminating blank line (DeepSeek ends on a bare `data: [DONE]`) is
/// dispatched instead of dropped.
pub fn upstream_events(
    resp: reqwest::Response,
) -> impl futures_util::Stream<
    Item = Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>,
> + Unpin {
    let end = futures_util::stream::iter([Ok(Bytes::from_static(b"\n\n"))]);
    resp.bytes_stream().chain(end).eventsource()
}

async fn relay_chat(
    ticket: Box<Ticket>,
    resp: reqwest::Response,
    ctx: CallCtx,
    mut down: Downstream,
    headers: HeaderMap,
) {
    let created = chrono::Utc::now().timestamp();
    let id = format!("chatcmpl-{}", &ticket.generation_id[4..]);
    let mut tr = ChatStreamTranslator::new(ctx.kind, &id, ctx.model.id, created, ctx.include_usage);
    let mut events = upstream_events(resp);
    let mut failure: Option<providers::ProviderError> = None;
    let mut guard = ctx
        .guard
        .map(|g| super::guard::ChunkGuard::new(ticket.state(), g));
    while let Some(ev) = next_event(&mut events).await {
        match ev {
            Ok(ev) => {
                let name = (ev.event != "message").then_some(ev.event.as_str());
                match tr.on_event(name, &ev.data) {
                    Ok(frames) => {
                        for f in frames {
                            match guard.as_mut() {
                                Some(g) => {
                                    for f in g.filter(&f) {
                                        down.emit(format!("data: {f}\n\n")).await;
                                    }
                                }
                                None => down.emit(format!("data: {f}\n\n")).await,
                            }
                        }
                    }
                    Err(pe) => {
                        failure = Some(pe);
                        break;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "upstream stream broke");
                break;
            }
        }
        if down.drain_expired() {
            break;
        }
    }
    let complete = failure.is_none() && tr.upstream_complete();
    let (usage, estimated) = match tr.usage() {
        Some(u) => (u, false),
        None => (
            Usage {
                prompt_tokens: Some(ctx.prompt_estimate),
                completion_tokens: Some((tr.output_bytes() as u64).div_ceil(4)),
                ..Default::default()
            },
            true,
        ),
    };
    let cost = chat::stream_cost(&ctx, &usage, ticket.held());
    let mut finals = tr.finish();
    if let Some(g) = guard.as_mut() {
        let mut filtered = Vec::new();
        for f in finals {
            filtered.extend(g.filter(&f));
        }
        // Text a finish chunk did not carry out of the window.
        let mut rest = g.flush();
        rest.extend(filtered);
        finals = rest;
    }
    if ctx.include_usage && estimated && !finals.iter().any(|f| f.contains("\"choices\":[]")) {
        finals.push(tr.usage_chunk(&usage));
    }
    for f in finals {
        down.emit(format!("data: {}\n\n", with_cost(&f, cost)))
            .await;
    }
    match &failure {
        Some(pe) => {
            down.emit(format!("data: {}\n\n", pe.to_openai_json()))
                .await
        }
        None => down.emit("data: [DONE]\n\n".to_owned()).await,
    }
    let end = StreamEnd {
        service: "chat",
        usage,
        estimated,
        cost,
        complete,
        failed: failure.is_some(),
        stop_reason: tr.finish_reason().map(|f| f.as_str()),
    };
    settle_stream(ticket, &ctx, down, &headers, end).await;
}

/// How a relayed stream ended: what `settle_stream` records.
pub struct StreamEnd<'a> {
    /// `chat` or `messages`.
    pub service: &'static str,
    pub usage: Usage,
    pub estimated: bool,
    /// The charge (already capped at the hold).
    pub cost: crate::money::MicroCredits,
    /// The provider signalled the end of its answer.
    pub complete: bool,
    /// The provider sent an error mid-stream.
    pub failed: bool,
    pub stop_reason: Option<&'a str>,
}

/// Settle a finished stream: generation record, usage counters, and (when complete) the whole
/// SSE body stored for idempotent replay.
pub async fn settle_stream(
    ticket: Box<Ticket>,
    ctx: &CallCtx,
    down: Downstream,
    headers: &HeaderMap,
    end: StreamEnd<'_>,
) {
    // Let the server write the frames just emitted before the settlement's commit holds this
    // worker: a stream whose chunks all arrived at once would otherwise reach the client only
    // after the commit.
    tokio::task::yield_now().await;
    let cancelled = down.client_gone();
    let status = if end.failed {
        "failed"
    } else if !end.complete {
        "incomplete"
    } else if cancelled {
        "cancelled"
    } else {
        "completed"
    };
    let generation = super::llm::generation(super::llm::GenerationInfo {
        id: &ticket.generation_id,
        account_id: ticket.account_id(),
        key_id: &ticket.principal.key.id,
        service: end.service,
        model_requested: &ctx.model_requested,
        model: ctx.model,
        usage: &end.usage,
        latency_ms: ticket.started.elapsed().as_millis() as u64,
        streamed: true,
        cancelled,
        byok: ctx.key.byok,
        finish_reason: end.stop_reason,
        status,
        estimated: end.estimated,
    });
    let delta = super::llm::usage_delta(end.service, ctx.model, &end.usage);
    let stored = if end.complete {
        down.recorded().map(|body| StoredResponse {
            status: 200,
            headers: chat::stored_headers(headers)
                .into_iter()
                .chain([("content-type".to_owned(), "text/event-stream".to_owned())])
                .collect(),
            body,
        })
    } else {
        None
    };
    if let Err(e) = ticket
        .settle(end.cost, &generation, &delta, stored.as_ref())
        .await
    {
        tracing::error!(error = %e, "stream settlement failed");
    }
}

/// Add `usage.cost` (credits) to a chunk that carries usage.
fn with_cost(chunk: &str, cost: crate::money::MicroCredits) -> String {
    if !chunk.contains("\"usage\":{") {
        return chunk.to_owned();
    }
    match serde_json::from_str::<serde_json::Value>(chunk) {
        Ok(mut v) => {
            if let Some(u) = v.get_mut("usage").and_then(|u| u.as_object_mut()) {
                u.insert("cost".into(), cost.to_credits_json());
            }
            v.to_string()
        }
        Err(_) => chunk.to_owned(),
    }
}
