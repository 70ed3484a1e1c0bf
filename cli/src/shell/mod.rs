//! The interactive shell (`hexaclaw` with no arguments, or `hexaclaw shell`): slash commands
//! for the services, anything else is a turn of the agent in one ongoing session.

pub mod slash;

use crate::agent::{self, RunOptions};
use crate::api::Api;
use crate::settings::ConfigFiles;
use crate::ui;
use clap::Args;
use std::io::Write;
use std::time::Duration;

#[derive(Args)]
pub struct ShellArgs {
    /// The agent plain messages go to.
    #[arg(long, default_value = "main")]
    agent: String,
    /// Model for the agent [default: the agent's].
    #[arg(long)]
    model: Option<String>,
    /// Let the agent run shell commands without asking.
    #[arg(short, long)]
    yes: bool,
    /// Agent turns call providers directly with your own keys.
    #[arg(long)]
    local: bool,
    /// Continue a conversation session.
    #[arg(long)]
    session_id: Option<String>,
    /// API base URL [default: the saved one, else https://api.hexaclaw.com].
    #[arg(long, env = "HEXACLAW_API_BASE")]
    api_base: Option<String>,
}

impl ShellArgs {
    /// What `hexaclaw` with no arguments runs.
    pub fn bare() -> ShellArgs {
        ShellArgs {
            agent: crate::settings::DEFAULT_AGENT.to_owned(),
            model: None,
            yes: false,
            local: false,
            session_id: None,
            api_base: std::env::var("HEXACLAW_API_BASE").ok(),
        }
    }
}

/// The shell's state.
pub struct Shell {
    pub cfg: ConfigFiles,
    pub api: Api,
    pub agent: String,
    pub session: String,
    /// Browser sessions opened here and not closed yet (they bill until closed).
    pub browsers: Vec<String>,
}

fn new_session_id() -> String {
    format!("shell-{}", chrono::Local::now().format("%Y%m%d-%H%M%S"))
}

/// Run the shell until `/exit` or end of input.
pub async fn run(a: ShellArgs) -> anyhow::Result<()> {
    let cfg = ConfigFiles::load()?;
    let api = Api::from_config(&cfg, a.api_base.as_deref())?;
    let agent_def = cfg.agent(&a.agent)?;
    let mut sh = Shell {
        cfg,
        api,
        agent: agent_def.id.clone(),
        session: a.session_id.clone().unwrap_or_else(new_session_id),
        browsers: Vec::new(),
    };
    println!(
        "HexaClaw shell {} — agent '{}' ({}), {}. /help lists commands, /exit quits.",
        env!("CARGO_PKG_VERSION"),
        sh.agent,
        a.model.as_deref().unwrap_or(&agent_def.model),
        sh.api.base
    );
    if !sh.api.has_credential() && !a.local {
        eprintln!("note: no API key configured yet: run `hexaclaw login` or `hexaclaw configure`");
    }
    loop {
        print!("hexaclaw> ");
        let _ = std::io::stdout().flush();
        let Some(line) = ui::read_line().await else {
            println!();
            break;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('/') {
            match slash::run(&mut sh, line).await {
                Ok(slash::Flow::Exit) => break,
                Ok(slash::Flow::Continue) => {}
                Err(e) => eprintln!("error: {e:#}"),
            }
            continue;
        }
        let opts = RunOptions {
            agent: sh.agent.clone(),
            message: line.to_owned(),
            model: a.model.clone(),
            thinking: None,
            timeout: Duration::from_secs(600),
            session_id: Some(sh.session.clone()),
            local: a.local,
            verbose: false,
            yes: a.yes,
            interactive: true,
            api_base: a.api_base.clone(),
        };
        let report = agent::execute(&sh.cfg, &opts).await;
        if let Some(e) = report.error {
            eprintln!("error: {e:#}");
        }
    }
    if !sh.browsers.is_empty() {
        eprintln!(
            "note: browser session(s) still open and billing until they time out: {} (close with `/browse close ID`)",
            sh.browsers.join(", ")
        );
    }
    Ok(())
}
