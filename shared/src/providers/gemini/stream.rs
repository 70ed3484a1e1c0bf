//! Gemini `streamGenerateContent?alt=sse` events → OpenAI `chat.completion.chunk` frames.

use super::tool_call_id;
use super::wire::{WireResponse, finish_from_gemini};
use crate::providers::completion::ChunkWriter;
use crate::providers::error::from_stream_error;
use crate::providers::{FinishReason, ProviderError, ProviderKind, Usage};
use serde_json::Value;

/// Translator state for one Gemini stream. Each event is a whole `GenerateContentResponse`:
/// text arrives in pieces, function calls arrive whole, and `usageMetadata` is repeated with
/// running totals (the last one is final).
#[derive(Debug, Clone)]
pub(crate) struct GeminiStream {
    writer: ChunkWriter,
    pub usage: Usage,
    pub finish: Option<FinishReason>,
    pub output_bytes: usize,
    started: bool,
    tool_calls: usize,
}

impl GeminiStream {
    pub fn new(writer: ChunkWriter) -> Self {
        GeminiStream {
            writer,
            usage: Usage::default(),
            finish: None,
            output_bytes: 0,
            started: false,
            tool_calls: 0,
        }
    }

    pub fn writer(&self) -> &ChunkWriter {
        &self.writer
    }

    /// One `data:` payload.
    pub fn on_data(&mut self, data: &str) -> Result<Vec<String>, ProviderError> {
        let kind = ProviderKind::Gemini;
        let value: Value =
            serde_json::from_str(data).map_err(|e| ProviderError::unreadable(kind, e))?;
        if value.get("error").is_some_and(|e| !e.is_null()) {
            return Err(from_stream_error(kind, &value));
        }
        let response: WireResponse =
            serde_json::from_value(value).map_err(|e| ProviderError::unreadable(kind, e))?;
        if let Some(u) = &response.usage_metadata {
            // Running totals: the latest report replaces earlier ones wholesale.
            let latest = u.to_usage();
            if latest.is_reported() {
                self.usage = latest;
            }
        }
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out.push(self.writer.role());
        }
        let candidate = response.candidates.first();
        for part in candidate
            .and_then(|c| c.content.as_ref())
            .map(|c| c.parts.as_slice())
            .unwrap_or_default()
        {
            if part.thought == Some(true) {
                continue;
            }
            if let Some(text) = part.text.as_deref().filter(|t| !t.is_empty()) {
                self.output_bytes += text.len();
                out.push(self.writer.text(text));
            }
            if let Some(call) = &part.function_call {
                let index = self.tool_calls;
                self.tool_calls += 1;
                let id = tool_call_id(&self.writer.id, call.id.as_deref(), index);
                let args = call
                    .args
                    .clone()
                    .unwrap_or_else(|| Value::Object(Default::default()))
                    .to_string();
                self.output_bytes += args.len();
                out.push(self.writer.tool_start(index, &id, &call.name, &args));
            }
        }
        if let Some(reason) = candidate
            .and_then(|c| c.finish_reason.as_deref())
            .and_then(finish_from_gemini)
        {
            self.finish = Some(reason);
        } else if response
            .prompt_feedback
            .as_ref()
            .and_then(|f| f.block_reason.as_ref())
            .is_some()
        {
            self.finish = Some(FinishReason::ContentFilter);
        }
        Ok(out)
    }

    /// The finish chunk and, if requested and reported, the usage chunk.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let reason = match self.finish {
            Some(FinishReason::Stop) if self.tool_calls > 0 => Some(FinishReason::ToolCalls),
            other => other,
        };
        if let Some(reason) = reason {
            self.finish = Some(reason);
            out.push(self.writer.finish(reason));
        }
        if self.writer.include_usage && self.usage.is_reported() {
            out.push(self.writer.usage(&self.usage));
        }
        out
    }
}
