//! Fake fal, Brave, Firecrawl, Resend and Browserbase on one local listener (one path prefix
//! each), answering with the documented bodies in `tests/fixtures/<provider>/` and recording
//! every request. fal's queue walks IN_QUEUE → IN_PROGRESS → COMPLETED over successive polls.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Response, StatusCode};
use bytes::Bytes;
use chrono::SecondsFormat;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub const FAL_KEY: &str = "fal-test-key";
pub const BRAVE_KEY: &str = "brave-test-key";
pub const FIRECRAWL_KEY: &str = "fc-test-key";
pub const RESEND_KEY: &str = "re_test_key";
pub const BB_KEY: &str = "bb_test_key";
pub const BB_PROJECT: &str = "proj_test";
const DOC_REQUEST_ID: &str = "80e732af-660e-45cd-bd63-580e4f2a94cc";

/// One request a fake received.
#[derive(Clone, Debug)]
pub struct Rec {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HashMap<String, String>,
    pub body: Bytes,
}

impl Rec {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FalOutcome {
    Video,
    Music,
    FailStatus,
    FailResult,
}

struct FalJob {
    polls: u32,
    outcome: FalOutcome,
}

struct BbSession {
    started_ms: i64,
    timeout_secs: i64,
    status: String,
    ended_ms: Option<i64>,
}

#[derive(Default)]
struct Shared {
    origin: String,
    recs: Vec<Rec>,
    fal_jobs: HashMap<String, FalJob>,
    bb: HashMap<String, BbSession>,
    /// How long after its start a session released at Browserbase is reported to have ended.
    bb_end_after_ms: i64,
}

/// The running fakes.
pub struct Fakes {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fakes {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn fixture(provider: &str, name: &str) -> String {
    let p = hexaclaw_tests::repo_root()
        .join("tests/fixtures")
        .join(provider)
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

fn fixture_json(provider: &str, name: &str) -> Value {
    serde_json::from_str(&fixture(provider, name)).expect("fixture json")
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Fakes {
    pub async fn start() -> Fakes {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::new(Mutex::new(Shared {
            origin: format!("http://{addr}"),
            ..Shared::default()
        }));
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fakes { addr, shared, task }
    }

    /// Config variables pointing every service upstream here, with platform keys.
    pub fn env(&self) -> Vec<(String, String)> {
        let o = format!("http://{}", self.addr);
        [
            ("HEXACLAW_UPSTREAM_FAL", format!("{o}/fal-run")),
            ("HEXACLAW_UPSTREAM_FAL_QUEUE", format!("{o}/fal-queue")),
            ("HEXACLAW_UPSTREAM_BRAVE", format!("{o}/brave")),
            ("HEXACLAW_UPSTREAM_FIRECRAWL", format!("{o}/firecrawl")),
            ("HEXACLAW_UPSTREAM_RESEND", format!("{o}/resend")),
            ("HEXACLAW_UPSTREAM_BROWSERBASE", format!("{o}/browserbase")),
            ("FAL_KEY", FAL_KEY.into()),
            ("BRAVE_API_KEY", BRAVE_KEY.into()),
            ("FIRECRAWL_API_KEY", FIRECRAWL_KEY.into()),
            ("RESEND_API_KEY", RESEND_KEY.into()),
            ("BROWSERBASE_API_KEY", BB_KEY.into()),
            ("BROWSERBASE_PROJECT_ID", BB_PROJECT.into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Every request so far, in order.
    pub fn recs(&self) -> Vec<Rec> {
        lock(&self.shared).recs.clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn recs_under(&self, prefix: &str) -> Vec<Rec> {
        self.recs()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    pub fn count(&self) -> usize {
        lock(&self.shared).recs.len()
    }

    /// Sessions released from now on report ending this long after they started.
    pub fn set_bb_end_after_ms(&self, ms: i64) {
        lock(&self.shared).bb_end_after_ms = ms;
    }
}

fn reply(status: u16, body: Value) -> Response<Body> {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut()
        .insert("content-type", "application/json".parse().expect("ct"));
    r
}

async fn handle(State(shared): State<Arc<Mutex<Shared>>>, req: Request) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let rec = Rec {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body,
    };
    let mut s = lock(&shared);
    s.recs.push(rec.clone());
    let path = rec.path.clone();
    if let Some(rest) = path.strip_prefix("/fal-run/") {
        fal_run(&rec, rest)
    } else if let Some(rest) = path.strip_prefix("/fal-queue/") {
        fal_queue(&mut s, &rec, rest)
    } else if path == "/brave/res/v1/web/search" {
        brave(&rec)
    } else if path == "/firecrawl/v2/scrape" {
        firecrawl(&rec)
    } else if path == "/resend/emails" {
        resend(&rec)
    } else if let Some(rest) = path.strip_prefix("/browserbase/v1/sessions") {
        browserbase(&mut s, &rec, rest.trim_start_matches('/'))
    } else {
        reply(404, json!({"detail": "Not Found"}))
    }
}

fn fal_authorized(rec: &Rec) -> bool {
    rec.header("authorization") == Some(&format!("Key {FAL_KEY}"))
}

fn fal_run(rec: &Rec, endpoint: &str) -> Response<Body> {
    if !fal_authorized(rec) {
        return reply(401, json!({"detail": "Unauthorized"}));
    }
    if !endpoint.starts_with("fal-ai/flux") {
        return reply(404, json!({"detail": "Application not found"}));
    }
    let input = rec.json();
    if input["prompt"].as_str().unwrap_or_default().is_empty() {
        return reply(422, fixture_json("fal", "validation_error.json"));
    }
    let mut out = fixture_json("fal", "flux_response.json");
    let first = out["images"][0].clone();
    let n = input["num_images"].as_u64().unwrap_or(1);
    out["images"] = (0..n)
        .map(|i| {
            let mut img = first.clone();
            img["url"] = json!(format!(
                "https://fal.media/files/elephant/tiger-eye-{i}.jpg"
            ));
            img
        })
        .collect();
    reply(200, out)
}

/// A documented queue body with its origin and request id made ours.
fn fal_doc(s: &Shared, name: &str, id: &str) -> Value {
    let text = fixture("fal", name)
        .replace("https://queue.fal.run", &format!("{}/fal-queue", s.origin))
        .replace(DOC_REQUEST_ID, id);
    serde_json::from_str(&text).expect("fal fixture")
}

fn fal_queue(s: &mut Shared, rec: &Rec, rest: &str) -> Response<Body> {
    if !fal_authorized(rec) {
        return reply(401, json!({"detail": "Unauthorized"}));
    }
    if rec.method == "POST" && !rest.contains("/requests/") {
        let prompt = rec.json()["prompt"].as_str().unwrap_or_default().to_owned();
        let outcome = if prompt.contains("FAILSTATUS") {
            FalOutcome::FailStatus
        } else if prompt.contains("FAILRESULT") {
            FalOutcome::FailResult
        } else if rest.starts_with("fal-ai/stable-audio") {
            FalOutcome::Music
        } else {
            FalOutcome::Video
        };
        let id = uuid::Uuid::new_v4().to_string();
        s.fal_jobs.insert(id.clone(), FalJob { polls: 0, outcome });
        return reply(200, fal_doc(s, "queue_submit.json", &id));
    }
    let Some((_, tail)) = rest.split_once("/requests/") else {
        return reply(404, json!({"detail": "Not Found"}));
    };
    let (id, is_status) = match tail.strip_suffix("/status") {
        Some(id) => (id.to_owned(), true),
        None => (tail.to_owned(), false),
    };
    let Some(job) = s.fal_jobs.get_mut(&id) else {
        return reply(404, json!({"detail": "Request not found"}));
    };
    if is_status {
        job.polls += 1;
        let (polls, outcome) = (job.polls, job.outcome);
        return match (polls, outcome) {
            (1, _) => reply(202, fal_doc(s, "status_in_queue.json", &id)),
            (2, _) => reply(202, fal_doc(s, "status_in_progress.json", &id)),
            (_, FalOutcome::FailStatus) => reply(200, fal_doc(s, "status_failed.json", &id)),
            _ => reply(200, fal_doc(s, "status_completed.json", &id)),
        };
    }
    match job.outcome {
        FalOutcome::Video => reply(200, fixture_json("fal", "video_result.json")),
        FalOutcome::Music => reply(200, fixture_json("fal", "music_result.json")),
        FalOutcome::FailResult => reply(504, fixture_json("fal", "request_error.json")),
        FalOutcome::FailStatus => reply(400, json!({"detail": "Request failed"})),
    }
}

fn brave(rec: &Rec) -> Response<Body> {
    if rec.header("x-subscription-token") != Some(BRAVE_KEY) {
        return reply(422, fixture_json("brave", "error_422.json"));
    }
    if rec.query.contains("q=ratelimited") {
        return reply(429, fixture_json("brave", "error_429.json"));
    }
    reply(200, fixture_json("brave", "web_search.json"))
}

fn firecrawl(rec: &Rec) -> Response<Body> {
    if rec.header("authorization") != Some(&format!("Bearer {FIRECRAWL_KEY}")) {
        return reply(
            401,
            json!({"success": false, "error": "Unauthorized: Invalid token"}),
        );
    }
    if rec.json()["url"]
        .as_str()
        .unwrap_or_default()
        .contains("fails")
    {
        return reply(500, fixture_json("firecrawl", "error_500.json"));
    }
    reply(200, fixture_json("firecrawl", "scrape.json"))
}

fn resend(rec: &Rec) -> Response<Body> {
    if rec.header("authorization") != Some(&format!("Bearer {RESEND_KEY}")) {
        return reply(
            401,
            json!({"statusCode": 401, "message": "Missing API key in the authorization header.", "name": "missing_api_key"}),
        );
    }
    if rec.json()["from"]
        .as_str()
        .unwrap_or_default()
        .contains("unverified-at-resend")
    {
        return reply(403, fixture_json("resend", "error_403_domain.json"));
    }
    reply(200, fixture_json("resend", "send.json"))
}

/// A documented session body filled in for `id`.
fn bb_doc(name: &str, id: &str, sess: &BbSession) -> Value {
    let mut v = fixture_json("browserbase", name);
    v["id"] = json!(id);
    v["projectId"] = json!(BB_PROJECT);
    v["startedAt"] = json!(rfc3339(sess.started_ms));
    v["expiresAt"] = json!(rfc3339(sess.started_ms + sess.timeout_secs * 1000));
    v["status"] = json!(sess.status);
    v["endedAt"] = sess.ended_ms.map_or(Value::Null, |e| json!(rfc3339(e)));
    if v.get("connectUrl").is_some() {
        v["connectUrl"] = json!(format!("wss://connect.browserbase.com?signingKey=sk_{id}"));
        v["signingKey"] = json!(format!("sk_{id}"));
    }
    v
}

fn browserbase(s: &mut Shared, rec: &Rec, id: &str) -> Response<Body> {
    if rec.header("x-bb-api-key") != Some(BB_KEY) {
        return reply(
            401,
            json!({"statusCode": 401, "error": "Unauthorized", "message": "Invalid API key"}),
        );
    }
    if id.is_empty() && rec.method == "POST" {
        let body = rec.json();
        let sid = uuid::Uuid::new_v4().to_string();
        let sess = BbSession {
            started_ms: now_ms(),
            timeout_secs: body["timeout"].as_i64().unwrap_or(300),
            status: "RUNNING".into(),
            ended_ms: None,
        };
        let doc = bb_doc("session_create.json", &sid, &sess);
        s.bb.insert(sid, sess);
        return reply(201, doc);
    }
    let end_after = s.bb_end_after_ms;
    let Some(sess) = s.bb.get_mut(id) else {
        return reply(
            404,
            json!({"statusCode": 404, "error": "Not Found", "message": "Session not found"}),
        );
    };
    if rec.method == "POST" && rec.json()["status"] == "REQUEST_RELEASE" && sess.status == "RUNNING"
    {
        let ended = sess.started_ms + end_after;
        sess.status = if end_after >= sess.timeout_secs * 1000 {
            "TIMED_OUT"
        } else {
            "COMPLETED"
        }
        .into();
        sess.ended_ms = Some(ended);
    }
    reply(200, bb_doc("session_update.json", id, sess))
}
