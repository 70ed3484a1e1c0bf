//! A fake OpenAI (embeddings, speech, transcriptions) and Gemini (`:batchEmbedContents`) on a
//! loopback port, answering with the documented bodies from tests/fixtures and recording every
//! request it gets.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

pub const OPENAI_KEY: &str = "sk-test-openai-0000";
pub const GEMINI_KEY: &str = "AIza-test-gemini-0000";

/// Bytes the fake speaks, in three chunks.
pub const AUDIO_CHUNKS: [&[u8]; 3] = [b"ID3\x04fake-audio-part-1|", b"part-2|", b"part-3-end"];

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Multipart fields: (name, filename, content type, data).
    pub parts: Vec<(String, Option<String>, Option<String>, Bytes)>,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON request")
    }

    pub fn part(&self, name: &str) -> Option<&(String, Option<String>, Option<String>, Bytes)> {
        self.parts.iter().find(|p| p.0 == name)
    }
}

/// What the next answers should do instead of the documented success.
#[derive(Clone, Debug)]
pub enum Twist {
    /// Answer this status with this body once.
    Fail(u16, String),
    /// Speech: send the first chunk, then break the connection.
    BreakStream,
    /// Speech: send the first chunk, then wait for `gate` before the rest.
    HoldStream,
}

#[derive(Default)]
struct Inner {
    seen: Vec<Seen>,
    twists: VecDeque<Twist>,
}

/// Handle on the running fake.
#[derive(Clone)]
pub struct FakeServices {
    pub origin: String,
    inner: Arc<Mutex<Inner>>,
    pub gate: Arc<Notify>,
}

pub fn fixture(rel: &str) -> String {
    let p = hexaclaw_tests::repo_root().join("tests/fixtures").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

impl FakeServices {
    pub async fn start() -> FakeServices {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let fake = FakeServices {
            origin,
            inner: Arc::default(),
            gate: Arc::new(Notify::new()),
        };
        let app = Router::new().fallback(handle).with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    /// Config variables pointing OpenAI and Gemini at this fake, with platform keys.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HEXACLAW_UPSTREAM_OPENAI", self.origin.clone()),
            ("HEXACLAW_UPSTREAM_GEMINI", self.origin.clone()),
            ("OPENAI_API_KEY", OPENAI_KEY.to_owned()),
            ("GEMINI_API_KEY", GEMINI_KEY.to_owned()),
        ]
    }

    pub fn twist(&self, t: Twist) {
        self.inner.lock().unwrap().twists.push_back(t);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    fn next_twist(&self) -> Option<Twist> {
        self.inner.lock().unwrap().twists.pop_front()
    }
}

fn json_response(status: u16, body: String) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("response")
}

async fn handle(State(f): State<FakeServices>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let headers = req.headers().clone();
    let mut seen = Seen {
        path: path.clone(),
        headers: headers.clone(),
        body: Bytes::new(),
        parts: Vec::new(),
    };
    if path == "/v1/audio/transcriptions" {
        let mut mp = match Multipart::from_request(req, &()).await {
            Ok(m) => m,
            Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
        };
        while let Ok(Some(field)) = mp.next_field().await {
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let ct = field.content_type().map(str::to_owned);
            let data = field.bytes().await.unwrap_or_default();
            seen.parts.push((name, filename, ct, data));
        }
    } else {
        seen.body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
    }
    f.inner.lock().unwrap().seen.push(seen.clone());
    let gemini = path.starts_with("/v1beta/models/");
    let auth_ok = if gemini {
        headers.get("x-goog-api-key").is_some()
    } else {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer sk-"))
    };
    if !auth_ok {
        return json_response(401, fixture("openai/error_401.json"));
    }
    let twist = f.next_twist();
    if let Some(Twist::Fail(status, body)) = &twist {
        return json_response(*status, body.clone());
    }
    match path.as_str() {
        "/v1/embeddings" => openai_embeddings(&seen.json()),
        "/v1/audio/speech" => speech(&f, twist),
        "/v1/audio/transcriptions" => transcription(&seen),
        p if gemini && p.ends_with(":batchEmbedContents") => gemini_batch(&seen.json()),
        _ => json_response(
            404,
            json!({"error": {"message": "no such fake route"}}).to_string(),
        ),
    }
}

/// One input: the fixture byte for byte (8 tokens). N inputs: the fixture's item N times, and
/// one token per 4 bytes of each input (at least 1), as a BPE count of short English would be.
fn openai_embeddings(req: &Value) -> Response {
    let base64 = req["encoding_format"] == "base64";
    let text = fixture(if base64 {
        "openai/embeddings_response_base64.json"
    } else {
        "openai/embeddings_response.json"
    });
    let n = match &req["input"] {
        Value::Array(a) if a.iter().all(|v| !v.is_number()) => a.len(),
        _ => 1,
    };
    if n == 1 {
        return json_response(200, text);
    }
    let mut v: Value = serde_json::from_str(&text).expect("fixture");
    let item = v["data"][0].clone();
    v["data"] = (0..n)
        .map(|i| {
            let mut it = item.clone();
            it["index"] = json!(i);
            it
        })
        .collect();
    let tokens: usize = req["input"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| match t {
            Value::String(s) => s.len().div_ceil(4).max(1),
            Value::Array(a) => a.len(),
            _ => 1,
        })
        .sum();
    v["usage"] = json!({"prompt_tokens": tokens, "total_tokens": tokens});
    json_response(200, v.to_string())
}

/// Two requests: the fixture byte for byte; otherwise as many embeddings as asked, each of
/// `outputDimensionality` values (3 by default). Over 100: Gemini's 400.
fn gemini_batch(req: &Value) -> Response {
    let reqs = req["requests"].as_array().cloned().unwrap_or_default();
    if reqs.len() > 100 {
        return json_response(400, fixture("gemini/batch_embed_error_400.json"));
    }
    if reqs.len() == 2 && reqs[0].get("outputDimensionality").is_none() {
        return json_response(200, fixture("gemini/batch_embed_response.json"));
    }
    let embeddings: Vec<Value> = reqs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let d = r["outputDimensionality"].as_u64().unwrap_or(3) as usize;
            json!({"values": (0..d).map(|k| (i * 10 + k) as f32 / 64.0).collect::<Vec<f32>>()})
        })
        .collect();
    json_response(200, json!({ "embeddings": embeddings }).to_string())
}

fn speech(f: &FakeServices, twist: Option<Twist>) -> Response {
    let gate = f.gate.clone();
    let stream = async_stream_like(twist, gate);
    Response::builder()
        .status(200)
        .header("content-type", "audio/mpeg")
        .body(Body::from_stream(stream))
        .expect("response")
}

fn async_stream_like(
    twist: Option<Twist>,
    gate: Arc<Notify>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(0usize, move |i| {
        let twist = twist.clone();
        let gate = gate.clone();
        async move {
            if i >= AUDIO_CHUNKS.len() {
                return None;
            }
            if i == 1 {
                match twist {
                    Some(Twist::BreakStream) => {
                        // Let the first chunk reach the gateway before the connection breaks.
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        return Some((
                            Err(std::io::Error::other("fake broke the stream")),
                            usize::MAX,
                        ));
                    }
                    Some(Twist::HoldStream) => gate.notified().await,
                    _ => {}
                }
            }
            Some((Ok(Bytes::from_static(AUDIO_CHUNKS[i])), i + 1))
        }
    })
}

fn transcription(seen: &Seen) -> Response {
    let format = seen
        .part("response_format")
        .map(|p| String::from_utf8_lossy(&p.3).into_owned())
        .unwrap_or_else(|| "json".into());
    let text = "Silence, transcribed.";
    match format.as_str() {
        "text" | "srt" | "vtt" => Response::builder()
            .status(200)
            .header("content-type", "text/plain; charset=utf-8")
            .body(Body::from(format!("{text}\n")))
            .expect("response"),
        "verbose_json" => json_response(200, json!({"task": "transcribe", "language": "english", "duration": 5.0, "text": text, "segments": []}).to_string()),
        _ => json_response(200, json!({"text": text}).to_string()),
    }
}
