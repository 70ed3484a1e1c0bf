//! Model aliases: every alternative name a client may send for a catalog model.
//!
//! Rules (checked by the tests below): an alias never equals a real model id, every alias points
//! straight at a real model id (no alias → alias chains), and no alias is listed twice. Matching is
//! exact and case-sensitive, like the providers' own APIs.

/// One alternative name and the canonical model id it resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelAlias {
    pub alias: &'static str,
    /// Canonical model id (never another alias).
    pub target: &'static str,
}

const fn a(alias: &'static str, target: &'static str) -> ModelAlias {
    ModelAlias { alias, target }
}

/// Every chat-model alias. The first eleven are the API reference's documented table.
#[rustfmt::skip]
pub static ALIASES: [ModelAlias; 76] = [
    // Documented short aliases (API reference, "Model aliases").
    a("claude-sonnet", "claude-sonnet-4-6"),
    a("claude-haiku", "claude-haiku-4-5"),
    a("claude-opus", "claude-opus-4-6"),
    a("gpt-4o", "gpt-4.1"),
    a("gpt-4o-mini", "gpt-4.1-mini"),
    a("gemini-flash", "gemini-2.5-flash"),
    a("gemini-pro", "gemini-2.5-pro"),
    a("grok", "grok-3"),
    a("deepseek", "deepseek-chat"),
    a("mistral", "mistral-large-latest"),
    a("llama", "llama-3.3-70b-versatile"),
    // Provider-prefixed forms `<provider id>/<model id>` for every model.
    a("anthropic/claude-opus-4-6", "claude-opus-4-6"),
    a("anthropic/claude-sonnet-4-6", "claude-sonnet-4-6"),
    a("anthropic/claude-haiku-4-5", "claude-haiku-4-5"),
    a("openai/gpt-4.1", "gpt-4.1"),
    a("openai/gpt-4.1-mini", "gpt-4.1-mini"),
    a("openai/gpt-4.1-nano", "gpt-4.1-nano"),
    a("openai/o3", "o3"),
    a("openai/o4-mini", "o4-mini"),
    a("google/gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
    a("google/gemini-2.5-flash", "gemini-2.5-flash"),
    a("google/gemini-2.5-pro", "gemini-2.5-pro"),
    a("google/gemini-3-flash-preview", "gemini-3-flash-preview"),
    a("xai/grok-3", "grok-3"),
    a("xai/grok-3-fast", "grok-3-fast"),
    a("xai/grok-3-mini", "grok-3-mini"),
    a("xai/grok-3-mini-fast", "grok-3-mini-fast"),
    a("deepseek/deepseek-chat", "deepseek-chat"),
    a("deepseek/deepseek-reasoner", "deepseek-reasoner"),
    a("mistral/mistral-large-latest", "mistral-large-latest"),
    a("mistral/mistral-small-latest", "mistral-small-latest"),
    a("mistral/codestral-latest", "codestral-latest"),
    a("groq/llama-3.3-70b-versatile", "llama-3.3-70b-versatile"),
    a("groq/llama-4-scout-17b-16e-instruct", "llama-4-scout-17b-16e-instruct"),
    a("groq/llama-4-maverick-17b-128e-instruct", "llama-4-maverick-17b-128e-instruct"),
    a("groq/qwen-qwq-32b", "qwen-qwq-32b"),
    a("groq/gemma2-9b-it", "gemma2-9b-it"),
    // OpenRouter / Vercel AI Gateway spellings, so clients can switch by changing the base URL.
    a("x-ai/grok-3", "grok-3"),
    a("x-ai/grok-3-fast", "grok-3-fast"),
    a("x-ai/grok-3-mini", "grok-3-mini"),
    a("x-ai/grok-3-mini-fast", "grok-3-mini-fast"),
    a("anthropic/claude-opus-4.6", "claude-opus-4-6"),
    a("anthropic/claude-sonnet-4.6", "claude-sonnet-4-6"),
    a("anthropic/claude-haiku-4.5", "claude-haiku-4-5"),
    // Providers' dated snapshot ids (Anthropic's 4.6 models have no dated form).
    a("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
    a("gpt-4.1-2025-04-14", "gpt-4.1"),
    a("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
    a("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"),
    a("o3-2025-04-16", "o3"),
    a("o4-mini-2025-04-16", "o4-mini"),
    // xAI's own -latest and -beta names for the Grok 3 family.
    a("grok-3-latest", "grok-3"),
    a("grok-3-fast-latest", "grok-3-fast"),
    a("grok-3-mini-latest", "grok-3-mini"),
    a("grok-3-mini-fast-latest", "grok-3-mini-fast"),
    a("grok-3-beta", "grok-3"),
    a("grok-3-fast-beta", "grok-3-fast"),
    a("grok-3-mini-beta", "grok-3-mini"),
    a("grok-3-mini-fast-beta", "grok-3-mini-fast"),
    // Gemini SDK resource names.
    a("models/gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
    a("models/gemini-2.5-flash", "gemini-2.5-flash"),
    a("models/gemini-2.5-pro", "gemini-2.5-pro"),
    a("models/gemini-3-flash-preview", "gemini-3-flash-preview"),
    // Groq's own namespaced ids for Llama 4.
    a("meta-llama/llama-4-scout-17b-16e-instruct", "llama-4-scout-17b-16e-instruct"),
    a("meta-llama/llama-4-maverick-17b-128e-instruct", "llama-4-maverick-17b-128e-instruct"),
    // Short family names.
    a("claude-opus-4.6", "claude-opus-4-6"),
    a("claude-sonnet-4.6", "claude-sonnet-4-6"),
    a("claude-haiku-4.5", "claude-haiku-4-5"),
    a("gemini-flash-lite", "gemini-2.5-flash-lite"),
    a("gemini-3-flash", "gemini-3-flash-preview"),
    a("deepseek-v3", "deepseek-chat"),
    a("deepseek-r1", "deepseek-reasoner"),
    a("mistral-large", "mistral-large-latest"),
    a("mistral-small", "mistral-small-latest"),
    a("codestral", "codestral-latest"),
    a("llama-4-scout", "llama-4-scout-17b-16e-instruct"),
    a("llama-4-maverick", "llama-4-maverick-17b-128e-instruct"),
];

/// Alternative names for embedding models (provider-prefixed and Gemini SDK forms).
pub static EMBEDDING_ALIASES: [ModelAlias; 4] = [
    a("openai/text-embedding-3-small", "text-embedding-3-small"),
    a("openai/text-embedding-3-large", "text-embedding-3-large"),
    a("google/gemini-embedding-001", "gemini-embedding-001"),
    a("models/gemini-embedding-001", "gemini-embedding-001"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::models::{EMBEDDING_MODELS, MODELS};

    fn is_model(id: &str) -> bool {
        MODELS.iter().any(|m| m.id == id)
    }

    #[test]
    fn at_least_fifty_aliases() {
        assert!(ALIASES.len() >= 50, "{}", ALIASES.len());
    }

    #[test]
    fn no_alias_shadows_a_model_or_chains() {
        for al in &ALIASES {
            assert!(!is_model(al.alias), "alias {} shadows a model id", al.alias);
            assert!(
                is_model(al.target),
                "alias {} → {} is not a model",
                al.alias,
                al.target
            );
            assert!(
                ALIASES.iter().all(|other| other.alias != al.target),
                "alias {} chains through another alias",
                al.alias
            );
            assert_eq!(al.alias.trim(), al.alias);
            assert!(!al.alias.is_empty());
        }
    }

    #[test]
    fn aliases_are_unique() {
        for (i, al) in ALIASES.iter().enumerate() {
            assert!(
                ALIASES[i + 1..].iter().all(|o| o.alias != al.alias),
                "{} listed twice",
                al.alias
            );
        }
    }

    #[test]
    fn every_model_has_a_provider_prefixed_alias() {
        for m in &MODELS {
            let want = format!("{}/{}", m.provider.id(), m.id);
            assert!(
                ALIASES
                    .iter()
                    .any(|al| al.alias == want && al.target == m.id),
                "missing {want}"
            );
        }
    }

    #[test]
    fn embedding_aliases_point_at_embedding_models() {
        for al in &EMBEDDING_ALIASES {
            assert!(
                EMBEDDING_MODELS.iter().any(|e| e.id == al.target),
                "{}",
                al.alias
            );
            assert!(EMBEDDING_MODELS.iter().all(|e| e.id != al.alias));
            assert!(!is_model(al.alias) && ALIASES.iter().all(|o| o.alias != al.alias));
        }
    }
}
