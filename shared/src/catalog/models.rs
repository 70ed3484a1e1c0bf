//! The LLM and embedding model tables: ids, upstream ids, list prices, capabilities and limits.

use super::provider::Provider;
use crate::money::MicroCredits;
use serde::Serialize;

/// What a chat model can do through HexaClaw's OpenAI-compatible surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// `stream: true` (SSE).
    pub streaming: bool,
    /// Function calling (`tools`).
    pub tools: bool,
    /// Image input in messages.
    pub vision: bool,
    /// `response_format: {"type":"json_object"}`.
    pub json_mode: bool,
    /// A thinking / reasoning mode whose tokens are billed as output.
    pub reasoning: bool,
}

/// Tools, image input, JSON mode and a thinking/reasoning mode.
const FULL: Capabilities = Capabilities {
    streaming: true,
    tools: true,
    vision: true,
    json_mode: true,
    reasoning: true,
};
/// Tools, image input and JSON mode; no reasoning mode.
const VISION: Capabilities = Capabilities {
    reasoning: false,
    ..FULL
};
/// Text-only input with tools and JSON mode.
const TEXT: Capabilities = Capabilities {
    vision: false,
    reasoning: false,
    ..FULL
};
/// Text-only reasoning model with tools and JSON mode.
const TEXT_REASONING: Capabilities = Capabilities {
    vision: false,
    ..FULL
};
/// Text-only, JSON mode but no documented tool calling.
const TEXT_NO_TOOLS: Capabilities = Capabilities {
    tools: false,
    ..TEXT
};

/// Output cap for providers that publish only a context window (xAI, Mistral, QwQ on Groq).
/// HexaClaw sends at most this many output tokens so a hold always covers the request.
pub const DEFAULT_MAX_OUTPUT_TOKENS: u32 = 32_768;

/// One chat model: its public id, what we send upstream, its list price and limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// Canonical HexaClaw model id (what clients send and `X-Model-Used` reports).
    pub id: &'static str,
    /// Display name from the pricing table.
    pub display_name: &'static str,
    /// Who serves it (decides the provider adapter).
    pub provider: Provider,
    /// The model id sent to the provider's API.
    pub upstream_id: &'static str,
    /// Price per 1M input tokens.
    pub input_per_1m: MicroCredits,
    /// Price per 1M output tokens (reasoning tokens are output tokens).
    pub output_per_1m: MicroCredits,
    /// Features the model supports.
    pub capabilities: Capabilities,
    /// Maximum input + output tokens per request, as the provider publishes it.
    pub context_window: u32,
    /// Maximum output tokens per request.
    pub max_output_tokens: u32,
    /// Unix timestamp of the model's public release (the `created` field of `/v1/models`).
    pub created: i64,
}

impl ModelInfo {
    /// Output tokens a request may produce: the client's `max_tokens`, capped at the model's limit.
    pub fn output_token_budget(&self, requested_max_tokens: Option<u64>) -> u64 {
        let cap = u64::from(self.max_output_tokens);
        requested_max_tokens.map_or(cap, |r| r.min(cap))
    }
}

/// Shorthand so each table row stays on a few lines.
#[allow(clippy::too_many_arguments)]
const fn m(
    id: &'static str,
    display_name: &'static str,
    provider: Provider,
    upstream_id: &'static str,
    input_credits: i64,
    output_credits: i64,
    capabilities: Capabilities,
    context_window: u32,
    max_output_tokens: u32,
    created: i64,
) -> ModelInfo {
    ModelInfo {
        id,
        display_name,
        provider,
        upstream_id,
        input_per_1m: MicroCredits::credits(input_credits),
        output_per_1m: MicroCredits::credits(output_credits),
        capabilities,
        context_window,
        max_output_tokens,
        created,
    }
}

use Provider::{Anthropic, DeepSeek, Google, Groq, Mistral, OpenAi, Xai};

const GEMINI_CONTEXT: u32 = 1_048_576;
const GEMINI_OUTPUT: u32 = 65_536;
const GROK_CONTEXT: u32 = 131_072;
const GROQ_CONTEXT: u32 = 131_072;

/// All chat models, in pricing-table order. Prices are credits per 1M tokens, exactly as published.
// Limits are the providers' published figures (Anthropic/OpenAI/Google/Groq model pages, DeepSeek
// "Models & Pricing"); where a provider publishes no output cap, DEFAULT_MAX_OUTPUT_TOKENS applies.
#[rustfmt::skip]
pub static MODELS: [ModelInfo; 26] = [
    // Anthropic: 4.6 ids are undated snapshots; Haiku 4.5's snapshot is claude-haiku-4-5-20251001.
    m("claude-opus-4-6", "Claude Opus 4.6", Anthropic, "claude-opus-4-6",
        650, 3_250, FULL, 1_000_000, 128_000, 1_770_249_600),
    m("claude-sonnet-4-6", "Claude Sonnet 4.6", Anthropic, "claude-sonnet-4-6",
        390, 1_950, FULL, 1_000_000, 64_000, 1_771_286_400),
    m("claude-haiku-4-5", "Claude Haiku 4.5", Anthropic, "claude-haiku-4-5-20251001",
        100, 500, FULL, 200_000, 64_000, 1_760_486_400),
    // OpenAI
    m("gpt-4.1", "GPT-4.1", OpenAi, "gpt-4.1",
        260, 1_040, VISION, 1_047_576, 32_768, 1_744_588_800),
    m("gpt-4.1-mini", "GPT-4.1 Mini", OpenAi, "gpt-4.1-mini",
        40, 160, VISION, 1_047_576, 32_768, 1_744_588_800),
    m("gpt-4.1-nano", "GPT-4.1 Nano", OpenAi, "gpt-4.1-nano",
        10, 40, VISION, 1_047_576, 32_768, 1_744_588_800),
    m("o3", "o3", OpenAi, "o3",
        260, 1_040, FULL, 200_000, 100_000, 1_744_761_600),
    m("o4-mini", "o4-mini", OpenAi, "o4-mini",
        143, 572, FULL, 200_000, 100_000, 1_744_761_600),
    // Google: every 2.5 / 3 model has a thinking mode (off by default on Flash Lite).
    m("gemini-2.5-flash-lite", "Gemini 2.5 Flash Lite", Google, "gemini-2.5-flash-lite",
        10, 40, FULL, GEMINI_CONTEXT, GEMINI_OUTPUT, 1_753_142_400),
    m("gemini-2.5-flash", "Gemini 2.5 Flash", Google, "gemini-2.5-flash",
        15, 60, FULL, GEMINI_CONTEXT, GEMINI_OUTPUT, 1_750_118_400),
    m("gemini-2.5-pro", "Gemini 2.5 Pro", Google, "gemini-2.5-pro",
        163, 1_300, FULL, GEMINI_CONTEXT, GEMINI_OUTPUT, 1_750_118_400),
    m("gemini-3-flash-preview", "Gemini 3.0 Flash", Google, "gemini-3-flash-preview",
        65, 390, FULL, GEMINI_CONTEXT, GEMINI_OUTPUT, 1_765_929_600),
    // xAI: Grok 3 models are text-only; the -mini models think (reasoning_effort).
    m("grok-3", "Grok 3", Xai, "grok-3",
        390, 1_950, TEXT, GROK_CONTEXT, DEFAULT_MAX_OUTPUT_TOKENS, 1_744_156_800),
    m("grok-3-fast", "Grok 3 Fast", Xai, "grok-3-fast",
        650, 3_250, TEXT, GROK_CONTEXT, DEFAULT_MAX_OUTPUT_TOKENS, 1_744_156_800),
    m("grok-3-mini", "Grok 3 Mini", Xai, "grok-3-mini",
        39, 65, TEXT_REASONING, GROK_CONTEXT, DEFAULT_MAX_OUTPUT_TOKENS, 1_744_156_800),
    m("grok-3-mini-fast", "Grok 3 Mini Fast", Xai, "grok-3-mini-fast",
        78, 520, TEXT_REASONING, GROK_CONTEXT, DEFAULT_MAX_OUTPUT_TOKENS, 1_744_156_800),
    // DeepSeek: 128K context; chat caps output at 8K, reasoner at 64K (CoT included).
    m("deepseek-chat", "DeepSeek V3", DeepSeek, "deepseek-chat",
        18, 36, TEXT, 128_000, 8_192, 1_735_171_200),
    m("deepseek-reasoner", "DeepSeek R1", DeepSeek, "deepseek-reasoner",
        72, 290, TEXT_REASONING, 128_000, 65_536, 1_737_331_200),
    // Mistral: the -latest ids are Mistral's own moving aliases, sent upstream as-is.
    m("mistral-large-latest", "Mistral Large", Mistral, "mistral-large-latest",
        260, 780, VISION, 262_144, DEFAULT_MAX_OUTPUT_TOKENS, 1_764_633_600),
    m("mistral-small-latest", "Mistral Small", Mistral, "mistral-small-latest",
        13, 39, VISION, 131_072, DEFAULT_MAX_OUTPUT_TOKENS, 1_750_377_600),
    m("codestral-latest", "Codestral", Mistral, "codestral-latest",
        39, 117, TEXT, 262_144, DEFAULT_MAX_OUTPUT_TOKENS, 1_753_833_600),
    // Groq: the Llama 4 models live under the meta-llama/ namespace upstream.
    m("llama-3.3-70b-versatile", "Llama 3.3 70B", Groq, "llama-3.3-70b-versatile",
        78, 103, TEXT, GROQ_CONTEXT, 32_768, 1_733_443_200),
    m("llama-4-scout-17b-16e-instruct", "Llama 4 Scout", Groq,
        "meta-llama/llama-4-scout-17b-16e-instruct",
        15, 15, VISION, GROQ_CONTEXT, 8_192, 1_743_811_200),
    m("llama-4-maverick-17b-128e-instruct", "Llama 4 Maverick", Groq,
        "meta-llama/llama-4-maverick-17b-128e-instruct",
        65, 100, VISION, GROQ_CONTEXT, 8_192, 1_743_811_200),
    m("qwen-qwq-32b", "Qwen QwQ 32B", Groq, "qwen-qwq-32b",
        39, 52, TEXT_REASONING, GROQ_CONTEXT, DEFAULT_MAX_OUTPUT_TOKENS, 1_741_219_200),
    m("gemma2-9b-it", "Gemma 2 9B", Groq, "gemma2-9b-it",
        3, 3, TEXT_NO_TOOLS, 8_192, 8_192, 1_719_446_400),
];

/// One embedding model and its price per 1M input tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbeddingModel {
    pub id: &'static str,
    pub display_name: &'static str,
    pub provider: Provider,
    /// The model id sent to the provider's API.
    pub upstream_id: &'static str,
    /// Default (and maximum) vector length.
    pub dimensions: u32,
    /// Maximum tokens per input string.
    pub max_input_tokens: u32,
    pub price_per_1m: MicroCredits,
    /// Unix timestamp of the model's public release.
    pub created: i64,
}

/// All embedding models, as the embeddings table lists them.
pub static EMBEDDING_MODELS: [EmbeddingModel; 3] = [
    EmbeddingModel {
        id: "text-embedding-3-small",
        display_name: "Text Embedding 3 Small",
        provider: OpenAi,
        upstream_id: "text-embedding-3-small",
        dimensions: 1_536,
        max_input_tokens: 8_191,
        price_per_1m: MicroCredits::credits(2),
        created: 1_706_140_800,
    },
    EmbeddingModel {
        id: "text-embedding-3-large",
        display_name: "Text Embedding 3 Large",
        provider: OpenAi,
        upstream_id: "text-embedding-3-large",
        dimensions: 3_072,
        max_input_tokens: 8_191,
        price_per_1m: MicroCredits::credits(13),
        created: 1_706_140_800,
    },
    EmbeddingModel {
        id: "gemini-embedding-001",
        display_name: "Gemini Embedding 001",
        provider: Google,
        upstream_id: "gemini-embedding-001",
        dimensions: 3_072,
        max_input_tokens: 2_048,
        price_per_1m: MicroCredits::credits(1),
        created: 1_752_451_200,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The API reference's LLM pricing table, transcribed by hand:
    /// (id, display name, provider, input credits/1M, output credits/1M).
    const EXPECTED: [(&str, &str, &str, i64, i64); 26] = [
        ("claude-opus-4-6", "Claude Opus 4.6", "anthropic", 650, 3250),
        (
            "claude-sonnet-4-6",
            "Claude Sonnet 4.6",
            "anthropic",
            390,
            1950,
        ),
        (
            "claude-haiku-4-5",
            "Claude Haiku 4.5",
            "anthropic",
            100,
            500,
        ),
        ("gpt-4.1", "GPT-4.1", "openai", 260, 1040),
        ("gpt-4.1-mini", "GPT-4.1 Mini", "openai", 40, 160),
        ("gpt-4.1-nano", "GPT-4.1 Nano", "openai", 10, 40),
        ("o3", "o3", "openai", 260, 1040),
        ("o4-mini", "o4-mini", "openai", 143, 572),
        (
            "gemini-2.5-flash-lite",
            "Gemini 2.5 Flash Lite",
            "google",
            10,
            40,
        ),
        ("gemini-2.5-flash", "Gemini 2.5 Flash", "google", 15, 60),
        ("gemini-2.5-pro", "Gemini 2.5 Pro", "google", 163, 1300),
        (
            "gemini-3-flash-preview",
            "Gemini 3.0 Flash",
            "google",
            65,
            390,
        ),
        ("grok-3", "Grok 3", "xai", 390, 1950),
        ("grok-3-fast", "Grok 3 Fast", "xai", 650, 3250),
        ("grok-3-mini", "Grok 3 Mini", "xai", 39, 65),
        ("grok-3-mini-fast", "Grok 3 Mini Fast", "xai", 78, 520),
        ("deepseek-chat", "DeepSeek V3", "deepseek", 18, 36),
        ("deepseek-reasoner", "DeepSeek R1", "deepseek", 72, 290),
        ("mistral-large-latest", "Mistral Large", "mistral", 260, 780),
        ("mistral-small-latest", "Mistral Small", "mistral", 13, 39),
        ("codestral-latest", "Codestral", "mistral", 39, 117),
        ("llama-3.3-70b-versatile", "Llama 3.3 70B", "groq", 78, 103),
        (
            "llama-4-scout-17b-16e-instruct",
            "Llama 4 Scout",
            "groq",
            15,
            15,
        ),
        (
            "llama-4-maverick-17b-128e-instruct",
            "Llama 4 Maverick",
            "groq",
            65,
            100,
        ),
        ("qwen-qwq-32b", "Qwen QwQ 32B", "groq", 39, 52),
        ("gemma2-9b-it", "Gemma 2 9B", "groq", 3, 3),
    ];

    #[test]
    fn every_table_row_is_present_with_exact_prices() {
        assert_eq!(MODELS.len(), EXPECTED.len());
        for (i, (id, name, provider, input, output)) in EXPECTED.iter().enumerate() {
            let m = &MODELS[i];
            assert_eq!(m.id, *id, "row {i}");
            assert_eq!(m.display_name, *name, "{id}");
            assert_eq!(m.provider.id(), *provider, "{id}");
            assert_eq!(m.input_per_1m.micros(), input * 1_000_000, "{id} input");
            assert_eq!(m.output_per_1m.micros(), output * 1_000_000, "{id} output");
        }
    }

    #[test]
    fn ids_unique_and_limits_sane() {
        for (i, a) in MODELS.iter().enumerate() {
            assert!(
                MODELS[i + 1..].iter().all(|b| b.id != a.id),
                "{} twice",
                a.id
            );
            assert!(
                a.max_output_tokens > 0 && a.max_output_tokens <= a.context_window,
                "{}",
                a.id
            );
            assert!(a.capabilities.streaming, "{}", a.id);
            // 2024-01-01 .. 2027-01-01: catches a timestamp typed in ms or as a year.
            assert!(
                (1_704_067_200..1_798_761_600).contains(&a.created),
                "{}",
                a.id
            );
            assert!(!a.upstream_id.is_empty() && a.upstream_id.trim() == a.upstream_id);
        }
    }

    #[test]
    fn groq_llama4_upstream_is_namespaced() {
        let scout = MODELS
            .iter()
            .find(|m| m.id == "llama-4-scout-17b-16e-instruct");
        assert_eq!(
            scout.map(|m| m.upstream_id),
            Some("meta-llama/llama-4-scout-17b-16e-instruct")
        );
    }

    #[test]
    fn output_budget_caps_the_request() {
        let haiku = MODELS[2];
        assert_eq!(haiku.output_token_budget(None), 64_000);
        assert_eq!(haiku.output_token_budget(Some(1_000)), 1_000);
        assert_eq!(haiku.output_token_budget(Some(1_000_000)), 64_000);
    }

    #[test]
    fn embedding_table_matches_reference() {
        let got: Vec<_> = EMBEDDING_MODELS
            .iter()
            .map(|e| (e.id, e.dimensions, e.price_per_1m.micros()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("text-embedding-3-small", 1_536, 2_000_000),
                ("text-embedding-3-large", 3_072, 13_000_000),
                ("gemini-embedding-001", 3_072, 1_000_000),
            ]
        );
    }
}
