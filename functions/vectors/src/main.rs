//! Lambda for the `vectors` endpoint group: wiring only; the router lives in hexaclaw-shared.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run_with_vectors(hexaclaw_shared::http::vectors::router, false).await
}
