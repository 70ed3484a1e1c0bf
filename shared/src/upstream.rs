//! Calling providers: one pooled client, per-provider timeouts, bounded retries with backoff
//! for 429/5xx answers and connection failures that happen before any byte reached the client,
//! and transport failures mapped to 502/503/504. Keys travel only in request headers and are
//! never logged.

use crate::error::ApiError;
use std::collections::HashMap;
use std::time::Duration;

/// Per-call settings.
#[derive(Clone, Copy, Debug)]
pub struct CallOpts {
    /// Longest wait for the response headers (a non-streamed answer sends them when it is
    /// done; a stream, at its start). The body is bounded by the client's read timeout
    /// instead, so a long stream is never cut while it keeps producing.
    pub timeout: Duration,
    /// Retries after the first attempt for retryable failures.
    pub max_retries: u32,
    /// First backoff; doubles each retry, with jitter.
    pub backoff: Duration,
}

impl Default for CallOpts {
    fn default() -> Self {
        CallOpts {
            timeout: Duration::from_secs(120),
            max_retries: 2,
            backoff: Duration::from_millis(250),
        }
    }
}

/// Chat timeouts: a stream's headers come at once; a non-streamed answer (reasoning models
/// especially) may take minutes before its first byte.
pub fn chat_opts(stream: bool) -> CallOpts {
    CallOpts {
        timeout: Duration::from_secs(if stream { 60 } else { 600 }),
        ..CallOpts::default()
    }
}

/// Whether an upstream status is worth retrying.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504 | 529)
}

/// Send a POST (built fresh for each attempt) and return the first response that is not a
/// retryable failure, or the last one. Transport errors after the last retry become 502/503/504.
pub async fn post_with_retry(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    opts: CallOpts,
) -> Result<reqwest::Response, ApiError> {
    let parsed = parse_url(url)?;
    let mut attempt = 0u32;
    loop {
        let mut rb = client.post(parsed.clone());
        for (k, v) in headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        let result = match tokio::time::timeout(opts.timeout, rb.body(body.to_vec()).send()).await {
            Ok(r) => r,
            Err(_) if attempt < opts.max_retries => {
                tracing::warn!(attempt, url = %redact_url(url), "upstream headers timed out; retrying");
                attempt += 1;
                continue;
            }
            Err(_) => {
                return Err(ApiError::gateway_timeout(
                    "The provider did not answer in time",
                ));
            }
        };
        let retry_after = match &result {
            Ok(r) if retryable_status(r.status().as_u16()) && attempt < opts.max_retries => Some(
                r.headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(Duration::from_secs),
            ),
            Err(e) if attempt < opts.max_retries && (e.is_connect() || e.is_timeout()) => {
                Some(None)
            }
            _ => None,
        };
        match retry_after {
            Some(hint) => {
                let base = opts.backoff * 2u32.pow(attempt);
                let jitter = Duration::from_millis(rand::random::<u64>() % 100);
                // Never sleep longer than 5 s on a provider's hint inside a request.
                let wait = hint.unwrap_or(base + jitter).min(Duration::from_secs(5));
                tracing::warn!(attempt, url = %redact_url(url), wait_ms = wait.as_millis() as u64, "retrying upstream");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            None => return result.map_err(|e| transport_error(&e)),
        }
    }
}

/// Upstream URLs already parsed. They are few (each provider's origin and paths), and parsing
/// one (with its host's IDNA mapping) cost a few microseconds of every request.
static PARSED_URLS: std::sync::LazyLock<std::sync::Mutex<HashMap<String, reqwest::Url>>> =
    std::sync::LazyLock::new(Default::default);
/// Beyond this many distinct URLs, parse without remembering.
const MAX_PARSED_URLS: usize = 256;

/// `url` parsed, from `PARSED_URLS` when seen before. A URL that does not parse is our
/// configuration's fault (a bad origin override), so a 502 without the URL (it may hold a key).
fn parse_url(url: &str) -> Result<reqwest::Url, ApiError> {
    let mut cache = PARSED_URLS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(u) = cache.get(url) {
        return Ok(u.clone());
    }
    let u = reqwest::Url::parse(url).map_err(|e| {
        tracing::error!(url = %redact_url(url), error = %e, "upstream URL does not parse");
        ApiError::bad_gateway("The provider connection failed")
    })?;
    if cache.len() < MAX_PARSED_URLS {
        cache.insert(url.to_owned(), u.clone());
    }
    Ok(u)
}

/// Map a transport failure to our error (no URL with secrets, no key).
pub fn transport_error(e: &reqwest::Error) -> ApiError {
    if e.is_timeout() {
        ApiError::gateway_timeout("The provider did not answer in time")
    } else if e.is_connect() {
        ApiError::unavailable("The provider is unreachable right now")
    } else {
        ApiError::bad_gateway("The provider connection failed")
    }
}

/// A URL without its query string (Gemini keys may ride in `?key=` in other clients).
pub fn redact_url(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}
