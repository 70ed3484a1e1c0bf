//! OpenAI `chat.completion.chunk` frames → the Anthropic Messages SSE event sequence.

use super::to_message::message_id;
use super::wire::stop_reason_from_finish;
use crate::providers::error::from_stream_error;
use crate::providers::openai::usage_in;
use crate::providers::{FinishReason, ProviderError, ProviderKind, Usage};
use serde_json::{Value, json};

/// The content block currently open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text { block: usize },
    Tool { block: usize },
}

/// Turns OpenAI chunks (from [`crate::providers::ChatStreamTranslator`] or a raw OpenAI-format
/// upstream) into `(event_name, data_json)` pairs: `message_start`, then per content block
/// `content_block_start` / `content_block_delta` (`text_delta`, `input_json_delta`) /
/// `content_block_stop`, then `message_delta` (stop reason, usage) and `message_stop`.
///
/// Parallel tool calls are expected one after another, as OpenAI streams them; a fragment for
/// an earlier, already closed call is still sent with that call's block index.
#[derive(Debug, Clone)]
pub struct ChatToMessagesStream {
    id: String,
    model: String,
    started: bool,
    finished: bool,
    next_block: usize,
    open: Option<Open>,
    /// OpenAI tool-call index → Anthropic block index.
    tool_blocks: Vec<(u64, usize)>,
    finish: Option<FinishReason>,
    usage: Usage,
}

fn event(name: &str, data: Value) -> (String, String) {
    (name.to_string(), data.to_string())
}

impl ChatToMessagesStream {
    /// A stream for message `id` (given a `msg_` prefix if it lacks one) answered by `model`.
    pub fn new(id: &str, model: &str) -> Self {
        ChatToMessagesStream {
            id: message_id(id),
            model: model.to_string(),
            started: false,
            finished: false,
            next_block: 0,
            open: None,
            tool_blocks: Vec::new(),
            finish: None,
            usage: Usage::default(),
        }
    }

    fn start(&mut self, out: &mut Vec<(String, String)>) {
        if self.started {
            return;
        }
        self.started = true;
        // Input tokens are not known until the end; they are repeated in `message_delta`.
        out.push(event(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": self.id, "type": "message", "role": "assistant", "model": self.model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }}),
        ));
    }

    fn close(&mut self, out: &mut Vec<(String, String)>) {
        if let Some(open) = self.open.take() {
            let index = match open {
                Open::Text { block } | Open::Tool { block } => block,
            };
            out.push(event(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": index}),
            ));
        }
    }

    fn open_block(&mut self, out: &mut Vec<(String, String)>, block: Value) -> usize {
        self.close(out);
        let index = self.next_block;
        self.next_block += 1;
        out.push(event(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": block}),
        ));
        index
    }

    /// One OpenAI chunk (JSON text). An `{"error":…}` chunk becomes `Err`.
    pub fn on_chunk(&mut self, chunk: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let value: Value = serde_json::from_str(chunk)
            .map_err(|e| ProviderError::unreadable(ProviderKind::OpenAi, e))?;
        if value.get("error").is_some_and(|e| !e.is_null()) {
            return Err(from_stream_error(ProviderKind::OpenAi, &value));
        }
        let mut out = Vec::new();
        self.start(&mut out);
        if let Some(usage) = usage_in(ProviderKind::OpenAi, &value) {
            self.usage.merge_from(&usage);
        }
        let Some(choice) = value.get("choices").and_then(|c| c.get(0)) else {
            return Ok(out);
        };
        let delta = choice.get("delta").unwrap_or(&Value::Null);
        if let Some(text) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            let block = match self.open {
                Some(Open::Text { block }) => block,
                _ => {
                    let block = self.open_block(&mut out, json!({"type": "text", "text": ""}));
                    self.open = Some(Open::Text { block });
                    block
                }
            };
            out.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": block, "delta": {"type": "text_delta", "text": text}}),
            ));
        }
        for call in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.on_tool_delta(call, &mut out);
        }
        if let Some(reason) = choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .and_then(FinishReason::from_openai)
        {
            self.finish = Some(reason);
        }
        Ok(out)
    }

    fn on_tool_delta(&mut self, call: &Value, out: &mut Vec<(String, String)>) {
        let index = call.get("index").and_then(Value::as_u64).unwrap_or(0);
        let function = call.get("function").unwrap_or(&Value::Null);
        let known = self
            .tool_blocks
            .iter()
            .find(|(c, _)| *c == index)
            .map(|(_, b)| *b);
        let block = match known {
            Some(block) => block,
            None => {
                let block = self.open_block(
                    out,
                    json!({
                        "type": "tool_use",
                        "id": call.get("id").and_then(Value::as_str).unwrap_or(""),
                        "name": function.get("name").and_then(Value::as_str).unwrap_or(""),
                        "input": {},
                    }),
                );
                self.tool_blocks.push((index, block));
                self.open = Some(Open::Tool { block });
                block
            }
        };
        if let Some(fragment) = function
            .get("arguments")
            .and_then(Value::as_str)
            .filter(|f| !f.is_empty())
        {
            out.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": block, "delta": {"type": "input_json_delta", "partial_json": fragment}}),
            ));
        }
    }

    /// Closes the message: the open block's `content_block_stop`, `message_delta` with the stop
    /// reason and usage, and `message_stop`. `usage`, when given, replaces what the chunks
    /// reported (pass the translator's usage, or an estimate). Idempotent.
    pub fn finish(&mut self, usage: Option<Usage>) -> Vec<(String, String)> {
        if self.finished {
            return Vec::new();
        }
        self.finished = true;
        let mut out = Vec::new();
        self.start(&mut out);
        self.close(&mut out);
        if let Some(u) = usage {
            self.usage = u;
        }
        out.push(event(
            "message_delta",
            json!({"type": "message_delta",
                   "delta": {"stop_reason": stop_reason_from_finish(self.finish), "stop_sequence": null},
                   "usage": self.usage.to_anthropic_json()}),
        ));
        out.push(event("message_stop", json!({"type": "message_stop"})));
        out
    }
}
