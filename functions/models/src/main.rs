//! Lambda for the `models` endpoint group: wiring only; the router lives in hexaclaw-shared.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run(hexaclaw_shared::http::models::router, false).await
}
