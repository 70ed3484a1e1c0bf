//! A fake of every chat provider on one loopback port: it answers each provider's documented
//! path by replaying `tests/fixtures/<provider>/` byte for byte, picks a scenario from tags in
//! the last user message, and records every request so tests can see what went upstream.
//!
//! Scenario tags (in the last user message's text):
//! - `[tool]`: the provider's tool-call fixture (OpenAI-format providers without one get
//!   OpenAI's: same wire format);
//! - `[error400]`, `[error429]`, `[error529]`, …: that error fixture with that status;
//! - `[slow]`: a pause of [`SLOW_PAUSE`] between stream events (before a non-streamed answer);
//! - `[flaky]`: a 503 the first time a body is seen, success on the retry;
//! - `[fixture:NAME]`: `<provider>/NAME` as is (`.sse` files are streamed);
//! - otherwise the plain text fixture.
//!
//! `GET /_fake/requests` lists what was recorded as JSON and `POST /_fake/reset` clears it
//! (for the pytest suite, which runs the fake as the `fake-upstream` binary).

mod scenario;

pub use scenario::{assemble_openai, last_user_text, provider_for, sse_events};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Response, StatusCode};
use hexaclaw_shared::providers::ProviderKind;
use scenario::{error_response, error_tag, fixture_tag, scenario_fixture};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The pause between stream events (and before a non-streamed answer) for `[slow]`.
pub const SLOW_PAUSE: Duration = Duration::from_millis(300);

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The provider the path (and model) selected, if any.
    pub provider: Option<ProviderKind>,
    pub received_at: Instant,
}

impl Recorded {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The provider API key the request carried, in whichever header its provider uses.
    pub fn api_key(&self) -> Option<String> {
        if let Some(v) = self.header("authorization") {
            return v.strip_prefix("Bearer ").map(str::to_owned);
        }
        self.header("x-api-key")
            .or_else(|| self.header("x-goog-api-key"))
            .map(str::to_owned)
    }

    fn to_json(&self) -> Value {
        json!({
            "method": self.method,
            "path": self.path,
            "headers": self.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "body": String::from_utf8_lossy(&self.body),
            "provider": self.provider.map(ProviderKind::name),
        })
    }
}

#[derive(Default)]
struct Shared {
    log: Mutex<Vec<Recorded>>,
    /// When each streamed answer (by request index) sent its last byte.
    finished: Mutex<HashMap<usize, Instant>>,
    flaky_seen: Mutex<HashSet<Vec<u8>>>,
}

/// The running fake; stops when dropped.
pub struct FakeUpstream {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

/// The platform key the fake's env gives `kind` (what the gateway should send without BYOK).
pub fn platform_key(kind: ProviderKind) -> String {
    format!("fake-platform-key-{}", kind.name())
}

/// The fixtures directory.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A fixture's text, or a panic naming the file (a missing fixture is a broken test setup).
pub fn fixture(provider: &str, name: &str) -> String {
    let path = fixtures_dir().join(provider).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl FakeUpstream {
    /// Serve on a free loopback port.
    pub async fn start() -> FakeUpstream {
        Self::start_on(0).await.expect("bind fake upstream")
    }

    /// Serve on `port` of 127.0.0.1 (0 = any free port).
    pub async fn start_on(port: u16) -> std::io::Result<FakeUpstream> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeUpstream { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `HEXACLAW_UPSTREAM_<P>` → this fake and `<P>_API_KEY` → [`platform_key`], for all seven.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        ProviderKind::ALL
            .iter()
            .flat_map(|k| {
                [
                    (
                        format!("HEXACLAW_UPSTREAM_{}", k.env_suffix()),
                        self.origin(),
                    ),
                    (format!("{}_API_KEY", k.env_suffix()), platform_key(*k)),
                ]
            })
            .collect()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.log).clone()
    }

    pub fn count(&self) -> usize {
        lock(&self.shared.log).len()
    }

    /// When the streamed answer to request `index` sent its last byte.
    pub fn stream_finished_at(&self, index: usize) -> Option<Instant> {
        lock(&self.shared.finished).get(&index).copied()
    }

    pub fn clear(&self) {
        lock(&self.shared.log).clear();
        lock(&self.shared.finished).clear();
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 256 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    if let Some(r) = control(&s, &path) {
        return r;
    }
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let provider = provider_for(&path, &json);
    let index = {
        let mut log = lock(&s.log);
        log.push(Recorded {
            method: parts.method.to_string(),
            path: parts
                .uri
                .path_and_query()
                .map_or(path.clone(), |p| p.to_string()),
            headers: header_list(&parts.headers),
            body: bytes.clone(),
            provider,
            received_at: Instant::now(),
        });
        log.len() - 1
    };
    let Some(kind) = provider else {
        return json_response(
            404,
            json!({"error": {"message": format!("fake upstream: no provider serves {path}")}})
                .to_string(),
        );
    };
    if parts.method != axum::http::Method::POST {
        return json_response(
            405,
            json!({"error": {"message": "fake upstream: POST only"}}).to_string(),
        );
    }
    if let Some(r) = refuse_auth(kind, &parts.headers, parts.uri.query().unwrap_or("")) {
        return r;
    }
    let text = last_user_text(kind, &json);
    let stream = match kind {
        ProviderKind::Gemini => path.ends_with(":streamGenerateContent"),
        _ => json["stream"] == Value::Bool(true),
    };
    let slow = text.contains("[slow]");
    if text.contains("[flaky]") && lock(&s.flaky_seen).insert(bytes.to_vec()) {
        return error_response(kind, 503);
    }
    if let Some(code) = error_tag(&text) {
        return error_response(kind, code);
    }
    let (dir, name, assemble) = match fixture_tag(&text) {
        Some(name) => (kind.name(), name, false),
        None => scenario_fixture(kind, text.contains("[tool]"), stream),
    };
    let Ok(content) = std::fs::read_to_string(fixtures_dir().join(dir).join(&name)) else {
        let msg = format!("fake upstream: no fixture {dir}/{name}");
        return json_response(500, json!({"error": {"message": msg}}).to_string());
    };
    if assemble {
        json_response(200, assemble_openai(&content).to_string())
    } else if name.ends_with(".sse") {
        sse_response(s, index, sse_events(&content), slow)
    } else {
        if slow {
            tokio::time::sleep(SLOW_PAUSE).await;
        }
        json_response(200, content)
    }
}

fn control(s: &Shared, path: &str) -> Option<Response<Body>> {
    match path {
        "/_fake/requests" => {
            let list: Vec<Value> = lock(&s.log).iter().map(Recorded::to_json).collect();
            Some(json_response(200, Value::Array(list).to_string()))
        }
        "/_fake/reset" => {
            lock(&s.log).clear();
            lock(&s.finished).clear();
            Some(json_response(200, "{}".into()))
        }
        _ => None,
    }
}

fn header_list(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The provider's own auth failure when its auth header is missing, or the key contains
/// `invalid` (so tests can provoke a refused BYOK key).
fn refuse_auth(kind: ProviderKind, h: &HeaderMap, query: &str) -> Option<Response<Body>> {
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let key = match kind {
        ProviderKind::Anthropic => get("x-api-key").filter(|_| get("anthropic-version").is_some()),
        ProviderKind::Gemini => get("x-goog-api-key").or_else(|| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix("key="))
                .map(str::to_owned)
        }),
        _ => get("authorization").and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned)),
    };
    if key
        .as_deref()
        .is_some_and(|k| !k.is_empty() && !k.contains("invalid"))
    {
        return None;
    }
    Some(match kind {
        ProviderKind::Anthropic => json_response(401, fixture("anthropic", "error_401.json")),
        ProviderKind::Gemini => json_response(400, fixture("gemini", "error_400_api_key.json")),
        ProviderKind::Xai => json_response(400, fixture("xai", "error_400_bad_key.json")),
        _ => json_response(401, fixture("openai", "error_401.json")),
    })
}

fn sse_response(s: Arc<Shared>, index: usize, events: Vec<String>, slow: bool) -> Response<Body> {
    let state = (events.into_iter(), true, s);
    let stream = futures_util::stream::unfold(state, move |(mut it, first, s)| async move {
        let Some(ev) = it.next() else {
            lock(&s.finished).insert(index, Instant::now());
            return None;
        };
        if slow && !first {
            tokio::time::sleep(SLOW_PAUSE).await;
        }
        Some((
            Ok::<Bytes, std::convert::Infallible>(Bytes::from(ev)),
            (it, false, s),
        ))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        "content-type",
        "text/event-stream".parse().expect("static header"),
    );
    resp
}

fn json_response(status: u16, body: String) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        "content-type",
        "application/json".parse().expect("static header"),
    );
    resp
}
