//! Upstream failures mapped to what we answer: status, error type, a scrubbed message, retryability.

use super::ProviderKind;
use regex::Regex;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// An upstream failure as we report it to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// The HTTP status *we* return (not the provider's).
    pub status: u16,
    /// Our error type for the `{"error":{"type":…}}` body.
    pub error_type: String,
    /// The provider's message with anything key-like scrubbed, or our own text.
    pub message: String,
    /// True when the same request may succeed if retried later (429, 5xx, 529).
    pub retryable: bool,
}

impl ProviderError {
    pub(crate) fn new(
        status: u16,
        error_type: &str,
        message: impl Into<String>,
        retryable: bool,
    ) -> Self {
        ProviderError {
            status,
            error_type: error_type.to_string(),
            message: message.into(),
            retryable,
        }
    }

    /// A 2xx answer we could not read as the format we asked for.
    pub(crate) fn unreadable(kind: ProviderKind, what: impl std::fmt::Display) -> Self {
        ProviderError::new(
            502,
            "upstream_error",
            format!(
                "{} returned a response HexaClaw could not read: {what}",
                kind.display_name()
            ),
            false,
        )
    }

    /// Our OpenAI-style error body: `{"error":{"message","type","code"}}`.
    pub fn to_openai_json(&self) -> Value {
        json!({"error": {"message": self.message, "type": self.error_type, "code": self.status}})
    }

    /// The same error as an Anthropic `error` event payload / body.
    pub fn to_anthropic_json(&self) -> Value {
        let kind = match self.status {
            400 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            429 => "rate_limit_error",
            503 => "overloaded_error",
            _ => "api_error",
        };
        json!({"type": "error", "error": {"type": kind, "message": self.message}})
    }
}

/// Longest provider message we pass on.
const MAX_MESSAGE_CHARS: usize = 1000;

static SECRET_PATTERN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i:bearer)\s+[A-Za-z0-9_\-.=:/+]{8,}",
        r"|sk-[A-Za-z0-9_\-*.]{6,}",
        r"|AIza[0-9A-Za-z_\-]{20,}",
        r"|xai-[A-Za-z0-9_\-*]{6,}",
        r"|gsk_[A-Za-z0-9_\-*]{6,}",
        r"|hx_(?:live|test)_[A-Za-z0-9_\-]{6,}",
        r"|org-[A-Za-z0-9]{6,}",
        r"|[A-Za-z0-9_\-]{40,}",
    ))
    .ok()
});

static BAD_KEY_PATTERN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(incorrect|invalid|not valid)\b[^.]{0,20}\bapi[ _-]?key").ok()
});

/// Replaces key-like substrings (provider keys, bearer tokens, org ids, long opaque tokens)
/// with `[redacted]`, and bounds the length.
pub(crate) fn scrub(message: &str) -> String {
    let Some(pattern) = SECRET_PATTERN.as_ref() else {
        // Fail closed: without the pattern we cannot prove the text is safe to show.
        return "upstream error details withheld".to_string();
    };
    let cleaned = pattern.replace_all(message, "[redacted]");
    let mut out: String = cleaned.chars().take(MAX_MESSAGE_CHARS).collect();
    if cleaned.chars().count() > MAX_MESSAGE_CHARS {
        out.push('…');
    }
    out
}

/// What we could read out of an upstream error body.
#[derive(Debug, Default)]
pub(crate) struct Detail {
    pub message: Option<String>,
    /// Provider error type or code (`rate_limit_error`, `insufficient_quota`, `RESOURCE_EXHAUSTED`).
    pub code: Option<String>,
    /// The body says the key itself is invalid even though the status is not 401 (Gemini 400).
    pub bad_key: bool,
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            // Mistral has sent its validation detail as a JSON document inside the string.
            Ok(inner @ Value::Object(_)) => text_of(&inner).or_else(|| Some(s.clone())),
            _ => Some(s.clone()),
        },
        Value::Object(o) => {
            if let Some(Value::Array(items)) = o.get("detail") {
                let parts: Vec<String> = items
                    .iter()
                    .map(|d| {
                        let loc = d
                            .get("loc")
                            .and_then(Value::as_array)
                            .map(|l| {
                                l.iter()
                                    .map(|p| {
                                        p.as_str().map_or_else(|| p.to_string(), str::to_string)
                                    })
                                    .collect::<Vec<_>>()
                                    .join(".")
                            })
                            .unwrap_or_default();
                        let msg = d.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                        if loc.is_empty() {
                            msg.to_string()
                        } else {
                            format!("{loc}: {msg}")
                        }
                    })
                    .collect();
                return Some(parts.join("; "));
            }
            o.get("message")
                .and_then(text_of)
                .or_else(|| Some(value.to_string()))
        }
        other => Some(other.to_string()),
    }
}

fn code_of(value: &Value) -> Option<String> {
    ["code", "type", "status"]
        .iter()
        .find_map(|k| match value.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
}

/// Reads the message and code from any of the providers' error shapes.
pub(crate) fn read_detail(body: &[u8]) -> Detail {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body).trim().to_string();
        return Detail {
            message: (!text.is_empty()).then_some(text),
            ..Detail::default()
        };
    };
    // Gemini's streaming endpoint without alt=sse wraps errors in an array.
    if let Value::Array(items) = &value {
        value = items.first().cloned().unwrap_or(Value::Null);
    }
    let raw = value.to_string();
    let (message, code) = match value.get("error") {
        Some(inner @ Value::Object(_)) => {
            // `error.code` is a number for Gemini; its `status` is the useful word.
            let code = match inner.get("status").and_then(Value::as_str) {
                Some(s) => Some(s.to_string()),
                None => code_of(inner),
            };
            (inner.get("message").and_then(text_of), code)
        }
        // xAI: {"code": "...", "error": "message"}.
        Some(Value::String(s)) => (Some(s.clone()), code_of(&value)),
        _ => (
            value
                .get("message")
                .and_then(text_of)
                .or_else(|| value.get("detail").and_then(|_| text_of(&value))),
            code_of(&value),
        ),
    };
    // Gemini answers a bad key with 400 API_KEY_INVALID, xAI with 400 "Incorrect API key".
    let bad_key = raw.contains("API_KEY_INVALID")
        || message
            .as_deref()
            .is_some_and(|m| BAD_KEY_PATTERN.as_ref().is_some_and(|p| p.is_match(m)));
    Detail {
        message,
        code,
        bad_key,
    }
}

/// Maps a non-2xx upstream answer to our error.
///
/// - 400/404/413/422 → 400 `invalid_request_error` with the provider's message.
/// - 401/403 (and Gemini's 400 `API_KEY_INVALID`): with `byok` the caller's own key was refused
///   → 401/403 naming the X-Provider-Key header; without it *our* key was refused → 502 with a
///   message that says nothing about the key.
/// - 402 and OpenAI's 429 `insufficient_quota` (an exhausted provider account): BYOK → 400
///   telling the caller to check their account; otherwise 502.
/// - 429 → 429; 500/502 → 502; 503/529 → 503; 504/408 → 504, all retryable.
pub fn map_upstream_error(
    kind: ProviderKind,
    status: u16,
    body: &[u8],
    byok: bool,
) -> ProviderError {
    classify(kind, status, &read_detail(body), byok)
}

pub(crate) fn classify(
    kind: ProviderKind,
    status: u16,
    detail: &Detail,
    byok: bool,
) -> ProviderError {
    let provider = kind.display_name();
    let said = detail.message.as_deref().map(scrub);
    let said_or = |fallback: String| said.clone().unwrap_or(fallback);
    let code = detail.code.as_deref().unwrap_or("");
    if status == 401 || status == 403 || (detail.bad_key && status == 400) {
        if !byok {
            return ProviderError::new(
                502,
                "upstream_error",
                format!(
                    "{provider} refused HexaClaw's credentials; this is a problem on our side, not with your request"
                ),
                false,
            );
        }
        let (ours, kind_name) = if status == 403 && !detail.bad_key {
            (403, "permission_error")
        } else {
            (401, "authentication_error")
        };
        return ProviderError::new(
            ours,
            kind_name,
            format!(
                "{provider} rejected the key sent in X-Provider-Key: {}",
                said_or(format!("HTTP {status}"))
            ),
            false,
        );
    }
    let quota = status == 402 || (status == 429 && code == "insufficient_quota");
    if quota {
        return if byok {
            ProviderError::new(
                400,
                "invalid_request_error",
                format!(
                    "Your {provider} account cannot pay for this request: {}",
                    said_or(format!("HTTP {status}"))
                ),
                false,
            )
        } else {
            ProviderError::new(
                502,
                "upstream_error",
                format!("{provider} is not accepting HexaClaw's requests right now"),
                false,
            )
        };
    }
    match status {
        400 | 404 | 413 | 422 => ProviderError::new(
            400,
            "invalid_request_error",
            format!(
                "{provider} rejected the request: {}",
                said_or(format!("HTTP {status}"))
            ),
            false,
        ),
        408 | 504 => ProviderError::new(
            504,
            "timeout_error",
            format!(
                "{provider} timed out: {}",
                said_or(format!("HTTP {status}"))
            ),
            true,
        ),
        429 => ProviderError::new(
            429,
            "rate_limit_error",
            format!(
                "{provider} is rate limiting requests: {}",
                said_or(format!("HTTP {status}"))
            ),
            true,
        ),
        500 | 502 => ProviderError::new(
            502,
            "upstream_error",
            format!("{provider} failed: {}", said_or(format!("HTTP {status}"))),
            true,
        ),
        503 | 529 => ProviderError::new(
            503,
            "service_unavailable",
            format!(
                "{provider} is overloaded or unavailable: {}",
                said_or(format!("HTTP {status}"))
            ),
            true,
        ),
        _ => ProviderError::new(
            502,
            "upstream_error",
            format!(
                "{provider} answered HTTP {status}: {}",
                said_or("no details".to_string())
            ),
            false,
        ),
    }
}

/// Maps an error object that arrives inside a 200 stream (Anthropic `event: error`, an
/// OpenAI-format `{"error":…}` chunk, a Gemini `{"error":…}` chunk) by its type or code.
pub(crate) fn from_stream_error(kind: ProviderKind, payload: &Value) -> ProviderError {
    let detail = read_detail(payload.to_string().as_bytes());
    let numeric = payload
        .get("error")
        .and_then(|e| e.get("code"))
        .and_then(Value::as_u64);
    let status = match detail.code.as_deref().unwrap_or("") {
        "overloaded_error" | "UNAVAILABLE" => 529,
        "rate_limit_error" | "rate_limit_exceeded" | "RESOURCE_EXHAUSTED" => 429,
        "invalid_request_error" | "not_found_error" | "request_too_large" | "INVALID_ARGUMENT" => {
            400
        }
        "authentication_error" | "permission_error" => 401,
        "DEADLINE_EXCEEDED" => 504,
        _ => numeric
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| *n >= 400)
            .unwrap_or(500),
    };
    classify(kind, status, &detail, false)
}
