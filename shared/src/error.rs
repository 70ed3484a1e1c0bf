//! `ApiError`: every failure a client can see, with its HTTP status and the documented JSON
//! shape `{"error":{"message","type","code"}}`. 5xx details are logged, never returned.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A client-facing error.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable type, e.g. `payment_required`.
    pub kind: &'static str,
    pub message: String,
    /// Seconds to put in `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
    /// Extra structured data merged into the error object (e.g. Guardian findings).
    pub details: Option<serde_json::Value>,
    /// Extra response headers (rate-limit figures, request ids).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            retry_after: None,
            details: None,
            headers: Vec::new(),
        }
    }

    /// 400: the request is malformed or a parameter is invalid.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }
    /// 401: missing or invalid credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication_error", message)
    }
    /// 402: the balance cannot cover the request.
    pub fn payment_required() -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "payment_required",
            "Insufficient credits",
        )
    }
    /// 403: authenticated but not allowed (scope, plan).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_error", message)
    }
    /// 404: no such route or resource.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found_error", message)
    }
    /// 405 on a known path with the wrong method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request_error",
            "Method not allowed for this endpoint",
        )
    }
    /// 409: conflicting concurrent request (idempotency key in flight).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict_error", message)
    }
    /// 413: body over the size limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!("Request body exceeds the {limit} byte limit"),
        )
    }
    /// 422: idempotency key reused with a different request.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_error",
            message,
        )
    }
    /// 429 with `Retry-After`.
    pub fn rate_limited(message: impl Into<String>, retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            message,
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }
    /// 500: logs `detail` (never returned) and answers a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
        )
    }
    /// 502: the provider answered with an error or garbage.
    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "upstream_error", message)
    }
    /// 503: the provider (or a dependency) is unavailable.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            message,
        )
    }
    /// 504: the provider did not answer in time.
    pub fn gateway_timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT, "timeout_error", message)
    }

    /// Add a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The documented JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut err = json!({
            "message": self.message,
            "type": self.kind,
            "code": self.status.as_u16(),
        });
        if let (Some(serde_json::Value::Object(extra)), Some(obj)) =
            (&self.details, err.as_object_mut())
        {
            for (k, v) in extra {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        json!({ "error": err })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.kind,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(*name, v);
            }
        }
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_matches_reference() {
        let e = ApiError::payment_required();
        assert_eq!(
            e.body(),
            json!({"error":{"message":"Insufficient credits","type":"payment_required","code":402}})
        );
    }

    #[test]
    fn internal_hides_detail() {
        let e = ApiError::internal("db password is hunter2");
        assert!(!e.body().to_string().contains("hunter2"));
        assert_eq!(e.status.as_u16(), 500);
    }

    #[test]
    fn rate_limited_sets_retry_after() {
        let r = ApiError::rate_limited("slow down", 7).into_response();
        assert_eq!(r.status().as_u16(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
    }
}
