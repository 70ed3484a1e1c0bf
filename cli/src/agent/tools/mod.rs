//! The agent's tools: their JSON schemas (OpenAI function format) and what each does — HexaClaw
//! services through the API (`web_search`, `web_fetch`, `generate_image`, `tts`,
//! `memory_search`, `remember`) and the local machine (`read`, `write`, `edit`, `exec`, `cron`).

mod exec;
mod fs;

pub use self::fs::resolve as resolve_path;

use crate::api::Api;
use crate::services::{self, Outcome, memory};
use hexaclaw_shared::money::MicroCredits;
use serde_json::{Value, json};
use std::path::PathBuf;

/// Every tool, in the order they are offered.
pub const ALL: [&str; 11] = [
    "web_search",
    "web_fetch",
    "generate_image",
    "tts",
    "memory_search",
    "remember",
    "read",
    "write",
    "edit",
    "exec",
    "cron",
];

/// Tools that call the HexaClaw API (offered only when a key is configured).
const CLOUD: [&str; 6] = [
    "web_search",
    "web_fetch",
    "generate_image",
    "tts",
    "memory_search",
    "remember",
];

/// What a tool call produced.
#[derive(Debug, Default)]
pub struct ToolResult {
    /// What the model reads.
    pub content: String,
    pub ok: bool,
    pub media: Option<String>,
    pub cost: Option<MicroCredits>,
}

impl ToolResult {
    fn error(msg: impl Into<String>) -> ToolResult {
        ToolResult {
            content: json!({"error": msg.into()}).to_string(),
            ..ToolResult::default()
        }
    }

    fn text(s: impl Into<String>) -> ToolResult {
        ToolResult {
            content: s.into(),
            ok: true,
            ..ToolResult::default()
        }
    }
}

/// The tools one run may use, and what they need.
pub struct ToolBox {
    pub enabled: Vec<&'static str>,
    pub api: Option<Api>,
    /// `--yes`: run `exec` without asking.
    pub yes: bool,
    pub config_dir: PathBuf,
    pub agent: String,
    pub embedding_model: String,
}

impl ToolBox {
    /// The enabled tools: the agent's list (or all), minus API tools when there is no key.
    pub fn select(allowed: Option<&[String]>, has_api: bool) -> Vec<&'static str> {
        ALL.into_iter()
            .filter(|t| allowed.is_none_or(|a| a.iter().any(|x| x == t)))
            .filter(|t| has_api || !CLOUD.contains(t))
            .collect()
    }

    /// The `tools` array of a chat request.
    pub fn specs(&self) -> Vec<Value> {
        self.enabled
            .iter()
            .filter_map(|t| spec(t))
            .map(|(name, desc, params)| {
                json!({"type": "function", "function": {"name": name, "description": desc, "parameters": params}})
            })
            .collect()
    }

    /// Run one call; failures become a result the model can read.
    pub async fn run(&self, name: &str, arguments: &str) -> ToolResult {
        if !self.enabled.contains(&name) {
            return ToolResult::error(format!("unknown or disabled tool '{name}'"));
        }
        let args: Value = match serde_json::from_str(arguments) {
            Ok(v @ Value::Object(_)) => v,
            _ => return ToolResult::error("arguments must be a JSON object"),
        };
        match self.dispatch(name, &args).await {
            Ok(r) => r,
            Err(e) => ToolResult::error(format!("{e:#}")),
        }
    }

    async fn dispatch(&self, name: &str, a: &Value) -> anyhow::Result<ToolResult> {
        let s = |k: &str| a[k].as_str().unwrap_or_default();
        match name {
            "read" => fs::read(a),
            "write" => fs::write(a),
            "edit" => fs::edit(a),
            "exec" => exec::run(a, self.yes).await,
            "cron" => {
                let v = crate::cron::tool(&self.config_dir, &self.agent, a)?;
                Ok(ToolResult::text(v.to_string()))
            }
            _ => {
                let api = self
                    .api
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("this tool needs a HexaClaw API key"))?;
                let out = match name {
                    "web_search" => {
                        let n = a["count"].as_u64().unwrap_or(5).clamp(1, 20) as u32;
                        services::search(api, s("query"), n).await?
                    }
                    "web_fetch" => services::scrape(api, s("url"), 0).await?,
                    "generate_image" => {
                        let m = a["model"].as_str().unwrap_or("schnell");
                        services::image(api, s("prompt"), m).await?
                    }
                    "tts" => {
                        let voice = a["voice"].as_str().unwrap_or("alloy");
                        let out = a["path"].as_str().map(fs::resolve);
                        services::audio::speech(api, s("text"), voice, false, out.as_deref())
                            .await?
                    }
                    "memory_search" => {
                        let k = a["top_k"].as_u64().unwrap_or(5).clamp(1, 20) as u32;
                        memory::recall(api, &self.embedding_model, s("query"), k).await?
                    }
                    "remember" => memory::remember(api, &self.embedding_model, s("text")).await?,
                    _ => return Ok(ToolResult::error(format!("unknown tool '{name}'"))),
                };
                Ok(from_outcome(out))
            }
        }
    }
}

fn from_outcome(o: Outcome) -> ToolResult {
    let mut data = o.data;
    if let (Some(c), Some(obj)) = (o.cost, data.as_object_mut()) {
        obj.insert("cost".into(), json!(crate::ui::format_credits(c)));
    }
    ToolResult {
        content: data.to_string(),
        ok: true,
        media: o.media,
        cost: o.cost,
    }
}

fn obj(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required})
}

/// (name, description, parameters) of a tool.
fn spec(name: &str) -> Option<(&'static str, &'static str, Value)> {
    let s = |d: &str| json!({"type": "string", "description": d});
    let i = |d: &str| json!({"type": "integer", "description": d});
    Some(match name {
        "web_search" => (
            "web_search",
            "Search the web (Brave). Returns titles, URLs and snippets. 1 credit.",
            obj(
                json!({"query": s("what to search for"), "count": i("results, 1-20 (default 5)")}),
                &["query"],
            ),
        ),
        "web_fetch" => (
            "web_fetch",
            "Fetch a web page and return its main content as markdown. 2 credits.",
            obj(json!({"url": s("http(s) URL")}), &["url"]),
        ),
        "generate_image" => (
            "generate_image",
            "Generate an image from a prompt (Flux). Returns its URL. schnell 1, dev 3, pro 6 credits.",
            obj(
                json!({"prompt": s("what the image shows"), "model": {"type": "string", "enum": ["schnell", "dev", "pro"]}}),
                &["prompt"],
            ),
        ),
        "tts" => (
            "tts",
            "Turn text into speech and save it as an mp3 file on this machine.",
            obj(
                json!({"text": s("what to say"), "voice": {"type": "string", "enum": services::audio::VOICES}, "path": s("where to save (optional)")}),
                &["text"],
            ),
        ),
        "memory_search" => (
            "memory_search",
            "Search long-term memory for things remembered earlier.",
            obj(
                json!({"query": s("what to look for"), "top_k": i("results (default 5)")}),
                &["query"],
            ),
        ),
        "remember" => (
            "remember",
            "Store a fact in long-term memory for later turns and sessions.",
            obj(json!({"text": s("the fact to remember")}), &["text"]),
        ),
        "read" => (
            "read",
            "Read a text file on this machine (~ is the home directory).",
            obj(
                json!({"path": s("file path"), "offset": i("first line, 1-based"), "limit": i("most lines")}),
                &["path"],
            ),
        ),
        "write" => (
            "write",
            "Write a file on this machine, replacing it; parent directories are created.",
            obj(
                json!({"path": s("file path"), "content": s("the whole new content")}),
                &["path", "content"],
            ),
        ),
        "edit" => (
            "edit",
            "Replace an exact piece of text in a file.",
            obj(
                json!({"path": s("file path"), "old_string": s("text to find (must be unique unless replace_all)"),
                "new_string": s("replacement"), "replace_all": {"type": "boolean"}}),
                &["path", "old_string", "new_string"],
            ),
        ),
        "exec" => (
            "exec",
            "Run a shell command on this machine (the user confirms it unless they allowed all commands). Returns exit code and output.",
            obj(
                json!({"command": s("the sh command line"), "timeout_secs": i("kill after this many seconds (default 120)")}),
                &["command"],
            ),
        ),
        "cron" => (
            "cron",
            "List, create or delete scheduled agent runs. Schedules are 5-field cron expressions in local time (e.g. '0 9 * * *') or @hourly/@daily/@weekly/@every 30m.",
            obj(
                json!({"action": {"type": "string", "enum": ["list", "create", "delete"]}, "schedule": s("when (for create)"),
                "message": s("what the agent should do each time (for create)"), "name": s("a short name"), "id": s("job id (for delete)")}),
                &["action"],
            ),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_respects_the_agent_list_and_the_key() {
        assert_eq!(ToolBox::select(None, true).len(), ALL.len());
        let local_only = ToolBox::select(None, false);
        assert!(local_only.contains(&"exec") && !local_only.contains(&"web_search"));
        let only = vec!["read".to_owned(), "web_search".to_owned()];
        assert_eq!(
            ToolBox::select(Some(&only), true),
            vec!["web_search", "read"]
        );
        for t in ALL {
            let (n, _, p) = spec(t).unwrap();
            assert_eq!(n, t);
            assert_eq!(p["type"], "object");
        }
    }
}
