//! Structured logs: JSON lines on stdout (CloudWatch parses them), filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;

/// Install the global subscriber once; later calls are no-ops. `json=false` gives human-readable
/// lines for the local gateway's terminal.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.compact().try_init()
    };
}
