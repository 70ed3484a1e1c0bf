//! Scheduled Lambda: monthly tier grants and the expired-hold sweeper.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run_maintenance().await
}
