//! A scripted OpenAI for the CLI tests: chat completions (streamed) whose tool calls are written
//! in the user's message, plus embeddings, speech and transcription, all recorded.
//!
//! Script: each `[call:NAME {json}]` in the last user message is one tool call, made in order,
//! one per model call, until every call has a `tool` result; then the answer quotes the tool
//! results (`Answer: … | users=N | tools=K`). Without calls the answer is
//! `echo: <message> | users=N`. `[slow]` waits 3 s before answering.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::Response;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub const OPENAI_KEY: &str = "sk-test-scripted-0000";

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub body: Bytes,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The running fake.
#[derive(Clone)]
pub struct Scripted {
    pub origin: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    pub async fn start() -> Scripted {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let s = Scripted {
            origin,
            seen: Arc::default(),
        };
        let app = Router::new().fallback(handle).with_state(s.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        s
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Chat requests so far (bodies).
    pub fn chats(&self) -> Vec<Value> {
        self.seen()
            .iter()
            .filter(|s| s.path == "/v1/chat/completions")
            .map(Seen::json)
            .collect()
    }
}

/// The `[call:NAME {json}]` directives of a message.
pub fn directives(text: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("[call:") {
        rest = &rest[i + 6..];
        let name: String = rest
            .chars()
            .take_while(|c| *c != ' ' && *c != ']')
            .collect();
        let after = rest[name.len()..].trim_start();
        let args = serde_json::Deserializer::from_str(after)
            .into_iter::<Value>()
            .next()
            .and_then(Result::ok)
            .unwrap_or(json!({}));
        out.push((name, args));
    }
    out
}

fn sse(chunks: &[Value]) -> Response<Body> {
    let mut s = String::new();
    for c in chunks {
        s.push_str(&format!("data: {c}\n\n"));
    }
    s.push_str("data: [DONE]\n\n");
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .body(Body::from(s))
        .unwrap()
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1_747_000_000,
        "model": "gpt-4.1-2025-04-14", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

async fn chat(body: &Value) -> Response<Body> {
    let msgs = body["messages"].as_array().cloned().unwrap_or_default();
    let last_user = msgs.iter().rposition(|m| m["role"] == "user").unwrap_or(0);
    let text = msgs
        .get(last_user)
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    if text.contains("[slow]") {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
    let users = msgs.iter().filter(|m| m["role"] == "user").count();
    let results: Vec<String> = msgs[last_user..]
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            m["content"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .take(600)
                .collect()
        })
        .collect();
    let calls = directives(&text);
    let usage = json!({"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1_747_000_000,
        "model": "gpt-4.1-2025-04-14", "choices": [],
        "usage": {"prompt_tokens": 100 + 10 * msgs.len(), "completion_tokens": 7, "total_tokens": 107 + 10 * msgs.len()}});
    if let Some((name, args)) = calls.get(results.len()) {
        let args = args.to_string();
        let (a, b) = args.split_at(args.len() / 2);
        let id = format!("call_{}", results.len());
        return sse(&[
            chunk(
                json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": a}}]}),
                None,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": b}}]}),
                None,
            ),
            chunk(json!({}), Some("tool_calls")),
            usage,
        ]);
    }
    let answer = if calls.is_empty() {
        format!("echo: {text} | users={users}")
    } else {
        format!(
            "Answer: {} | users={users} | tools={}",
            results.join(" || "),
            results.len()
        )
    };
    let (a, b) = answer.split_at(
        answer
            .char_indices()
            .nth(answer.chars().count() / 2)
            .map_or(0, |(i, _)| i),
    );
    sse(&[
        chunk(json!({"role": "assistant", "content": a}), None),
        chunk(json!({"content": b}), None),
        chunk(json!({}), Some("stop")),
        usage,
    ])
}

/// A bag-of-words vector: texts sharing words point the same way.
pub fn embed(text: &str) -> Vec<f32> {
    let mut v = [0f32; 16];
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
    {
        let h = w
            .to_lowercase()
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
        v[(h % 16) as usize] += 1.0;
    }
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter().map(|x| x / n).collect()
}

async fn handle(State(s): State<Scripted>, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let seen = Seen {
        path: path.clone(),
        body,
    };
    s.seen.lock().unwrap().push(seen.clone());
    if auth.as_deref() != Some(&format!("Bearer {OPENAI_KEY}")) {
        return Response::builder()
            .status(401)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#))
            .unwrap();
    }
    let json_resp = |v: Value| {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))
            .unwrap()
    };
    match path.as_str() {
        "/v1/chat/completions" => chat(&seen.json()).await,
        "/v1/embeddings" => {
            let input = seen.json()["input"].as_str().unwrap_or_default().to_owned();
            let tokens = input.split_whitespace().count().max(1);
            json_resp(
                json!({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": embed(&input)}],
                "model": "text-embedding-3-small", "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}),
            )
        }
        "/v1/audio/speech" => Response::builder()
            .status(200)
            .header("content-type", "audio/mpeg")
            .body(Body::from("ID3-scripted-audio"))
            .unwrap(),
        "/v1/audio/transcriptions" => json_resp(json!({"text": "hello from the scripted whisper"})),
        _ => Response::builder()
            .status(404)
            .body(Body::from("no such fake route"))
            .unwrap(),
    }
}
