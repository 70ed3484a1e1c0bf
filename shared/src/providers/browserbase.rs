//! Browserbase adapter: create a session (`POST /v1/sessions`), read it
//! (`GET /v1/sessions/{id}`) and end it (`POST /v1/sessions/{id}` with
//! `status: REQUEST_RELEASE`), all with `X-BB-API-Key`.

use super::service_http::{self, Retry};
use crate::error::ApiError;
use serde_json::{Value, json};
use std::time::Duration;

/// Name used in messages and generation records.
pub const PROVIDER: &str = "Browserbase";
/// Browserbase's accepted session timeout range (seconds).
pub const MIN_TIMEOUT_SECS: u32 = 60;
/// Longest session timeout Browserbase accepts.
pub const MAX_TIMEOUT_SECS: u32 = 21_600;
const TIMEOUT: Duration = Duration::from_secs(30);

/// A session as Browserbase reports it (times in epoch milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    /// `RUNNING`, `ERROR`, `TIMED_OUT` or `COMPLETED`.
    pub status: String,
    /// WebSocket (CDP) URL; only in the create answer.
    pub connect_url: Option<String>,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub expires_at_ms: Option<i64>,
    pub region: Option<String>,
}

impl Session {
    /// Whether Browserbase considers the session over (`endedAt` alone is not proof: the
    /// documented examples carry one on running sessions).
    pub fn ended(&self) -> bool {
        self.status != "RUNNING"
    }
}

/// The Browserbase client for one call site.
pub struct Browserbase<'a> {
    pub http: &'a reqwest::Client,
    pub origin: &'a str,
    pub key: &'a str,
    /// Sent when configured; Browserbase infers the project from the key otherwise.
    pub project_id: Option<&'a str>,
}

impl Browserbase<'_> {
    fn headers(&self) -> Vec<(String, String)> {
        vec![("x-bb-api-key".into(), self.key.to_owned())]
    }

    fn with_project(&self, mut body: Value) -> Value {
        if let Some(p) = self.project_id {
            body["projectId"] = json!(p);
        }
        body
    }

    /// Start a session that Browserbase ends by itself after `timeout_secs`.
    pub async fn create(&self, proxies: bool, timeout_secs: u32) -> Result<Session, ApiError> {
        let body = self.with_project(json!({"proxies": proxies, "timeout": timeout_secs}));
        let url = format!("{}/v1/sessions", self.origin);
        let a = service_http::post_json(
            self.http,
            &url,
            &self.headers(),
            &body,
            TIMEOUT,
            Retry::Never,
        )
        .await?;
        if !a.ok() {
            return Err(service_http::map_error(PROVIDER, a.status, &a.body));
        }
        let s = parse_session(&a.json(PROVIDER)?)?;
        if s.connect_url.is_none() {
            return Err(ApiError::bad_gateway(
                "Browserbase created a session without a connect URL",
            ));
        }
        Ok(s)
    }

    /// Read a session.
    pub async fn get(&self, id: &str) -> Result<Session, ApiError> {
        let url = format!("{}/v1/sessions/{}", self.origin, path_safe(id)?);
        let a = service_http::get(self.http, &url, &self.headers(), TIMEOUT).await?;
        if !a.ok() {
            return Err(service_http::map_error(PROVIDER, a.status, &a.body));
        }
        parse_session(&a.json(PROVIDER)?)
    }

    /// Ask Browserbase to end a session; returns it as it stands afterwards. `Ok(None)` when
    /// Browserbase no longer knows it (already gone).
    pub async fn release(&self, id: &str) -> Result<Option<Session>, ApiError> {
        let url = format!("{}/v1/sessions/{}", self.origin, path_safe(id)?);
        let body = self.with_project(json!({"status": "REQUEST_RELEASE"}));
        let a = service_http::post_json(
            self.http,
            &url,
            &self.headers(),
            &body,
            TIMEOUT,
            Retry::Allowed,
        )
        .await?;
        if a.status == 404 {
            return Ok(None);
        }
        if !a.ok() {
            return Err(service_http::map_error(PROVIDER, a.status, &a.body));
        }
        parse_session(&a.json(PROVIDER)?).map(Some)
    }
}

/// Session ids go into a URL path: accept only what Browserbase issues (letters, digits, `-`, `_`).
fn path_safe(id: &str) -> Result<&str, ApiError> {
    if !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(ApiError::internal(format!(
            "unexpected Browserbase session id {id:?}"
        )))
    }
}

fn millis(v: &Value) -> Option<i64> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
}

/// Read a session document.
pub fn parse_session(v: &Value) -> Result<Session, ApiError> {
    let id = v["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_gateway("Browserbase returned a session without an id"))?;
    path_safe(id)
        .map_err(|_| ApiError::bad_gateway("Browserbase returned an unexpected session id"))?;
    Ok(Session {
        id: id.to_owned(),
        status: v["status"].as_str().unwrap_or("RUNNING").to_owned(),
        connect_url: v["connectUrl"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        started_at_ms: millis(&v["startedAt"]),
        ended_at_ms: millis(&v["endedAt"]),
        expires_at_ms: millis(&v["expiresAt"]),
        region: v["region"].as_str().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sessions() {
        let v = json!({"id": "b7a2c9e0-1234", "status": "RUNNING", "connectUrl": "wss://connect.browserbase.com?signingKey=x",
            "startedAt": "2023-11-07T05:31:56Z", "expiresAt": "2023-11-07T05:36:56Z", "region": "us-west-2"});
        let s = parse_session(&v).unwrap();
        assert_eq!(
            s.expires_at_ms.zip(s.started_at_ms).map(|(e, b)| e - b),
            Some(300_000)
        );
        assert!(!s.ended());
        let done = json!({"id": "x", "status": "COMPLETED", "endedAt": "2023-11-07T05:31:57.500Z"});
        assert!(parse_session(&done).unwrap().ended());
        let running =
            json!({"id": "x", "status": "RUNNING", "endedAt": "2023-11-07T05:31:57.500Z"});
        assert!(!parse_session(&running).unwrap().ended());
        assert!(parse_session(&json!({"id": "../admin"})).is_err());
        assert!(parse_session(&json!({"status": "RUNNING"})).is_err());
    }
}
