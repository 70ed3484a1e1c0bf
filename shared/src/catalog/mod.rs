//! The catalog: the single source of models, aliases, prices (LLM and services) and plan tiers.
//!
//! Every route resolves a client's model name with [`resolve`] and prices usage with
//! [`llm_cost`] / the service helpers, so a price or alias lives in exactly one place.

pub mod aliases;
pub mod json;
pub mod media;
pub mod models;
pub mod provider;
pub mod services;
pub mod tiers;

pub use aliases::ModelAlias;
pub use json::{
    embedding_model_json, model_json, model_json_for, models_list_json, service_prices_json,
};
pub use media::{
    DEFAULT_VIDEO_MODEL, ImageQuality, TtsModel, UnknownOption, VIDEO_MODELS, VideoModel,
    video_model,
};
pub use models::{Capabilities, DEFAULT_MAX_OUTPUT_TOKENS, EmbeddingModel, ModelInfo};
pub use provider::{Provider, UnknownProvider};
pub use services::{
    PriceUnit, SERVICE_PRICES, ServicePrice, browser_cost, byok_fee, email_cost, guardian_cost,
    image_cost, music_cost, scrape_cost, stt_cost, tts_cost, vectors_upsert_cost, video_cost,
    web_search_cost,
};
pub use tiers::{Tier, TierLimits, UnknownTier};

use crate::money::MicroCredits;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Exact-match index of every model id and alias.
static INDEX: LazyLock<HashMap<&'static str, &'static ModelInfo>> = LazyLock::new(|| {
    let mut map = HashMap::with_capacity(models::MODELS.len() + aliases::ALIASES.len());
    for al in &aliases::ALIASES {
        if let Some(m) = models::MODELS.iter().find(|m| m.id == al.target) {
            map.insert(al.alias, m);
        }
    }
    // Inserted last so a real model id can never be shadowed, even if the table were wrong.
    for m in &models::MODELS {
        map.insert(m.id, m);
    }
    map
});

/// Resolves a model id or alias to its catalog entry (exact, case-sensitive, untrimmed).
pub fn resolve(id_or_alias: &str) -> Option<&'static ModelInfo> {
    INDEX.get(id_or_alias).copied()
}

/// Aliases that resolve to the canonical `model_id` (empty for unknown ids or for aliases).
pub fn aliases_for(model_id: &str) -> Vec<&'static str> {
    aliases::ALIASES
        .iter()
        .filter(|al| al.target == model_id)
        .map(|al| al.alias)
        .collect()
}

/// Every chat model, in pricing-table order.
pub fn all_models() -> &'static [ModelInfo] {
    &models::MODELS
}

/// Every chat-model alias.
pub fn all_aliases() -> &'static [ModelAlias] {
    &aliases::ALIASES
}

/// Every embedding model.
pub fn all_embedding_models() -> &'static [EmbeddingModel] {
    &models::EMBEDDING_MODELS
}

/// Resolves an embedding model id or alias (exact, case-sensitive).
pub fn resolve_embedding(id_or_alias: &str) -> Option<&'static EmbeddingModel> {
    let id = aliases::EMBEDDING_ALIASES
        .iter()
        .find(|al| al.alias == id_or_alias)
        .map_or(id_or_alias, |al| al.target);
    models::EMBEDDING_MODELS.iter().find(|e| e.id == id)
}

/// Aliases of an embedding model.
pub fn embedding_aliases_for(model_id: &str) -> Vec<&'static str> {
    aliases::EMBEDDING_ALIASES
        .iter()
        .filter(|al| al.target == model_id)
        .map(|al| al.alias)
        .collect()
}

/// Price of one LLM call: each side priced per 1M tokens (rounded up to 1 µcr), then summed.
///
/// `input_tokens` must include cached and cache-write tokens (Anthropic reports them apart from
/// `input_tokens`); HexaClaw bills them at the plain input price. Reasoning tokens are output.
pub fn llm_cost(model: &ModelInfo, input_tokens: u64, output_tokens: u64) -> MicroCredits {
    MicroCredits::per_million(input_tokens, model.input_per_1m)
        + MicroCredits::per_million(output_tokens, model.output_per_1m)
}

/// Most a call can cost (the HOLD): the prompt plus the full output budget.
pub fn llm_max_cost(
    model: &ModelInfo,
    input_tokens: u64,
    requested_max_tokens: Option<u64>,
) -> MicroCredits {
    llm_cost(
        model,
        input_tokens,
        model.output_token_budget(requested_max_tokens),
    )
}

/// Price of embedding `tokens` input tokens.
pub fn embedding_cost(model: &EmbeddingModel, tokens: u64) -> MicroCredits {
    MicroCredits::per_million(tokens, model.price_per_1m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn must(id: &str) -> &'static ModelInfo {
        match resolve(id) {
            Some(m) => m,
            None => panic!("{id} does not resolve"),
        }
    }

    #[test]
    fn documented_aliases_resolve_as_documented() {
        let table = [
            ("claude-sonnet", "claude-sonnet-4-6"),
            ("claude-haiku", "claude-haiku-4-5"),
            ("claude-opus", "claude-opus-4-6"),
            ("gpt-4o", "gpt-4.1"),
            ("gpt-4o-mini", "gpt-4.1-mini"),
            ("gemini-flash", "gemini-2.5-flash"),
            ("gemini-pro", "gemini-2.5-pro"),
            ("grok", "grok-3"),
            ("deepseek", "deepseek-chat"),
            ("mistral", "mistral-large-latest"),
            ("llama", "llama-3.3-70b-versatile"),
        ];
        for (alias, target) in table {
            assert_eq!(must(alias).id, target, "{alias}");
        }
    }

    #[test]
    fn resolution_is_exact() {
        assert_eq!(must("claude-sonnet-4-6").id, "claude-sonnet-4-6");
        assert_eq!(must("anthropic/claude-sonnet-4-6").id, "claude-sonnet-4-6");
        assert_eq!(must("x-ai/grok-3").id, "grok-3");
        assert_eq!(must("models/gemini-2.5-flash").id, "gemini-2.5-flash");
        assert_eq!(must("groq/gemma2-9b-it").id, "gemma2-9b-it");
        assert!(resolve("Claude-Sonnet").is_none());
        assert!(resolve(" claude-sonnet").is_none());
        assert!(resolve("claude-sonnet ").is_none());
        assert!(resolve("").is_none());
        assert!(resolve("gpt-5").is_none());
    }

    #[test]
    fn every_model_and_alias_resolves() {
        for m in all_models() {
            assert_eq!(must(m.id).id, m.id);
        }
        for al in all_aliases() {
            assert_eq!(must(al.alias).id, al.target);
        }
    }

    #[test]
    fn aliases_for_lists_documented_and_prefixed_forms() {
        let got = aliases_for("claude-sonnet-4-6");
        assert!(got.contains(&"claude-sonnet"));
        assert!(got.contains(&"anthropic/claude-sonnet-4-6"));
        assert!(aliases_for("claude-sonnet").is_empty());
        assert!(aliases_for("nope").is_empty());
        let total: usize = all_models().iter().map(|m| aliases_for(m.id).len()).sum();
        assert_eq!(total, all_aliases().len());
    }

    #[test]
    fn hand_computed_cost_per_provider() {
        // 1,234 input + 567 output tokens on one model per provider, worked by hand:
        // cost µcr = ceil(1234 × in_credits) + ceil(567 × out_credits) (1 credit/1M = 1 µcr/token).
        let cases = [
            // 1234×390 = 481,260; 567×1950 = 1,105,650.
            ("claude-sonnet-4-6", 1_586_910),
            // 1234×260 = 320,840; 567×1040 = 589,680.
            ("gpt-4.1", 910_520),
            // 1234×15 = 18,510; 567×60 = 34,020.
            ("gemini-2.5-flash", 52_530),
            // 1234×39 = 48,126; 567×65 = 36,855.
            ("grok-3-mini", 84_981),
            // 1234×18 = 22,212; 567×36 = 20,412.
            ("deepseek-chat", 42_624),
            // 1234×13 = 16,042; 567×39 = 22,113.
            ("mistral-small-latest", 38_155),
            // 1234×78 = 96,252; 567×103 = 58,401.
            ("llama-3.3-70b-versatile", 154_653),
        ];
        for (id, want) in cases {
            assert_eq!(llm_cost(must(id), 1_234, 567).micros(), want, "{id}");
        }
        assert_eq!(llm_cost(must("o4-mini"), 0, 0), MicroCredits::ZERO);
        // One token of the cheapest model still costs 3 µcr, never 0.
        assert_eq!(llm_cost(must("gemma2-9b-it"), 1, 0).micros(), 3);
    }

    #[test]
    fn hold_uses_output_cap() {
        let haiku = must("claude-haiku");
        // 1000×100 + 64,000×500 = 100,000 + 32,000,000.
        assert_eq!(llm_max_cost(haiku, 1_000, None).micros(), 32_100_000);
        assert_eq!(llm_max_cost(haiku, 1_000, Some(10)).micros(), 105_000);
    }

    #[test]
    fn embeddings_resolve_and_cost() {
        let small = resolve_embedding("openai/text-embedding-3-small");
        assert_eq!(small.map(|e| e.id), Some("text-embedding-3-small"));
        let gemini = resolve_embedding("models/gemini-embedding-001");
        assert_eq!(gemini.map(|e| e.dimensions), Some(3_072));
        assert!(resolve_embedding("Text-Embedding-3-Small").is_none());
        assert!(resolve("text-embedding-3-small").is_none());
        // 12,345 tokens at 13 credits/1M = 160,485 µcr.
        let large = resolve_embedding("text-embedding-3-large");
        assert_eq!(
            large.map(|e| embedding_cost(e, 12_345).micros()),
            Some(160_485)
        );
        assert_eq!(embedding_aliases_for("gemini-embedding-001").len(), 2);
    }
}
