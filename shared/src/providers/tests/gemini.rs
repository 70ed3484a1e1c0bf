//! Gemini behind the chat route: generateContent bodies and SSE streams translated to OpenAI.

use super::{assemble, fixture, translate_stream};
use crate::providers::{
    ChatStreamTranslator, FinishReason, ProviderKind, Usage, parse_chat_response,
};
use serde_json::{Value, json};

fn parse_body(body: &str) -> crate::providers::ChatOutcome {
    parse_chat_response(
        ProviderKind::Gemini,
        body.as_bytes(),
        "hexa-model",
        "chatcmpl-hx1",
        1_700_000_000,
    )
    .expect("translates")
}

#[test]
fn recorded_answer_streamed_and_whole_agree() {
    let whole = parse_body(&fixture("gemini", "response.json"));
    assert_eq!(
        whole.body,
        json!({
            "id": "chatcmpl-hx1", "object": "chat.completion", "created": 1_700_000_000, "model": "hexa-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris\n"}, "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
        })
    );
    let (translator, chunks) = translate_stream(ProviderKind::Gemini, "gemini", "stream.sse", true);
    assert_eq!(chunks.len(), 5, "role, two text pieces, finish, usage");
    let a = assemble(&chunks);
    assert_eq!(a.text, "Paris\n");
    assert_eq!(a.finish.as_deref(), Some("stop"));
    // The first event reports 11 prompt tokens, the last 10: the last report is the final one.
    assert_eq!(translator.usage(), Some(whole.usage));
    assert_eq!(
        chunks[4]["usage"],
        json!({"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12})
    );
    assert!(translator.upstream_complete());
}

#[test]
fn function_call_response_gets_stable_ids() {
    let out = parse_body(&fixture("gemini", "response_function_call.json"));
    let message = &out.body["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(message["tool_calls"][0]["id"], "call_chatcmplhx1_0");
    assert_eq!(
        message["tool_calls"][0]["function"]["name"],
        "find_theaters"
    );
    let args: Value = serde_json::from_str(
        message["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .expect("string"),
    )
    .expect("JSON");
    assert_eq!(
        args,
        json!({"movie": "Barbie", "location": "Mountain View, CA"})
    );
    assert_eq!(
        out.finish_reason,
        Some(FinishReason::ToolCalls),
        "STOP with a function call means tool_calls"
    );
    assert!(!out.usage.is_reported());
}

#[test]
fn whole_function_calls_in_a_stream_with_thinking_and_cache() {
    let (translator, chunks) = translate_stream(
        ProviderKind::Gemini,
        "gemini",
        "stream_function_call.sse",
        true,
    );
    let a = assemble(&chunks);
    assert_eq!(a.text, "I'll look up both cities.");
    assert_eq!(a.calls.len(), 2);
    assert_eq!((a.calls[0].0, a.calls[1].0), (0, 1));
    assert_ne!(a.calls[0].1, a.calls[1].1);
    assert_eq!(
        serde_json::from_str::<Value>(&a.calls[1].3).expect("JSON"),
        json!({"location": "Bogotá, Colombia"})
    );
    assert_eq!(a.finish.as_deref(), Some("tool_calls"));
    assert_eq!(
        translator.usage(),
        Some(Usage {
            prompt_tokens: Some(96),
            completion_tokens: Some(38 + 124),
            cached_tokens: Some(64),
            cache_creation_tokens: None,
            reasoning_tokens: Some(124)
        })
    );
    let last = chunks.last().expect("usage chunk");
    assert_eq!(
        last["usage"]["completion_tokens_details"],
        json!({"reasoning_tokens": 124})
    );
    assert_eq!(
        last["usage"]["prompt_tokens_details"],
        json!({"cached_tokens": 64})
    );
}

#[test]
fn safety_and_blocked_prompts_are_content_filter() {
    let out = parse_body(
        r#"{"candidates":[{"content":{"parts":[{"text":"partial"}],"role":"model"},"finishReason":"SAFETY"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1}}"#,
    );
    assert_eq!(out.finish_reason, Some(FinishReason::ContentFilter));
    assert_eq!(out.body["choices"][0]["finish_reason"], "content_filter");
    let out = parse_body(
        r#"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":7}}"#,
    );
    assert_eq!(out.finish_reason, Some(FinishReason::ContentFilter));
    assert_eq!(out.body["choices"][0]["message"]["content"], "");
    assert_eq!(out.usage.prompt_tokens, Some(7));
    assert_eq!(
        out.usage.completion_tokens,
        Some(0),
        "proto3 omits zero counts"
    );
    let out = parse_body(
        r#"{"candidates":[{"content":{"parts":[{"text":"The"}],"role":"model"},"finishReason":"MAX_TOKENS"}]}"#,
    );
    assert_eq!(out.finish_reason, Some(FinishReason::Length));
    let out = parse_body(
        r#"{"candidates":[{"content":{"parts":[{"text":"hmm","thought":true},{"text":"Yes."}],"role":"model"},"finishReason":"STOP"}]}"#,
    );
    assert_eq!(
        out.body["choices"][0]["message"]["content"], "Yes.",
        "thought summaries are not the answer"
    );
}

#[test]
fn error_chunk_mid_stream() {
    let mut t =
        ChatStreamTranslator::new(ProviderKind::Gemini, "chatcmpl-hx1", "hexa-model", 0, false);
    let events = super::sse_events(&fixture("gemini", "stream_error.sse"));
    assert_eq!(
        t.on_event(None, &events[0].1).expect("first chunk").len(),
        2
    );
    let e = t.on_event(None, &events[1].1).expect_err("error chunk");
    assert_eq!((e.status, e.retryable), (503, true));
    assert!(e.message.contains("overloaded"));
}
