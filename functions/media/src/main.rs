//! Lambda for the `media` endpoint group (`/v1/images/generate`, `/v1/video/*`, `/v1/music/*`):
//! wiring only; the router lives in hexaclaw-shared.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run(hexaclaw_shared::http::media::router, true).await
}
