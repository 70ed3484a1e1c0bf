//! `hexaclaw gateway run`: every route of every endpoint group on one local listener.

use clap::{Args, Subcommand, ValueEnum};
use hexaclaw_shared::config::{Config, StoreConfig};
use hexaclaw_shared::state::AppState;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args)]
pub struct GatewayArgs {
    #[command(subcommand)]
    cmd: GatewayCmd,
}

#[derive(Subcommand)]
enum GatewayCmd {
    /// Run the gateway in the foreground.
    Run(RunArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Bind {
    /// 127.0.0.1 only.
    Loopback,
    /// All interfaces (0.0.0.0): reachable from your network.
    Lan,
}

#[derive(Args)]
struct RunArgs {
    /// Which interfaces to listen on.
    #[arg(long, value_enum, default_value = "loopback")]
    bind: Bind,
    /// TCP port.
    #[arg(long, default_value_t = 18789)]
    port: u16,
    /// Data directory of the embedded store (default ~/.openclaw/hexaclaw).
    #[arg(long, env = "HEXACLAW_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long)]
    json_logs: bool,
}

pub async fn run(args: GatewayArgs) -> anyhow::Result<()> {
    match args.cmd {
        GatewayCmd::Run(a) => run_foreground(a).await,
    }
}

async fn run_foreground(a: RunArgs) -> anyhow::Result<()> {
    hexaclaw_shared::telemetry::init(a.json_logs);
    // No Guardian warm-up here: only Max-plan keys scan, and the compiled scanners are ~15 MB
    // that every other gateway would carry for nothing. The first scan builds what it needs
    // (~10 ms, once per process); the `guardian` Lambda, whose every request scans, warms up.
    let mut overrides = HashMap::new();
    if let Some(d) = &a.data_dir {
        overrides.insert("HEXACLAW_DATA_DIR".to_owned(), d.display().to_string());
    }
    let config = Config::load_with(&overrides).await?;
    // One gateway per data directory: it is the store's only server, which lets concurrency
    // leases live in this process (`Store::single_server`). Held until the process exits.
    let _lock = match &config.store {
        StoreConfig::Embedded { data_dir } => lock_data_dir(data_dir)?,
        StoreConfig::Dynamo { .. } => None,
    };
    let state = AppState::from_config(config).await?;
    // What the scheduled `maintenance` Lambda does in AWS, the local gateway does itself:
    // monthly grants, sessions/jobs/holds left behind, expired items.
    let maint = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            match hexaclaw_shared::maintenance::run(&maint, chrono::Utc::now()).await {
                Ok(r) => tracing::info!(?r, "maintenance run"),
                Err(e) => tracing::warn!(error = %e, "maintenance run failed"),
            }
        }
    });
    let router = hexaclaw_shared::http::gateway_router(state);
    let ip = match a.bind {
        Bind::Loopback => "127.0.0.1",
        Bind::Lan => "0.0.0.0",
    };
    let addr: SocketAddr = format!("{ip}:{}", a.port).parse()?;
    hexaclaw_shared::host::serve_local(router, addr)
        .await
        .map_err(|e| anyhow::anyhow!(e))
}

/// Take the data directory's gateway lock (`gateway.lock`, an OS file lock, so a gateway
/// that died leaves nothing to clean up), or explain who holds it. Where the file system
/// cannot lock files at all, warn and run unlocked rather than refuse to start.
fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<Option<std::fs::File>> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("gateway.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another `hexaclaw gateway run` is serving {}: run one gateway per data directory \
             (admin commands may run beside it)",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            tracing::warn!(
                path = %path.display(),
                error = %e,
                "cannot lock the data directory; make sure only one gateway serves it \
                 (concurrency limits are kept per gateway process)"
            );
            Ok(None)
        }
    }
}
