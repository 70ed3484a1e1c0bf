//! The HexaClaw API as the CLI calls it: bearer auth from the config, JSON in and out, and every
//! error answer turned into a message and an exit code (401 → 3, 402 → 4 with the balance,
//! 429 → 5 with the wait, 504 → 6).

use crate::exit::{self, CliError};
use crate::settings::{ConfigFiles, Credential};
use anyhow::Context;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;

/// Longest wait for an ordinary (non-streamed) answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// A client for one API base with (maybe) a credential.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    cred: Option<Credential>,
}

/// A successful answer's JSON body (`Null` when not JSON).
pub struct Reply {
    pub json: Value,
}

/// The shared HTTP client (no overall timeout: streams run as long as `--timeout` allows).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("hexaclaw-cli/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

impl Api {
    /// A client for the configured (or overridden) API base and credential.
    pub fn from_config(cfg: &ConfigFiles, api_base: Option<&str>) -> anyhow::Result<Api> {
        Ok(Api {
            http: http_client()?,
            base: cfg.api_base(api_base),
            cred: cfg.credential(),
        })
    }

    /// The same client authenticating with `secret` instead.
    pub fn with_secret(mut self, secret: &str, source: &str) -> Api {
        self.cred = Some(Credential {
            secret: secret.to_owned(),
            source: source.to_owned(),
        });
        self
    }

    /// True when a credential is configured.
    pub fn has_credential(&self) -> bool {
        self.cred.is_some()
    }

    fn secret(&self) -> anyhow::Result<&Credential> {
        self.cred.as_ref().ok_or_else(|| {
            CliError::new(
                exit::AUTH,
                "no HexaClaw API key configured: run `hexaclaw login`, or `hexaclaw configure --api-key <key>`, or set HEXACLAW_API_KEY",
            )
            .into()
        })
    }

    /// A request to `path` with the credential attached.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> anyhow::Result<reqwest::RequestBuilder> {
        let cred = self.secret()?;
        Ok(self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&cred.secret))
    }

    /// Send, and turn an error status into a [`CliError`]; returns the response to read.
    pub async fn send(&self, rb: reqwest::RequestBuilder) -> anyhow::Result<reqwest::Response> {
        let resp = rb.send().await.map_err(|e| reach_error(&self.base, &e))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        Err(self.error_of(resp).await.into())
    }

    async fn read(&self, rb: reqwest::RequestBuilder) -> anyhow::Result<Reply> {
        let resp = self.send(rb.timeout(REQUEST_TIMEOUT)).await?;
        let bytes = resp
            .bytes()
            .await
            .with_context(|| format!("reading the answer from {}", self.base))?;
        Ok(Reply {
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    /// `GET path` → JSON.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self
            .read(self.request(reqwest::Method::GET, path)?)
            .await?
            .json)
    }

    /// `GET path` without credentials (public routes such as `/v1/models`).
    pub async fn get_public(&self, path: &str) -> anyhow::Result<Value> {
        let mut rb = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cred {
            rb = rb.bearer_auth(&c.secret);
        }
        Ok(self.read(rb).await?.json)
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Reply> {
        let rb = self
            .request(reqwest::Method::POST, path)?
            .header("content-type", "application/json")
            .body(body.to_string());
        self.read(rb).await
    }

    /// `DELETE path` (optionally with a JSON body).
    pub async fn delete(&self, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let mut rb = self.request(reqwest::Method::DELETE, path)?;
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        Ok(self.read(rb).await?.json)
    }

    /// The error an unsuccessful answer stands for.
    async fn error_of(&self, resp: reqwest::Response) -> CliError {
        let status = resp.status().as_u16();
        let retry_after = header_u64(resp.headers(), "retry-after")
            .or_else(|| header_u64(resp.headers(), "x-ratelimit-reset"));
        let limit = header_u64(resp.headers(), "x-ratelimit-limit");
        let body = resp.bytes().await.unwrap_or_default();
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let msg = v["error"]["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| {
                let t = String::from_utf8_lossy(&body);
                if t.trim().is_empty() {
                    format!("HTTP {status}")
                } else {
                    t.chars().take(300).collect()
                }
            });
        match status {
            401 => {
                let src = self.cred.as_ref().map_or("-", |c| c.source.as_str());
                CliError::new(
                    exit::AUTH,
                    format!(
                        "the API rejected the credentials from {src}: {msg} (run `hexaclaw login` or `hexaclaw configure --api-key <key>`)"
                    ),
                )
            }
            402 => {
                let balance = self.balance_text().await;
                CliError::new(
                    exit::PAYMENT,
                    format!("payment required: {msg}{balance}; add credits in the dashboard"),
                )
            }
            429 => {
                let wait = retry_after.map_or_else(|| "later".to_owned(), |s| format!("in {s} s"));
                let lim = limit.map_or_else(String::new, |l| format!(" (limit {l})"));
                CliError::new(
                    exit::RATE_LIMITED,
                    format!("rate limited: {msg}{lim}; retry {wait}"),
                )
            }
            504 => CliError::new(exit::TIMEOUT, format!("timed out upstream: {msg}")),
            _ => CliError::new(exit::ERROR, format!("HTTP {status}: {msg}")),
        }
    }

    /// ` (balance: N credits available, M held)`, or empty when it cannot be read.
    async fn balance_text(&self) -> String {
        let Ok(rb) = self.request(reqwest::Method::GET, "/v1/usage") else {
            return String::new();
        };
        let Ok(Ok(resp)) = tokio::time::timeout(Duration::from_secs(10), rb.send()).await else {
            return String::new();
        };
        if !resp.status().is_success() {
            return String::new();
        }
        let v: Value =
            serde_json::from_slice(&resp.bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
        let avail = &v["balance"]["available"];
        if avail.is_null() {
            return String::new();
        }
        format!(
            " (balance: {} available, {} held)",
            crate::ui::credits(avail),
            crate::ui::credits(&v["balance"]["held"])
        )
    }
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A transport failure, with the exit code for a timeout.
pub fn reach_error(base: &str, e: &reqwest::Error) -> anyhow::Error {
    if e.is_timeout() {
        return CliError::new(exit::TIMEOUT, format!("timed out waiting for {base}")).into();
    }
    let mut msg = format!("cannot reach {base}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    CliError::new(exit::ERROR, msg).into()
}
