//! Anthropic Messages SSE events → OpenAI `chat.completion.chunk` frames.

use super::wire::{WireUsage, finish_from_stop_reason};
use crate::providers::completion::ChunkWriter;
use crate::providers::error::from_stream_error;
use crate::providers::{FinishReason, ProviderError, ProviderKind, Usage};
use serde_json::Value;

/// Translator state for one Anthropic stream.
#[derive(Debug, Clone)]
pub(crate) struct AnthropicStream {
    writer: ChunkWriter,
    raw_usage: WireUsage,
    pub usage: Usage,
    pub finish: Option<FinishReason>,
    pub done: bool,
    pub output_bytes: usize,
    started: bool,
    /// Anthropic content-block index → OpenAI tool-call index, for `tool_use` blocks.
    tool_blocks: Vec<(u64, usize)>,
}

impl AnthropicStream {
    pub fn new(writer: ChunkWriter) -> Self {
        AnthropicStream {
            writer,
            raw_usage: WireUsage::default(),
            usage: Usage::default(),
            finish: None,
            done: false,
            output_bytes: 0,
            started: false,
            tool_blocks: Vec::new(),
        }
    }

    pub fn writer(&self) -> &ChunkWriter {
        &self.writer
    }

    fn merge_usage(&mut self, usage: Option<&Value>) {
        if let Some(u) = WireUsage::from_value(usage) {
            self.raw_usage.merge_from(&u);
            self.usage = self.raw_usage.to_usage();
        }
    }

    /// Emits the role chunk before the first content, once.
    fn start(&mut self, out: &mut Vec<String>) {
        if !self.started {
            self.started = true;
            out.push(self.writer.role());
        }
    }

    /// One upstream event. The event name is taken from `event:` or, failing that, the `type`
    /// inside the data; unknown events are ignored as Anthropic's versioning policy asks.
    pub fn on_event(
        &mut self,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<String>, ProviderError> {
        let kind = ProviderKind::Anthropic;
        let value: Value =
            serde_json::from_str(data).map_err(|e| ProviderError::unreadable(kind, e))?;
        let name = event
            .filter(|e| !e.is_empty())
            .or_else(|| value.get("type").and_then(Value::as_str))
            .unwrap_or("");
        let mut out = Vec::new();
        match name {
            "error" => return Err(from_stream_error(kind, &value)),
            "message_start" => {
                self.merge_usage(value.get("message").and_then(|m| m.get("usage")));
                self.start(&mut out);
            }
            "content_block_start" => {
                let block = value.get("content_block").unwrap_or(&Value::Null);
                let index = value.get("index").and_then(Value::as_u64).unwrap_or(0);
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        let text = block.get("text").and_then(Value::as_str).unwrap_or("");
                        self.start(&mut out);
                        if !text.is_empty() {
                            self.output_bytes += text.len();
                            out.push(self.writer.text(text));
                        }
                    }
                    Some("tool_use") => {
                        let call_index = self.tool_blocks.len();
                        self.tool_blocks.push((index, call_index));
                        let id = block.get("id").and_then(Value::as_str).unwrap_or("");
                        let name = block.get("name").and_then(Value::as_str).unwrap_or("");
                        self.start(&mut out);
                        out.push(self.writer.tool_start(call_index, id, name, ""));
                    }
                    // thinking, redacted_thinking, server tools: not part of an OpenAI answer.
                    _ => {}
                }
            }
            "content_block_delta" => {
                let index = value.get("index").and_then(Value::as_u64).unwrap_or(0);
                let delta = value.get("delta").unwrap_or(&Value::Null);
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        let text = delta.get("text").and_then(Value::as_str).unwrap_or("");
                        if !text.is_empty() {
                            self.start(&mut out);
                            self.output_bytes += text.len();
                            out.push(self.writer.text(text));
                        }
                    }
                    Some("input_json_delta") => {
                        let fragment = delta
                            .get("partial_json")
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        let call = self
                            .tool_blocks
                            .iter()
                            .find(|(block, _)| *block == index)
                            .map(|(_, c)| *c);
                        if let (Some(call_index), false) = (call, fragment.is_empty()) {
                            self.output_bytes += fragment.len();
                            out.push(self.writer.tool_args(call_index, fragment));
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = value
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str)
                {
                    self.finish = Some(finish_from_stop_reason(reason));
                }
                self.merge_usage(value.get("usage"));
            }
            "message_stop" => self.done = true,
            // ping, content_block_stop and anything new.
            _ => {}
        }
        Ok(out)
    }

    /// The finish chunk (once the stop reason is known) and the usage chunk if requested.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(reason) = self.finish {
            self.start(&mut out);
            out.push(self.writer.finish(reason));
        }
        if self.writer.include_usage && self.usage.is_reported() {
            out.push(self.writer.usage(&self.usage));
        }
        out
    }
}
