//! `POST /v1/audio/speech`: validate, hold the exact price, forward to OpenAI and stream the
//! audio bytes to the client as they arrive (never the whole file in memory).
//!
//! Settlement happens when the upstream stream has completed (just before the client's body
//! ends). If the upstream fails mid-way the
//! hold is voided (a broken file is not charged) and the client's response is aborted, so it
//! sees a transport error rather than a silently short file. If the client goes away, we keep
//! reading to the end (OpenAI has been paid for the audio) and then settle.

use super::{HOLD_DEADLINE_SECS, MAX_STORED_BYTES, call_opts, priced};
use crate::auth::KeyHeaders;
use crate::catalog;
use crate::error::ApiError;
use crate::http::chat::{invalid, model_headers, provider_error, stored_headers};
use crate::http::llm::{self, ProviderKey};
use crate::http::pipeline::{self, Begin, RouteSpec, Ticket};
use crate::idempotency::StoredResponse;
use crate::metering::{Generation, UsageDelta};
use crate::providers::services::openai::{self, SpeechRequest};
use crate::providers::{self, ProviderKind};
use crate::state::AppState;
use crate::upstream;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Response};
use axum::response::IntoResponse;
use bytes::Bytes;
use futures_util::StreamExt;
use std::time::Duration;
use tokio::sync::mpsc;

const SPEC: RouteSpec = RouteSpec {
    scope: "audio",
    service: "audio.speech",
    key_headers: KeyHeaders::Bearer,
};

/// Longest wait for the next upstream chunk, or for a slow client to take one.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

pub(super) async fn create(State(state): State<AppState>, req: Request) -> Response<Body> {
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
    let body = crate::http::extract::read_body(req, state.config.max_body_bytes).await?;
    let principal = pipeline::authenticate(&state, SPEC, &headers).await?;
    let sr = SpeechRequest::from_json(&body).map_err(invalid)?;
    let key = llm::provider_key(&state, &headers, ProviderKind::OpenAi)?;
    let price = priced(catalog::tts_cost(sr.model, sr.chars()), key.byok);

    let mut ticket = match pipeline::begin(
        &state,
        SPEC,
        principal,
        &headers,
        "POST",
        "/v1/audio/speech",
        &body,
    )
    .await?
    {
        Begin::Replay(r) => return Ok(r),
        Begin::Proceed(t) => t,
    };
    if let Err(e) = ticket.hold(price, HOLD_DEADLINE_SECS).await {
        return Ok(ticket.fail(e).await);
    }
    let resp = match send(&state, &key, &sr).await {
        Ok(r) => r,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let requested = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["model"].as_str().map(str::to_owned))
        .unwrap_or_else(|| sr.model.id().to_owned());

    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static(sr.format.content_type()),
    );
    model_headers(h, &requested, sr.model.id());
    ticket.apply_headers(h);
    let job = Relay {
        stored_headers: stored_headers(h),
        ticket,
        price,
        chars: sr.chars(),
        model: sr.model,
        requested,
        byok: key.byok,
    };
    tokio::spawn(job.run(resp, tx));
    Ok(response)
}

async fn send(
    state: &AppState,
    key: &ProviderKey,
    sr: &SpeechRequest,
) -> Result<reqwest::Response, ApiError> {
    let origin = state
        .config
        .upstream_origin(crate::config::Upstream::OpenAi);
    let mut h = vec![("content-type".to_owned(), "application/json".to_owned())];
    h.extend(providers::auth_headers(ProviderKind::OpenAi, &key.key));
    let url = format!("{origin}{}", openai::SPEECH_PATH);
    let resp = upstream::post_with_retry(&state.http, &url, &h, &sr.body(), call_opts()).await?;
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(resp);
    }
    let body = resp.bytes().await.unwrap_or_default();
    let pe = providers::map_upstream_error(ProviderKind::OpenAi, status, &body, key.byok);
    tracing::warn!(status, mapped = pe.status, "speech upstream error");
    Err(provider_error(pe))
}

/// The background half: upstream bytes to the client, then settle or void.
struct Relay {
    ticket: Box<Ticket>,
    price: crate::money::MicroCredits,
    chars: u64,
    model: catalog::TtsModel,
    requested: String,
    byok: bool,
    stored_headers: Vec<(String, String)>,
}

impl Relay {
    async fn run(self, resp: reqwest::Response, tx: mpsc::Sender<Result<Bytes, std::io::Error>>) {
        let mut upstream = resp.bytes_stream();
        let mut recorded = Some(Vec::new());
        let mut client_gone = false;
        let failure = loop {
            let chunk = match tokio::time::timeout(IDLE_TIMEOUT, upstream.next()).await {
                Ok(Some(Ok(c))) => c,
                Ok(Some(Err(e))) => break Some(e.to_string()),
                Ok(None) => break None,
                Err(_) => break Some("the provider stopped sending audio".to_owned()),
            };
            recorded = recorded
                .filter(|r| r.len() + chunk.len() <= MAX_STORED_BYTES)
                .map(|mut r| {
                    r.extend_from_slice(&chunk);
                    r
                });
            if !client_gone {
                let sent = tokio::time::timeout(IDLE_TIMEOUT, tx.send(Ok(chunk))).await;
                if !matches!(sent, Ok(Ok(()))) {
                    client_gone = true;
                    tracing::info!("speech client went away; reading the audio to the end");
                }
            }
        };
        // Settle or void before the client's body ends, so a client that has the whole file
        // (or the error) sees a balance that already reflects it.
        if let Some(why) = failure {
            tracing::warn!(error = %why, "speech stream broke; voiding the hold");
            let _ = self
                .ticket
                .fail(ApiError::bad_gateway("The provider's audio stream failed"))
                .await;
            let _ = tx
                .send(Err(std::io::Error::other("upstream audio stream failed")))
                .await;
            return;
        }
        self.settle(client_gone, recorded).await;
        drop(tx);
    }

    async fn settle(self, cancelled: bool, recorded: Option<Vec<u8>>) {
        let t = &self.ticket;
        let generation = Generation {
            id: t.generation_id.clone(),
            account_id: t.account_id().to_owned(),
            key_id: t.principal.key.id.clone(),
            service: SPEC.service.to_owned(),
            model_requested: Some(self.requested.clone()),
            model_used: Some(self.model.id().to_owned()),
            provider: Some("openai".to_owned()),
            units: Some(self.chars),
            latency_ms: t.started.elapsed().as_millis() as u64,
            streamed: true,
            cancelled,
            byok: self.byok,
            status: if cancelled { "cancelled" } else { "completed" }.to_owned(),
            created_at: crate::store::now_secs(),
            ..Default::default()
        };
        let delta = UsageDelta {
            model: Some(self.model.id().to_owned()),
            service: SPEC.service.to_owned(),
            units: self.chars,
            ..Default::default()
        };
        let stored = recorded.map(|body| StoredResponse {
            status: 200,
            headers: self.stored_headers.clone(),
            body,
        });
        if let Err(e) = self
            .ticket
            .settle(self.price, &generation, &delta, stored.as_ref())
            .await
        {
            tracing::error!(error = %e, "speech settlement failed");
        }
    }
}
