//! `ChatStreamTranslator`: one upstream SSE stream in, OpenAI `chat.completion.chunk` frames out.

use super::anthropic::stream::AnthropicStream;
use super::completion::ChunkWriter;
use super::gemini::stream::GeminiStream;
use super::openai::stream::OpenAiStream;
use super::{FinishReason, ProviderError, ProviderKind, Usage};

/// The data of the frame that ends an OpenAI stream; write `data: [DONE]` after [`ChatStreamTranslator::finish`].
pub const DONE_DATA: &str = "[DONE]";

/// Translates one upstream stream into OpenAI chunks.
///
/// Feed every parsed SSE event to [`on_event`](Self::on_event) and send each returned string
/// as a `data: <json>\n\n` frame. When the upstream body ends, call [`finish`](Self::finish),
/// send its frames, then `data: [DONE]`. [`usage`](Self::usage) is what to bill.
#[derive(Debug, Clone)]
pub struct ChatStreamTranslator {
    inner: Inner,
    finished: bool,
}

#[derive(Debug, Clone)]
enum Inner {
    OpenAi(OpenAiStream),
    Anthropic(AnthropicStream),
    Gemini(GeminiStream),
}

impl ChatStreamTranslator {
    /// A translator stamping `id`, `model_used` and `created` on every chunk. With
    /// `include_usage` every chunk carries `"usage": null` and a final usage chunk with empty
    /// `choices` is emitted, exactly as OpenAI does for `stream_options.include_usage`.
    pub fn new(
        kind: ProviderKind,
        id: &str,
        model_used: &str,
        created: i64,
        include_usage: bool,
    ) -> Self {
        let writer = ChunkWriter {
            id: id.to_string(),
            model: model_used.to_string(),
            created,
            include_usage,
        };
        let inner = match kind {
            ProviderKind::Anthropic => Inner::Anthropic(AnthropicStream::new(writer)),
            ProviderKind::Gemini => Inner::Gemini(GeminiStream::new(writer)),
            _ => Inner::OpenAi(OpenAiStream::new(kind, writer)),
        };
        ChatStreamTranslator {
            inner,
            finished: false,
        }
    }

    /// Translates one upstream event (`event:` name if any, and its `data:`). An error event
    /// from the provider becomes `Err`; the stream should then end with that error.
    pub fn on_event(
        &mut self,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<String>, ProviderError> {
        match &mut self.inner {
            Inner::OpenAi(s) => s.on_data(data),
            Inner::Anthropic(s) => s.on_event(event, data),
            Inner::Gemini(s) => s.on_data(data),
        }
    }

    /// The closing chunks: the finish-reason chunk (if not already sent) and, with
    /// `include_usage`, the usage chunk when the provider reported usage. Idempotent.
    pub fn finish(&mut self) -> Vec<String> {
        if self.finished {
            return Vec::new();
        }
        self.finished = true;
        match &mut self.inner {
            Inner::OpenAi(s) => s.finish(),
            Inner::Anthropic(s) => s.finish(),
            Inner::Gemini(s) => s.finish(),
        }
    }

    /// Usage reported so far, or `None` if the provider reported nothing (estimate instead).
    /// Before [`upstream_complete`](Self::upstream_complete) the output count may be partial
    /// (Anthropic and Gemini report input first), so a cut-off stream should be billed on the
    /// larger of this and an estimate from [`output_bytes`](Self::output_bytes).
    pub fn usage(&self) -> Option<Usage> {
        let usage = match &self.inner {
            Inner::OpenAi(s) => s.usage,
            Inner::Anthropic(s) => s.usage,
            Inner::Gemini(s) => s.usage,
        };
        usage.is_reported().then_some(usage)
    }

    /// The finish reason, once the provider has given one.
    pub fn finish_reason(&self) -> Option<FinishReason> {
        match &self.inner {
            Inner::OpenAi(s) => s.finish,
            Inner::Anthropic(s) => s.finish,
            Inner::Gemini(s) => s.finish,
        }
    }

    /// True once the provider signalled the end of its answer (`[DONE]`, `message_stop`, or a
    /// Gemini finish reason). A body that ends before this was cut off.
    pub fn upstream_complete(&self) -> bool {
        match &self.inner {
            Inner::OpenAi(s) => s.done,
            Inner::Anthropic(s) => s.done,
            Inner::Gemini(s) => s.finish.is_some(),
        }
    }

    /// Bytes of answer text and tool arguments produced so far (for an estimate when the
    /// provider never reports usage).
    pub fn output_bytes(&self) -> usize {
        match &self.inner {
            Inner::OpenAi(s) => s.output_bytes,
            Inner::Anthropic(s) => s.output_bytes,
            Inner::Gemini(s) => s.output_bytes,
        }
    }

    /// A usage chunk for `usage`, e.g. an estimate when the provider reported none.
    pub fn usage_chunk(&self, usage: &Usage) -> String {
        let writer = match &self.inner {
            Inner::OpenAi(s) => s.writer(),
            Inner::Anthropic(s) => s.writer(),
            Inner::Gemini(s) => s.writer(),
        };
        writer.usage(usage)
    }
}
