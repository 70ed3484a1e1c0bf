//! A chat client for in-process tests: `/v1/chat/completions` requests with extra headers, SSE
//! answers read frame by frame with arrival times, deltas reassembled, and settlement polling.

use crate::{Resp, TestEnv};
use axum::Router;
use axum::body::Body;
use hexaclaw_shared::accounts;
use hexaclaw_shared::money::MicroCredits;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// A `POST /v1/chat/completions` with a JSON body and extra headers.
pub fn chat_req(key: &str, body: &Value, headers: &[(&str, &str)]) -> Request<Body> {
    raw_chat_req(key, body.to_string().into_bytes(), headers)
}

/// The same with a body given as bytes (malformed JSON, oversized bodies).
pub fn raw_chat_req(key: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri("/v1/chat/completions")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from(body)).expect("request")
}

/// A one-message chat body.
pub fn chat_body(model: &str, text: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": text}]})
}

/// A streamed answer: every body frame with the instant it arrived.
pub struct Streamed {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub sent_at: Instant,
    pub frames: Vec<(Instant, bytes::Bytes)>,
}

impl Streamed {
    /// The whole body as text.
    pub fn text(&self) -> String {
        let all: Vec<u8> = self.frames.iter().flat_map(|(_, b)| b.to_vec()).collect();
        String::from_utf8_lossy(&all).into_owned()
    }

    /// The `data:` payloads, in order (`[DONE]` included as a string).
    pub fn data(&self) -> Vec<String> {
        data_lines(&self.text())
    }

    /// The JSON chunks (everything but `[DONE]`).
    pub fn chunks(&self) -> Vec<Value> {
        self.data()
            .iter()
            .filter(|d| *d != "[DONE]")
            .map(|d| {
                serde_json::from_str(d).unwrap_or_else(|e| panic!("chunk not JSON ({e}): {d}"))
            })
            .collect()
    }
}

/// The `data:` payloads of an SSE body.
pub fn data_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.trim().to_owned())
        .collect()
}

/// Send a request and read its body frame by frame, stamping each frame's arrival.
pub async fn stream(router: &Router, req: Request<Body>) -> Streamed {
    let sent_at = Instant::now();
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let mut body = resp.into_body();
    let mut frames = Vec::new();
    while let Some(f) = tokio::time::timeout(Duration::from_secs(20), body.frame())
        .await
        .expect("stream stalled for 20 s")
    {
        if let Ok(data) = f.expect("body frame").into_data() {
            frames.push((Instant::now(), data));
        }
    }
    Streamed {
        status,
        headers,
        sent_at,
        frames,
    }
}

/// What a stream of `chat.completion.chunk`s adds up to.
#[derive(Debug, Default)]
pub struct Assembled {
    pub content: String,
    /// (id, name, arguments) by tool-call index.
    pub tool_calls: Vec<(String, String, String)>,
    pub finish_reason: Option<String>,
    pub usage: Option<Value>,
}

/// Reassemble chunks the way OpenAI clients do.
pub fn assemble(chunks: &[Value]) -> Assembled {
    let mut out = Assembled::default();
    for c in chunks {
        if c["usage"].is_object() {
            out.usage = Some(c["usage"].clone());
        }
        let Some(choice) = c["choices"].get(0) else {
            continue;
        };
        if let Some(t) = choice["delta"]["content"].as_str() {
            out.content.push_str(t);
        }
        for call in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let i = call["index"].as_u64().expect("tool call index") as usize;
            while out.tool_calls.len() <= i {
                out.tool_calls.push(Default::default());
            }
            let slot = &mut out.tool_calls[i];
            if let Some(id) = call["id"].as_str() {
                slot.0 = id.to_owned();
            }
            if let Some(n) = call["function"]["name"].as_str() {
                slot.1.push_str(n);
            }
            if let Some(a) = call["function"]["arguments"].as_str() {
                slot.2.push_str(a);
            }
        }
        if let Some(f) = choice["finish_reason"].as_str() {
            out.finish_reason = Some(f.to_owned());
        }
    }
    out
}

/// Poll until the account holds nothing (every request settled or voided), up to 10 s; then
/// check the ledger replays to the stored balance and return (available, held).
pub async fn settled(env: &TestEnv, account: &str) -> (MicroCredits, MicroCredits) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // The account and the ledger are read one after the other, so a settlement landing in
        // between shows as a mismatch: only a mismatch that persists is a failure.
        let (avail, held) = match accounts::verify_ledger(&env.state.store, account).await {
            Ok(v) => v,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => panic!("ledger: {e}"),
        };
        if held == MicroCredits::ZERO {
            return (avail, held);
        }
        assert!(Instant::now() < deadline, "still {held} held after 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `GET /v1/generation?id=`, polled until the record exists (streams settle after `[DONE]`).
pub async fn generation(router: &Router, key: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r: Resp = crate::call(
            router,
            crate::req("GET", &format!("/v1/generation?id={id}"), Some(key), None),
        )
        .await;
        if r.status == StatusCode::OK {
            return r.json();
        }
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            Instant::now() < deadline,
            "generation {id} not recorded after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A header as text (panics when missing).
pub fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .unwrap_or_else(|| panic!("no {name} header in {h:?}"))
        .to_str()
        .expect("ASCII header")
}
