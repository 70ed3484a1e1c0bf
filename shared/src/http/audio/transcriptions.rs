//! `POST /v1/audio/transcriptions`: read the multipart upload (≤ 25 MB), measure the audio's
//! duration from the file, hold exactly `1 credit × started minutes`, forward the file as
//! multipart to OpenAI Whisper and settle on the same amount when it answers.
//!
//! The key is checked from the headers before the body is read, so an unauthenticated client
//! cannot make us read 25 MB. Idempotency hashes a canonical form of the upload (fields + file
//! SHA-256), because multipart boundaries differ between a request and its retry.

use super::duration::{self, Probed};
use super::{HOLD_DEADLINE_SECS, MAX_AUDIO_BYTES, MAX_STORED_BYTES, call_opts, priced};
use crate::auth::KeyHeaders;
use crate::catalog;
use crate::error::ApiError;
use crate::http::chat::{invalid, provider_error, stored_headers};
use crate::http::llm::{self, ProviderKey};
use crate::http::pipeline::{self, Begin, RouteSpec};
use crate::idempotency::StoredResponse;
use crate::metering::{Generation, UsageDelta};
use crate::providers::services::openai::{self, TranscriptionFields, WHISPER_MODEL};
use crate::providers::{self, ProviderKind};
use crate::state::AppState;
use crate::upstream;
use axum::body::Body;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

const SPEC: RouteSpec = RouteSpec {
    scope: "audio",
    service: "audio.transcriptions",
    key_headers: KeyHeaders::Bearer,
};

/// Longest text field we read (a prompt is at most a few hundred tokens).
const MAX_FIELD_BYTES: usize = 64 * 1024;

pub(super) async fn create(State(state): State<AppState>, req: Request) -> Response<Body> {
    let headers = req.headers().clone();
    match handle(state, headers, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// The upload, read and checked.
struct Upload {
    fields: TranscriptionFields,
    file: Bytes,
    filename: Option<String>,
}

fn read_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(MAX_AUDIO_BYTES)
    } else {
        ApiError::bad_request(format!("Malformed multipart body: {}", e.body_text()))
    }
}

async fn read_upload(state: &AppState, req: Request) -> Result<Upload, ApiError> {
    let is_multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !is_multipart {
        return Err(ApiError::bad_request(
            "Send the audio as multipart/form-data with a 'file' field",
        ));
    }
    let mut mp = Multipart::from_request(req, state)
        .await
        .map_err(|e| ApiError::bad_request(format!("Malformed multipart body: {e}")))?;
    let mut fields = TranscriptionFields::default();
    let mut file: Option<(Bytes, Option<String>)> = None;
    while let Some(mut field) = mp.next_field().await.map_err(read_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let limit = if name == "file" {
            MAX_AUDIO_BYTES
        } else {
            MAX_FIELD_BYTES
        };
        let filename = field.file_name().map(str::to_owned);
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(read_error)? {
            if buf.len() + chunk.len() > limit {
                return Err(if name == "file" {
                    ApiError::payload_too_large(MAX_AUDIO_BYTES)
                } else {
                    ApiError::bad_request(format!("Field '{name}' is too long"))
                });
            }
            buf.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = Some((buf.freeze(), filename));
        } else {
            let text = std::str::from_utf8(&buf)
                .map_err(|_| ApiError::bad_request(format!("Field '{name}' must be UTF-8 text")))?;
            fields.set(&name, text.trim()).map_err(invalid)?;
        }
    }
    fields.finish().map_err(invalid)?;
    let (file, filename) = file.ok_or_else(|| {
        ApiError::bad_request("'file' is required")
            .with_details(serde_json::json!({"param": "file"}))
    })?;
    if file.is_empty() {
        return Err(ApiError::bad_request("'file' is empty")
            .with_details(serde_json::json!({"param": "file"})));
    }
    Ok(Upload {
        fields,
        file,
        filename,
    })
}

async fn measure(file: Bytes) -> Result<Probed, ApiError> {
    tokio::task::spawn_blocking(move || duration::probe(file))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::bad_request(e.0).with_details(serde_json::json!({"param": "file"})))
}

async fn handle(
    state: AppState,
    headers: HeaderMap,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let principal = pipeline::authenticate(&state, SPEC, &headers).await?;
    let up = read_upload(&state, req).await?;
    let probed = measure(up.file.clone()).await?;
    let key = llm::provider_key(&state, &headers, ProviderKind::OpenAi)?;
    let price = priced(catalog::stt_cost(probed.duration_ms), key.byok);
    let filename = probed.container.filename(up.filename.as_deref());
    let digest = hex::encode(Sha256::digest(&up.file));
    let canonical = up.fields.canonical(&digest, &filename);

    let path = "/v1/audio/transcriptions";
    let mut ticket =
        match pipeline::begin(&state, SPEC, principal, &headers, "POST", path, &canonical).await? {
            Begin::Replay(r) => return Ok(r),
            Begin::Proceed(t) => t,
        };
    if let Err(e) = ticket.hold(price, HOLD_DEADLINE_SECS).await {
        return Ok(ticket.fail(e).await);
    }
    let (ct, body) = up.fields.body(&up.file, &filename, probed.container.mime());
    drop(up.file);
    let (content_type, text) = match send(&state, &key, &ct, &body).await {
        Ok(r) => r,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let seconds = probed.duration_ms.div_ceil(1_000);
    let generation = Generation {
        id: ticket.generation_id.clone(),
        account_id: ticket.account_id().to_owned(),
        key_id: ticket.principal.key.id.clone(),
        service: SPEC.service.to_owned(),
        model_requested: Some(WHISPER_MODEL.to_owned()),
        model_used: Some(WHISPER_MODEL.to_owned()),
        provider: Some("openai".to_owned()),
        units: Some(seconds),
        latency_ms: ticket.started.elapsed().as_millis() as u64,
        byok: key.byok,
        status: "completed".to_owned(),
        created_at: crate::store::now_secs(),
        ..Default::default()
    };
    let delta = UsageDelta {
        model: Some(WHISPER_MODEL.to_owned()),
        service: SPEC.service.to_owned(),
        units: seconds,
        ..Default::default()
    };
    let mut response = Response::new(Body::from(text.clone()));
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert("content-type", v);
    }
    h.insert("x-audio-duration-ms", HeaderValue::from(probed.duration_ms));
    h.insert("x-model-used", HeaderValue::from_static(WHISPER_MODEL));
    ticket.apply_headers(h);
    let stored = (text.len() <= MAX_STORED_BYTES).then(|| StoredResponse {
        status: 200,
        headers: stored_headers(h)
            .into_iter()
            .chain([(
                "x-audio-duration-ms".to_owned(),
                probed.duration_ms.to_string(),
            )])
            .collect(),
        body: text.to_vec(),
    });
    Ok(
        match ticket
            .settle(price, &generation, &delta, stored.as_ref())
            .await
        {
            Ok(_) => response,
            Err(e) => e.into_response(),
        },
    )
}

/// Send the form; the answer's Content-Type (JSON or text) and body, or our error.
async fn send(
    state: &AppState,
    key: &ProviderKey,
    ct: &str,
    body: &[u8],
) -> Result<(String, Bytes), ApiError> {
    let origin = state
        .config
        .upstream_origin(crate::config::Upstream::OpenAi);
    let mut h = vec![("content-type".to_owned(), ct.to_owned())];
    h.extend(providers::auth_headers(ProviderKind::OpenAi, &key.key));
    let url = format!("{origin}{}", openai::TRANSCRIPTIONS_PATH);
    let resp = upstream::post_with_retry(&state.http, &url, &h, body, call_opts()).await?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| upstream::transport_error(&e))?;
    if !(200..300).contains(&status) {
        let pe = providers::map_upstream_error(ProviderKind::OpenAi, status, &bytes, key.byok);
        tracing::warn!(status, mapped = pe.status, "transcription upstream error");
        return Err(provider_error(pe));
    }
    Ok((content_type, bytes))
}
