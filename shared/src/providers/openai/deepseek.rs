//! DeepSeek quirks: text-only string content, no `json_schema`, cache hits reported as `prompt_cache_hit_tokens`.

use crate::providers::Usage;
use crate::providers::chat::{ChatRequest, ResponseFormat, ValidationError};
use crate::providers::usage::count;
use serde_json::{Map, Value};

pub(super) fn adjust_request(
    _body: &mut Map<String, Value>,
    req: &ChatRequest,
) -> Result<(), ValidationError> {
    if matches!(req.response_format, Some(ResponseFormat::JsonSchema { .. })) {
        return Err(ValidationError::new(
            "DeepSeek models support response_format json_object, not json_schema",
            Some("response_format"),
        ));
    }
    Ok(())
}

/// `prompt_cache_hit_tokens` is DeepSeek's cache-read count (part of `prompt_tokens`).
pub(super) fn adjust_usage(usage: &Value, out: &mut Usage) {
    if let Some(hit) = count(usage, "prompt_cache_hit_tokens") {
        out.cached_tokens = Some(hit);
    }
}
