//! `hexaclaw`: the local gateway, admin commands, and the client CLI.

mod admin;
mod gateway;
mod login;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "hexaclaw", version, about = "One API key for every AI service your agent needs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HexaClaw API locally (every route, one process, embedded store).
    Gateway(gateway::GatewayArgs),
    /// Administer accounts, credits and keys directly in the store (local data dir or DynamoDB).
    Admin(admin::AdminArgs),
    /// Log this machine in to HexaClaw (device code flow); `--status` shows the saved login.
    Login(login::LoginArgs),
}

/// Exit codes scripts can rely on.
pub mod exit {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Gateway(a) => gateway::run(a).await,
            Command::Admin(a) => admin::run(a).await,
            Command::Login(a) => login::run(a).await,
        }
    });
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
