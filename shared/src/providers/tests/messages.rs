//! `/v1/messages`: native pass-through checks and usage taps, and the reverse translation for non-Claude models.

use super::{fixture, sse_events};
use crate::providers::anthropic::{
    ChatToMessagesStream, StreamUsageTap, chat_response_to_message, messages_request_to_chat,
    usage_from_message, validate_messages_request,
};
use crate::providers::chat::{Content, Role, ToolChoice};
use crate::providers::{
    ChatStreamTranslator, ProviderKind, build_chat_request, parse_chat_response,
};
use serde_json::{Value, json};

#[test]
fn native_request_checks() {
    let ok = json!({"model": "claude-sonnet-4-6", "max_tokens": 1024, "stream": true, "messages": [{"role": "user", "content": "Hi"}]});
    let info = validate_messages_request(ok.to_string().as_bytes()).expect("valid");
    assert_eq!(
        (info.model.as_str(), info.max_tokens, info.stream),
        ("claude-sonnet-4-6", 1024, true)
    );
    let cases = [
        (
            json!({"model": "c", "messages": [{"role": "user", "content": "Hi"}]}),
            "max_tokens is required and must be a positive integer",
        ),
        (
            json!({"model": "c", "max_tokens": 5, "messages": []}),
            "messages must be a non-empty array",
        ),
        (
            json!({"model": "c", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}),
            "messages[0].role 'system' is not one of user, assistant (put instructions in the top-level system field)",
        ),
        (
            json!({"model": "c", "max_tokens": 5, "temperature": 1.5, "messages": [{"role": "user", "content": "x"}]}),
            "temperature must be between 0 and 1",
        ),
        (
            json!({"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
            "model is required",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            validate_messages_request(body.to_string().as_bytes())
                .expect_err("invalid")
                .message,
            message
        );
    }
}

#[test]
fn usage_observed_on_native_responses_and_streams() {
    let usage =
        usage_from_message(fixture("anthropic", "response_cached.json").as_bytes()).expect("usage");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.cached_tokens,
            usage.cache_creation_tokens
        ),
        (Some(100_298), Some(100_000), Some(248))
    );
    assert_eq!(
        usage_from_message(fixture("anthropic", "response_tool_use.json").as_bytes()),
        None
    );

    let mut tap = StreamUsageTap::new();
    for (event, data) in sse_events(&fixture("anthropic", "stream_tool_use.sse")) {
        tap.observe(event.as_deref(), &data);
    }
    assert_eq!(
        tap.usage().map(|u| (u.prompt_tokens, u.completion_tokens)),
        Some((Some(472), Some(89)))
    );
    assert_eq!(tap.stop_reason(), Some("tool_use"));
    assert!(tap.is_complete() && tap.error().is_none());

    let mut tap = StreamUsageTap::new();
    for (event, data) in sse_events(&fixture("anthropic", "stream_error.sse")) {
        tap.observe(event.as_deref(), &data);
    }
    assert_eq!(tap.error().map(|e| e.status), Some(503));
    assert!(!tap.is_complete());
    assert_eq!(tap.usage().and_then(|u| u.completion_tokens), Some(1));

    let mut tap = StreamUsageTap::new();
    for (event, data) in sse_events(&fixture("anthropic", "stream_thinking.sse")) {
        tap.observe(event.as_deref(), &data);
    }
    assert_eq!(tap.usage(), None);
}

fn anthropic_request() -> Value {
    json!({
        "model": "gpt-4.1",
        "max_tokens": 512,
        "system": [{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Answer in English."}],
        "temperature": 0.3,
        "stop_sequences": ["\n\nHuman:"],
        "metadata": {"user_id": "user-42"},
        "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "What is the weather?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
            ]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "need a tool", "signature": "sig"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"},
                {"type": "text", "text": "And tomorrow?"}
            ]}
        ]
    })
}

#[test]
fn anthropic_requests_become_chat_requests() {
    let req =
        messages_request_to_chat(anthropic_request().to_string().as_bytes()).expect("translates");
    assert_eq!(req.model, "gpt-4.1");
    assert_eq!(req.max_tokens, Some(512));
    assert!(req.include_usage);
    assert_eq!(
        req.messages.iter().map(|m| m.role).collect::<Vec<_>>(),
        vec![
            Role::System,
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::User
        ]
    );
    assert_eq!(
        req.messages[0].content,
        Content::Text("You are terse.\n\nAnswer in English.".into())
    );
    assert_eq!(req.messages[2].content, Content::Text("Checking.".into()));
    assert_eq!(
        req.messages[2].tool_calls[0].arguments,
        r#"{"location":"San Francisco, CA"}"#
    );
    assert_eq!(
        req.messages[3].tool_call_id.as_deref(),
        Some("toolu_01A09q90qw90lq917835lq9")
    );
    assert_eq!(req.messages[3].content, Content::Text("15 degrees".into()));
    assert_eq!(req.tool_choice, Some(ToolChoice::Required));
    assert_eq!(req.parallel_tool_calls, Some(false));
    assert_eq!(req.stop, vec!["\n\nHuman:".to_string()]);
    assert_eq!(req.user.as_deref(), Some("user-42"));

    let up = build_chat_request(ProviderKind::OpenAi, &req, "gpt-4.1-2025-04-14", false)
        .expect("builds");
    let body: Value = serde_json::from_slice(&up.body).expect("JSON");
    assert_eq!(
        body["messages"][1]["content"][1],
        json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}})
    );
    assert_eq!(
        body["messages"][3],
        json!({"role": "tool", "content": "15 degrees", "tool_call_id": "toolu_01A09q90qw90lq917835lq9"})
    );
    assert_eq!(
        body["tools"][0]["function"]["parameters"]["properties"]["location"]["type"],
        "string"
    );
    assert_eq!(body["parallel_tool_calls"], false);
}

#[test]
fn claude_only_features_are_refused_clearly() {
    let mut server_tool = anthropic_request();
    server_tool["tools"] =
        json!([{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}]);
    server_tool["tool_choice"] = Value::Null;
    let e = messages_request_to_chat(server_tool.to_string().as_bytes()).expect_err("server tool");
    assert_eq!(
        e.message,
        "tools[0].type 'web_search_20250305' is only available on Claude models"
    );
    let mut document = anthropic_request();
    document["messages"][0]["content"][1] = json!({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}});
    let e = messages_request_to_chat(document.to_string().as_bytes()).expect_err("document");
    assert_eq!(e.param.as_deref(), Some("messages[0].content[1].type"));
    let mut hot = anthropic_request();
    hot["temperature"] = json!(1.7);
    assert!(messages_request_to_chat(hot.to_string().as_bytes()).is_err());
}

#[test]
fn chat_answers_become_anthropic_messages() {
    let out = parse_chat_response(
        ProviderKind::OpenAi,
        fixture("openai", "response.json").as_bytes(),
        "gpt-4.1",
        "chatcmpl-hx1",
        0,
    )
    .expect("parses");
    assert_eq!(
        chat_response_to_message(&out.body, &out.usage),
        json!({"id": "msg_hx1", "type": "message", "role": "assistant", "model": "gpt-4.1",
               "content": [{"type": "text", "text": "Hello! How can I assist you today?"}],
               "stop_reason": "end_turn", "stop_sequence": null,
               "usage": {"input_tokens": 19, "output_tokens": 10, "cache_read_input_tokens": 0}})
    );
    let out = parse_chat_response(
        ProviderKind::Gemini,
        fixture("gemini", "response_function_call.json").as_bytes(),
        "gemini-2.5-flash",
        "chatcmpl-hx1",
        0,
    )
    .expect("parses");
    let message = chat_response_to_message(&out.body, &out.usage);
    assert_eq!(message["stop_reason"], "tool_use");
    assert_eq!(
        message["content"],
        json!([{"type": "tool_use", "id": "call_chatcmplhx1_0", "name": "find_theaters",
        "input": {"movie": "Barbie", "location": "Mountain View, CA"}}])
    );
    assert_eq!(
        message["usage"],
        json!({"input_tokens": 0, "output_tokens": 0})
    );
}

fn through_messages_stream(kind: ProviderKind, provider: &str, name: &str) -> Vec<(String, Value)> {
    let mut translator = ChatStreamTranslator::new(kind, "chatcmpl-hx1", "hexa-model", 0, true);
    let mut messages = ChatToMessagesStream::new("chatcmpl-hx1", "hexa-model");
    let mut events = Vec::new();
    let mut push = |pairs: Vec<(String, String)>| {
        for (name, data) in pairs {
            let value: Value = serde_json::from_str(&data).expect("event data is JSON");
            assert_eq!(value["type"], name.as_str(), "event name matches data type");
            events.push((name, value));
        }
    };
    for (event, data) in sse_events(&fixture(provider, name)) {
        for chunk in translator
            .on_event(event.as_deref(), &data)
            .expect("translates")
        {
            push(messages.on_chunk(&chunk).expect("chunk converts"));
        }
    }
    for chunk in translator.finish() {
        push(messages.on_chunk(&chunk).expect("chunk converts"));
    }
    push(messages.finish(translator.usage()));
    assert!(messages.finish(None).is_empty(), "finish is idempotent");
    events
}

#[test]
fn openai_tool_stream_becomes_the_anthropic_event_sequence() {
    let events = through_messages_stream(ProviderKind::OpenAi, "openai", "stream_tool_calls.sse");
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let mut expected = vec!["message_start", "content_block_start"];
    expected.extend(["content_block_delta"; 7]);
    expected.extend(["content_block_stop", "content_block_start"]);
    expected.extend(["content_block_delta"; 8]);
    expected.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names, expected);
    assert_eq!(
        events[0].1,
        json!({"type": "message_start", "message": {"id": "msg_hx1", "type": "message", "role": "assistant", "model": "hexa-model",
               "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 0, "output_tokens": 0}}})
    );
    assert_eq!(
        events[1].1,
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA", "name": "get_weather", "input": {}}})
    );
    for (block, want) in [
        (0, json!({"location": "Paris, France"})),
        (1, json!({"location": "Bogotá, Colombia"})),
    ] {
        let json_text: String = events
            .iter()
            .filter(|(n, v)| n == "content_block_delta" && v["index"] == block)
            .map(|(_, v)| {
                v["delta"]["partial_json"]
                    .as_str()
                    .expect("input_json_delta")
                    .to_string()
            })
            .collect();
        assert_eq!(
            serde_json::from_str::<Value>(&json_text).expect("valid JSON"),
            want
        );
    }
    assert_eq!(
        events[events.len() - 2].1,
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
               "usage": {"input_tokens": 7, "output_tokens": 52, "cache_read_input_tokens": 64}})
    );
}

#[test]
fn gemini_text_stream_becomes_text_deltas() {
    let events = through_messages_stream(ProviderKind::Gemini, "gemini", "stream.sse");
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    assert_eq!(
        events[2].1["delta"],
        json!({"type": "text_delta", "text": "Paris"})
    );
    assert_eq!(events[5].1["delta"]["stop_reason"], "end_turn");
    assert_eq!(
        events[5].1["usage"],
        json!({"input_tokens": 10, "output_tokens": 2})
    );
}
