//! Lambda for the `browser` endpoint group (`/v1/browser/sessions`): wiring only; the router
//! lives in hexaclaw-shared.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run(hexaclaw_shared::http::browser::router, false).await
}
