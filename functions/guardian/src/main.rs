//! Lambda for the `guardian` endpoint group: wiring only; the router lives in hexaclaw-shared.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    // Every request of this group scans: build the scanners while the first one does its key
    // lookup and metering round trips. (chat and messages scan only Max-plan traffic, so a
    // warm-up there would spend a cold start's CPU on scans most requests never run.)
    hexaclaw_shared::guardian::warm_up_in_background();
    hexaclaw_shared::host::run(hexaclaw_shared::http::guardian::router, false).await
}
