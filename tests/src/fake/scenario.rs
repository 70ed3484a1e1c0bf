//! What the fake answers: the provider a request is for, the scenario its last user message
//! asks for, and the fixture (or error) that scenario replays.

use super::{fixture, fixtures_dir, json_response};
use axum::body::Body;
use axum::http::Response;
use hexaclaw_shared::providers::ProviderKind;
use serde_json::{Value, json};

/// The provider a request is for: by path, and on the shared OpenAI path by model.
pub fn provider_for(path: &str, body: &Value) -> Option<ProviderKind> {
    match path {
        "/chat/completions" => Some(ProviderKind::DeepSeek),
        "/openai/v1/chat/completions" => Some(ProviderKind::Groq),
        "/v1/messages" => Some(ProviderKind::Anthropic),
        "/v1/chat/completions" => {
            let model = body["model"].as_str().unwrap_or("");
            Some(if model.starts_with("grok") {
                ProviderKind::Xai
            } else if [
                "mistral",
                "codestral",
                "magistral",
                "ministral",
                "pixtral",
                "open-mistral",
            ]
            .iter()
            .any(|p| model.starts_with(p))
            {
                ProviderKind::Mistral
            } else {
                ProviderKind::OpenAi
            })
        }
        p if p.starts_with("/v1beta/models/")
            && (p.ends_with(":generateContent") || p.ends_with(":streamGenerateContent")) =>
        {
            Some(ProviderKind::Gemini)
        }
        _ => None,
    }
}

/// The text of the last user message, in any of the three wire formats.
pub fn last_user_text(kind: ProviderKind, body: &Value) -> String {
    let (list, parts_key) = match kind {
        ProviderKind::Gemini => ("contents", "parts"),
        _ => ("messages", "content"),
    };
    let Some(last) = body[list].as_array().and_then(|m| {
        m.iter()
            .rev()
            .find(|m| m["role"].as_str().is_none_or(|r| r == "user"))
    }) else {
        return String::new();
    };
    match &last[parts_key] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

pub(super) fn error_tag(text: &str) -> Option<u16> {
    let at = text.find("[error")?;
    let rest = &text[at + 6..];
    let end = rest.find(']')?;
    rest[..end].parse().ok()
}

pub(super) fn fixture_tag(text: &str) -> Option<String> {
    let at = text.find("[fixture:")?;
    let rest = &text[at + 9..];
    Some(rest[..rest.find(']')?].to_owned())
}

/// `error_<code>*.json` of the provider (or of OpenAI for OpenAI-format providers), else a
/// body in the provider's error shape.
pub(super) fn error_response(kind: ProviderKind, code: u16) -> Response<Body> {
    let mut dirs = vec![kind.name()];
    if kind.is_openai_format() && kind != ProviderKind::OpenAi {
        dirs.push("openai");
    }
    for dir in dirs {
        let prefix = format!("error_{code}");
        let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join(dir))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(&prefix) && n.ends_with(".json"))
            .collect();
        names.sort();
        if let Some(n) = names.first() {
            return json_response(code, fixture(dir, n));
        }
    }
    let message = format!("fake upstream error {code}");
    let body = match kind {
        ProviderKind::Anthropic => {
            json!({"type": "error", "error": {"type": "api_error", "message": message}})
        }
        ProviderKind::Gemini => {
            json!({"error": {"code": code, "message": message, "status": "UNAVAILABLE"}})
        }
        _ => {
            json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}})
        }
    };
    json_response(code, body.to_string())
}

/// (directory, file, assemble) for a scenario. With `assemble` the non-streamed answer is built
/// from that OpenAI-format stream fixture (no provider publishes one for tool calls).
pub(super) fn scenario_fixture(
    kind: ProviderKind,
    tool: bool,
    stream: bool,
) -> (&'static str, String, bool) {
    use ProviderKind::*;
    let own = kind.name();
    let (dir, name, assemble) = match (kind, tool, stream) {
        (Groq, false, false) => (own, "response_short.json", false),
        (_, false, false) => (own, "response.json", false),
        (_, false, true) => (own, "stream.sse", false),
        (Anthropic, true, true) => (own, "stream_tool_use.sse", false),
        (Anthropic, true, false) => (own, "response_tool_use_nonstream.json", false),
        (Gemini, true, true) => (own, "stream_function_call.sse", false),
        (Gemini, true, false) => (own, "response_function_call.json", false),
        (DeepSeek, true, s) => (own, "stream_tool_calls.sse", !s),
        (Mistral, true, false) => (own, "response_docs_example.json", false),
        (_, true, s) => ("openai", "stream_tool_calls.sse", !s),
    };
    (dir, name.to_owned(), assemble)
}

/// Split an SSE body into events (each up to and including its blank line), byte for byte.
pub fn sse_events(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = rest.find("\n\n").map_or(rest.len(), |i| i + 2);
        let (event, tail) = rest.split_at(cut);
        if event.trim().is_empty() && !out.is_empty() {
            // Extra blank lines belong to the previous event, not a new (empty) one.
            if let Some(last) = out.last_mut() {
                last.push_str(event);
            }
        } else {
            out.push(event.to_owned());
        }
        rest = tail;
    }
    out
}

/// The `chat.completion` an OpenAI-format stream adds up to: text, tool calls by index,
/// finish reason, and the last usage (`usage` or Groq's `x_groq.usage`).
pub fn assemble_openai(sse: &str) -> Value {
    let mut first: Option<Value> = None;
    let mut content = String::new();
    let mut calls: Vec<Value> = Vec::new();
    let mut finish = Value::Null;
    let mut usage = Value::Null;
    let chunks = sse
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok());
    for chunk in chunks {
        let choice = &chunk["choices"][0];
        if let Some(t) = choice["delta"]["content"].as_str() {
            content.push_str(t);
        }
        for call in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = call["index"].as_u64().unwrap_or(0) as usize;
            while calls.len() <= i {
                calls.push(json!({"id": "", "type": "function", "function": {"name": "", "arguments": ""}}));
            }
            let slot = &mut calls[i];
            if let Some(id) = call["id"].as_str() {
                slot["id"] = json!(id);
            }
            if let Some(n) = call["function"]["name"].as_str() {
                slot["function"]["name"] = json!(n);
            }
            if let Some(a) = call["function"]["arguments"].as_str() {
                let joined = format!(
                    "{}{a}",
                    slot["function"]["arguments"].as_str().unwrap_or("")
                );
                slot["function"]["arguments"] = json!(joined);
            }
        }
        if !choice["finish_reason"].is_null() {
            finish = choice["finish_reason"].clone();
        }
        for u in [&chunk["usage"], &chunk["x_groq"]["usage"]] {
            if u.is_object() {
                usage = u.clone();
            }
        }
        first.get_or_insert(chunk);
    }
    let first = first.unwrap_or(Value::Null);
    let mut message =
        json!({"role": "assistant", "content": (!content.is_empty()).then_some(content)});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    json!({
        "id": first["id"], "object": "chat.completion", "created": first["created"],
        "model": first["model"],
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": usage,
    })
}
