//! `audio` group: `POST /v1/audio/speech` (OpenAI TTS, audio streamed through) and
//! `POST /v1/audio/transcriptions` (Whisper, multipart upload), metered through the pipeline.
//!
//! Both prices are known before the call, so hold = settle: speech costs its input's characters
//! (Unicode scalar values) at 1 or 2 credits per 1K; a transcription costs 1 credit per started
//! minute of audio, measured from the uploaded file. BYOK (`X-Provider-Key`) pays the platform
//! fee instead (5%, at least 1 credit).

pub mod duration;
mod speech;
mod transcriptions;

use crate::catalog;
use crate::money::MicroCredits;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use std::time::Duration;

/// Largest audio file accepted (OpenAI's limit: 25 MB).
pub const MAX_AUDIO_BYTES: usize = 25 * 1024 * 1024;
/// Largest multipart body: the file plus room for the text fields and part headers.
pub const MAX_UPLOAD_BODY: usize = MAX_AUDIO_BYTES + 256 * 1024;
/// Seconds an audio hold may stay HELD before the sweeper voids it.
pub const HOLD_DEADLINE_SECS: i64 = 1_800;
/// Upstream deadline: TTS of 4,096 characters and Whisper on 25 MB both take a while.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(600);
/// Responses larger than this are not stored for idempotent replay (store item limits).
pub const MAX_STORED_BYTES: usize = 256 * 1024;

/// The `audio` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/audio/speech", post(speech::create))
        .route(
            "/v1/audio/transcriptions",
            post(transcriptions::create).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        )
        .with_state(state)
}

/// The list price, or the BYOK platform fee on it.
fn priced(list: MicroCredits, byok: bool) -> MicroCredits {
    if byok { catalog::byok_fee(list) } else { list }
}

/// Upstream call settings for audio.
fn call_opts() -> crate::upstream::CallOpts {
    crate::upstream::CallOpts {
        timeout: UPSTREAM_TIMEOUT,
        ..Default::default()
    }
}
