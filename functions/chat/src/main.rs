//! Lambda for the `chat` endpoint group (`/v1/chat/completions`), with response streaming.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run(hexaclaw_shared::http::chat::router, true).await
}
