//! Upstream LLM vendors: stable ids and display names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An upstream LLM vendor HexaClaw routes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Anthropic,
    OpenAi,
    Google,
    Xai,
    DeepSeek,
    Mistral,
    Groq,
}

impl Provider {
    /// Every provider, in the order the pricing table lists them.
    pub const ALL: [Provider; 7] = [
        Provider::Anthropic,
        Provider::OpenAi,
        Provider::Google,
        Provider::Xai,
        Provider::DeepSeek,
        Provider::Mistral,
        Provider::Groq,
    ];

    /// Stable lowercase id (`owned_by` in `/v1/models`, usage keys, serde form).
    pub const fn id(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::OpenAi => "openai",
            Provider::Google => "google",
            Provider::Xai => "xai",
            Provider::DeepSeek => "deepseek",
            Provider::Mistral => "mistral",
            Provider::Groq => "groq",
        }
    }

    /// Human-readable vendor name.
    pub const fn display_name(self) -> &'static str {
        match self {
            Provider::Anthropic => "Anthropic",
            Provider::OpenAi => "OpenAI",
            Provider::Google => "Google",
            Provider::Xai => "xAI",
            Provider::DeepSeek => "DeepSeek",
            Provider::Mistral => "Mistral",
            Provider::Groq => "Groq",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A provider id that is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider: {0}")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.id() == s)
            .ok_or_else(|| UnknownProvider(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_providers_each_with_models() {
        for p in Provider::ALL {
            assert!(
                crate::catalog::all_models().iter().any(|m| m.provider == p),
                "{p}"
            );
            assert_eq!(p.id().parse::<Provider>(), Ok(p));
            assert_eq!(
                serde_json::to_value(p).ok(),
                Some(serde_json::json!(p.id()))
            );
        }
        assert!("OpenAI".parse::<Provider>().is_err());
        assert_eq!(Provider::Xai.display_name(), "xAI");
    }
}
