//! The upstream request built for each provider from one ChatRequest.

use super::request::{PNG_1PX, parse, tool_conversation};
use crate::providers::{ChatRequest, ProviderKind, auth_headers, build_chat_request};
use serde_json::{Value, json};

fn body(kind: ProviderKind, req: &ChatRequest, stream: bool) -> (String, Value) {
    let up = build_chat_request(kind, req, "up-model", stream).expect("builds");
    (
        up.path_and_query,
        serde_json::from_slice(&up.body).expect("body is JSON"),
    )
}

#[test]
fn openai_request_is_passed_through_with_usage_requested() {
    let req = tool_conversation();
    let (path, b) = body(ProviderKind::OpenAi, &req, true);
    assert_eq!(path, "/v1/chat/completions");
    assert_eq!(b["model"], "up-model");
    assert_eq!(b["stream"], true);
    assert_eq!(b["stream_options"], json!({"include_usage": true}));
    assert_eq!(b["max_completion_tokens"], 300);
    assert!(b.get("max_tokens").is_none());
    assert_eq!(b["presence_penalty"], 0.5);
    assert_eq!(b["messages"][1]["role"], "developer");
    assert_eq!(
        b["messages"][3],
        json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_abc123", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]})
    );
    assert_eq!(
        b["messages"][2]["content"][1]["image_url"]["url"],
        format!("data:image/png;base64,{PNG_1PX}")
    );
    assert_eq!(b["tool_choice"], "required");
    let (_, plain) = body(ProviderKind::OpenAi, &req, false);
    assert!(plain.get("stream").is_none() && plain.get("stream_options").is_none());
}

#[test]
fn openai_compatible_paths_and_roles() {
    let req = tool_conversation();
    for (kind, path) in [
        (ProviderKind::Xai, "/v1/chat/completions"),
        (ProviderKind::DeepSeek, "/chat/completions"),
        (ProviderKind::Mistral, "/v1/chat/completions"),
        (ProviderKind::Groq, "/openai/v1/chat/completions"),
    ] {
        let mut r = req.clone();
        if kind == ProviderKind::DeepSeek {
            r.messages.remove(2);
        }
        let (p, b) = body(kind, &r, true);
        assert_eq!(p, path);
        assert_eq!(
            b["messages"][1]["role"], "system",
            "{kind:?} has no developer role"
        );
        assert_eq!(b["max_tokens"], 300, "{kind:?}");
    }
}

#[test]
fn mistral_gets_only_fields_it_accepts_and_nine_character_tool_ids() {
    let mut req = tool_conversation();
    req.extra.insert("logit_bias".into(), json!({"1": 2}));
    req.messages[5].name = Some("alice".into());
    let (_, b) = body(ProviderKind::Mistral, &req, true);
    assert_eq!(b["random_seed"], 7);
    for gone in ["seed", "user", "stream_options", "logit_bias"] {
        assert!(b.get(gone).is_none(), "{gone} must not reach Mistral");
    }
    assert_eq!(b["presence_penalty"], 0.5);
    let call_id = b["messages"][3]["tool_calls"][0]["id"]
        .as_str()
        .expect("id");
    assert_eq!(call_id.len(), 9);
    assert!(call_id.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        b["messages"][4]["tool_call_id"], call_id,
        "tool result still answers its call"
    );
    assert!(b["messages"][5].get("name").is_none());
}

#[test]
fn groq_and_deepseek_quirks() {
    let mut req = tool_conversation();
    req.messages[5].name = Some("alice".into());
    let (_, b) = body(ProviderKind::Groq, &req, false);
    assert!(
        b["messages"][5].get("name").is_none(),
        "Groq 400s on messages[].name"
    );
    req.extra.insert("logprobs".into(), json!(true));
    let e = build_chat_request(ProviderKind::Groq, &req, "m", false).expect_err("logprobs");
    assert_eq!(e.message, "logprobs is not supported by Groq models");

    let e = build_chat_request(ProviderKind::DeepSeek, &tool_conversation(), "m", false)
        .expect_err("image");
    assert_eq!(
        e.message,
        "DeepSeek models do not accept images; send text only"
    );
    assert_eq!(e.param.as_deref(), Some("messages[2].content"));
    let text_parts = parse(
        json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
        "response_format": {"type": "json_object"}}),
    );
    let (_, b) = body(ProviderKind::DeepSeek, &text_parts, false);
    assert_eq!(b["messages"][0]["content"], "ab");
    let schema = parse(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}}}}),
    );
    let e =
        build_chat_request(ProviderKind::DeepSeek, &schema, "m", false).expect_err("json_schema");
    assert_eq!(e.param.as_deref(), Some("response_format"));
}

#[test]
fn anthropic_request_translation() {
    let mut req = tool_conversation();
    req.parallel_tool_calls = Some(false);
    req.response_format = None;
    let (path, b) = body(ProviderKind::Anthropic, &req, true);
    assert_eq!(path, "/v1/messages");
    assert_eq!(b["model"], "up-model");
    assert_eq!(b["stream"], true);
    assert_eq!(b["max_tokens"], 300);
    assert_eq!(b["temperature"], 1.0, "clamped to Anthropic's 0-1 range");
    assert_eq!(
        b["system"],
        json!([{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Use metric units."}])
    );
    assert_eq!(b["stop_sequences"], json!(["END"]));
    assert_eq!(b["metadata"], json!({"user_id": "u-1"}));
    assert_eq!(
        b["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    assert_eq!(
        b["tools"][0]["input_schema"]["properties"]["city"]["type"],
        "string"
    );
    assert!(
        b.get("presence_penalty").is_none(),
        "unknown fields are not for Anthropic"
    );
    let messages = b["messages"].as_array().expect("messages");
    assert_eq!(
        messages.len(),
        3,
        "user / assistant / user(tool_result + text)"
    );
    assert_eq!(
        messages[0]["content"][1],
        json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX}})
    );
    assert_eq!(
        messages[1]["content"],
        json!([{"type": "tool_use", "id": "call_abc123", "name": "get_weather", "input": {"city": "Paris"}}])
    );
    assert_eq!(
        messages[2]["content"],
        json!([
            {"type": "tool_result", "tool_use_id": "call_abc123", "content": "{\"temp_c\":21}"},
            {"type": "text", "text": "Thanks"}
        ])
    );
    let plain = parse(
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}}),
    );
    let (_, b) = body(ProviderKind::Anthropic, &plain, false);
    assert_eq!(
        b["max_tokens"],
        crate::providers::anthropic::DEFAULT_MAX_TOKENS
    );
    assert!(
        b["system"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("JSON object"))
    );
    assert!(b.get("stream").is_none());
}

#[test]
fn anthropic_rejects_non_object_tool_arguments() {
    let req = parse(json!({"model": "m", "messages": [
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "[1,2]"}}]}
    ]}));
    let e =
        build_chat_request(ProviderKind::Anthropic, &req, "m", false).expect_err("array arguments");
    assert_eq!(
        e.param.as_deref(),
        Some("messages[0].tool_calls[0].function.arguments")
    );
}

#[test]
fn gemini_request_translation() {
    let req = tool_conversation();
    let (path, b) = body(ProviderKind::Gemini, &req, true);
    assert_eq!(
        path,
        "/v1beta/models/up-model:streamGenerateContent?alt=sse"
    );
    let (plain, _) = body(ProviderKind::Gemini, &req, false);
    assert_eq!(plain, "/v1beta/models/up-model:generateContent");
    assert_eq!(
        b["systemInstruction"],
        json!({"parts": [{"text": "Be brief."}, {"text": "Use metric units."}]})
    );
    let contents = b["contents"].as_array().expect("contents");
    assert_eq!(contents.len(), 3);
    assert_eq!(
        contents[0]["parts"][1],
        json!({"inlineData": {"mimeType": "image/png", "data": PNG_1PX}})
    );
    assert_eq!(
        contents[1],
        json!({"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
        "thoughtSignature": "skip_thought_signature_validator"}]})
    );
    assert_eq!(contents[2]["role"], "user");
    assert_eq!(
        contents[2]["parts"][0],
        json!({"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}})
    );
    assert_eq!(contents[2]["parts"][1], json!({"text": "Thanks"}));
    assert_eq!(
        b["generationConfig"],
        json!({"temperature": 1.5, "maxOutputTokens": 300, "stopSequences": ["END"], "seed": 7})
    );
    assert_eq!(
        b["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY"}})
    );
    assert_eq!(
        b["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"]["type"],
        "object"
    );
    let (odd, _) = body(
        ProviderKind::Gemini,
        &parse(json!({"model": "m", "messages": [{"role": "user", "content": "x"}]})),
        false,
    );
    assert_eq!(odd, "/v1beta/models/up-model:generateContent");
    let up = build_chat_request(ProviderKind::Gemini, &req, "models/gemini 2/../x", false)
        .expect("builds");
    assert_eq!(
        up.path_and_query,
        "/v1beta/models/gemini%202%2F..%2Fx:generateContent"
    );
}

#[test]
fn gemini_needs_the_call_a_tool_result_answers() {
    let req = parse(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "nope", "content": "1"}]}),
    );
    let e =
        build_chat_request(ProviderKind::Gemini, &req, "m", false).expect_err("orphan tool result");
    assert_eq!(
        e.message,
        "messages[1].tool_call_id 'nope' does not match a tool call of an earlier assistant message"
    );
}

#[test]
fn auth_headers_per_provider() {
    assert_eq!(
        auth_headers(ProviderKind::OpenAi, "sk-1"),
        vec![("authorization".to_string(), "Bearer sk-1".to_string())]
    );
    assert_eq!(
        auth_headers(ProviderKind::Groq, "gsk_1")[0].1,
        "Bearer gsk_1"
    );
    assert_eq!(
        auth_headers(ProviderKind::Anthropic, "k"),
        vec![
            ("x-api-key".to_string(), "k".to_string()),
            ("anthropic-version".to_string(), "2023-06-01".to_string())
        ]
    );
    assert_eq!(
        auth_headers(ProviderKind::Gemini, "g"),
        vec![("x-goog-api-key".to_string(), "g".to_string())]
    );
    let up =
        build_chat_request(ProviderKind::OpenAi, &tool_conversation(), "m", true).expect("builds");
    assert!(
        up.headers
            .contains(&("accept".to_string(), "text/event-stream".to_string()))
    );
    assert_eq!(
        ProviderKind::from_name("Google"),
        Some(ProviderKind::Gemini)
    );
    assert_eq!(
        ProviderKind::from_name("deepseek").map(ProviderKind::env_suffix),
        Some("DEEPSEEK")
    );
}
