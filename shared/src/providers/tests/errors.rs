//! Upstream error bodies mapped to our status, type, scrubbed message and retryability.

use super::fixture;
use crate::providers::{ProviderError, ProviderKind, map_upstream_error};
use serde_json::json;

fn map(kind: ProviderKind, provider: &str, name: &str, status: u16, byok: bool) -> ProviderError {
    map_upstream_error(kind, status, fixture(provider, name).as_bytes(), byok)
}

#[test]
fn invalid_requests_are_400_with_the_providers_words() {
    let e = map(ProviderKind::OpenAi, "openai", "error_400.json", 400, false);
    assert_eq!(
        (e.status, e.error_type.as_str(), e.retryable),
        (400, "invalid_request_error", false)
    );
    assert_eq!(
        e.message,
        "OpenAI rejected the request: Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    );
    let e = map(
        ProviderKind::Anthropic,
        "anthropic",
        "error_404.json",
        404,
        false,
    );
    assert_eq!(e.status, 400);
    assert!(
        e.message
            .ends_with("The requested resource could not be found.")
    );
    let e = map(
        ProviderKind::Anthropic,
        "anthropic",
        "error_400.json",
        400,
        false,
    );
    assert!(
        e.message
            .contains("Each `tool_result` block must have a corresponding `tool_use` block")
    );
    let e = map(ProviderKind::Gemini, "gemini", "error_400.json", 400, false);
    assert_eq!(e.status, 400);
    assert!(e.message.contains("contents is not specified"));
    let e = map(
        ProviderKind::Mistral,
        "mistral",
        "error_422.json",
        422,
        false,
    );
    assert_eq!(e.status, 400);
    assert_eq!(
        e.message,
        "Mistral rejected the request: body.max_completion_tokens: Extra inputs are not permitted"
    );
}

#[test]
fn our_key_refused_is_a_502_that_says_nothing_about_the_key() {
    for (kind, provider, name, status) in [
        (ProviderKind::OpenAi, "openai", "error_401.json", 401),
        (ProviderKind::Anthropic, "anthropic", "error_401.json", 401),
        (
            ProviderKind::Gemini,
            "gemini",
            "error_400_api_key.json",
            400,
        ),
        (ProviderKind::Xai, "xai", "error_400_bad_key.json", 400),
    ] {
        let e = map(kind, provider, name, status, false);
        assert_eq!(
            (e.status, e.error_type.as_str(), e.retryable),
            (502, "upstream_error", false),
            "{provider}"
        );
        assert!(
            !e.message.to_lowercase().contains("key"),
            "{provider}: {}",
            e.message
        );
    }
}

#[test]
fn a_byok_key_refused_is_the_callers_401_with_the_key_scrubbed() {
    let e = map(ProviderKind::OpenAi, "openai", "error_401.json", 401, true);
    assert_eq!(
        (e.status, e.error_type.as_str()),
        (401, "authentication_error")
    );
    assert!(
        e.message.starts_with(
            "OpenAI rejected the key sent in X-Provider-Key: Incorrect API key provided: [redacted]"
        ),
        "{}",
        e.message
    );
    assert!(!e.message.contains("sk-proj") && !e.message.contains("Xk2A"));
    let e = map(
        ProviderKind::Gemini,
        "gemini",
        "error_400_api_key.json",
        400,
        true,
    );
    assert_eq!(e.status, 401, "Gemini says 400 for a bad key");
    let e = map(
        ProviderKind::Xai,
        "xai",
        "error_400_bad_key.json",
        400,
        true,
    );
    assert_eq!(e.status, 401);
    let e = map_upstream_error(ProviderKind::Anthropic, 403, br#"{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}"#, true);
    assert_eq!((e.status, e.error_type.as_str()), (403, "permission_error"));
}

#[test]
fn rate_limits_and_overload_are_retryable() {
    let e = map(ProviderKind::OpenAi, "openai", "error_429.json", 429, false);
    assert_eq!(
        (e.status, e.error_type.as_str(), e.retryable),
        (429, "rate_limit_error", true)
    );
    assert!(
        !e.message.contains("org-Ab12"),
        "organisation ids are scrubbed: {}",
        e.message
    );
    let e = map(
        ProviderKind::Anthropic,
        "anthropic",
        "error_429.json",
        429,
        false,
    );
    assert_eq!((e.status, e.retryable), (429, true));
    let e = map(ProviderKind::Gemini, "gemini", "error_429.json", 429, false);
    assert_eq!((e.status, e.retryable), (429, true));
    let e = map(
        ProviderKind::Anthropic,
        "anthropic",
        "error_529.json",
        529,
        false,
    );
    assert_eq!(
        (e.status, e.error_type.as_str(), e.retryable),
        (503, "service_unavailable", true)
    );
    let e = map(ProviderKind::Gemini, "gemini", "error_503.json", 503, false);
    assert_eq!((e.status, e.retryable), (503, true));
    for (status, ours) in [(500, 502), (502, 502), (504, 504)] {
        let e = map_upstream_error(
            ProviderKind::Groq,
            status,
            b"<html>upstream connect error</html>",
            false,
        );
        assert_eq!((e.status, e.retryable), (ours, true), "{status}");
    }
    let e = map_upstream_error(ProviderKind::Groq, 501, b"", false);
    assert_eq!((e.status, e.retryable), (502, false));
    assert!(e.message.contains("HTTP 501"));
}

#[test]
fn an_exhausted_provider_account_is_not_retryable() {
    let e = map(
        ProviderKind::OpenAi,
        "openai",
        "error_429_quota.json",
        429,
        false,
    );
    assert_eq!((e.status, e.retryable), (502, false));
    let e = map(
        ProviderKind::OpenAi,
        "openai",
        "error_429_quota.json",
        429,
        true,
    );
    assert_eq!((e.status, e.retryable), (400, false));
    assert!(e.message.contains("You exceeded your current quota"));
    let e = map(
        ProviderKind::DeepSeek,
        "deepseek",
        "error_402.json",
        402,
        false,
    );
    assert_eq!(e.status, 502);
    let e = map(
        ProviderKind::DeepSeek,
        "deepseek",
        "error_402.json",
        402,
        true,
    );
    assert_eq!(e.status, 400);
    assert!(e.message.contains("Insufficient Balance"));
}

#[test]
fn secrets_are_scrubbed_from_any_message() {
    let body = json!({"error": {"message": "bad: AIzaSyDUMMYKEY01234567890123456789012 and Bearer abc.def.ghi-123 and hx_live_0123456789abcdef and xai-AbCdEf123456 and sk-ant-api03-AAAAAAAAAAAA and gsk_abcdef123456 and 0123456789abcdefghijABCDEFGHIJ0123456789zz"}});
    let e = map_upstream_error(ProviderKind::Gemini, 400, body.to_string().as_bytes(), true);
    for secret in [
        "AIzaSy",
        "abc.def",
        "hx_live_",
        "xai-AbC",
        "sk-ant",
        "gsk_abc",
        "0123456789abcdefghij",
    ] {
        assert!(
            !e.message.contains(secret),
            "{secret} leaked: {}",
            e.message
        );
    }
    assert_eq!(e.message.matches("[redacted]").count(), 7);
    let long = json!({"error": {"message": "x ".repeat(5000)}});
    let e = map_upstream_error(
        ProviderKind::OpenAi,
        400,
        long.to_string().as_bytes(),
        false,
    );
    assert!(e.message.chars().count() < 1100);
}

#[test]
fn error_bodies_for_clients() {
    let e = map(
        ProviderKind::Anthropic,
        "anthropic",
        "error_529.json",
        529,
        false,
    );
    assert_eq!(
        e.to_openai_json(),
        json!({"error": {"message": e.message, "type": "service_unavailable", "code": 503}})
    );
    assert_eq!(
        e.to_anthropic_json(),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": e.message}})
    );
}
