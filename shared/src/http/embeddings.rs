//! `embeddings` group: `POST /v1/embeddings`, OpenAI-compatible, served by OpenAI
//! (text-embedding-3-*) or Gemini (gemini-embedding-001, via `:batchEmbedContents`).
//!
//! Metering: the hold is an upper bound of the input's tokens (UTF-8 bytes: every BPE token is at
//! least one byte; token arrays count exactly). OpenAI calls settle on the reported
//! `usage.prompt_tokens`. Gemini reports no token usage for embeddings, so those settle on an
//! estimate of one token per four UTF-8 bytes (at least one per input), which the response says
//! with `x-usage-estimated: true` and the generation record with `estimated: true`.

use super::chat::{invalid, model_headers, provider_error};
use super::llm::{self, ProviderKey};
use super::pipeline::{self, Begin, RouteSpec, Ticket};
use crate::auth::KeyHeaders;
use crate::catalog::{self, EmbeddingModel, Provider};
use crate::error::ApiError;
use crate::idempotency::StoredResponse;
use crate::metering::{Generation, UsageDelta};
use crate::money::MicroCredits;
use crate::providers::services::{EmbeddingInput, EmbeddingsRequest, gemini, openai};
use crate::providers::{self, ProviderKind};
use crate::state::AppState;
use crate::upstream::{self, CallOpts};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;

const SPEC: RouteSpec = RouteSpec {
    scope: "embeddings",
    service: "embeddings",
    key_headers: KeyHeaders::Bearer,
};

/// Seconds an embeddings hold may stay HELD before the sweeper voids it.
pub const HOLD_DEADLINE_SECS: i64 = 900;
/// Responses larger than this are not stored for idempotent replay (store item limits).
pub const MAX_STORED_BYTES: usize = 256 * 1024;

/// The `embeddings` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/embeddings", post(create))
        .with_state(state)
}

async fn create(State(state): State<AppState>, req: Request) -> Response<Body> {
    let headers = req.headers().clone();
    match handle(state, headers, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Resolve an embedding model id or alias, or 404 like chat models.
pub fn resolve_model(id: &str) -> Result<&'static EmbeddingModel, ApiError> {
    catalog::resolve_embedding(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "model_not_found",
            format!(
                "The embedding model '{id}' does not exist; use text-embedding-3-small, text-embedding-3-large or gemini-embedding-001"
            ),
        )
    })
}

fn kind_of(model: &EmbeddingModel) -> ProviderKind {
    match model.provider {
        Provider::Google => ProviderKind::Gemini,
        _ => ProviderKind::OpenAi,
    }
}

/// Check what depends on the model: `dimensions` range, token-array input.
fn validate_for(model: &EmbeddingModel, req: &EmbeddingsRequest) -> Result<(), ApiError> {
    let gemini = kind_of(model) == ProviderKind::Gemini;
    if let Some(d) = req.dimensions {
        let range = if gemini {
            *gemini::DIMENSIONS.start()..=model.dimensions
        } else {
            1..=model.dimensions
        };
        if !range.contains(&d) {
            return Err(ApiError::bad_request(format!(
                "'dimensions' for {} must be from {} to {}",
                model.id,
                range.start(),
                range.end()
            ))
            .with_details(serde_json::json!({"param": "dimensions"})));
        }
    }
    if gemini && matches!(req.input, EmbeddingInput::Tokens(_)) {
        return Err(ApiError::bad_request(format!(
            "{} takes text input only; token arrays are an OpenAI feature",
            model.id
        ))
        .with_details(serde_json::json!({"param": "input"})));
    }
    Ok(())
}

fn priced(list: MicroCredits, byok: bool) -> MicroCredits {
    if byok { catalog::byok_fee(list) } else { list }
}

async fn handle(
    state: AppState,
    headers: HeaderMap,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let body = super::extract::read_body(req, state.config.max_body_bytes).await?;
    let principal = pipeline::authenticate(&state, SPEC, &headers).await?;
    let er = EmbeddingsRequest::from_json(&body).map_err(invalid)?;
    let model = resolve_model(&er.model)?;
    validate_for(model, &er)?;
    let kind = kind_of(model);
    let key = llm::provider_key(&state, &headers, kind)?;
    let hold = priced(
        catalog::embedding_cost(model, er.token_upper_bound()),
        key.byok,
    );

    let mut ticket = match pipeline::begin(
        &state,
        SPEC,
        principal,
        &headers,
        "POST",
        "/v1/embeddings",
        &body,
    )
    .await?
    {
        Begin::Replay(r) => return Ok(r),
        Begin::Proceed(t) => t,
    };
    if let Err(e) = ticket.hold(hold, HOLD_DEADLINE_SECS).await {
        return Ok(ticket.fail(e).await);
    }
    let called = match kind {
        ProviderKind::Gemini => call_gemini(&state, model, &key, &er).await,
        _ => call_openai(&state, model, &key, &er).await,
    };
    let (items, reported) = match called {
        Ok(r) => r,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let (tokens, estimated) = match reported {
        Some(t) => (t, false),
        None => (er.token_estimate(), true),
    };
    Ok(finish(ticket, model, &er.model, &key, &items, tokens, estimated).await)
}

/// Send one JSON POST and map a non-2xx answer to our error.
async fn post_json(
    state: &AppState,
    kind: ProviderKind,
    key: &ProviderKey,
    path: &str,
    body: &[u8],
) -> Result<bytes::Bytes, ApiError> {
    let origin = state.config.upstream_origin(llm::upstream_of(kind));
    let mut h = vec![("content-type".to_owned(), "application/json".to_owned())];
    h.extend(providers::auth_headers(kind, &key.key));
    let resp = upstream::post_with_retry(
        &state.http,
        &format!("{origin}{path}"),
        &h,
        body,
        CallOpts::default(),
    )
    .await?;
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| upstream::transport_error(&e))?;
    if !(200..300).contains(&status) {
        let pe = providers::map_upstream_error(kind, status, &bytes, key.byok);
        tracing::warn!(
            provider = kind.name(),
            status,
            mapped = pe.status,
            "embeddings upstream error"
        );
        return Err(provider_error(pe));
    }
    Ok(bytes)
}

async fn call_openai(
    state: &AppState,
    model: &EmbeddingModel,
    key: &ProviderKey,
    er: &EmbeddingsRequest,
) -> Result<(Vec<String>, Option<u64>), ApiError> {
    let body = openai::embeddings_body(er, model.upstream_id);
    let bytes = post_json(
        state,
        ProviderKind::OpenAi,
        key,
        openai::EMBEDDINGS_PATH,
        &body,
    )
    .await?;
    openai::parse_embeddings(&bytes, er.len()).map_err(provider_error)
}

async fn call_gemini(
    state: &AppState,
    model: &EmbeddingModel,
    key: &ProviderKey,
    er: &EmbeddingsRequest,
) -> Result<(Vec<String>, Option<u64>), ApiError> {
    let EmbeddingInput::Texts(texts) = &er.input else {
        return Err(ApiError::bad_request("token arrays are an OpenAI feature"));
    };
    let path = gemini::batch_embed_path(model.upstream_id);
    let mut items = Vec::with_capacity(texts.len());
    for (n, chunk) in texts.chunks(gemini::MAX_BATCH).enumerate() {
        let body = gemini::batch_embed_body(chunk, model.upstream_id, er.dimensions);
        let bytes = post_json(state, ProviderKind::Gemini, key, &path, &body).await?;
        let parsed =
            gemini::parse_batch_embed(&bytes, chunk.len(), n * gemini::MAX_BATCH, er.encoding)
                .map_err(provider_error)?;
        items.extend(parsed);
    }
    Ok((items, None))
}

/// Charge, answer, and settle in one go.
async fn finish(
    ticket: Box<Ticket>,
    model: &'static EmbeddingModel,
    requested: &str,
    key: &ProviderKey,
    items: &[String],
    tokens: u64,
    estimated: bool,
) -> Response<Body> {
    let cost = priced(catalog::embedding_cost(model, tokens), key.byok).min(ticket.held());
    let body = crate::providers::services::embeddings_response(
        items,
        model.id,
        tokens,
        &cost.to_credits_json(),
    );
    let generation = Generation {
        id: ticket.generation_id.clone(),
        account_id: ticket.account_id().to_owned(),
        key_id: ticket.principal.key.id.clone(),
        service: SPEC.service.to_owned(),
        model_requested: Some(requested.to_owned()),
        model_used: Some(model.id.to_owned()),
        provider: Some(model.provider.id().to_owned()),
        prompt_tokens: Some(tokens),
        completion_tokens: Some(0),
        units: Some(items.len() as u64),
        latency_ms: ticket.started.elapsed().as_millis() as u64,
        byok: key.byok,
        status: "completed".to_owned(),
        estimated,
        created_at: crate::store::now_secs(),
        ..Default::default()
    };
    let delta = UsageDelta {
        model: Some(model.id.to_owned()),
        service: SPEC.service.to_owned(),
        input_tokens: tokens,
        output_tokens: 0,
        units: 0,
    };
    let mut response = Response::new(Body::from(body.clone()));
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    model_headers(h, requested, model.id);
    if estimated {
        h.insert("x-usage-estimated", HeaderValue::from_static("true"));
    }
    ticket.apply_headers(h);
    let stored = (body.len() <= MAX_STORED_BYTES).then(|| StoredResponse {
        status: 200,
        headers: super::chat::stored_headers(h)
            .into_iter()
            .chain(estimated.then(|| ("x-usage-estimated".to_owned(), "true".to_owned())))
            .collect(),
        body,
    });
    match ticket
        .settle(cost, &generation, &delta, stored.as_ref())
        .await
    {
        Ok(_) => response,
        Err(e) => e.into_response(),
    }
}
