//! xAI quirks: reasoning tokens are counted outside `completion_tokens`, and every stream chunk repeats the running usage.

use crate::providers::Usage;
use crate::providers::usage::count;
use serde_json::Value;

/// xAI's `total_tokens` is `prompt + completion + reasoning` (docs example: 32 + 9 + 94 = 135),
/// so its `completion_tokens` excludes reasoning. We bill reasoning as output, so it is added
/// back — but only when the total proves the split, in case xAI aligns with OpenAI later.
pub(super) fn adjust_usage(usage: &Value, out: &mut Usage) {
    let (Some(prompt), Some(completion), Some(reasoning), Some(total)) = (
        out.prompt_tokens,
        out.completion_tokens,
        out.reasoning_tokens,
        count(usage, "total_tokens"),
    ) else {
        return;
    };
    if reasoning > 0 && total == prompt + completion + reasoning {
        out.completion_tokens = Some(completion + reasoning);
    }
}
