//! `/v1/messages` for non-Claude models: our `chat.completion` answer translated into an Anthropic message.

use super::wire::stop_reason_from_finish;
use crate::providers::{FinishReason, Usage};
use serde_json::{Map, Value, json};

/// `msg_…` id for a completion id (stable, so retries and replays agree).
pub(crate) fn message_id(id: &str) -> String {
    if id.starts_with("msg_") {
        id.to_string()
    } else {
        format!("msg_{}", id.strip_prefix("chatcmpl-").unwrap_or(id))
    }
}

/// Tool arguments as an input object; text that is not a JSON object is kept under
/// `_raw_arguments` rather than lost.
pub(crate) fn arguments_to_input(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ if arguments.trim().is_empty() => json!({}),
        _ => json!({"_raw_arguments": arguments}),
    }
}

/// Turns our `chat.completion` JSON (from [`crate::providers::parse_chat_response`]) into an
/// Anthropic `message`: text and `tool_use` blocks, `stop_reason`, and usage in Anthropic's terms.
pub fn chat_response_to_message(completion: &Value, usage: &Usage) -> Value {
    let choice = completion
        .get("choices")
        .and_then(|c| c.get(0))
        .unwrap_or(&Value::Null);
    let message = choice.get("message").unwrap_or(&Value::Null);
    let mut content = Vec::new();
    if let Some(text) = message
        .get("content")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        content.push(json!({"type": "text", "text": text}));
    }
    for call in message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let function = call.get("function").unwrap_or(&Value::Null);
        content.push(json!({
            "type": "tool_use",
            "id": call.get("id").and_then(Value::as_str).unwrap_or(""),
            "name": function.get("name").and_then(Value::as_str).unwrap_or(""),
            "input": arguments_to_input(function.get("arguments").and_then(Value::as_str).unwrap_or("")),
        }));
    }
    let finish = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .and_then(FinishReason::from_openai);
    let mut out = Map::new();
    out.insert(
        "id".into(),
        json!(message_id(
            completion.get("id").and_then(Value::as_str).unwrap_or("")
        )),
    );
    out.insert("type".into(), json!("message"));
    out.insert("role".into(), json!("assistant"));
    out.insert(
        "model".into(),
        completion.get("model").cloned().unwrap_or(Value::Null),
    );
    out.insert("content".into(), Value::Array(content));
    out.insert("stop_reason".into(), json!(stop_reason_from_finish(finish)));
    out.insert("stop_sequence".into(), Value::Null);
    out.insert("usage".into(), usage.to_anthropic_json());
    Value::Object(out)
}
