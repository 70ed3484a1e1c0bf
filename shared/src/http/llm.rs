//! What chat and messages share: picking the provider and key for a model, the hold for a
//! request, the charge for its usage (BYOK: 5% platform fee, at least 1 credit), and the
//! generation record.

use crate::catalog::{self, ModelInfo};
use crate::config::Upstream;
use crate::error::ApiError;
use crate::metering::{Generation, UsageDelta};
use crate::money::MicroCredits;
use crate::providers::{ChatRequest, ProviderKind, Usage};
use crate::state::AppState;
use axum::http::HeaderMap;

/// Tokens assumed per image when holding (above every provider's per-image count for
/// ordinary sizes; the settlement uses the provider's real count).
pub const IMAGE_TOKENS_HOLD: u64 = 2_000;

/// The provider adapter for a catalog model.
pub fn provider_kind(m: &ModelInfo) -> ProviderKind {
    ProviderKind::from_name(m.provider.id()).unwrap_or(ProviderKind::OpenAi)
}

/// The config entry (origin, key) for a provider.
pub fn upstream_of(kind: ProviderKind) -> Upstream {
    match kind {
        ProviderKind::OpenAi => Upstream::OpenAi,
        ProviderKind::Anthropic => Upstream::Anthropic,
        ProviderKind::Gemini => Upstream::Gemini,
        ProviderKind::Xai => Upstream::Xai,
        ProviderKind::DeepSeek => Upstream::DeepSeek,
        ProviderKind::Mistral => Upstream::Mistral,
        ProviderKind::Groq => Upstream::Groq,
    }
}

/// The key to call a provider with: the caller's (`X-Provider-Key`, BYOK) or ours.
pub struct ProviderKey {
    pub key: String,
    pub byok: bool,
}

/// Pick the key, or 503 when the platform has none for that provider and no BYOK was sent.
pub fn provider_key(
    state: &AppState,
    headers: &HeaderMap,
    kind: ProviderKind,
) -> Result<ProviderKey, ApiError> {
    if let Some(v) = headers.get("x-provider-key") {
        let k = v
            .to_str()
            .map_err(|_| ApiError::bad_request("X-Provider-Key must be printable ASCII"))?
            .trim();
        if k.is_empty() {
            return Err(ApiError::bad_request("X-Provider-Key is empty"));
        }
        return Ok(ProviderKey {
            key: k.to_owned(),
            byok: true,
        });
    }
    state
        .config
        .provider_key(upstream_of(kind))
        .map(|s| ProviderKey {
            key: s.expose().to_owned(),
            byok: false,
        })
        .ok_or_else(|| {
            ApiError::unavailable(format!(
                "{} is not configured on this gateway (no provider key); send your own with X-Provider-Key",
                kind.display_name()
            ))
        })
}

/// Upper bound of a request's prompt tokens: one token per byte of text (a BPE token is at
/// least one byte) would be safe but wasteful, so we take bytes / 2, plus a fixed budget per
/// image and per message for the chat template.
pub fn prompt_tokens_upper_bound(req: &ChatRequest) -> u64 {
    let mut bytes = 0u64;
    let mut images = 0u64;
    for m in &req.messages {
        bytes += m.content.joined_text().len() as u64 + 16;
        for c in &m.tool_calls {
            bytes += (c.name.len() + c.arguments.len()) as u64;
        }
        if let crate::providers::chat::Content::Parts(parts) = &m.content {
            images += parts
                .iter()
                .filter(|p| matches!(p, crate::providers::chat::ContentPart::Image(_)))
                .count() as u64;
        }
    }
    for t in &req.tools {
        bytes += (t.name.len() + t.description.as_deref().map_or(0, str::len)) as u64
            + t.parameters.to_string().len() as u64;
    }
    bytes.div_ceil(2) + images * IMAGE_TOKENS_HOLD + 8
}

/// A typical-case estimate of prompt tokens (≈4 bytes per token), used to settle when the
/// provider reports no usage.
pub fn prompt_tokens_estimate(req: &ChatRequest) -> u64 {
    let upper = prompt_tokens_upper_bound(req);
    upper / 2 + 1
}

/// The most a request may cost, which is what we hold.
pub fn hold_amount(
    m: &ModelInfo,
    prompt_upper: u64,
    max_tokens: Option<u64>,
    byok: bool,
) -> MicroCredits {
    let list = catalog::llm_max_cost(m, prompt_upper, max_tokens);
    if byok { catalog::byok_fee(list) } else { list }
}

/// The charge for real (or estimated) usage.
pub fn charge(m: &ModelInfo, usage: &Usage, byok: bool) -> MicroCredits {
    let list = catalog::llm_cost(
        m,
        usage.prompt_tokens.unwrap_or(0),
        usage.completion_tokens.unwrap_or(0),
    );
    if byok { catalog::byok_fee(list) } else { list }
}

/// The usage-counter delta of an LLM call.
pub fn usage_delta(service: &str, model: &ModelInfo, usage: &Usage) -> UsageDelta {
    UsageDelta {
        model: Some(model.id.to_owned()),
        service: service.to_owned(),
        input_tokens: usage.prompt_tokens.unwrap_or(0),
        output_tokens: usage.completion_tokens.unwrap_or(0),
        units: 0,
    }
}

/// Everything a generation record needs that the handler knows.
pub struct GenerationInfo<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub key_id: &'a str,
    pub service: &'a str,
    pub model_requested: &'a str,
    pub model: &'a ModelInfo,
    pub usage: &'a Usage,
    pub latency_ms: u64,
    pub streamed: bool,
    pub cancelled: bool,
    pub byok: bool,
    pub finish_reason: Option<&'a str>,
    pub status: &'a str,
    pub estimated: bool,
}

/// Build the generation record.
pub fn generation(g: GenerationInfo<'_>) -> Generation {
    Generation {
        id: g.id.to_owned(),
        account_id: g.account_id.to_owned(),
        key_id: g.key_id.to_owned(),
        service: g.service.to_owned(),
        model_requested: Some(g.model_requested.to_owned()),
        model_used: Some(g.model.id.to_owned()),
        provider: Some(g.model.provider.id().to_owned()),
        prompt_tokens: g.usage.prompt_tokens,
        completion_tokens: g.usage.completion_tokens,
        cached_tokens: g.usage.cached_tokens,
        reasoning_tokens: g.usage.reasoning_tokens,
        units: None,
        latency_ms: g.latency_ms,
        streamed: g.streamed,
        cancelled: g.cancelled,
        byok: g.byok,
        finish_reason: g.finish_reason.map(str::to_owned),
        status: g.status.to_owned(),
        estimated: g.estimated,
        created_at: crate::store::now_secs(),
    }
}

/// Resolve a model id or alias, or 404 in the error shape.
pub fn resolve_model(id: &str) -> Result<&'static ModelInfo, ApiError> {
    catalog::resolve(id).ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "model_not_found",
            format!("The model '{id}' does not exist; GET /v1/models lists the available models"),
        )
    })
}
