//! `hexaclaw agent`: one agent turn with tools, through the HexaClaw API or (`--local`) the
//! provider directly; streamed to the terminal, or with `--json` the reference's result shape.

pub mod llm;
pub mod session;
pub mod thinking;
pub mod tools;
pub mod turn;

use self::llm::Backend;
use self::session::Session;
use self::thinking::Thinking;
use self::tools::ToolBox;
use self::turn::{Progress, Turn};
use crate::api::{self, Api};
use crate::exit::{self, CliError};
use crate::settings::ConfigFiles;
use crate::ui;
use clap::{Args, ValueEnum};
use hexaclaw_shared::catalog::{self, ModelInfo};
use hexaclaw_shared::providers::ProviderKind;
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

/// `on` / `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Args)]
pub struct AgentArgs {
    /// Target a specific agent.
    #[arg(long, default_value = "main")]
    agent: String,
    /// The message to send to the agent (`-` reads it from stdin).
    #[arg(short, long)]
    message: String,
    /// Output the result as JSON (for scripting and pipelines).
    #[arg(long)]
    json: bool,
    /// Thinking depth [default: the agent's, else off].
    #[arg(long, value_enum)]
    thinking: Option<Thinking>,
    /// Max execution time in seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Continue (or start) a named conversation session.
    #[arg(long)]
    session_id: Option<String>,
    /// Run locally with your own provider keys (OPENAI_API_KEY, ANTHROPIC_API_KEY, …).
    #[arg(long)]
    local: bool,
    /// Detailed logging on stderr.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "on")]
    verbose: Option<OnOff>,
    /// Model for this turn [default: the agent's].
    #[arg(long)]
    model: Option<String>,
    /// Let the agent run shell commands without asking.
    #[arg(short, long)]
    yes: bool,
    /// Send the reply to a connected channel (not available in this CLI).
    #[arg(long, hide = true)]
    deliver: bool,
    /// API base URL [default: the saved one, else https://api.hexaclaw.com].
    #[arg(long, env = "HEXACLAW_API_BASE")]
    api_base: Option<String>,
}

/// Everything one run needs (also used by the shell and by `cron run-due`).
#[derive(Clone)]
pub struct RunOptions {
    pub agent: String,
    pub message: String,
    pub model: Option<String>,
    pub thinking: Option<Thinking>,
    pub timeout: Duration,
    pub session_id: Option<String>,
    pub local: bool,
    pub verbose: bool,
    pub yes: bool,
    /// Stream text to stdout and narrate tools on stderr (off for `--json`).
    pub interactive: bool,
    pub api_base: Option<String>,
}

/// How a run ended.
pub struct RunReport {
    pub run_id: String,
    pub session_id: Option<String>,
    /// `None` when it completed; else the error (its exit code inside).
    pub error: Option<anyhow::Error>,
    pub text: String,
    pub media: Vec<String>,
    pub duration_ms: u128,
    pub provider: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl RunReport {
    /// The exit code of this run.
    pub fn code(&self) -> u8 {
        self.error.as_ref().map_or(exit::OK, exit::code_of)
    }

    /// The reference's `--json` shape, fields in its order.
    pub fn to_output(&self) -> AgentOutput {
        let (status, summary) = match &self.error {
            None => ("ok", "completed".to_owned()),
            Some(e) if exit::code_of(e) == exit::TIMEOUT => ("timeout", format!("{e:#}")),
            Some(e) => ("error", format!("{e:#}")),
        };
        let mut payloads = Vec::new();
        if self.error.is_none() || !self.text.is_empty() {
            payloads.push(Payload {
                text: self.text.clone(),
                media_url: self.media.first().cloned(),
            });
        }
        for m in self.media.iter().skip(1) {
            payloads.push(Payload {
                text: String::new(),
                media_url: Some(m.clone()),
            });
        }
        AgentOutput {
            run_id: self.run_id.clone(),
            status,
            summary,
            result: RunResult {
                payloads,
                meta: Meta {
                    duration_ms: self.duration_ms as u64,
                    agent_meta: AgentMeta {
                        session_id: self.session_id.clone(),
                        provider: self.provider.clone(),
                        model: self.model.clone(),
                        usage: Usage {
                            input: self.input_tokens,
                            output: self.output_tokens,
                            total: self.input_tokens + self.output_tokens,
                        },
                    },
                },
            },
        }
    }
}

/// `hexaclaw agent --json` output.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentOutput {
    run_id: String,
    status: &'static str,
    summary: String,
    result: RunResult,
}

#[derive(Serialize)]
struct RunResult {
    payloads: Vec<Payload>,
    meta: Meta,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    text: String,
    media_url: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    duration_ms: u64,
    agent_meta: AgentMeta,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AgentMeta {
    session_id: Option<String>,
    provider: String,
    model: String,
    usage: Usage,
}

#[derive(Serialize)]
struct Usage {
    input: u64,
    output: u64,
    total: u64,
}

/// Run `hexaclaw agent …`; returns the exit code.
pub async fn run(a: AgentArgs) -> anyhow::Result<u8> {
    if a.deliver {
        return exit::fail(
            exit::USAGE,
            "--deliver needs connected channels, which this CLI does not manage; pipe --json output instead",
        );
    }
    let message = if a.message == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        a.message
    };
    let cfg = ConfigFiles::load()?;
    let opts = RunOptions {
        agent: a.agent,
        message,
        model: a.model,
        thinking: a.thinking,
        timeout: Duration::from_secs(a.timeout.max(1)),
        session_id: a.session_id,
        local: a.local,
        verbose: a.verbose == Some(OnOff::On),
        yes: a.yes,
        interactive: !a.json,
        api_base: a.api_base,
    };
    let report = execute(&cfg, &opts).await;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report.to_output())?);
    } else if let Some(e) = &report.error {
        eprintln!("error: {e:#}");
    }
    Ok(report.code())
}

/// Run one turn and report how it went (never fails: errors are in the report).
pub async fn execute(cfg: &ConfigFiles, o: &RunOptions) -> RunReport {
    let started = Instant::now();
    let mut report = RunReport {
        run_id: uuid::Uuid::new_v4().to_string(),
        session_id: None,
        error: None,
        text: String::new(),
        media: Vec::new(),
        duration_ms: 0,
        provider: if o.local {
            "local".into()
        } else {
            "hexaclaw-cloud".into()
        },
        model: String::new(),
        input_tokens: 0,
        output_tokens: 0,
    };
    if let Err(e) = execute_inner(cfg, o, &mut report, started).await {
        report.error = Some(e);
    }
    report.duration_ms = started.elapsed().as_millis();
    report
}

async fn execute_inner(
    cfg: &ConfigFiles,
    o: &RunOptions,
    r: &mut RunReport,
    started: Instant,
) -> anyhow::Result<()> {
    let agent = cfg.agent(&o.agent)?;
    let model_id = o.model.clone().unwrap_or_else(|| agent.model.clone());
    r.model = model_id.clone();
    let model: &'static ModelInfo = catalog::resolve(&model_id).ok_or_else(|| {
        CliError::new(
            exit::USAGE,
            format!("unknown model '{model_id}'; see `hexaclaw models list`"),
        )
    })?;
    r.model = model.id.to_owned();
    let level = o
        .thinking
        .or_else(|| agent.thinking.as_deref().and_then(Thinking::parse))
        .unwrap_or(Thinking::Off);
    let cloud = Api::from_config(cfg, o.api_base.as_deref())?;
    let backend = if o.local {
        local_backend(cfg, model)?
    } else {
        Backend::Cloud(cloud.clone())
    };
    r.provider = backend.provider_label().to_owned();
    if !o.local {
        crate::services::check_spending_cap(&cloud, cfg.spending_cap()).await?;
    }
    if let Some(note) = thinking::limitation(model, level, o.local).filter(|_| o.verbose) {
        eprintln!("[verbose] note: {note}");
    }
    let session_id = o.session_id.clone().unwrap_or_else(|| r.run_id.clone());
    let mut session = Session::open(&cfg.dir, &agent.id, &session_id)?;
    r.session_id = Some(session_id);
    let has_api = cloud.has_credential();
    let enabled = ToolBox::select(agent.tools.as_deref(), has_api);
    let toolbox = ToolBox {
        enabled,
        api: has_api.then_some(cloud),
        yes: o.yes,
        config_dir: cfg.dir.clone(),
        agent: agent.id.clone(),
        embedding_model: cfg.embedding_model(),
    };
    let name = agent.name.clone().unwrap_or_else(|| agent.id.clone());
    let t = Turn {
        backend: &backend,
        tools: &toolbox,
        model,
        thinking: level,
        system: turn::system_prompt(&name, agent.system_prompt.as_deref(), &toolbox.enabled),
        stream: o.interactive,
        narrate: o.interactive,
        verbose: o.verbose,
    };
    let mut p = Progress {
        messages: std::mem::take(&mut session.messages),
        ..Progress::default()
    };
    let resume_from = p.messages.len();
    p.messages
        .push(json!({"role": "user", "content": o.message}));
    p.consistent = p.messages.len();
    let result = match tokio::time::timeout(o.timeout, t.run(&mut p)).await {
        Ok(res) => res,
        Err(_) => exit::fail(
            exit::TIMEOUT,
            format!("timed out after {} s", o.timeout.as_secs()),
        ),
    };
    // Only whole exchanges are kept: a turn that failed before any answer leaves no trace.
    let keep = if p.consistent > resume_from + 1 {
        p.consistent
    } else {
        resume_from
    };
    p.messages.truncate(keep);
    session.messages = std::mem::take(&mut p.messages);
    session.save(&agent.id, model.id)?;
    r.input_tokens = p.input_tokens;
    r.output_tokens = p.output_tokens;
    r.media = p.media;
    r.text = if p.final_text.trim().is_empty() {
        p.texts.join("\n\n")
    } else {
        p.final_text
    };
    if let Some(m) = p.model_used.filter(|_| !o.local) {
        r.model = m;
    }
    if o.interactive && result.is_ok() {
        let llm = if o.local {
            format!("billed by {}", r.provider)
        } else {
            format!(
                "≈{}",
                ui::format_credits(catalog::llm_cost(model, r.input_tokens, r.output_tokens))
            )
        };
        let tools = if p.tool_cost.0 > 0 {
            format!(" + tools {}", ui::format_credits(p.tool_cost))
        } else {
            String::new()
        };
        let took = started.elapsed();
        let took = if took.as_secs() < 1 {
            format!("{} ms", took.as_millis())
        } else {
            format!("{:.1} s", took.as_secs_f64())
        };
        eprintln!(
            "— {} · {} in / {} out tokens · {llm}{tools} · {took} · session {}",
            r.model, r.input_tokens, r.output_tokens, session.id
        );
    }
    result
}

/// The provider of `model`, called with the user's own key (`--local`).
fn local_backend(cfg: &ConfigFiles, model: &ModelInfo) -> anyhow::Result<Backend> {
    let kind = ProviderKind::from_name(model.provider.id()).unwrap_or(ProviderKind::OpenAi);
    let key = cfg.provider_key(kind).ok_or_else(|| {
        CliError::new(
            exit::AUTH,
            format!(
                "--local with {} needs {}_API_KEY (or providers.{}.api_key in hexaclaw.json)",
                model.id,
                kind.env_suffix(),
                kind.name()
            ),
        )
    })?;
    let origin = std::env::var(format!("HEXACLAW_UPSTREAM_{}", kind.env_suffix()))
        .ok()
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| kind.default_origin().to_owned());
    Ok(Backend::Local {
        http: api::http_client()?,
        kind,
        origin,
        key,
    })
}
