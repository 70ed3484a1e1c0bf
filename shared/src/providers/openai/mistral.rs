//! Mistral quirks: a strict request schema (unknown fields are a 422), `random_seed`, 9-character tool call ids, content arrays.

use crate::providers::chat::ValidationError;
use serde_json::{Map, Value, json};

/// Top-level fields Mistral accepts; anything else makes it answer 422 `extra_forbidden`.
/// It always reports usage in the last stream chunk, so `stream_options` is dropped too.
const ALLOWED: &[&str] = &[
    "model",
    "messages",
    "temperature",
    "top_p",
    "max_tokens",
    "stream",
    "stop",
    "random_seed",
    "response_format",
    "tools",
    "tool_choice",
    "presence_penalty",
    "frequency_penalty",
    "n",
    "parallel_tool_calls",
    "prediction",
    "prompt_mode",
    "safe_prompt",
];

pub(super) fn adjust_request(body: &mut Map<String, Value>) -> Result<(), ValidationError> {
    if let Some(seed) = body.remove("seed") {
        body.entry("random_seed").or_insert(seed);
    }
    body.retain(|key, _| ALLOWED.contains(&key.as_str()));
    if let Some(Value::Array(messages)) = body.get_mut("messages") {
        for message in messages.iter_mut().filter_map(Value::as_object_mut) {
            if message.get("role").and_then(Value::as_str) != Some("tool") {
                message.remove("name");
            }
            if let Some(Value::String(id)) = message.get("tool_call_id") {
                let mapped = tool_id(id);
                message.insert("tool_call_id".into(), json!(mapped));
            }
            if let Some(Value::Array(calls)) = message.get_mut("tool_calls") {
                for call in calls.iter_mut() {
                    if let Some(id) = call.get("id").and_then(Value::as_str) {
                        call["id"] = json!(tool_id(id));
                    }
                }
            }
        }
    }
    Ok(())
}

const BASE62: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Mistral only accepts tool call ids matching `^[a-zA-Z0-9]{9}$`. Other ids (OpenAI's
/// `call_…`, Anthropic's `toolu_…`) are hashed to 9 characters, the same way every time, so an
/// assistant call and the tool result that answers it still match.
pub(crate) fn tool_id(id: &str) -> String {
    if id.len() == 9 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return id.to_string();
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (0..9)
        .map(|_| {
            let digit = (hash % 62) as usize;
            hash /= 62;
            char::from(BASE62[digit])
        })
        .collect()
}

/// Magistral models send `content` as an array of typed chunks (`text`, `thinking`); clients
/// expect a string, so the text chunks are joined and the thinking dropped.
pub(super) fn flatten_content(message: &mut Value) {
    let Some(Value::Array(chunks)) = message.get("content") else {
        return;
    };
    let text: String = chunks
        .iter()
        .filter(|c| c.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|c| c.get("text").and_then(Value::as_str))
        .collect();
    message["content"] = json!(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_ids_are_nine_alphanumerics_and_stable() {
        let a = tool_id("call_DdmO9pD3xa9XTPNJ32zg2hcA");
        assert_eq!(a.len(), 9);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(a, tool_id("call_DdmO9pD3xa9XTPNJ32zg2hcA"));
        assert_ne!(a, tool_id("call_DdmO9pD3xa9XTPNJ32zg2hcB"));
        assert_eq!(tool_id("D681PevKs"), "D681PevKs");
    }

    #[test]
    fn content_arrays_become_text() {
        let mut m = json!({"content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "plan"}]},
            {"type": "text", "text": "answer "},
            {"type": "text", "text": "done"}
        ]});
        flatten_content(&mut m);
        assert_eq!(m["content"], "answer done");
    }
}
