//! `--thinking off|minimal|low|medium|high` mapped onto what each provider understands:
//! OpenAI-format `reasoning_effort` (OpenAI o-series, xAI Grok mini), and with `--local` also
//! Anthropic's `thinking` budget and Gemini's `thinkingConfig`.

use hexaclaw_shared::catalog::{ModelInfo, Provider};
use hexaclaw_shared::providers::ProviderKind;
use serde_json::{Value, json};

/// How hard the model should think.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Thinking {
    Off,
    Minimal,
    Low,
    Medium,
    High,
}

impl Thinking {
    /// Parse a configured value (`agents.defaults.thinking`).
    pub fn parse(s: &str) -> Option<Thinking> {
        <Thinking as clap::ValueEnum>::from_str(s, true).ok()
    }

    /// Token budget for providers that take one (Anthropic, Gemini); `None` when off.
    pub fn budget(self) -> Option<u64> {
        match self {
            Thinking::Off => None,
            Thinking::Minimal => Some(1_024),
            Thinking::Low => Some(2_048),
            Thinking::Medium => Some(8_192),
            Thinking::High => Some(24_576),
        }
    }
}

/// The `reasoning_effort` to send for this model, if it takes one.
pub fn reasoning_effort(model: &ModelInfo, level: Thinking) -> Option<&'static str> {
    if !model.capabilities.reasoning || level == Thinking::Off {
        return None;
    }
    match model.provider {
        Provider::OpenAi => Some(match level {
            Thinking::Minimal | Thinking::Low => "low",
            Thinking::Medium => "medium",
            _ => "high",
        }),
        // Grok 3 mini knows only low and high.
        Provider::Xai => Some(match level {
            Thinking::Minimal | Thinking::Low => "low",
            _ => "high",
        }),
        _ => None,
    }
}

/// Why `--thinking` has no effect for this model on this path, if it has none.
pub fn limitation(model: &ModelInfo, level: Thinking, local: bool) -> Option<String> {
    if level == Thinking::Off || reasoning_effort(model, level).is_some() {
        return None;
    }
    if !model.capabilities.reasoning {
        return Some(format!(
            "{} has no thinking mode; --thinking is ignored",
            model.id
        ));
    }
    match model.provider {
        Provider::Anthropic | Provider::Google if local => None,
        Provider::Anthropic | Provider::Google => Some(format!(
            "the HexaClaw chat API does not forward thinking settings to {} models; use --local with your own key to set them",
            model.provider.display_name()
        )),
        _ => Some(format!(
            "{} reasons on its own; it takes no thinking setting",
            model.id
        )),
    }
}

/// With `--local`: set Anthropic's `thinking` or Gemini's `thinkingConfig` in the upstream body.
pub fn apply_native(kind: ProviderKind, body: &mut Value, level: Thinking) {
    let Some(budget) = level.budget() else {
        return;
    };
    match kind {
        ProviderKind::Anthropic => {
            body["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
            // Anthropic requires max_tokens above the budget and no sampling overrides.
            let max = body["max_tokens"].as_u64().unwrap_or(0);
            if max <= budget {
                body["max_tokens"] = json!(budget + 4_096);
            }
            if let Some(o) = body.as_object_mut() {
                for k in ["temperature", "top_p", "top_k"] {
                    o.remove(k);
                }
            }
        }
        ProviderKind::Gemini => {
            if !body["generationConfig"].is_object() {
                body["generationConfig"] = json!({});
            }
            body["generationConfig"]["thinkingConfig"] = json!({"thinkingBudget": budget});
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hexaclaw_shared::catalog::resolve;

    #[test]
    fn effort_only_for_models_that_take_it() {
        let o3 = resolve("o3").unwrap();
        assert_eq!(reasoning_effort(o3, Thinking::Medium), Some("medium"));
        assert_eq!(reasoning_effort(o3, Thinking::Minimal), Some("low"));
        assert_eq!(reasoning_effort(o3, Thinking::Off), None);
        let mini = resolve("grok-3-mini").unwrap();
        assert_eq!(reasoning_effort(mini, Thinking::Medium), Some("high"));
        let gpt = resolve("gpt-4.1").unwrap();
        assert_eq!(reasoning_effort(gpt, Thinking::High), None);
        assert!(limitation(gpt, Thinking::High, false).is_some());
        let flash = resolve("gemini-2.5-flash").unwrap();
        assert!(
            limitation(flash, Thinking::Low, false)
                .unwrap()
                .contains("--local")
        );
        assert!(limitation(flash, Thinking::Low, true).is_none());
    }

    #[test]
    fn native_settings_for_anthropic_and_gemini() {
        let mut a = json!({"max_tokens": 1000, "temperature": 0.2});
        apply_native(ProviderKind::Anthropic, &mut a, Thinking::Low);
        assert_eq!(a["thinking"]["budget_tokens"], 2048);
        assert!(a["max_tokens"].as_u64().unwrap() > 2048);
        assert!(a.get("temperature").is_none());
        let mut g = json!({"contents": []});
        apply_native(ProviderKind::Gemini, &mut g, Thinking::High);
        assert_eq!(
            g["generationConfig"]["thinkingConfig"]["thinkingBudget"],
            24576
        );
        let mut off = json!({});
        apply_native(ProviderKind::Gemini, &mut off, Thinking::Off);
        assert_eq!(off, json!({}));
    }
}
