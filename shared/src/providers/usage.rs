//! Token usage as we bill it, normalised across providers, and its OpenAI JSON view.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Token counts for one request. `None` means the provider did not report the number, which
/// is different from a reported `0`.
///
/// Conventions (the same for every provider, so billing never needs to know who answered):
/// - `prompt_tokens` counts every input token, *including* `cached_tokens` (cache reads) and
///   `cache_creation_tokens` (cache writes). Anthropic reports `input_tokens` without them, so
///   for Anthropic `prompt_tokens = input_tokens + cache_read_input_tokens +
///   cache_creation_input_tokens`.
/// - `completion_tokens` counts every output token, *including* `reasoning_tokens`. xAI and
///   Gemini report reasoning separately; it is added back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub cached_tokens: Option<u64>,
    pub cache_creation_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
}

impl Usage {
    /// True when the provider reported at least the prompt or the completion count.
    pub fn is_reported(&self) -> bool {
        self.prompt_tokens.is_some() || self.completion_tokens.is_some()
    }

    /// Prompt plus completion, when both are known.
    pub fn total_tokens(&self) -> Option<u64> {
        Some(self.prompt_tokens?.saturating_add(self.completion_tokens?))
    }

    /// Prompt tokens billed at the normal input price (not read from, nor written to, a cache).
    pub fn uncached_prompt_tokens(&self) -> Option<u64> {
        let prompt = self.prompt_tokens?;
        let cached = self.cached_tokens.unwrap_or(0);
        let created = self.cache_creation_tokens.unwrap_or(0);
        Some(prompt.saturating_sub(cached).saturating_sub(created))
    }

    /// Overwrites every field that `later` reports; streams report usage in several events.
    pub fn merge_from(&mut self, later: &Usage) {
        fn take(slot: &mut Option<u64>, value: Option<u64>) {
            if value.is_some() {
                *slot = value;
            }
        }
        take(&mut self.prompt_tokens, later.prompt_tokens);
        take(&mut self.completion_tokens, later.completion_tokens);
        take(&mut self.cached_tokens, later.cached_tokens);
        take(&mut self.cache_creation_tokens, later.cache_creation_tokens);
        take(&mut self.reasoning_tokens, later.reasoning_tokens);
    }

    /// The OpenAI `usage` object: `{prompt_tokens, completion_tokens, total_tokens,
    /// prompt_tokens_details: {cached_tokens}, completion_tokens_details: {reasoning_tokens}}`.
    /// Unreported counts are written as 0 because OpenAI clients expect numbers; the details
    /// objects appear only when their number was reported.
    pub fn to_openai_json(&self) -> Value {
        let prompt = self.prompt_tokens.unwrap_or(0);
        let completion = self.completion_tokens.unwrap_or(0);
        let mut out = json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt.saturating_add(completion),
        });
        if let Some(cached) = self.cached_tokens {
            out["prompt_tokens_details"] = json!({ "cached_tokens": cached });
        }
        if let Some(reasoning) = self.reasoning_tokens {
            out["completion_tokens_details"] = json!({ "reasoning_tokens": reasoning });
        }
        out
    }

    /// The Anthropic `usage` object (`input_tokens` excludes cache reads and writes).
    pub fn to_anthropic_json(&self) -> Value {
        let mut out = json!({
            "input_tokens": self.uncached_prompt_tokens().unwrap_or(0),
            "output_tokens": self.completion_tokens.unwrap_or(0),
        });
        if let Some(read) = self.cached_tokens {
            out["cache_read_input_tokens"] = json!(read);
        }
        if let Some(created) = self.cache_creation_tokens {
            out["cache_creation_input_tokens"] = json!(created);
        }
        out
    }
}

/// Reads a non-negative integer field; floats and negatives count as unreported.
pub(crate) fn count(value: &Value, key: &str) -> Option<u64> {
    value.get(key).and_then(Value::as_u64)
}

/// Reads `outer.inner` as a count.
pub(crate) fn nested_count(value: &Value, outer: &str, inner: &str) -> Option<u64> {
    value.get(outer).and_then(|o| count(o, inner))
}
