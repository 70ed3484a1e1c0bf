//! Fixture-driven tests for the provider adapters; fixtures are provider bodies taken from their documentation.

mod anthropic;
mod errors;
mod gemini;
mod messages;
mod openai_family;
mod request;
mod upstream;

use super::{ChatStreamTranslator, ProviderKind};
use serde_json::Value;
use std::path::PathBuf;

/// Reads `fixtures/<provider>/<name>`: beside the crate in the scratch layout, or in the
/// workspace's `tests/fixtures` once the module lives in `shared/`.
pub(super) fn fixture(provider: &str, name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        root.join("fixtures").join(provider).join(name),
        root.join("..")
            .join("tests")
            .join("fixtures")
            .join(provider)
            .join(name),
    ];
    for path in &candidates {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
    }
    panic!("fixture {provider}/{name} not found in {candidates:?}");
}

/// Test-only SSE splitter: events end at a blank line (LF or CRLF); `event:` names them;
/// `data:` lines are joined with newlines; comments are skipped; a last event without a
/// trailing blank line still counts.
pub(super) fn sse_events(body: &str) -> Vec<(Option<String>, String)> {
    let mut events = Vec::new();
    let mut name: Option<String> = None;
    let mut data: Vec<String> = Vec::new();
    let mut flush = |name: &mut Option<String>, data: &mut Vec<String>| {
        if !data.is_empty() {
            events.push((name.take(), data.join("\n")));
        }
        *name = None;
        data.clear();
    };
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            flush(&mut name, &mut data);
        } else if let Some(v) = line.strip_prefix("event:") {
            name = Some(v.trim_start().to_string());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
        }
    }
    flush(&mut name, &mut data);
    events
}

/// Runs a whole fixture stream through a translator and returns every chunk, parsed.
pub(super) fn translate_stream(
    kind: ProviderKind,
    provider: &str,
    name: &str,
    include_usage: bool,
) -> (ChatStreamTranslator, Vec<Value>) {
    let mut translator = ChatStreamTranslator::new(
        kind,
        "chatcmpl-hx1",
        "hexa-model",
        1_700_000_000,
        include_usage,
    );
    let mut out = Vec::new();
    for (event, data) in sse_events(&fixture(provider, name)) {
        for chunk in translator
            .on_event(event.as_deref(), &data)
            .expect("event translates")
        {
            out.push(serde_json::from_str(&chunk).expect("chunk is JSON"));
        }
    }
    for chunk in translator.finish() {
        out.push(serde_json::from_str(&chunk).expect("chunk is JSON"));
    }
    (translator, out)
}

/// What a client reassembles from chunks: text, tool calls `(index, id, name, arguments)`,
/// and the finish reason.
pub(super) struct Assembled {
    pub text: String,
    pub calls: Vec<(u64, String, String, String)>,
    pub finish: Option<String>,
}

pub(super) fn assemble(chunks: &[Value]) -> Assembled {
    let mut text = String::new();
    let mut calls: Vec<(u64, String, String, String)> = Vec::new();
    let mut finish = None;
    for chunk in chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], "chatcmpl-hx1");
        assert_eq!(chunk["model"], "hexa-model");
        assert_eq!(chunk["created"], 1_700_000_000);
        let Some(choice) = chunk["choices"].get(0) else {
            continue;
        };
        if let Some(t) = choice["delta"]["content"].as_str() {
            text.push_str(t);
        }
        for call in choice["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let index = call["index"].as_u64().expect("tool call index");
            let fragment = call["function"]["arguments"].as_str().unwrap_or("");
            match calls.iter_mut().find(|c| c.0 == index) {
                Some(existing) => existing.3.push_str(fragment),
                None => calls.push((
                    index,
                    call["id"]
                        .as_str()
                        .expect("first delta has the id")
                        .to_string(),
                    call["function"]["name"]
                        .as_str()
                        .expect("first delta has the name")
                        .to_string(),
                    fragment.to_string(),
                )),
            }
        }
        if let Some(f) = choice["finish_reason"].as_str() {
            finish = Some(f.to_string());
        }
    }
    Assembled {
        text,
        calls,
        finish,
    }
}
