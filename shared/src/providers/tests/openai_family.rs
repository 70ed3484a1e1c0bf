//! OpenAI, xAI, DeepSeek, Mistral and Groq responses and streams, from their documented bodies.

use super::{assemble, fixture, translate_stream};
use crate::providers::{FinishReason, ProviderKind, Usage, parse_chat_response};
use serde_json::{Value, json};

fn parse(kind: ProviderKind, provider: &str, name: &str) -> crate::providers::ChatOutcome {
    parse_chat_response(
        kind,
        fixture(provider, name).as_bytes(),
        "hexa-model",
        "chatcmpl-hx1",
        1_700_000_000,
    )
    .expect("response translates")
}

#[test]
fn openai_response_gets_our_identity_and_normalised_usage() {
    let out = parse(ProviderKind::OpenAi, "openai", "response.json");
    assert_eq!(
        out.body,
        json!({
            "id": "chatcmpl-hx1", "object": "chat.completion", "created": 1_700_000_000, "model": "hexa-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello! How can I assist you today?", "refusal": null, "annotations": []},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
                      "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}
        })
    );
    assert_eq!(out.finish_reason, Some(FinishReason::Stop));
    assert_eq!(
        out.usage,
        Usage {
            prompt_tokens: Some(19),
            completion_tokens: Some(10),
            cached_tokens: Some(0),
            cache_creation_tokens: None,
            reasoning_tokens: Some(0)
        }
    );
}

#[test]
fn openai_stream_matches_openai_chunk_format_exactly() {
    let (translator, chunks) = translate_stream(ProviderKind::OpenAi, "openai", "stream.sse", true);
    assert_eq!(chunks.len(), 12, "role + 9 text + finish + usage");
    assert_eq!(
        chunks[0],
        json!({"id": "chatcmpl-hx1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "hexa-model",
               "system_fingerprint": "fp_44709d6fcb",
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}],
               "usage": null})
    );
    assert!(
        chunks[..11]
            .iter()
            .all(|c| c["usage"].is_null() && c.get("usage").is_some())
    );
    assert_eq!(
        chunks[11],
        json!({"id": "chatcmpl-hx1", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "hexa-model",
               "choices": [], "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
               "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}})
    );
    // The same answer streamed and not streamed: same text, same usage.
    let whole = parse(ProviderKind::OpenAi, "openai", "response.json");
    let a = assemble(&chunks);
    assert_eq!(a.text, whole.body["choices"][0]["message"]["content"]);
    assert_eq!(a.finish.as_deref(), Some("stop"));
    assert_eq!(translator.usage(), Some(whole.usage));
    assert!(translator.upstream_complete());
}

#[test]
fn without_include_usage_there_is_no_usage_chunk_but_usage_is_still_measured() {
    let (translator, chunks) =
        translate_stream(ProviderKind::OpenAi, "openai", "stream.sse", false);
    assert_eq!(chunks.len(), 11);
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(translator.usage().and_then(|u| u.prompt_tokens), Some(19));
}

#[test]
fn openai_parallel_tool_call_fragments_reassemble_to_json() {
    let (translator, chunks) = translate_stream(
        ProviderKind::OpenAi,
        "openai",
        "stream_tool_calls.sse",
        true,
    );
    let a = assemble(&chunks);
    assert_eq!(a.calls.len(), 2);
    assert_eq!(
        (a.calls[0].0, a.calls[0].1.as_str(), a.calls[0].2.as_str()),
        (0, "call_DdmO9pD3xa9XTPNJ32zg2hcA", "get_weather")
    );
    assert_eq!(
        (a.calls[1].0, a.calls[1].1.as_str()),
        (1, "call_lvWUXxDKhzfNArbtSXv6B5ue")
    );
    let first: Value = serde_json::from_str(&a.calls[0].3).expect("valid JSON");
    let second: Value = serde_json::from_str(&a.calls[1].3).expect("valid JSON");
    assert_eq!(first, json!({"location": "Paris, France"}));
    assert_eq!(second, json!({"location": "Bogotá, Colombia"}));
    assert_eq!(a.finish.as_deref(), Some("tool_calls"));
    assert_eq!(translator.finish_reason(), Some(FinishReason::ToolCalls));
    let usage = translator.usage().expect("usage");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens
        ),
        (Some(71), Some(52), Some(64))
    );
}

#[test]
fn xai_reasoning_tokens_are_billed_as_output() {
    let out = parse(ProviderKind::Xai, "xai", "response.json");
    // xAI: total 135 = 32 prompt + 9 completion + 94 reasoning.
    assert_eq!(
        out.usage,
        Usage {
            prompt_tokens: Some(32),
            completion_tokens: Some(103),
            cached_tokens: Some(6),
            cache_creation_tokens: None,
            reasoning_tokens: Some(94)
        }
    );
    assert_eq!(out.body["usage"]["total_tokens"], 135);
    assert_eq!(
        out.body["choices"][0]["message"]["content"],
        "101 multiplied by 3 is 303."
    );
}

#[test]
fn xai_stream_usage_on_every_chunk_is_held_back() {
    let (translator, chunks) = translate_stream(ProviderKind::Xai, "xai", "stream.sse", true);
    let a = assemble(&chunks);
    assert_eq!(a.text, "Ah, the ultimate question!!");
    assert_eq!(a.finish.as_deref(), Some("stop"));
    let last = chunks.last().expect("chunks");
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["completion_tokens"], 80);
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["usage"].is_null()),
        "running usage is not forwarded"
    );
    assert_eq!(translator.usage().and_then(|u| u.prompt_tokens), Some(41));
}

#[test]
fn deepseek_stream_usage_on_the_finish_chunk_and_a_final_done_without_blank_line() {
    let (translator, chunks) =
        translate_stream(ProviderKind::DeepSeek, "deepseek", "stream.sse", true);
    let a = assemble(&chunks);
    assert_eq!(a.text, "Hello! How can I assist you today?");
    assert!(
        translator.upstream_complete(),
        "[DONE] at end of body without a blank line"
    );
    let usage = translator.usage().expect("usage");
    assert_eq!(
        (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens
        ),
        (Some(17), Some(9), None)
    );
    let finish_chunk = &chunks[chunks.len() - 2];
    assert_eq!(finish_chunk["choices"][0]["finish_reason"], "stop");
    assert!(
        finish_chunk["usage"].is_null(),
        "usage moved to our own final chunk"
    );
    let whole = parse(ProviderKind::DeepSeek, "deepseek", "response.json");
    assert_eq!(whole.usage.prompt_tokens, Some(16));
    assert_eq!(whole.usage.cached_tokens, None, "not reported is not zero");
}

#[test]
fn deepseek_reasoner_cache_hits_and_reasoning() {
    let (translator, chunks) = translate_stream(
        ProviderKind::DeepSeek,
        "deepseek",
        "stream_reasoner.sse",
        true,
    );
    let reasoning: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["reasoning_content"].as_str())
        .collect();
    assert!(reasoning.starts_with("Hmm, the user just said \"Hello!\""));
    assert_eq!(
        assemble(&chunks).text,
        "Hello! 😊 It's wonderful to meet you!"
    );
    assert_eq!(
        translator.usage(),
        Some(Usage {
            prompt_tokens: Some(6),
            completion_tokens: Some(169),
            cached_tokens: Some(1),
            cache_creation_tokens: None,
            reasoning_tokens: Some(117)
        })
    );
    let whole = parse(ProviderKind::DeepSeek, "deepseek", "response_reasoner.json");
    assert_eq!(whole.usage.cached_tokens, Some(0));
    assert!(
        whole.body["choices"][0]["message"]["reasoning_content"]
            .as_str()
            .is_some()
    );
}

#[test]
fn deepseek_tool_call_stream() {
    let (translator, chunks) = translate_stream(
        ProviderKind::DeepSeek,
        "deepseek",
        "stream_tool_calls.sse",
        true,
    );
    let a = assemble(&chunks);
    assert_eq!(a.text, "I'll check the current weather in Tokyo for you.");
    assert_eq!(a.calls.len(), 1);
    assert_eq!(
        serde_json::from_str::<Value>(&a.calls[0].3).expect("JSON"),
        json!({"location": "Tokyo"})
    );
    assert_eq!(a.finish.as_deref(), Some("tool_calls"));
    assert_eq!(translator.usage().and_then(|u| u.cached_tokens), Some(128));
}

#[test]
fn mistral_streamed_and_whole_answers_agree() {
    let (translator, chunks) =
        translate_stream(ProviderKind::Mistral, "mistral", "stream.sse", true);
    let whole = parse(ProviderKind::Mistral, "mistral", "response.json");
    assert_eq!(
        assemble(&chunks).text,
        whole.body["choices"][0]["message"]["content"]
    );
    assert_eq!(translator.usage(), Some(whole.usage));
    assert_eq!(whole.usage.total_tokens(), Some(19));
}

#[test]
fn mistral_object_arguments_and_content_arrays_are_normalised() {
    let out = parse(
        ProviderKind::Mistral,
        "mistral",
        "response_docs_example.json",
    );
    assert_eq!(
        out.body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
        "{}"
    );
    let (_, chunks) = translate_stream(
        ProviderKind::Mistral,
        "mistral",
        "stream_magistral.sse",
        false,
    );
    assert_eq!(assemble(&chunks).text, "Hi there!");
    assert!(
        chunks
            .iter()
            .all(|c| c["choices"][0]["delta"]["content"].as_array().is_none())
    );
}

#[test]
fn groq_usage_under_x_groq() {
    let whole = parse(ProviderKind::Groq, "groq", "response.json");
    assert_eq!(
        (whole.usage.prompt_tokens, whole.usage.completion_tokens),
        (Some(18), Some(556))
    );
    assert!(whole.body.get("x_groq").is_none());
    let (translator, chunks) = translate_stream(ProviderKind::Groq, "groq", "stream.sse", true);
    let short = parse(ProviderKind::Groq, "groq", "response_short.json");
    assert_eq!(
        assemble(&chunks).text,
        short.body["choices"][0]["message"]["content"]
    );
    assert_eq!(translator.usage(), Some(short.usage));
    assert!(chunks.iter().all(|c| c.get("x_groq").is_none()));
}

#[test]
fn error_object_in_a_200_body_is_an_error() {
    let e = parse_chat_response(
        ProviderKind::DeepSeek,
        fixture("deepseek", "error_400.json").as_bytes(),
        "m",
        "id",
        0,
    )
    .expect_err("error body");
    assert_eq!(e.status, 400);
    assert!(e.message.contains("Model Not Exist"));
    let e =
        parse_chat_response(ProviderKind::OpenAi, b"not json", "m", "id", 0).expect_err("garbage");
    assert_eq!(e.status, 502);
    let e = parse_chat_response(
        ProviderKind::OpenAi,
        br#"{"id":"x","choices":[]}"#,
        "m",
        "id",
        0,
    )
    .expect_err("no choices");
    assert_eq!(e.status, 502);
    let mut t =
        crate::providers::ChatStreamTranslator::new(ProviderKind::OpenAi, "id", "m", 0, false);
    let e = t
        .on_event(None, r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}"#)
        .expect_err("mid-stream error");
    assert!(e.retryable && e.status == 502);
}

#[test]
fn no_provider_emits_usage_unless_asked() {
    for (kind, provider, name) in [
        (ProviderKind::OpenAi, "openai", "stream_tool_calls.sse"),
        (ProviderKind::Anthropic, "anthropic", "stream_tool_use.sse"),
        (ProviderKind::Gemini, "gemini", "stream_function_call.sse"),
        (ProviderKind::Xai, "xai", "stream.sse"),
        (ProviderKind::DeepSeek, "deepseek", "stream_reasoner.sse"),
        (ProviderKind::Mistral, "mistral", "stream.sse"),
        (ProviderKind::Groq, "groq", "stream.sse"),
    ] {
        let (translator, chunks) = translate_stream(kind, provider, name, false);
        assert!(
            chunks
                .iter()
                .all(|c| c.get("usage").is_none() && c["choices"] != json!([])),
            "{provider}/{name}"
        );
        assert!(
            translator.usage().is_some(),
            "{provider}/{name}: usage is still measured"
        );
        assert!(translator.finish_reason().is_some(), "{provider}/{name}");
        assert!(translator.output_bytes() > 0, "{provider}/{name}");
    }
}
