//! Conversation sessions on disk (`<config dir>/sessions/<agent>/<id>.json`, mode 0600), so
//! `--session-id` continues where the last turn stopped.

use crate::exit;
use anyhow::Context;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// One conversation: its id and the messages so far (no system prompt; that is built per turn).
pub struct Session {
    pub id: String,
    pub path: PathBuf,
    pub messages: Vec<Value>,
    pub created_at: String,
}

/// True for ids that are safe as file names.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Session {
    /// Open (or start) session `id` of `agent`.
    pub fn open(config_dir: &Path, agent: &str, id: &str) -> anyhow::Result<Session> {
        if !valid_id(id) {
            return exit::fail(
                exit::USAGE,
                format!(
                    "'{id}' is not a valid session id (letters, digits, '-', '_', '.'; up to 128)"
                ),
            );
        }
        let path = config_dir
            .join("sessions")
            .join(agent)
            .join(format!("{id}.json"));
        let (messages, created_at) = match std::fs::read(&path) {
            Ok(b) => {
                let v: Value = serde_json::from_slice(&b)
                    .with_context(|| format!("{} is not valid JSON", path.display()))?;
                (
                    v["messages"].as_array().cloned().unwrap_or_default(),
                    v["created_at"].as_str().unwrap_or_default().to_owned(),
                )
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                (Vec::new(), chrono::Utc::now().to_rfc3339())
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Session {
            id: id.to_owned(),
            path,
            messages,
            created_at,
        })
    }

    /// Write the session back.
    pub fn save(&self, agent: &str, model: &str) -> anyhow::Result<()> {
        if let Some(dir) = self.path.parent() {
            crate::login::create_private_dir(dir)?;
        }
        let v = json!({
            "id": self.id,
            "agent": agent,
            "model": model,
            "created_at": self.created_at,
            "updated_at": chrono::Utc::now().to_rfc3339(),
            "messages": self.messages,
        });
        hexaclaw_shared::config::write_private(&self.path, &serde_json::to_vec_pretty(&v)?)
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_round_trip_and_ids_are_checked() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Session::open(d.path(), "main", "s-1").unwrap();
        assert!(s.messages.is_empty());
        s.messages.push(json!({"role": "user", "content": "hi"}));
        s.save("main", "gpt-4.1").unwrap();
        let again = Session::open(d.path(), "main", "s-1").unwrap();
        assert_eq!(again.messages, s.messages);
        for bad in ["../x", "", ".hidden", "a/b"] {
            assert!(Session::open(d.path(), "main", bad).is_err(), "{bad}");
        }
    }
}
