//! Test harness shared by the end-to-end tests: isolated stores, accounts with keys, and helpers
//! to call routers in-process (`oneshot`) with requests built by hand or from `events/*.json`.

pub mod client;
pub mod fake;

use axum::Router;
use axum::body::Body;
use hexaclaw_shared::accounts;
use hexaclaw_shared::auth::keys::{self, KeyKind, NewKeyParams, RateLimitOverride};
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::config::Config;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_shared::state::AppState;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tower::ServiceExt;

/// Repository root (for events/ and fixtures/).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A gateway state on a fresh embedded store in a temp dir.
pub struct TestEnv {
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

/// The pepper tests use.
pub const TEST_PEPPER: &str = "test-pepper-0123456789abcdef";

impl TestEnv {
    /// Fresh embedded store; key cache disabled so revocation is visible at once.
    pub async fn embedded() -> TestEnv {
        Self::embedded_with(&[]).await
    }

    /// Fresh embedded store with extra config variables.
    pub async fn embedded_with(vars: &[(&str, &str)]) -> TestEnv {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut map: HashMap<String, String> = [
            ("HEXACLAW_STORE", "embedded"),
            ("HEXACLAW_KEY_PEPPER", TEST_PEPPER),
            ("HEXACLAW_KEY_CACHE_TTL_SECS", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        map.insert("HEXACLAW_DATA_DIR".into(), dir.path().display().to_string());
        for (k, v) in vars {
            map.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = Config::from_sources(&|k| map.get(k).cloned()).expect("config");
        let state = AppState::from_config(config).await.expect("state");
        TestEnv { state, dir }
    }

    /// Fresh embedded store whose seven chat providers are `fake` (platform keys set), plus
    /// extra config variables.
    pub async fn with_fake(fake: &fake::FakeUpstream, extra: &[(&str, &str)]) -> TestEnv {
        let vars = fake.env_vars();
        let mut all: Vec<(&str, &str)> =
            vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.extend_from_slice(extra);
        Self::embedded_with(&all).await
    }

    /// The whole gateway router.
    pub fn gateway(&self) -> Router {
        hexaclaw_shared::http::gateway_router(self.state.clone())
    }

    /// Create an account of `tier` with `credits` and one all-scope key; returns (account, key).
    pub async fn account_with_key(&self, tier: Tier, credits: i64) -> (String, String) {
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let acct = accounts::create(&self.state.store, Some(&email), tier, None)
            .await
            .expect("account");
        if credits > 0 {
            accounts::grant(
                &self.state.store,
                &acct.id,
                MicroCredits::credits(credits),
                accounts::bucket::PURCHASES,
                None,
                Some("test grant"),
            )
            .await
            .expect("grant");
        }
        let key = self.key_for(&acct.id, &[]).await;
        (acct.id, key)
    }

    /// Create another key on an account with the given scopes (empty = all).
    pub async fn key_for(&self, account: &str, scopes: &[&str]) -> String {
        keys::create(
            &self.state.store,
            TEST_PEPPER,
            NewKeyParams {
                account_id: account,
                name: "test",
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                rate_limits: RateLimitOverride::default(),
                kind: KeyKind::Api,
            },
        )
        .await
        .expect("key")
        .1
    }
}

/// A response as tests see it.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// Assert the documented error shape with this status; returns the message.
    pub fn assert_error(&self, status: u16) -> String {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let v = self.json();
        let e = v.get("error").expect("error object");
        assert_eq!(e["code"], status, "{v}");
        assert!(e["type"].is_string(), "{v}");
        let msg = e["message"].as_str().expect("message").to_owned();
        assert!(!msg.is_empty());
        msg
    }
}

/// Send one request through a router.
pub async fn call(router: &Router, req: Request<Body>) -> Resp {
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}

/// Build a request.
pub fn req(
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(k) = key {
        b = b.header("authorization", format!("Bearer {k}"));
    }
    match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))
            .expect("request"),
        None => b.body(Body::empty()).expect("request"),
    }
}

/// Load `events/<rel>` as Lambda would deliver it, optionally replacing the placeholder key.
pub fn event_request(rel: &str, key: Option<&str>) -> Request<Body> {
    let path = repo_root().join("events").join(rel);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    if let Some(k) = key {
        text = text.replace("hx_live_REPLACE_WITH_A_REAL_KEY_0000000000000000", k);
    }
    let lreq = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let lreq = hexaclaw_shared::host::strip_stage(lreq);
    let (parts, body) = lreq.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    Request::from_parts(parts, Body::from(bytes))
}

/// The moto endpoint for DynamoDB tests, or None to skip (fails instead when
/// `HEXACLAW_REQUIRE_DYNAMO=1`, as the test command sets it).
pub fn dynamo_endpoint() -> Option<String> {
    match std::env::var("HEXACLAW_TEST_DYNAMO_ENDPOINT") {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var("HEXACLAW_REQUIRE_DYNAMO").as_deref() == Ok("1") => {
            panic!("HEXACLAW_REQUIRE_DYNAMO=1 but HEXACLAW_TEST_DYNAMO_ENDPOINT is not set")
        }
        _ => {
            eprintln!("skipping DynamoDB part: HEXACLAW_TEST_DYNAMO_ENDPOINT is not set");
            None
        }
    }
}

/// Fresh tables with a unique prefix on the moto endpoint.
pub async fn dynamo_store(endpoint: &str) -> hexaclaw_shared::store::StoreRef {
    let prefix = format!("t{}-", uuid::Uuid::new_v4().simple());
    let engine =
        hexaclaw_shared::store::dynamo::DynamoEngine::for_endpoint(endpoint, &prefix).await;
    engine.create_tables().await.expect("create tables");
    std::sync::Arc::new(engine)
}

impl TestEnv {
    /// A gateway state on fresh DynamoDB tables (moto), if an endpoint is configured.
    pub async fn dynamo() -> Option<TestEnv> {
        let endpoint = dynamo_endpoint()?;
        let store = dynamo_store(&endpoint).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let map: HashMap<&str, &str> = [
            ("HEXACLAW_STORE", "dynamodb"),
            ("HEXACLAW_KEY_PEPPER", TEST_PEPPER),
            ("HEXACLAW_KEY_CACHE_TTL_SECS", "0"),
        ]
        .into_iter()
        .collect();
        let config = Config::from_sources(&|k| map.get(k).map(|v| v.to_string())).expect("config");
        Some(TestEnv {
            state: AppState::new(config, store),
            dir,
        })
    }
}
