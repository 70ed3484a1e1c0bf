//! Lambda for the `audio` endpoint group (`/v1/audio/speech`, `/v1/audio/transcriptions`), with
//! response streaming so speech audio reaches the client as OpenAI produces it.

#[tokio::main]
async fn main() -> Result<(), hexaclaw_shared::host::BoxError> {
    hexaclaw_shared::host::run(hexaclaw_shared::http::audio::router, true).await
}
