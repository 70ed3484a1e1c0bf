//! One streamed chat completion for the agent loop: through the HexaClaw API
//! (`/v1/chat/completions`), or with `--local` straight to the provider with the user's own key
//! (the gateway's own adapters translate the request and the stream, so all seven providers
//! work). Either way the result is assembled from OpenAI-format chunks.

use super::thinking::Thinking;
use crate::api::{Api, reach_error};
use crate::exit::{self, CliError};
use crate::sse;
use futures_util::StreamExt;
use hexaclaw_shared::catalog::ModelInfo;
use hexaclaw_shared::providers::{self, ChatRequest, ChatStreamTranslator, ProviderKind};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Where completions come from.
pub enum Backend {
    /// The HexaClaw API.
    Cloud(Api),
    /// The provider itself (`--local`).
    Local {
        http: reqwest::Client,
        kind: ProviderKind,
        origin: String,
        key: String,
    },
}

/// A tool call the model asked for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// One assembled completion.
#[derive(Clone, Debug, Default)]
pub struct Completion {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub model: Option<String>,
    pub finish: Option<String>,
}

/// Builds a [`Completion`] from `chat.completion.chunk` objects.
#[derive(Default)]
pub struct Assembler {
    c: Completion,
    calls: BTreeMap<u64, ToolCall>,
}

impl Assembler {
    /// Take one chunk; text deltas go to `on_text` as they arrive.
    pub fn chunk(&mut self, v: &Value, on_text: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
        if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
            let msg = e["message"]
                .as_str()
                .unwrap_or("the stream reported an error");
            return Err(CliError::new(exit::ERROR, format!("model error: {msg}")).into());
        }
        if let Some(m) = v["model"].as_str() {
            self.c.model = Some(m.to_owned());
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.c.input_tokens = u["prompt_tokens"].as_u64().unwrap_or(0);
            self.c.output_tokens = u["completion_tokens"].as_u64().unwrap_or(0);
        }
        for choice in v["choices"].as_array().into_iter().flatten() {
            let d = &choice["delta"];
            if let Some(t) = d["content"].as_str().filter(|t| !t.is_empty()) {
                self.c.text.push_str(t);
                on_text(t);
            }
            for tc in d["tool_calls"].as_array().into_iter().flatten() {
                let idx = tc["index"].as_u64().unwrap_or(self.calls.len() as u64);
                let call = self.calls.entry(idx).or_default();
                if let Some(id) = tc["id"].as_str() {
                    call.id = id.to_owned();
                }
                if let Some(n) = tc["function"]["name"].as_str() {
                    call.name.push_str(n);
                }
                if let Some(a) = tc["function"]["arguments"].as_str() {
                    call.arguments.push_str(a);
                }
            }
            if let Some(f) = choice["finish_reason"].as_str() {
                self.c.finish = Some(f.to_owned());
            }
        }
        Ok(())
    }

    /// The completion; tool calls without an id get one.
    pub fn finish(mut self) -> Completion {
        self.c.tool_calls = self
            .calls
            .into_values()
            .enumerate()
            .map(|(i, mut c)| {
                if c.id.is_empty() {
                    c.id = format!("call_{i}");
                }
                if c.arguments.trim().is_empty() {
                    c.arguments = "{}".into();
                }
                c
            })
            .filter(|c| !c.name.is_empty())
            .collect();
        self.c
    }
}

impl Backend {
    /// `agentMeta.provider`: `hexaclaw-cloud`, or the provider with `--local`.
    pub fn provider_label(&self) -> &'static str {
        match self {
            Backend::Cloud(_) => "hexaclaw-cloud",
            Backend::Local { kind, .. } => kind.name(),
        }
    }

    /// Stream one completion of `body` (OpenAI format, `stream: true`).
    pub async fn complete(
        &self,
        body: &Value,
        model: &ModelInfo,
        thinking: Thinking,
        on_text: &mut dyn FnMut(&str),
    ) -> anyhow::Result<Completion> {
        match self {
            Backend::Cloud(api) => cloud(api, body, on_text).await,
            Backend::Local {
                http,
                kind,
                origin,
                key,
            } => {
                let target = Local {
                    http,
                    kind: *kind,
                    origin,
                    key,
                };
                local(&target, body, model, thinking, on_text).await
            }
        }
    }
}

async fn cloud(
    api: &Api,
    body: &Value,
    on_text: &mut dyn FnMut(&str),
) -> anyhow::Result<Completion> {
    let rb = api
        .request(reqwest::Method::POST, "/v1/chat/completions")?
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body.to_string());
    let resp = api.send(rb).await?;
    let model_used = resp
        .headers()
        .get("x-model-used")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut asm = Assembler::default();
    let mut parser = sse::Parser::default();
    let mut stream = resp.bytes_stream();
    let mut done = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| reach_error(&api.base, &e))?;
        for ev in parser.push(&chunk) {
            done |= feed(&mut asm, &ev.data, on_text)?;
        }
    }
    for ev in parser.finish() {
        done |= feed(&mut asm, &ev.data, on_text)?;
    }
    if !done {
        return exit::fail(exit::ERROR, "the answer stream ended early");
    }
    let mut c = asm.finish();
    if model_used.is_some() {
        c.model = model_used;
    }
    Ok(c)
}

/// Feed one `data:` payload; true at `[DONE]`.
fn feed(asm: &mut Assembler, data: &str, on_text: &mut dyn FnMut(&str)) -> anyhow::Result<bool> {
    if data.trim() == providers::DONE_DATA {
        return Ok(true);
    }
    if data.trim().is_empty() {
        return Ok(false);
    }
    let v: Value = serde_json::from_str(data)
        .map_err(|e| CliError::new(exit::ERROR, format!("unreadable stream chunk: {e}")))?;
    asm.chunk(&v, on_text)?;
    Ok(false)
}

struct Local<'a> {
    http: &'a reqwest::Client,
    kind: ProviderKind,
    origin: &'a str,
    key: &'a str,
}

async fn local(
    t: &Local<'_>,
    body: &Value,
    model: &ModelInfo,
    thinking: Thinking,
    on_text: &mut dyn FnMut(&str),
) -> anyhow::Result<Completion> {
    let chat = ChatRequest::from_json(body.to_string().as_bytes())
        .map_err(|e| CliError::new(exit::USAGE, format!("invalid request: {}", e.message)))?;
    let up = providers::build_chat_request(t.kind, &chat, model.upstream_id, true)
        .map_err(|e| CliError::new(exit::USAGE, format!("invalid request: {}", e.message)))?;
    let mut upstream_body: Value = serde_json::from_slice(&up.body)?;
    super::thinking::apply_native(t.kind, &mut upstream_body, thinking);
    let url = format!("{}{}", t.origin.trim_end_matches('/'), up.path_and_query);
    let mut rb = t.http.post(&url).body(upstream_body.to_string());
    for (k, v) in up
        .headers
        .iter()
        .chain(providers::auth_headers(t.kind, t.key).iter())
    {
        rb = rb.header(k.as_str(), v.as_str());
    }
    let resp = rb.send().await.map_err(|e| reach_error(t.origin, &e))?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        let bytes = resp.bytes().await.unwrap_or_default();
        let e = providers::map_upstream_error(t.kind, status, &bytes, true);
        let code = match status {
            401 | 403 => exit::AUTH,
            402 => exit::PAYMENT,
            429 => exit::RATE_LIMITED,
            408 | 504 => exit::TIMEOUT,
            _ => exit::ERROR,
        };
        return exit::fail(
            code,
            format!(
                "{} answered HTTP {status}: {}",
                t.kind.display_name(),
                e.message
            ),
        );
    }
    let id = format!("chatcmpl-local-{}", uuid::Uuid::new_v4().simple());
    let created = chrono::Utc::now().timestamp();
    let mut tr = ChatStreamTranslator::new(t.kind, &id, model.id, created, true);
    let mut asm = Assembler::default();
    let mut parser = sse::Parser::default();
    let mut stream = resp.bytes_stream();
    let mut events = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| reach_error(t.origin, &e))?;
        events.extend(parser.push(&chunk));
        for ev in events.drain(..) {
            translate(&mut tr, &mut asm, &ev, t.kind, on_text)?;
        }
    }
    for ev in parser.finish() {
        translate(&mut tr, &mut asm, &ev, t.kind, on_text)?;
    }
    if !tr.upstream_complete() {
        return exit::fail(
            exit::ERROR,
            format!("{} ended the stream early", t.kind.display_name()),
        );
    }
    for out in tr.finish() {
        feed(&mut asm, &out, on_text)?;
    }
    let mut c = asm.finish();
    c.model = Some(model.id.to_owned());
    Ok(c)
}

fn translate(
    tr: &mut ChatStreamTranslator,
    asm: &mut Assembler,
    ev: &sse::Event,
    kind: ProviderKind,
    on_text: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    let outs = tr.on_event(ev.event.as_deref(), &ev.data).map_err(|e| {
        CliError::new(
            exit::ERROR,
            format!("{} stream error: {}", kind.display_name(), e.message),
        )
    })?;
    for out in outs {
        feed(asm, &out, on_text)?;
    }
    Ok(())
}

/// The assistant message to append to the conversation.
pub fn assistant_message(c: &Completion) -> Value {
    let mut m = json!({"role": "assistant", "content": if c.text.is_empty() { Value::Null } else { json!(c.text) }});
    if !c.tool_calls.is_empty() {
        m["tool_calls"] = c
            .tool_calls
            .iter()
            .map(|t| json!({"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments}}))
            .collect();
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_assemble_text_tool_calls_and_usage() {
        let mut asm = Assembler::default();
        let mut seen = String::new();
        let mut on = |t: &str| seen.push_str(t);
        for c in [
            json!({"model": "gpt-4.1", "choices": [{"delta": {"content": "Hel"}}]}),
            json!({"choices": [{"delta": {"content": "lo", "tool_calls": [{"index": 0, "id": "c1", "function": {"name": "web_", "arguments": "{\"q"}}]}}]}),
            json!({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"name": "search", "arguments": "\":1}"}}]}, "finish_reason": "tool_calls"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3}}),
        ] {
            asm.chunk(&c, &mut on).unwrap();
        }
        let c = asm.finish();
        assert_eq!(seen, "Hello");
        assert_eq!(c.text, "Hello");
        assert_eq!(
            c.tool_calls,
            vec![ToolCall {
                id: "c1".into(),
                name: "web_search".into(),
                arguments: "{\"q\":1}".into()
            }]
        );
        assert_eq!((c.input_tokens, c.output_tokens), (12, 3));
        assert_eq!(c.finish.as_deref(), Some("tool_calls"));
        let m = assistant_message(&c);
        assert_eq!(m["tool_calls"][0]["function"]["name"], "web_search");
    }

    #[test]
    fn an_error_chunk_is_an_error() {
        let mut asm = Assembler::default();
        let e = asm
            .chunk(&json!({"error": {"message": "boom"}}), &mut |_| {})
            .unwrap_err();
        assert!(e.to_string().contains("boom"));
    }
}
