//! OpenAI chat completions, also serving xAI, DeepSeek, Mistral and Groq, whose quirks live in their own files.

mod deepseek;
mod groq;
mod mistral;
pub(crate) mod stream;
mod wire;
mod xai;

use super::chat::{ChatRequest, ResponseFormat, ToolChoice, ValidationError};
use super::completion::Meta;
use super::error::from_stream_error;
use super::{ChatOutcome, FinishReason, ProviderError, ProviderKind, Usage};
use serde_json::{Map, Value, json};

/// The documented chat path for an OpenAI-format provider.
pub(crate) fn request_path(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::DeepSeek => "/chat/completions",
        ProviderKind::Groq => "/openai/v1/chat/completions",
        _ => "/v1/chat/completions",
    }
}

/// The JSON body for an OpenAI-format provider, with that provider's quirks applied.
pub(crate) fn build_request_body(
    kind: ProviderKind,
    req: &ChatRequest,
    upstream_model: &str,
    stream: bool,
) -> Result<Value, ValidationError> {
    let mut body = Map::new();
    // Unknown fields first, so nothing a client sends can override what we set below.
    for (key, value) in &req.extra {
        body.insert(key.clone(), value.clone());
    }
    body.insert("model".into(), json!(upstream_model));
    body.insert(
        "messages".into(),
        Value::Array(wire::messages_json(kind, &req.messages)?),
    );
    if stream {
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(max) = req.max_tokens {
        // OpenAI's reasoning models refuse `max_tokens`; the others only know `max_tokens`.
        let key = if kind == ProviderKind::OpenAi {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(key.into(), json!(max));
    }
    if !req.tools.is_empty() {
        body.insert(
            "tools".into(),
            Value::Array(req.tools.iter().map(wire::tool_json).collect()),
        );
    }
    if let Some(choice) = &req.tool_choice {
        let v = match choice {
            ToolChoice::None => json!("none"),
            ToolChoice::Auto => json!("auto"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Function(name) => json!({"type": "function", "function": {"name": name}}),
        };
        body.insert("tool_choice".into(), v);
    }
    if let Some(p) = req.parallel_tool_calls {
        body.insert("parallel_tool_calls".into(), json!(p));
    }
    if let Some(format) = &req.response_format {
        body.insert("response_format".into(), response_format_json(format));
    }
    if !req.stop.is_empty() {
        body.insert("stop".into(), json!(req.stop));
    }
    if let Some(user) = &req.user {
        body.insert("user".into(), json!(user));
    }
    if let Some(seed) = req.seed {
        body.insert("seed".into(), json!(seed));
    }
    match kind {
        ProviderKind::Mistral => mistral::adjust_request(&mut body)?,
        ProviderKind::Groq => groq::adjust_request(&mut body)?,
        ProviderKind::DeepSeek => deepseek::adjust_request(&mut body, req)?,
        _ => {}
    }
    Ok(Value::Object(body))
}

fn response_format_json(format: &ResponseFormat) -> Value {
    match format {
        ResponseFormat::Text => json!({"type": "text"}),
        ResponseFormat::JsonObject => json!({"type": "json_object"}),
        ResponseFormat::JsonSchema {
            name,
            description,
            schema,
            strict,
        } => {
            let mut spec = json!({"name": name, "schema": schema});
            if let Some(d) = description {
                spec["description"] = json!(d);
            }
            if let Some(s) = strict {
                spec["strict"] = json!(s);
            }
            json!({"type": "json_schema", "json_schema": spec})
        }
    }
}

/// Normalised usage from an OpenAI-format `usage` object (see [`Usage`] for the conventions).
pub(crate) fn usage_from_value(kind: ProviderKind, usage: &Value) -> Usage {
    let mut out = Usage {
        prompt_tokens: super::usage::count(usage, "prompt_tokens"),
        completion_tokens: super::usage::count(usage, "completion_tokens"),
        cached_tokens: super::usage::nested_count(usage, "prompt_tokens_details", "cached_tokens"),
        cache_creation_tokens: None,
        reasoning_tokens: super::usage::nested_count(
            usage,
            "completion_tokens_details",
            "reasoning_tokens",
        ),
    };
    match kind {
        ProviderKind::DeepSeek => deepseek::adjust_usage(usage, &mut out),
        ProviderKind::Xai => xai::adjust_usage(usage, &mut out),
        _ => {}
    }
    out
}

/// Usage reported anywhere in a response or chunk: `usage`, or Groq's `x_groq.usage`.
pub(crate) fn usage_in(kind: ProviderKind, value: &Value) -> Option<Usage> {
    let raw = value
        .get("usage")
        .filter(|u| u.is_object())
        .or_else(|| groq::usage_location(value))?;
    Some(usage_from_value(kind, raw))
}

/// Makes one message or delta object look like OpenAI's: text content, string arguments.
pub(crate) fn normalise_message(kind: ProviderKind, message: &mut Value) {
    if kind == ProviderKind::Mistral {
        mistral::flatten_content(message);
    }
    if let Some(Value::Array(calls)) = message.get_mut("tool_calls") {
        for call in calls {
            if let Some(args) = call
                .get_mut("function")
                .and_then(|f| f.get_mut("arguments"))
                && !args.is_string()
                && !args.is_null()
            {
                *args = json!(args.to_string());
            }
        }
    }
}

/// Translates a non-streaming OpenAI-format body.
pub(crate) fn parse_response(
    kind: ProviderKind,
    body: &[u8],
    meta: &Meta<'_>,
) -> Result<ChatOutcome, ProviderError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ProviderError::unreadable(kind, e))?;
    if value.get("error").is_some_and(|e| !e.is_null()) {
        return Err(from_stream_error(kind, &value));
    }
    let choice = value
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| ProviderError::unreadable(kind, "no choices in the completion"))?;
    let mut message = choice
        .get("message")
        .cloned()
        .unwrap_or_else(|| json!({"role": "assistant", "content": null}));
    normalise_message(kind, &mut message);
    if let Some(Value::Array(calls)) = message.get_mut("tool_calls") {
        for call in calls.iter_mut().filter_map(Value::as_object_mut) {
            call.remove("index");
        }
    }
    let finish = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .and_then(FinishReason::from_openai);
    let usage = usage_in(kind, &value).unwrap_or_default();
    let mut out = json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": choice.get("logprobs").cloned().unwrap_or(Value::Null),
            "finish_reason": finish.map(FinishReason::as_str),
        }],
        "usage": usage.to_openai_json(),
    });
    if let Some(fp) = value.get("system_fingerprint").filter(|v| v.is_string()) {
        out["system_fingerprint"] = fp.clone();
    }
    Ok(ChatOutcome {
        body: out,
        usage,
        finish_reason: finish,
    })
}
