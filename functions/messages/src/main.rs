//! Lambda for the `messages` endpoint group (`/v1/messages`), with response streaming.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run(hexaclaw_shared::http::messages::router, true).await
}
