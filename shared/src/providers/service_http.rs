//! What the service adapters (fal, Brave, Firecrawl, Resend, Browserbase) share: JSON calls
//! over the pooled client and one mapping of their error answers to ours.
//!
//! All of them run on HexaClaw's own provider keys (no BYOK), so a 401/403 from upstream means
//! *our* credentials were refused: that is a 502, never blamed on the caller's key.

use super::error::scrub;
use crate::error::ApiError;
use crate::upstream::{self, CallOpts};
use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::Value;
use std::time::Duration;

/// An upstream answer: status and the whole body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, or a 502 naming the provider.
    pub fn json(&self, provider: &str) -> Result<Value, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError::bad_gateway(format!(
                "{provider} returned a response HexaClaw could not read: {e}"
            ))
        })
    }
}

/// How often a POST may be re-sent after a 429/5xx or a connection failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Safe to repeat (idempotent upstream, or an idempotency key is sent).
    Allowed,
    /// Creates something billable upstream: one attempt only.
    Never,
}

/// POST a JSON body (see `upstream::post_with_retry` for what is retried).
pub async fn post_json(
    http: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    body: &Value,
    timeout: Duration,
    retry: Retry,
) -> Result<Answer, ApiError> {
    let mut all = headers.to_vec();
    all.push(("content-type".into(), "application/json".into()));
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let mut opts = CallOpts {
        timeout,
        ..CallOpts::default()
    };
    if retry == Retry::Never {
        opts.max_retries = 0;
    }
    let resp = upstream::post_with_retry(http, url, &all, &bytes, opts).await?;
    read(resp).await
}

/// GET (one retry on a connection failure; reads are idempotent but not worth hammering).
pub async fn get(
    http: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<Answer, ApiError> {
    let mut attempt = 0;
    loop {
        let mut rb = http.get(url).timeout(timeout);
        for (k, v) in headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        match rb.send().await {
            Ok(r) => return read(r).await,
            Err(e) if attempt == 0 && e.is_connect() => attempt += 1,
            Err(e) => return Err(upstream::transport_error(&e)),
        }
    }
}

async fn read(resp: reqwest::Response) -> Result<Answer, ApiError> {
    let status = resp.status().as_u16();
    let body = resp
        .bytes()
        .await
        .map_err(|e| upstream::transport_error(&e))?;
    Ok(Answer { status, body })
}

/// The human-readable message in any of the service providers' error bodies:
/// `{"error":{"detail"|"message"}}`, `{"errors":[{"detail"}]}` (Brave), `{"error":"…"}`
/// (Firecrawl), `{"message":"…"}` (Resend), `{"detail":"…"}` or `{"detail":[{"loc","msg"}]}`
/// (fal). Scrubbed of anything key-like.
pub fn error_message(body: &[u8]) -> Option<String> {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => message_of(&v),
        Err(_) => {
            let t = String::from_utf8_lossy(body).trim().to_owned();
            (!t.is_empty()).then_some(t)
        }
    }?;
    Some(scrub(&text))
}

fn message_of(v: &Value) -> Option<String> {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    match v.get("error") {
        Some(Value::String(e)) => return Some(e.clone()),
        Some(e @ Value::Object(_)) => {
            if let Some(m) = s(e.get("detail")).or_else(|| s(e.get("message"))) {
                return Some(m);
            }
        }
        _ => {}
    }
    let first = v
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    if let Some(m) = first.and_then(|f| s(f.get("detail")).or_else(|| s(f.get("message")))) {
        return Some(m);
    }
    if let Some(m) = s(v.get("message")) {
        return Some(m);
    }
    match v.get("detail") {
        Some(Value::String(d)) => Some(d.clone()),
        Some(Value::Array(items)) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|d| {
                    let msg = d.get("msg").and_then(Value::as_str)?;
                    let loc: Vec<String> = d
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(if loc.is_empty() {
                        msg.to_owned()
                    } else {
                        format!("{}: {msg}", loc.join("."))
                    })
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    }
}

/// Map a non-2xx answer from `provider` to our error.
///
/// 400/404/413/422 → 400 with the provider's message; 401/403 → 502 (our key was refused);
/// 402 → 502 (our provider account cannot pay); 429 → 429; 408/504 → 504; 503/529 → 503;
/// anything else → 502.
pub fn map_error(provider: &str, status: u16, body: &[u8]) -> ApiError {
    let said = error_message(body).unwrap_or_else(|| format!("HTTP {status}"));
    tracing::warn!(provider, status, "service provider error");
    match status {
        400 | 404 | 413 | 422 => {
            ApiError::bad_request(format!("{provider} rejected the request: {said}"))
        }
        401 | 403 => ApiError::bad_gateway(format!(
            "{provider} refused HexaClaw's credentials; this is a problem on our side, not with your request"
        )),
        402 => ApiError::bad_gateway(format!(
            "{provider} is not accepting HexaClaw's requests right now"
        )),
        429 => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            format!("{provider} is rate limiting requests: {said}"),
        )
        .with_header("retry-after", "1"),
        408 | 504 => ApiError::gateway_timeout(format!("{provider} timed out: {said}")),
        503 | 529 => ApiError::unavailable(format!("{provider} is unavailable: {said}")),
        _ => ApiError::bad_gateway(format!("{provider} failed: {said}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_documented_error_shape() {
        let cases: [(&str, &str); 6] = [
            (
                r#"{"type":"ErrorResponse","errors":[{"code":"RATE_LIMITED","detail":"Request rate limit exceeded for plan.","status":429}]}"#,
                "Request rate limit exceeded for plan.",
            ),
            (
                r#"{"type":"ErrorResponse","error":{"code":"SUBSCRIPTION_TOKEN_INVALID","detail":"The provided subscription token is invalid.","status":422}}"#,
                "The provided subscription token is invalid.",
            ),
            (
                r#"{"error":"Payment required to access this resource."}"#,
                "Payment required to access this resource.",
            ),
            (
                r#"{"statusCode":422,"message":"Invalid `to` field.","name":"validation_error"}"#,
                "Invalid `to` field.",
            ),
            (
                r#"{"detail":"Request timed out","error_type":"request_timeout"}"#,
                "Request timed out",
            ),
            (
                r#"{"detail":[{"loc":["body","prompt"],"msg":"field required","type":"missing"}]}"#,
                "body.prompt: field required",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                error_message(body.as_bytes()).as_deref(),
                Some(want),
                "{body}"
            );
        }
        assert_eq!(error_message(b"  ").as_deref(), None);
        assert_eq!(
            error_message(b"Bad Gateway").as_deref(),
            Some("Bad Gateway")
        );
    }

    #[test]
    fn our_key_refused_is_a_502_and_hides_the_body() {
        let e = map_error(
            "Brave",
            401,
            br#"{"message":"key abcdefabcdefabcdefabcdefabcdefabcdefabcdef is wrong"}"#,
        );
        assert_eq!(e.status.as_u16(), 502);
        assert!(!e.message.contains("abcdef"));
        assert_eq!(map_error("fal", 422, b"{}").status.as_u16(), 400);
        assert_eq!(map_error("fal", 429, b"{}").status.as_u16(), 429);
        assert_eq!(map_error("fal", 504, b"{}").status.as_u16(), 504);
        assert_eq!(map_error("fal", 500, b"{}").status.as_u16(), 502);
    }
}
