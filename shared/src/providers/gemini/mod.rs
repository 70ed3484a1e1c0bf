//! Google Gemini `generateContent` / `streamGenerateContent?alt=sse`, translated to and from the OpenAI format.

mod request;
pub(crate) mod stream;
mod wire;

pub(crate) use request::build_request_body;

use super::chat::ToolCall;
use super::completion::{Meta, completion_json};
use super::error::from_stream_error;
use super::{ChatOutcome, FinishReason, ProviderError, ProviderKind};
use serde_json::Value;
use wire::{WireResponse, finish_from_gemini};

/// `/v1beta/models/{model}:generateContent`, or the SSE streaming form.
pub(crate) fn request_path(model: &str, stream: bool) -> String {
    let model = percent_encode(model.strip_prefix("models/").unwrap_or(model));
    if stream {
        format!("/v1beta/models/{model}:streamGenerateContent?alt=sse")
    } else {
        format!("/v1beta/models/{model}:generateContent")
    }
}

/// Encodes everything but RFC 3986 unreserved characters, so a model name cannot alter the path.
fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// OpenAI needs an id per tool call; Gemini usually sends none. Ids derive from our completion
/// id and the call's position so the streamed and non-streamed answers agree.
pub(crate) fn tool_call_id(completion_id: &str, given: Option<&str>, position: usize) -> String {
    if let Some(id) = given.filter(|s| !s.is_empty()) {
        return id.to_string();
    }
    let tail: String = completion_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let start = tail.len().saturating_sub(12);
    format!("call_{}_{position}", &tail[start..])
}

/// Translates a non-streaming `generateContent` body.
pub(crate) fn parse_response(body: &[u8], meta: &Meta<'_>) -> Result<ChatOutcome, ProviderError> {
    let kind = ProviderKind::Gemini;
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ProviderError::unreadable(kind, e))?;
    if value.get("error").is_some_and(|e| !e.is_null()) {
        return Err(from_stream_error(kind, &value));
    }
    let response: WireResponse =
        serde_json::from_value(value).map_err(|e| ProviderError::unreadable(kind, e))?;
    let usage = response
        .usage_metadata
        .as_ref()
        .map(|u| u.to_usage())
        .unwrap_or_default();
    let mut text = String::new();
    let mut calls = Vec::new();
    let candidate = response.candidates.first();
    for part in candidate
        .and_then(|c| c.content.as_ref())
        .map(|c| c.parts.as_slice())
        .unwrap_or_default()
    {
        if part.thought == Some(true) {
            continue;
        }
        if let Some(t) = &part.text {
            text.push_str(t);
        }
        if let Some(call) = &part.function_call {
            let args = call
                .args
                .clone()
                .unwrap_or_else(|| Value::Object(Default::default()));
            calls.push(ToolCall {
                id: tool_call_id(meta.id, call.id.as_deref(), calls.len()),
                name: call.name.clone(),
                arguments: args.to_string(),
            });
        }
    }
    let finish = if !calls.is_empty() {
        Some(FinishReason::ToolCalls)
    } else if let Some(reason) = candidate.and_then(|c| c.finish_reason.as_deref()) {
        finish_from_gemini(reason)
    } else if response
        .prompt_feedback
        .as_ref()
        .and_then(|f| f.block_reason.as_ref())
        .is_some()
    {
        // The prompt itself was blocked: no candidates at all.
        Some(FinishReason::ContentFilter)
    } else {
        None
    };
    let content = if text.is_empty() && !calls.is_empty() {
        None
    } else {
        Some(text.as_str())
    };
    let body = completion_json(meta, content, &calls, finish, &usage);
    Ok(ChatOutcome {
        body,
        usage,
        finish_reason: finish,
    })
}
