//! The tool-calling loop of one agent turn: ask the model (streaming its text to the terminal),
//! run the tools it calls, feed the results back, until it answers without tools.

use super::llm::{Backend, assistant_message};
use super::thinking::{self, Thinking};
use super::tools::ToolBox;
use crate::exit;
use crate::ui;
use hexaclaw_shared::catalog::ModelInfo;
use hexaclaw_shared::money::MicroCredits;
use serde_json::{Value, json};
use std::io::Write;

/// Most model calls in one turn (a loop guard).
pub const MAX_STEPS: usize = 24;

/// What a turn runs with.
pub struct Turn<'a> {
    pub backend: &'a Backend,
    pub tools: &'a ToolBox,
    pub model: &'static ModelInfo,
    pub thinking: Thinking,
    pub system: String,
    /// Print the answer to stdout as it arrives.
    pub stream: bool,
    /// Tell the user on stderr which tools run and what they cost.
    pub narrate: bool,
    pub verbose: bool,
}

/// Where a turn got to (kept when it fails or times out part-way).
#[derive(Default)]
pub struct Progress {
    pub messages: Vec<Value>,
    /// Length of `messages` at the last point a conversation may resume from.
    pub consistent: usize,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub model_used: Option<String>,
    pub media: Vec<String>,
    pub texts: Vec<String>,
    pub final_text: String,
    pub tool_cost: MicroCredits,
}

impl Turn<'_> {
    fn request(&self, messages: &[Value]) -> Value {
        let mut all = Vec::with_capacity(messages.len() + 1);
        all.push(json!({"role": "system", "content": self.system}));
        all.extend_from_slice(messages);
        let mut body = json!({
            "model": self.model.id,
            "messages": all,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        let specs = self.tools.specs();
        if self.model.capabilities.tools && !specs.is_empty() {
            body["tools"] = json!(specs);
        }
        if let Some(e) = thinking::reasoning_effort(self.model, self.thinking) {
            body["reasoning_effort"] = json!(e);
        }
        body
    }

    /// Run until the model answers without calling a tool.
    pub async fn run(&self, p: &mut Progress) -> anyhow::Result<()> {
        for step in 0..MAX_STEPS {
            let body = self.request(&p.messages);
            if self.verbose {
                eprintln!(
                    "[verbose] step {} · {} via {} · {} messages · {} tools",
                    step + 1,
                    self.model.id,
                    self.backend.provider_label(),
                    p.messages.len() + 1,
                    body["tools"].as_array().map_or(0, Vec::len)
                );
            }
            let stream = self.stream;
            let mut ended_with_newline = true;
            let mut on_text = |t: &str| {
                if stream {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(t.as_bytes());
                    let _ = out.flush();
                    ended_with_newline = t.ends_with('\n');
                }
            };
            let c = self
                .backend
                .complete(&body, self.model, self.thinking, &mut on_text)
                .await?;
            if stream && !ended_with_newline {
                println!();
            }
            p.input_tokens += c.input_tokens;
            p.output_tokens += c.output_tokens;
            if c.model.is_some() {
                p.model_used.clone_from(&c.model);
            }
            if self.verbose {
                eprintln!(
                    "[verbose] usage: {} in / {} out · finish {}",
                    c.input_tokens,
                    c.output_tokens,
                    c.finish.as_deref().unwrap_or("?")
                );
            }
            p.messages.push(assistant_message(&c));
            if !c.text.trim().is_empty() {
                p.texts.push(c.text.clone());
            }
            if c.tool_calls.is_empty() {
                p.final_text = c.text;
                p.consistent = p.messages.len();
                return Ok(());
            }
            for call in &c.tool_calls {
                if self.narrate {
                    eprintln!("→ {} {}", call.name, short(&call.arguments, 120));
                }
                let r = self.tools.run(&call.name, &call.arguments).await;
                if let Some(cost) = r.cost {
                    p.tool_cost += cost;
                }
                if let Some(m) = &r.media {
                    p.media.push(m.clone());
                }
                if self.narrate {
                    let status = if r.ok { "ok" } else { "failed" };
                    let cost = r
                        .cost
                        .map_or_else(String::new, |c| format!(" · {}", ui::format_credits(c)));
                    eprintln!("  {} {status}{cost}", call.name);
                }
                if self.verbose {
                    eprintln!("[verbose] {} → {}", call.name, short(&r.content, 500));
                }
                p.messages.push(json!({
                    "role": "tool",
                    "tool_call_id": call.id,
                    "content": r.content,
                }));
            }
            p.consistent = p.messages.len();
        }
        exit::fail(
            exit::ERROR,
            format!("the agent did not finish within {MAX_STEPS} model calls"),
        )
    }
}

/// One line, at most `max` characters.
fn short(s: &str, max: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= max {
        one
    } else {
        format!("{}…", one.chars().take(max).collect::<String>())
    }
}

/// The system prompt for an agent.
pub fn system_prompt(agent_name: &str, extra: Option<&str>, tools: &[&str]) -> String {
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let mut s = format!(
        "You are {agent_name}, a HexaClaw agent running in the user's terminal through the `hexaclaw` CLI.\n\
         Current time: {}. Working directory: {cwd}. OS: {}.\n",
        chrono::Local::now().to_rfc3339(),
        std::env::consts::OS
    );
    if tools.is_empty() {
        s.push_str("You have no tools in this session; answer from what you know.\n");
    } else {
        s.push_str(&format!(
            "Tools: {}. Use them when they help, answer directly when they do not. \
             When you generate an image, give its URL in your answer.\n",
            tools.join(", ")
        ));
    }
    if let Some(x) = extra.filter(|x| !x.trim().is_empty()) {
        s.push('\n');
        s.push_str(x);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_flattens_and_cuts() {
        assert_eq!(short("a\n  b", 10), "a b");
        assert_eq!(short("abcdef", 3), "abc…");
        let p = system_prompt("main", Some("Be terse."), &["read"]);
        assert!(p.contains("Tools: read.") && p.ends_with("Be terse.\n"));
    }
}
