//! Gemini `GenerateContentResponse` wire types we read, and their mapping to our usage and finish reasons.

use crate::providers::{FinishReason, Usage};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireResponse {
    #[serde(default)]
    pub candidates: Vec<WireCandidate>,
    #[serde(default)]
    pub usage_metadata: Option<WireUsage>,
    #[serde(default)]
    pub prompt_feedback: Option<WirePromptFeedback>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireCandidate {
    #[serde(default)]
    pub content: Option<WireContent>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireContent {
    #[serde(default)]
    pub parts: Vec<WirePart>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WirePart {
    #[serde(default)]
    pub text: Option<String>,
    /// Thought summaries are not part of the answer.
    #[serde(default)]
    pub thought: Option<bool>,
    #[serde(default)]
    pub function_call: Option<WireFunctionCall>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireFunctionCall {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub args: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WirePromptFeedback {
    #[serde(default)]
    pub block_reason: Option<String>,
}

/// `usageMetadata`. Gemini serialises with proto3 rules, so a zero count is simply absent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireUsage {
    #[serde(default)]
    pub prompt_token_count: Option<u64>,
    #[serde(default)]
    pub candidates_token_count: Option<u64>,
    #[serde(default)]
    pub cached_content_token_count: Option<u64>,
    #[serde(default)]
    pub thoughts_token_count: Option<u64>,
    #[serde(default)]
    pub tool_use_prompt_token_count: Option<u64>,
}

impl WireUsage {
    /// Our [`Usage`]. `promptTokenCount` already includes cached content; tool-use prompt
    /// tokens are input too. Thinking is billed as output, so `thoughtsTokenCount` is added
    /// to `candidatesTokenCount`. Because zero counts are omitted, an absent output count in
    /// a `usageMetadata` that has a prompt count means 0.
    pub fn to_usage(&self) -> Usage {
        let Some(prompt) = self.prompt_token_count else {
            return Usage::default();
        };
        let thoughts = self.thoughts_token_count;
        Usage {
            prompt_tokens: Some(
                prompt.saturating_add(self.tool_use_prompt_token_count.unwrap_or(0)),
            ),
            completion_tokens: Some(
                self.candidates_token_count
                    .unwrap_or(0)
                    .saturating_add(thoughts.unwrap_or(0)),
            ),
            cached_tokens: self.cached_content_token_count,
            cache_creation_tokens: None,
            reasoning_tokens: thoughts,
        }
    }
}

/// Gemini `finishReason` → OpenAI. Function calls override `STOP` (decided by the caller).
pub(super) fn finish_from_gemini(reason: &str) -> Option<FinishReason> {
    match reason {
        "" | "FINISH_REASON_UNSPECIFIED" => None,
        "MAX_TOKENS" => Some(FinishReason::Length),
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION"
        | "MODEL_ARMOR" => Some(FinishReason::ContentFilter),
        // STOP, OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL and anything new.
        _ => Some(FinishReason::Stop),
    }
}
