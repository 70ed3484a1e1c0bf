//! ChatRequest parsing and validation, with the messages a caller sees.

use crate::providers::ChatRequest;
use crate::providers::chat::{Content, ContentPart, ImageSource, Role, ToolChoice};
use serde_json::{Value, json};

pub(super) const PNG_1PX: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

pub(super) fn parse(v: Value) -> ChatRequest {
    ChatRequest::from_json(v.to_string().as_bytes()).expect("valid request")
}

fn rejects(v: Value) -> (String, Option<String>) {
    let e = ChatRequest::from_json(v.to_string().as_bytes()).expect_err("must be rejected");
    (e.message, e.param)
}

/// A conversation exercising every message kind: system, developer, user with an image,
/// assistant tool call, tool result.
pub(super) fn tool_conversation() -> ChatRequest {
    parse(json!({
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Use metric units."},
            {"role": "user", "content": [
                {"type": "text", "text": "Weather here?"},
                {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG_1PX}")}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_abc123", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_abc123", "content": "{\"temp_c\":21}"},
            {"role": "user", "content": "Thanks"}
        ],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
        "tool_choice": "required",
        "temperature": 1.5,
        "max_tokens": 300,
        "stop": ["END"],
        "seed": 7,
        "user": "u-1",
        "presence_penalty": 0.5
    }))
}

#[test]
fn validation_messages_are_specific() {
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (json!([1]), "request body must be a JSON object", None),
        (
            json!({"messages": [{"role": "user", "content": "x"}]}),
            "model is required",
            Some("model"),
        ),
        (
            json!({"model": "m", "messages": []}),
            "messages must be a non-empty array",
            Some("messages"),
        ),
        (
            json!({"model": "m"}),
            "messages must be a non-empty array",
            Some("messages"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "robot", "content": "c"}]}),
            "messages[2].role 'robot' is not one of system, developer, user, assistant, tool",
            Some("messages[2].role"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 2.5}),
            "temperature must be between 0 and 2",
            Some("temperature"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "top_p": 1.5}),
            "top_p must be between 0 and 1",
            Some("top_p"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}),
            "max_tokens must be a positive integer",
            Some("max_tokens"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": ["a", "b", "c", "d", "e"]}),
            "stop must be a string or an array of at most 4 strings",
            Some("stop"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]}),
            "messages[0].tool_call_id is required on tool messages and must be a string",
            Some("messages[0].tool_call_id"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "assistant"}]}),
            "messages[0].content is required",
            Some("messages[0].content"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}),
            "messages[0].content[0].type 'input_audio' is not supported; use text or image_url",
            Some("messages[0].content[0].type"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://example.com/a.png"}}]}]}),
            "messages[0].content[0].image_url.url must be an https:// URL or a base64 data: URL",
            Some("messages[0].content[0].image_url.url"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}]}]}),
            "messages[0].content[0].image_url.url does not contain valid base64 image data",
            Some("messages[0].content[0].image_url.url"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "a"}}], "tool_choice": {"type": "function", "function": {"name": "b"}}}),
            "tool_choice names function 'b', which is not in tools",
            Some("tool_choice.function.name"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "bad name"}}]}),
            "tools[0].function.name must be 1 to 64 letters, digits, underscores or dashes",
            Some("tools[0].function.name"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}}),
            "response_format.type must be text, json_object or json_schema",
            Some("response_format.type"),
        ),
    ];
    for (input, message, param) in cases {
        let (got, got_param) = rejects(input.clone());
        assert_eq!(got, message, "for {input}");
        assert_eq!(got_param.as_deref(), param, "for {input}");
    }
}

#[test]
fn malformed_json_and_n_are_validation_errors() {
    let e = ChatRequest::from_json(b"{\"model\": ").expect_err("malformed");
    assert!(
        e.message.starts_with("request body is not valid JSON"),
        "{}",
        e.message
    );
    assert_eq!(e.param, None);
    let (msg, param) =
        rejects(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 2}));
    assert!(msg.starts_with("n must be 1"), "{msg}");
    assert_eq!(param.as_deref(), Some("n"));
    // n = 1 is simply accepted.
    parse(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 1}));
}

#[test]
fn parsed_request_keeps_everything_we_model() {
    let req = tool_conversation();
    assert_eq!(req.messages.len(), 6);
    assert_eq!(req.messages[1].role, Role::Developer);
    let Content::Parts(parts) = &req.messages[2].content else {
        panic!("parts expected")
    };
    assert!(
        matches!(&parts[1], ContentPart::Image(i) if matches!(&i.source, ImageSource::Base64 { media_type, .. } if media_type == "image/png"))
    );
    assert_eq!(req.messages[3].content, Content::None);
    assert_eq!(
        req.messages[3].tool_calls[0].arguments,
        "{\"city\":\"Paris\"}"
    );
    assert_eq!(req.tool_choice, Some(ToolChoice::Required));
    assert_eq!(req.max_tokens, Some(300));
    assert_eq!(req.extra.get("presence_penalty"), Some(&json!(0.5)));
    let both = parse(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 10, "max_completion_tokens": 20,
        "stream": true, "stream_options": {"include_usage": true}}),
    );
    assert_eq!(both.max_tokens, Some(20));
    assert!(both.stream && both.include_usage);
}
