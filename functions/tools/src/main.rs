//! Lambda for the `tools` endpoint group (`/v1/search`, `/v1/scrape`, `/v1/email`): wiring only;
//! the router lives in hexaclaw-shared.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run(hexaclaw_shared::http::tools::router, true).await
}
