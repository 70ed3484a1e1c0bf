//! Anthropic Messages wire types we read (responses, usage) and the stop-reason vocabulary.

use crate::providers::{FinishReason, Usage};
use serde::Deserialize;
use serde_json::Value;

/// A `message` object (non-streaming body, or `message_start.message`).
#[derive(Debug, Deserialize)]
pub(super) struct WireMessage {
    #[serde(default)]
    pub content: Vec<WireBlock>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

/// A content block; types we do not translate (thinking, server tool results…) are `Other`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum WireBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

/// Anthropic's usage counters, as reported (`input_tokens` excludes cache reads and writes).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Reads a `usage` object leniently: unknown or malformed fields count as unreported.
    pub fn from_value(value: Option<&Value>) -> Option<WireUsage> {
        value.and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Keeps earlier counters that `later` does not repeat (`message_delta` often carries only
    /// `output_tokens`, which is cumulative).
    pub fn merge_from(&mut self, later: &WireUsage) {
        for (slot, value) in [
            (&mut self.input_tokens, later.input_tokens),
            (&mut self.output_tokens, later.output_tokens),
            (
                &mut self.cache_read_input_tokens,
                later.cache_read_input_tokens,
            ),
            (
                &mut self.cache_creation_input_tokens,
                later.cache_creation_input_tokens,
            ),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
    }

    /// Our [`Usage`]: `prompt_tokens = input + cache reads + cache writes` for the OpenAI view.
    pub fn to_usage(self) -> Usage {
        let prompt = self.input_tokens.map(|input| {
            input
                .saturating_add(self.cache_read_input_tokens.unwrap_or(0))
                .saturating_add(self.cache_creation_input_tokens.unwrap_or(0))
        });
        Usage {
            prompt_tokens: prompt,
            completion_tokens: self.output_tokens,
            cached_tokens: self.cache_read_input_tokens,
            cache_creation_tokens: self.cache_creation_input_tokens,
            reasoning_tokens: None,
        }
    }
}

/// Anthropic `stop_reason` → OpenAI `finish_reason`.
pub(crate) fn finish_from_stop_reason(stop_reason: &str) -> FinishReason {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        // end_turn, stop_sequence, pause_turn and anything new.
        _ => FinishReason::Stop,
    }
}

/// OpenAI `finish_reason` → Anthropic `stop_reason`.
pub(crate) fn stop_reason_from_finish(finish: Option<FinishReason>) -> &'static str {
    match finish {
        Some(FinishReason::Length) => "max_tokens",
        Some(FinishReason::ToolCalls) => "tool_use",
        Some(FinishReason::ContentFilter) => "refusal",
        Some(FinishReason::Stop) | None => "end_turn",
    }
}
