//! `hexaclaw`: the client CLI (agent, shell, config, models, usage, keys, cron), the local
//! gateway, and admin commands.

mod admin;
mod agent;
mod api;
mod client;
mod configure;
mod cron;
mod exit;
mod gateway;
mod login;
mod services;
mod settings;
mod shell;
mod sse;
mod ui;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hexaclaw",
    version,
    about = "One API key for every AI service your agent needs",
    after_help = exit::HELP_TEXT
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run one agent turn (tools: web search, images, files, shell, memory, cron…).
    Agent(agent::AgentArgs),
    /// Interactive shell with slash commands (also what `hexaclaw` alone runs).
    Shell(shell::ShellArgs),
    /// Interactive setup wizard (or set values with flags).
    Configure(configure::ConfigureArgs),
    /// Read or change config values (`config get agents.defaults.model`).
    Config(configure::ConfigArgs),
    /// Models the API serves, with prices.
    #[command(subcommand)]
    Models(client::ModelsCmd),
    /// Configured agents and their models.
    #[command(subcommand)]
    Agents(client::AgentsCmd),
    /// Credit balance, month-to-date spending and spending by model.
    #[command(alias = "budget")]
    Usage(client::UsageArgs),
    /// API keys (list, create, revoke).
    #[command(subcommand)]
    Keys(client::KeysCmd),
    /// Scheduled agent runs (list, add, delete, run-due).
    Cron(cron::CronArgs),
    /// Log this machine in to HexaClaw (device code flow); `--status` shows the saved login.
    Login(login::LoginArgs),
    /// Run the HexaClaw API locally (every route, one process, embedded store).
    Gateway(gateway::GatewayArgs),
    /// Administer accounts, credits and keys directly in the store (local data dir or DynamoDB).
    Admin(admin::AdminArgs),
}

async fn dispatch(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Agent(a) => return agent::run(a).await,
        Command::Cron(a) => return cron::run(a).await,
        Command::Shell(a) => shell::run(a).await,
        Command::Configure(a) => configure::configure(a).await,
        Command::Config(a) => configure::config(a).await,
        Command::Models(c) => client::models(c).await,
        Command::Agents(c) => client::agents(c),
        Command::Usage(a) => client::usage(a).await,
        Command::Keys(c) => client::keys(c).await,
        Command::Login(a) => login::run(a).await,
        Command::Gateway(a) => gateway::run(a).await,
        Command::Admin(a) => admin::run(a).await,
    }?;
    Ok(exit::OK)
}

/// mimalloc instead of glibc malloc: the gateway allocates many short-lived buffers per request
/// (JSON, store items) and glibc's allocator was a fifth of its CPU time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli
        .command
        .unwrap_or_else(|| Command::Shell(shell::ShellArgs::bare()));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match rt.block_on(dispatch(command)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::code_of(&e))
        }
    }
}
