//! Lambda for the `embeddings` endpoint group (`/v1/embeddings`): wiring only; the router lives
//! in hexaclaw-shared.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run(hexaclaw_shared::http::embeddings::router, false).await
}
