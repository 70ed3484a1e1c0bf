//! Claude behind the chat route: Messages responses and SSE streams translated to OpenAI chunks.

use super::{assemble, fixture, translate_stream};
use crate::providers::{
    ChatStreamTranslator, FinishReason, ProviderKind, Usage, parse_chat_response,
};
use serde_json::{Value, json};

fn parse(name: &str) -> crate::providers::ChatOutcome {
    parse_chat_response(
        ProviderKind::Anthropic,
        fixture("anthropic", name).as_bytes(),
        "hexa-model",
        "chatcmpl-hx1",
        1_700_000_000,
    )
    .expect("response translates")
}

#[test]
fn text_response_becomes_a_chat_completion() {
    let out = parse("response.json");
    assert_eq!(
        out.body,
        json!({
            "id": "chatcmpl-hx1", "object": "chat.completion", "created": 1_700_000_000, "model": "hexa-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}
        })
    );
    assert_eq!(out.usage.cached_tokens, None);
}

#[test]
fn cache_reads_and_writes_count_as_prompt_tokens() {
    let out = parse("response_cached.json");
    assert_eq!(
        out.usage,
        Usage {
            prompt_tokens: Some(50 + 100_000 + 248),
            completion_tokens: Some(503),
            cached_tokens: Some(100_000),
            cache_creation_tokens: Some(248),
            reasoning_tokens: None
        }
    );
    assert_eq!(out.usage.uncached_prompt_tokens(), Some(50));
    assert_eq!(out.body["usage"]["prompt_tokens"], 100_298);
    assert_eq!(
        out.body["usage"]["prompt_tokens_details"]["cached_tokens"],
        100_000
    );
}

#[test]
fn tool_use_response_without_usage() {
    let out = parse("response_tool_use.json");
    let message = &out.body["choices"][0]["message"];
    assert_eq!(
        message["content"],
        "I'll check the current weather in San Francisco for you."
    );
    assert_eq!(
        message["tool_calls"][0]["id"],
        "toolu_01A09q90qw90lq917835lq9"
    );
    assert_eq!(message["tool_calls"][0]["type"], "function");
    let args: Value = serde_json::from_str(
        message["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .expect("string"),
    )
    .expect("JSON");
    assert_eq!(
        args,
        json!({"location": "San Francisco, CA", "unit": "celsius"})
    );
    assert_eq!(out.finish_reason, Some(FinishReason::ToolCalls));
    assert!(
        !out.usage.is_reported(),
        "the example reports no usage; that is not zero usage"
    );
}

#[test]
fn text_stream_translates_exactly() {
    let (translator, chunks) =
        translate_stream(ProviderKind::Anthropic, "anthropic", "stream.sse", true);
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-hx1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "hexa-model",
               "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}], "usage": null})
    };
    assert_eq!(
        chunks,
        vec![
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            chunk(json!({"content": "Hello"}), Value::Null),
            chunk(json!({"content": "!"}), Value::Null),
            chunk(json!({}), json!("stop")),
            json!({"id": "chatcmpl-hx1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "hexa-model",
                   "choices": [], "usage": {"prompt_tokens": 25, "completion_tokens": 15, "total_tokens": 40}}),
        ]
    );
    assert!(translator.upstream_complete());
    assert_eq!(translator.output_bytes(), "Hello!".len());
}

#[test]
fn tool_use_stream_reassembles_and_matches_the_whole_answer() {
    let (translator, chunks) = translate_stream(
        ProviderKind::Anthropic,
        "anthropic",
        "stream_tool_use.sse",
        true,
    );
    let first_tool = chunks
        .iter()
        .find(|c| c["choices"][0]["delta"]["tool_calls"].is_array())
        .expect("tool chunk");
    assert_eq!(
        first_tool["choices"][0]["delta"],
        json!({"tool_calls": [{"index": 0, "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]})
    );
    let a = assemble(&chunks);
    assert_eq!(
        a.text,
        "Okay, let's check the weather for San Francisco, CA:"
    );
    let args: Value = serde_json::from_str(&a.calls[0].3).expect("fragments reassemble to JSON");
    assert_eq!(
        args,
        json!({"location": "San Francisco, CA", "unit": "fahrenheit"})
    );
    assert_eq!(a.finish.as_deref(), Some("tool_calls"));

    let whole = parse("response_tool_use_nonstream.json");
    let message = &whole.body["choices"][0]["message"];
    assert_eq!(message["content"], a.text.as_str());
    assert_eq!(message["tool_calls"][0]["id"], a.calls[0].1.as_str());
    let whole_args: Value = serde_json::from_str(
        message["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .expect("string"),
    )
    .expect("JSON");
    assert_eq!(whole_args, args);
    assert_eq!(translator.usage(), Some(whole.usage));
    assert_eq!(whole.usage.prompt_tokens, Some(472));
    assert_eq!(whole.usage.completion_tokens, Some(89));
}

#[test]
fn parallel_tool_use_blocks_get_distinct_indexes() {
    let events = [
        (
            None,
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1}}}"#,
        ),
        (
            Some("content_block_start"),
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
        ),
        (
            Some("content_block_delta"),
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"two cities"}}"#,
        ),
        (
            Some("content_block_start"),
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"get_weather","input":{}}}"#,
        ),
        (
            Some("content_block_delta"),
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Par"}}"#,
        ),
        (
            Some("content_block_delta"),
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"is\"}"}}"#,
        ),
        (
            Some("content_block_start"),
            r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_b","name":"get_time","input":{}}}"#,
        ),
        (
            Some("content_block_delta"),
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"tz\": \"CET\"}"}}"#,
        ),
        (
            Some("message_delta"),
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":40}}"#,
        ),
        (Some("some_future_event"), r#"{"type":"some_future_event"}"#),
        (Some("message_stop"), r#"{"type":"message_stop"}"#),
    ];
    let mut t = ChatStreamTranslator::new(
        ProviderKind::Anthropic,
        "chatcmpl-hx1",
        "hexa-model",
        1_700_000_000,
        false,
    );
    let mut chunks = Vec::new();
    for (name, data) in events {
        for c in t.on_event(name, data).expect("translates") {
            chunks.push(serde_json::from_str::<Value>(&c).expect("JSON"));
        }
    }
    chunks.extend(
        t.finish()
            .iter()
            .map(|c| serde_json::from_str::<Value>(c).expect("JSON")),
    );
    assert!(t.finish().is_empty(), "finish is idempotent");
    let a = assemble(&chunks);
    assert_eq!(a.text, "", "thinking is not answer text");
    assert_eq!(
        a.calls
            .iter()
            .map(|c| (c.0, c.1.as_str(), c.2.as_str()))
            .collect::<Vec<_>>(),
        vec![(0, "toolu_a", "get_weather"), (1, "toolu_b", "get_time")]
    );
    assert_eq!(
        serde_json::from_str::<Value>(&a.calls[0].3).expect("JSON"),
        json!({"city": "Paris"})
    );
    assert_eq!(
        serde_json::from_str::<Value>(&a.calls[1].3).expect("JSON"),
        json!({"tz": "CET"})
    );
    assert_eq!(t.usage().and_then(|u| u.completion_tokens), Some(40));
    assert_eq!(
        t.usage().and_then(|u| u.prompt_tokens),
        Some(10),
        "message_delta keeps message_start's input count"
    );
}

#[test]
fn thinking_stream_without_usage() {
    let (translator, chunks) = translate_stream(
        ProviderKind::Anthropic,
        "anthropic",
        "stream_thinking.sse",
        true,
    );
    assert_eq!(assemble(&chunks).text, "27 * 453 = 12,231");
    assert_eq!(translator.usage(), None);
    assert!(
        chunks.iter().all(|c| c["choices"] != json!([])),
        "no usage chunk when nothing was reported"
    );
}

#[test]
fn error_event_mid_stream_is_an_error() {
    let mut t = ChatStreamTranslator::new(
        ProviderKind::Anthropic,
        "chatcmpl-hx1",
        "hexa-model",
        0,
        true,
    );
    let mut result = Ok(Vec::new());
    for (event, data) in super::sse_events(&fixture("anthropic", "stream_error.sse")) {
        result = t.on_event(event.as_deref(), &data);
        if result.is_err() {
            break;
        }
    }
    let e = result.expect_err("overloaded_error event");
    assert_eq!((e.status, e.retryable), (503, true));
    assert!(e.message.contains("Overloaded"));
    assert_eq!(
        t.usage().and_then(|u| u.prompt_tokens),
        Some(18),
        "usage so far survives the error"
    );
    assert!(!t.upstream_complete());
}
