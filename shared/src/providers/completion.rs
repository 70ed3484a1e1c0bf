//! Builders for the OpenAI JSON we return: `chat.completion` bodies and `chat.completion.chunk` frames.

use super::chat::ToolCall;
use super::{FinishReason, Usage};
use serde_json::{Value, json};

/// The identity we stamp on every response: our generation id, the model we report, the time.
pub(crate) struct Meta<'a> {
    pub id: &'a str,
    pub model: &'a str,
    pub created: i64,
}

/// OpenAI's JSON for one tool call.
pub(crate) fn tool_call_json(call: &ToolCall) -> Value {
    json!({
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    })
}

/// A complete `chat.completion` body with one choice.
pub(crate) fn completion_json(
    meta: &Meta<'_>,
    content: Option<&str>,
    tool_calls: &[ToolCall],
    finish: Option<FinishReason>,
    usage: &Usage,
) -> Value {
    let mut message = json!({"role": "assistant", "content": content});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls.iter().map(tool_call_json).collect());
    }
    json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish.map(FinishReason::as_str),
        }],
        "usage": usage.to_openai_json(),
    })
}

/// Writes `chat.completion.chunk` JSON strings for one stream.
#[derive(Debug, Clone)]
pub(crate) struct ChunkWriter {
    pub id: String,
    pub model: String,
    pub created: i64,
    /// OpenAI sets `"usage": null` on every chunk but the last when usage was requested.
    pub include_usage: bool,
}

impl ChunkWriter {
    /// Stamps our identity on a chunk object and serialises it.
    pub fn finish_object(&self, mut chunk: Value) -> String {
        chunk["id"] = json!(self.id);
        chunk["object"] = json!("chat.completion.chunk");
        chunk["created"] = json!(self.created);
        chunk["model"] = json!(self.model);
        if self.include_usage {
            if chunk.get("usage").is_none() {
                chunk["usage"] = Value::Null;
            }
        } else if let Some(obj) = chunk.as_object_mut() {
            obj.remove("usage");
        }
        chunk.to_string()
    }

    fn delta(&self, delta: Value, finish: Option<FinishReason>) -> String {
        self.finish_object(json!({
            "choices": [{
                "index": 0,
                "delta": delta,
                "logprobs": null,
                "finish_reason": finish.map(FinishReason::as_str),
            }],
        }))
    }

    /// The opening chunk: `{"role":"assistant","content":""}`.
    pub fn role(&self) -> String {
        self.delta(json!({"role": "assistant", "content": ""}), None)
    }

    /// A text fragment.
    pub fn text(&self, text: &str) -> String {
        self.delta(json!({"content": text}), None)
    }

    /// The first chunk of a tool call: index, id, name and (possibly empty) arguments.
    pub fn tool_start(&self, index: usize, id: &str, name: &str, arguments: &str) -> String {
        self.delta(
            json!({"tool_calls": [{
                "index": index,
                "id": id,
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }]}),
            None,
        )
    }

    /// A further fragment of a tool call's arguments.
    pub fn tool_args(&self, index: usize, fragment: &str) -> String {
        self.delta(
            json!({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}),
            None,
        )
    }

    /// The closing chunk: empty delta with the finish reason.
    pub fn finish(&self, reason: FinishReason) -> String {
        self.delta(json!({}), Some(reason))
    }

    /// The usage chunk OpenAI sends last when `include_usage` is set: no choices, only usage.
    pub fn usage(&self, usage: &Usage) -> String {
        self.finish_object(json!({"choices": [], "usage": usage.to_openai_json()}))
    }
}
