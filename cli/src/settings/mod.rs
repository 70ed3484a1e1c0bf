//! The CLI's config files in its config dir: `hexaclaw.json` (API base, credentials, spending
//! cap, sender address, provider keys for `--local`) and `openclaw.json` (agents and their
//! defaults); dotted-key access, effective values, and masking of secrets.

use crate::exit::{self, CliError};
use crate::login::{CONFIG_FILE, DEFAULT_API_BASE, config_dir, create_private_dir, read_config};
use anyhow::Context;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_shared::providers::ProviderKind;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The agents/models file inside the config dir.
pub const OPENCLAW_FILE: &str = "openclaw.json";
/// The model an agent uses when neither it nor `agents.defaults.model` names one.
pub const DEFAULT_MODEL: &str = "gemini-2.5-flash";
/// The agent every install has.
pub const DEFAULT_AGENT: &str = "main";
/// Embedding model for `/remember` and `memory_search` unless `embedding_model` is set.
pub const DEFAULT_EMBEDDING_MODEL: &str = "text-embedding-3-small";

/// Top-level keys kept in `hexaclaw.json`; every other key lives in `openclaw.json`.
const HEXACLAW_KEYS: &[&str] = &[
    "api_base",
    "api_key",
    "device_token",
    "key_id",
    "account_id",
    "logged_in_at",
    "spending_cap",
    "email",
    "providers",
    "embedding_model",
];

/// Which file a key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    Hexaclaw,
    Openclaw,
}

/// A secret the CLI authenticates with, and where it came from (for error messages).
#[derive(Clone, Debug)]
pub struct Credential {
    pub secret: String,
    pub source: String,
}

/// An agent as configured (or the built-in `main`).
#[derive(Clone, Debug)]
pub struct AgentDef {
    pub id: String,
    pub name: Option<String>,
    /// The effective model: the agent's, else `agents.defaults.model`, else [`DEFAULT_MODEL`].
    pub model: String,
    pub system_prompt: Option<String>,
    /// Tool names the agent may use (`None`: all).
    pub tools: Option<Vec<String>>,
    pub thinking: Option<String>,
}

/// Both config files, loaded.
pub struct ConfigFiles {
    pub dir: PathBuf,
    pub hexaclaw: Map<String, Value>,
    pub openclaw: Map<String, Value>,
}

impl ConfigFiles {
    /// Load from `$HEXACLAW_CONFIG_DIR` or `~/.openclaw/` (missing files are empty).
    pub fn load() -> anyhow::Result<ConfigFiles> {
        Self::load_from(&config_dir()?)
    }

    /// Load from `dir`.
    pub fn load_from(dir: &Path) -> anyhow::Result<ConfigFiles> {
        Ok(ConfigFiles {
            dir: dir.to_owned(),
            hexaclaw: read_config(&dir.join(CONFIG_FILE))?,
            openclaw: read_config(&dir.join(OPENCLAW_FILE))?,
        })
    }

    /// Path of one file.
    pub fn path(&self, f: File) -> PathBuf {
        self.dir.join(match f {
            File::Hexaclaw => CONFIG_FILE,
            File::Openclaw => OPENCLAW_FILE,
        })
    }

    /// Write one file (mode 0600, dir 0700).
    pub fn save(&self, f: File) -> anyhow::Result<()> {
        create_private_dir(&self.dir)?;
        let map = match f {
            File::Hexaclaw => &self.hexaclaw,
            File::Openclaw => &self.openclaw,
        };
        let path = self.path(f);
        let text = serde_json::to_vec_pretty(&Value::Object(map.clone()))?;
        hexaclaw_shared::config::write_private(&path, &text)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// The file a dotted key lives in.
    pub fn file_for(key: &str) -> File {
        let top = key.split('.').next().unwrap_or_default();
        if HEXACLAW_KEYS.contains(&top) {
            File::Hexaclaw
        } else {
            File::Openclaw
        }
    }

    fn map(&self, f: File) -> &Map<String, Value> {
        match f {
            File::Hexaclaw => &self.hexaclaw,
            File::Openclaw => &self.openclaw,
        }
    }

    fn map_mut(&mut self, f: File) -> &mut Map<String, Value> {
        match f {
            File::Hexaclaw => &mut self.hexaclaw,
            File::Openclaw => &mut self.openclaw,
        }
    }

    /// The stored value at a dotted key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let mut parts = key.split('.');
        let mut cur = self.map(Self::file_for(key)).get(parts.next()?)?;
        for p in parts {
            cur = match cur {
                Value::Object(o) => o.get(p)?,
                Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The stored value, else the built-in default for the few keys that have one.
    pub fn get_effective(&self, key: &str) -> Option<Value> {
        if let Some(v) = self.get(key) {
            return Some(v.clone());
        }
        match key {
            "agents.defaults.model" => Some(json!(DEFAULT_MODEL)),
            "api_base" => Some(json!(DEFAULT_API_BASE)),
            "embedding_model" => Some(json!(DEFAULT_EMBEDDING_MODEL)),
            _ => None,
        }
    }

    /// Set a dotted key (intermediate objects are created); returns the file it went to.
    pub fn set(&mut self, key: &str, value: Value) -> anyhow::Result<File> {
        let file = Self::file_for(key);
        let parts: Vec<&str> = key.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return exit::fail(exit::USAGE, format!("'{key}' is not a valid key"));
        }
        let mut cur = self.map_mut(file);
        for (i, p) in parts.iter().enumerate() {
            if i + 1 == parts.len() {
                cur.insert((*p).to_owned(), value);
                break;
            }
            let next = cur
                .entry((*p).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !next.is_object() {
                return exit::fail(
                    exit::USAGE,
                    format!("'{}' is not an object", parts[..=i].join(".")),
                );
            }
            cur = next
                .as_object_mut()
                .ok_or_else(|| CliError::new(exit::ERROR, "config is not an object"))?;
        }
        Ok(file)
    }

    /// Remove a dotted key; true if it was there.
    pub fn unset(&mut self, key: &str) -> bool {
        let file = Self::file_for(key);
        let parts: Vec<&str> = key.split('.').collect();
        let Some((last, parents)) = parts.split_last() else {
            return false;
        };
        let mut cur = self.map_mut(file);
        for p in parents {
            match cur.get_mut(*p).and_then(Value::as_object_mut) {
                Some(o) => cur = o,
                None => return false,
            }
        }
        cur.remove(*last).is_some()
    }

    /// The HexaClaw credential: `HEXACLAW_API_KEY`, else `api_key`, else the device token.
    pub fn credential(&self) -> Option<Credential> {
        if let Some(k) = std::env::var("HEXACLAW_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
        {
            return Some(Credential {
                secret: k.trim().to_owned(),
                source: "HEXACLAW_API_KEY".into(),
            });
        }
        let path = self.path(File::Hexaclaw);
        for (field, what) in [
            ("api_key", "the API key"),
            ("device_token", "the device token"),
        ] {
            if let Some(s) = self
                .hexaclaw
                .get(field)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
            {
                return Some(Credential {
                    secret: s.trim().to_owned(),
                    source: format!("{what} in {}", path.display()),
                });
            }
        }
        None
    }

    /// The API base: `flag`, else `HEXACLAW_API_BASE`, else the saved one, else the default.
    pub fn api_base(&self, flag: Option<&str>) -> String {
        let env = std::env::var("HEXACLAW_API_BASE").ok();
        flag.filter(|f| !f.is_empty())
            .or(env.as_deref().filter(|e| !e.is_empty()))
            .or_else(|| self.hexaclaw.get("api_base").and_then(Value::as_str))
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
            .to_owned()
    }

    /// The monthly spending cap in credits, if one is set.
    pub fn spending_cap(&self) -> Option<MicroCredits> {
        let v = self.hexaclaw.get("spending_cap")?;
        let credits = v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))?;
        (credits >= 0.0).then(|| MicroCredits((credits * 1e6).round() as i64))
    }

    /// The sender address for `/email`.
    pub fn email_from(&self) -> Option<String> {
        self.get("email.from")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// Embedding model for memory.
    pub fn embedding_model(&self) -> String {
        self.hexaclaw
            .get("embedding_model")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_EMBEDDING_MODEL)
            .to_owned()
    }

    /// `agents.defaults.model`, else [`DEFAULT_MODEL`].
    pub fn default_model(&self) -> String {
        self.get("agents.defaults.model")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .unwrap_or(DEFAULT_MODEL)
            .to_owned()
    }

    /// Every configured agent; `main` is always there.
    pub fn agents(&self) -> Vec<AgentDef> {
        let default_model = self.default_model();
        let default_thinking = self
            .get("agents.defaults.thinking")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut out: Vec<AgentDef> = self
            .get("agents.list")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| {
                let s = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_owned);
                Some(AgentDef {
                    id: s("id")?,
                    name: s("name"),
                    model: s("model").unwrap_or_else(|| default_model.clone()),
                    system_prompt: s("systemPrompt"),
                    tools: a.get("tools").and_then(Value::as_array).map(|t| {
                        t.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    }),
                    thinking: s("thinking").or_else(|| default_thinking.clone()),
                })
            })
            .collect();
        if !out.iter().any(|a| a.id == DEFAULT_AGENT) {
            out.insert(
                0,
                AgentDef {
                    id: DEFAULT_AGENT.into(),
                    name: Some("Main agent".into()),
                    model: default_model,
                    system_prompt: None,
                    tools: None,
                    thinking: default_thinking,
                },
            );
        }
        out
    }

    /// One agent by id, or a usage error naming the configured ones.
    pub fn agent(&self, id: &str) -> anyhow::Result<AgentDef> {
        let all = self.agents();
        match all.iter().find(|a| a.id == id) {
            Some(a) => Ok(a.clone()),
            None => {
                let ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
                exit::fail(
                    exit::USAGE,
                    format!(
                        "no agent '{id}' (configured: {}); add it under agents.list in {}",
                        ids.join(", "),
                        self.path(File::Openclaw).display()
                    ),
                )
            }
        }
    }

    /// A provider's own API key for `--local`: `<PROVIDER>_API_KEY`, else
    /// `providers.<name>.api_key`.
    pub fn provider_key(&self, kind: ProviderKind) -> Option<String> {
        let mut vars = vec![format!("{}_API_KEY", kind.env_suffix())];
        if kind == ProviderKind::Gemini {
            vars.push("GOOGLE_API_KEY".into());
        }
        vars.iter()
            .find_map(|v| std::env::var(v).ok().filter(|k| !k.trim().is_empty()))
            .or_else(|| {
                self.get(&format!("providers.{}.api_key", kind.name()))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
    }
}

/// True for keys whose values are secrets (never printed in full).
pub fn is_secret_key(dotted: &str) -> bool {
    let leaf = dotted
        .rsplit('.')
        .next()
        .unwrap_or(dotted)
        .to_ascii_lowercase();
    if leaf == "key_id" {
        return false;
    }
    ["key", "token", "secret", "password"]
        .iter()
        .any(|w| leaf == *w || leaf.ends_with(&format!("_{w}")) || leaf.ends_with(w))
}

/// A secret shown as its prefix only.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let shown = if n >= 24 { 12 } else { n.min(4) };
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}… ({n} chars, hidden)")
}

/// `v` (found at `path`) with every secret string inside it masked.
pub fn masked(path: &str, v: &Value) -> Value {
    match v {
        Value::String(s) if is_secret_key(path) => json!(mask(s)),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    (k.clone(), masked(&p, x))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| masked(path, x)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
