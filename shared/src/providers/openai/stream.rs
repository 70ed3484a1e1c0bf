//! Streaming pass-through for OpenAI-format upstreams: our id and model stamped on, usage held back and normalised.

use super::{normalise_message, usage_in};
use crate::providers::completion::ChunkWriter;
use crate::providers::error::from_stream_error;
use crate::providers::{FinishReason, ProviderError, ProviderKind, Usage};
use serde_json::{Value, json};

/// Translator state for one OpenAI-format stream.
#[derive(Debug, Clone)]
pub(crate) struct OpenAiStream {
    kind: ProviderKind,
    writer: ChunkWriter,
    pub usage: Usage,
    pub finish: Option<FinishReason>,
    finish_sent: bool,
    pub done: bool,
    pub output_bytes: usize,
}

impl OpenAiStream {
    pub fn new(kind: ProviderKind, writer: ChunkWriter) -> Self {
        OpenAiStream {
            kind,
            writer,
            usage: Usage::default(),
            finish: None,
            finish_sent: false,
            done: false,
            output_bytes: 0,
        }
    }

    pub fn writer(&self) -> &ChunkWriter {
        &self.writer
    }

    /// One upstream `data:` payload.
    pub fn on_data(&mut self, data: &str) -> Result<Vec<String>, ProviderError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(Vec::new());
        }
        if data.is_empty() {
            return Ok(Vec::new());
        }
        let mut chunk: Value =
            serde_json::from_str(data).map_err(|e| ProviderError::unreadable(self.kind, e))?;
        if chunk.get("error").is_some_and(|e| !e.is_null()) {
            return Err(from_stream_error(self.kind, &chunk));
        }
        // Providers disagree on where and how often usage appears (a final usage-only chunk,
        // the finish chunk, every chunk, or `x_groq.usage`); the latest report wins.
        if let Some(usage) = usage_in(self.kind, &chunk) {
            self.usage.merge_from(&usage);
        }
        let Some(Value::Array(choices)) = chunk.get_mut("choices") else {
            return Ok(Vec::new());
        };
        if choices.is_empty() {
            return Ok(Vec::new());
        }
        for choice in choices.iter_mut() {
            if let Some(delta) = choice.get_mut("delta") {
                normalise_message(self.kind, delta);
                self.output_bytes += delta
                    .get("content")
                    .and_then(Value::as_str)
                    .map_or(0, str::len);
                if let Some(Value::Array(calls)) = delta.get("tool_calls") {
                    self.output_bytes += calls
                        .iter()
                        .filter_map(|c| c.get("function")?.get("arguments")?.as_str())
                        .map(str::len)
                        .sum::<usize>();
                }
            }
            let reason = choice
                .get("finish_reason")
                .and_then(Value::as_str)
                .and_then(FinishReason::from_openai);
            if let Some(reason) = reason {
                self.finish = Some(reason);
                self.finish_sent = true;
                choice["finish_reason"] = json!(reason.as_str());
            }
        }
        if let Some(obj) = chunk.as_object_mut() {
            for key in ["usage", "x_groq", "usage_breakdown"] {
                obj.remove(key);
            }
        }
        Ok(vec![self.writer.finish_object(chunk)])
    }

    /// What the client has not seen yet: a finish chunk if upstream never sent one but we know
    /// the reason, and the usage chunk when the client asked for it and usage was reported.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if let (Some(reason), false) = (self.finish, self.finish_sent) {
            self.finish_sent = true;
            out.push(self.writer.finish(reason));
        }
        if self.writer.include_usage && self.usage.is_reported() {
            out.push(self.writer.usage(&self.usage));
        }
        out
    }
}
