//! Chat provider adapters: pure translation between our OpenAI-format model and each upstream's wire format (no I/O).
//!
//! The HTTP handler owns the sockets. It calls [`build_chat_request`] and [`auth_headers`] to
//! get the bytes to send, [`parse_chat_response`] or a [`ChatStreamTranslator`] to turn what
//! comes back into OpenAI-shaped JSON plus [`Usage`], and [`map_upstream_error`] for non-2xx
//! answers. `/v1/messages` helpers live in [`anthropic`].

pub mod anthropic;
pub mod brave;
pub mod browserbase;
pub mod chat;
mod completion;
mod error;
pub mod fal;
pub mod firecrawl;
pub mod gemini;
pub mod openai;
pub mod resend;
pub mod service_http;
pub mod services;
mod stream;
mod usage;

pub use chat::{ChatRequest, ValidationError};
pub use error::{ProviderError, map_upstream_error};
pub use stream::{ChatStreamTranslator, DONE_DATA};
pub use usage::Usage;

use serde_json::Value;

/// An upstream chat provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    OpenAi,
    Anthropic,
    Gemini,
    Xai,
    DeepSeek,
    Mistral,
    Groq,
}

impl ProviderKind {
    /// Every provider, in a stable order.
    pub const ALL: [ProviderKind; 7] = [
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
        ProviderKind::Gemini,
        ProviderKind::Xai,
        ProviderKind::DeepSeek,
        ProviderKind::Mistral,
        ProviderKind::Groq,
    ];

    /// Lower-case name used in the catalog and in logs (`openai`, `anthropic`, …).
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Xai => "xai",
            ProviderKind::DeepSeek => "deepseek",
            ProviderKind::Mistral => "mistral",
            ProviderKind::Groq => "groq",
        }
    }

    /// Parses [`ProviderKind::name`] back (case-insensitive; `google` is accepted for Gemini).
    pub fn from_name(name: &str) -> Option<ProviderKind> {
        let lower = name.to_ascii_lowercase();
        if lower == "google" {
            return Some(ProviderKind::Gemini);
        }
        ProviderKind::ALL.into_iter().find(|k| k.name() == lower)
    }

    /// Human name used in error messages.
    pub fn display_name(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "OpenAI",
            ProviderKind::Anthropic => "Anthropic",
            ProviderKind::Gemini => "Gemini",
            ProviderKind::Xai => "xAI",
            ProviderKind::DeepSeek => "DeepSeek",
            ProviderKind::Mistral => "Mistral",
            ProviderKind::Groq => "Groq",
        }
    }

    /// Suffix of the `HEXACLAW_UPSTREAM_<SUFFIX>` variable that overrides the origin.
    pub fn env_suffix(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "OPENAI",
            ProviderKind::Anthropic => "ANTHROPIC",
            ProviderKind::Gemini => "GEMINI",
            ProviderKind::Xai => "XAI",
            ProviderKind::DeepSeek => "DEEPSEEK",
            ProviderKind::Mistral => "MISTRAL",
            ProviderKind::Groq => "GROQ",
        }
    }

    /// The official origin (scheme + host); [`UpstreamRequest::path_and_query`] is appended to it.
    pub fn default_origin(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "https://api.openai.com",
            ProviderKind::Anthropic => "https://api.anthropic.com",
            ProviderKind::Gemini => "https://generativelanguage.googleapis.com",
            ProviderKind::Xai => "https://api.x.ai",
            ProviderKind::DeepSeek => "https://api.deepseek.com",
            ProviderKind::Mistral => "https://api.mistral.ai",
            ProviderKind::Groq => "https://api.groq.com",
        }
    }

    /// True for the providers that speak the OpenAI chat-completions format.
    pub fn is_openai_format(self) -> bool {
        !matches!(self, ProviderKind::Anthropic | ProviderKind::Gemini)
    }
}

/// What to send upstream: path (with query) relative to the provider origin, JSON body, and
/// content headers. Authentication headers come separately from [`auth_headers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRequest {
    pub path_and_query: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// Why a completion stopped, in OpenAI's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
}

impl FinishReason {
    /// The OpenAI `finish_reason` string.
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
        }
    }

    /// Reads an OpenAI-format `finish_reason`; unknown non-empty values count as `Stop`.
    pub fn from_openai(value: &str) -> Option<FinishReason> {
        match value {
            "" => None,
            "length" | "model_length" => Some(FinishReason::Length),
            "tool_calls" | "function_call" => Some(FinishReason::ToolCalls),
            "content_filter" => Some(FinishReason::ContentFilter),
            _ => Some(FinishReason::Stop),
        }
    }
}

/// A translated non-streaming answer: the OpenAI `chat.completion` JSON we return, the usage
/// we bill on, and the finish reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOutcome {
    pub body: Value,
    pub usage: Usage,
    pub finish_reason: Option<FinishReason>,
}

/// Builds the upstream chat request for `kind`, addressed to `upstream_model`.
///
/// `stream` decides the streaming form regardless of `req.stream`; when streaming, usage is
/// always requested (OpenAI-format `stream_options.include_usage`; Anthropic and Gemini report
/// it unasked).
pub fn build_chat_request(
    kind: ProviderKind,
    req: &ChatRequest,
    upstream_model: &str,
    stream: bool,
) -> Result<UpstreamRequest, ValidationError> {
    let (path_and_query, body) = match kind {
        ProviderKind::Anthropic => (
            "/v1/messages".to_string(),
            anthropic::build_request_body(req, upstream_model, stream)?,
        ),
        ProviderKind::Gemini => (
            gemini::request_path(upstream_model, stream),
            gemini::build_request_body(req)?,
        ),
        _ => (
            openai::request_path(kind).to_string(),
            openai::build_request_body(kind, req, upstream_model, stream)?,
        ),
    };
    let body = serde_json::to_vec(&body)
        .map_err(|e| ValidationError::new(format!("request could not be encoded: {e}"), None))?;
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if stream {
        headers.push(("accept".to_string(), "text/event-stream".to_string()));
    }
    Ok(UpstreamRequest {
        path_and_query,
        body,
        headers,
    })
}

/// The Anthropic API version we speak.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Authentication headers for `kind` carrying `api_key` (ours, or the caller's with BYOK).
pub fn auth_headers(kind: ProviderKind, api_key: &str) -> Vec<(String, String)> {
    match kind {
        ProviderKind::Anthropic => vec![
            ("x-api-key".to_string(), api_key.to_string()),
            (
                "anthropic-version".to_string(),
                ANTHROPIC_VERSION.to_string(),
            ),
        ],
        ProviderKind::Gemini => vec![("x-goog-api-key".to_string(), api_key.to_string())],
        _ => vec![("authorization".to_string(), format!("Bearer {api_key}"))],
    }
}

/// Translates a 2xx non-streaming upstream body into our `chat.completion` JSON.
///
/// `id`, `created` and `model_used` replace whatever the provider sent, so clients see our
/// generation id and model name. A body that is not a completion (or carries an error object)
/// becomes a 502 [`ProviderError`].
pub fn parse_chat_response(
    kind: ProviderKind,
    body: &[u8],
    model_used: &str,
    id: &str,
    created: i64,
) -> Result<ChatOutcome, ProviderError> {
    let meta = completion::Meta {
        id,
        model: model_used,
        created,
    };
    match kind {
        ProviderKind::Anthropic => anthropic::parse_response(body, &meta),
        ProviderKind::Gemini => gemini::parse_response(body, &meta),
        _ => openai::parse_response(kind, body, &meta),
    }
}

#[cfg(test)]
mod tests;
