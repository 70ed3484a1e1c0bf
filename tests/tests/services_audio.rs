//! Embeddings, text-to-speech and speech-to-text end to end through their routers, against a
//! fake OpenAI/Gemini speaking the documented JSON: exact charges from the price table
//! (per-token, per-1K-characters, per started minute), audio streamed through, a broken stream
//! not charged, and every bad request answered 400/404/413 with no upstream call and no charge.

#[path = "services_audio/embeddings.rs"]
mod embeddings_cases;
#[path = "services_audio/fake.rs"]
mod fake;
#[path = "services_audio/speech.rs"]
mod speech_cases;
#[path = "services_audio/transcriptions.rs"]
mod transcription_cases;

use axum::Router;
use axum::body::Body;
use fake::FakeServices;
use hexaclaw_shared::catalog::{self, Tier, TtsModel};
use hexaclaw_shared::http::{audio, embeddings};
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_tests::client::{header, settled};
use hexaclaw_tests::{Resp, TestEnv, call, event_request, req};
use http::Request;
use serde_json::Value;

pub const START: i64 = 50;

pub struct Setup {
    pub env: TestEnv,
    pub fake: FakeServices,
    pub router: Router,
    pub acct: String,
    pub key: String,
}

pub async fn setup() -> Setup {
    let fake = FakeServices::start().await;
    let vars = fake.env();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let env = TestEnv::embedded_with(&vars).await;
    let router = Router::new()
        .merge(embeddings::router(env.state.clone()))
        .merge(audio::router(env.state.clone()));
    let (acct, key) = env.account_with_key(Tier::Pro, START).await;
    Setup {
        env,
        fake,
        router,
        acct,
        key,
    }
}

impl Setup {
    /// Available balance after everything settled; the ledger replays to it.
    pub async fn balance(&self) -> MicroCredits {
        settled(&self.env, &self.acct).await.0
    }

    pub async fn charged(&self) -> MicroCredits {
        MicroCredits::credits(START) - self.balance().await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        call(&self.router, req("POST", path, Some(&self.key), Some(body))).await
    }
}

pub fn ok(r: &Resp) {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// A mono 8-bit 8 kHz WAV of `ms` milliseconds of silence.
pub fn wav(ms: u64) -> Vec<u8> {
    let n = (ms * 8) as u32;
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&(36 + n).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0");
    v.extend_from_slice(&8_000u32.to_le_bytes());
    v.extend_from_slice(&8_000u32.to_le_bytes());
    v.extend_from_slice(b"\x01\0\x08\0data");
    v.extend_from_slice(&n.to_le_bytes());
    v.resize(v.len() + n as usize, 0x80);
    v
}

pub fn audio_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        hexaclaw_tests::repo_root()
            .join("tests/fixtures/audio")
            .join(name),
    )
    .unwrap()
}

/// A multipart body: text fields, then an optional file part.
pub fn form(boundary: &str, fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, ct, data)) = file {
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes());
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

pub fn upload(key: &str, boundary: &str, body: Vec<u8>, extra: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::post("/v1/audio/transcriptions")
        .header("authorization", format!("Bearer {key}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        );
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    b.body(Body::from(body)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_events_replay_through_the_routers() {
    let s = setup().await;
    for (event, content_type) in [
        ("embeddings/create.json", "application/json"),
        ("embeddings/create-gemini.json", "application/json"),
        ("audio/speech.json", "audio/mpeg"),
        ("audio/transcription.json", "application/json"),
    ] {
        let r = call(&s.router, event_request(event, Some(&s.key))).await;
        ok(&r);
        assert!(
            header(&r.headers, "content-type").starts_with(content_type),
            "{event}"
        );
    }
    let paths: Vec<String> = s.fake.seen().iter().map(|x| x.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/v1/embeddings",
            "/v1beta/models/gemini-embedding-001:batchEmbedContents",
            "/v1/audio/speech",
            "/v1/audio/transcriptions"
        ]
    );
    // The transcription event carries 2 s of WAV: one started minute.
    let speech = catalog::tts_cost(
        TtsModel::Standard,
        "The quick brown fox jumped over the lazy dog."
            .chars()
            .count() as u64,
    );
    let embeds = MicroCredits(16) + MicroCredits(7);
    assert_eq!(
        s.charged().await,
        speech + embeds + MicroCredits::credits(1)
    );
}
