//! OpenAI-format chat request → Anthropic Messages request body.

use crate::providers::chat::{
    ChatMessage, ChatRequest, Content, ContentPart, ImageSource, ResponseFormat, Role, ToolChoice,
    ValidationError,
};
use serde_json::{Map, Value, json};

/// `max_tokens` sent when the client gave none (Anthropic requires it). The handler may set
/// `ChatRequest::max_tokens` from the catalog before translating to use the model's own cap.
pub const DEFAULT_MAX_TOKENS: u64 = 8192;

/// Anthropic's temperature range is 0–1; OpenAI's is 0–2. Higher values are clamped to 1.
const MAX_TEMPERATURE: f64 = 1.0;

/// Builds the Messages body. System and developer messages (wherever they appear) become the
/// top-level `system`; tool results become `tool_result` blocks in a user turn; consecutive
/// turns of the same role are merged, as Anthropic expects alternation.
pub(crate) fn build_request_body(
    req: &ChatRequest,
    upstream_model: &str,
    stream: bool,
) -> Result<Value, ValidationError> {
    let mut system: Vec<Value> = Vec::new();
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (i, msg) in req.messages.iter().enumerate() {
        let (role, blocks) = match msg.role {
            Role::System | Role::Developer => {
                let text = msg.content.joined_text();
                if !text.is_empty() {
                    system.push(json!({"type": "text", "text": text}));
                }
                continue;
            }
            Role::User => ("user", content_blocks(&msg.content)),
            Role::Assistant => ("assistant", assistant_blocks(i, msg)?),
            Role::Tool => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": msg.tool_call_id.clone().unwrap_or_default(),
                    "content": msg.content.joined_text(),
                })],
            ),
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    if let Some(instruction) = format_instruction(req.response_format.as_ref()) {
        system.push(json!({"type": "text", "text": instruction}));
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(upstream_model));
    body.insert(
        "max_tokens".into(),
        json!(req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    body.insert(
        "messages".into(),
        Value::Array(
            turns
                .into_iter()
                .map(|(role, content)| json!({"role": role, "content": content}))
                .collect(),
        ),
    );
    if !system.is_empty() {
        body.insert("system".into(), Value::Array(system));
    }
    if let Some(t) = req.temperature {
        body.insert("temperature".into(), json!(t.min(MAX_TEMPERATURE)));
    }
    if let Some(p) = req.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if !req.stop.is_empty() {
        body.insert("stop_sequences".into(), json!(req.stop));
    }
    if stream {
        body.insert("stream".into(), json!(true));
    }
    if !req.tools.is_empty() {
        let tools = req
            .tools
            .iter()
            .map(|t| {
                let mut tool = json!({"name": t.name, "input_schema": t.parameters});
                if let Some(d) = &t.description {
                    tool["description"] = json!(d);
                }
                tool
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = tool_choice(req) {
        body.insert("tool_choice".into(), choice);
    }
    if let Some(user) = &req.user {
        body.insert("metadata".into(), json!({"user_id": user}));
    }
    Ok(Value::Object(body))
}

fn tool_choice(req: &ChatRequest) -> Option<Value> {
    if req.tools.is_empty() {
        return None;
    }
    let mut choice = match req.tool_choice.as_ref() {
        None if req.parallel_tool_calls == Some(false) => json!({"type": "auto"}),
        None => return None,
        Some(ToolChoice::Auto) => json!({"type": "auto"}),
        Some(ToolChoice::None) => return Some(json!({"type": "none"})),
        Some(ToolChoice::Required) => json!({"type": "any"}),
        Some(ToolChoice::Function(name)) => json!({"type": "tool", "name": name}),
    };
    if req.parallel_tool_calls == Some(false) {
        choice["disable_parallel_tool_use"] = json!(true);
    }
    Some(choice)
}

/// Claude has no JSON mode in this API version; the format is asked for in the system prompt.
fn format_instruction(format: Option<&ResponseFormat>) -> Option<String> {
    match format? {
        ResponseFormat::Text => None,
        ResponseFormat::JsonObject => Some(
            "Respond with a single valid JSON object and nothing else: no prose, no code fences."
                .to_string(),
        ),
        ResponseFormat::JsonSchema { schema, .. } => Some(format!(
            "Respond with a single valid JSON object that conforms to this JSON Schema, and nothing else (no prose, no code fences):\n{schema}"
        )),
    }
}

fn image_block(source: &ImageSource) -> Value {
    match source {
        ImageSource::Base64 { media_type, data } => {
            json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}})
        }
        ImageSource::Url(url) => json!({"type": "image", "source": {"type": "url", "url": url}}),
    }
}

/// User content as blocks; empty text is dropped because Anthropic rejects empty text blocks.
fn content_blocks(content: &Content) -> Vec<Value> {
    match content {
        Content::None => Vec::new(),
        Content::Text(t) if t.is_empty() => Vec::new(),
        Content::Text(t) => vec![json!({"type": "text", "text": t})],
        Content::Parts(parts) => parts
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text(t) if t.is_empty() => None,
                ContentPart::Text(t) => Some(json!({"type": "text", "text": t})),
                ContentPart::Image(image) => Some(image_block(&image.source)),
            })
            .collect(),
    }
}

fn assistant_blocks(index: usize, msg: &ChatMessage) -> Result<Vec<Value>, ValidationError> {
    let mut blocks = content_blocks(&msg.content);
    for (j, call) in msg.tool_calls.iter().enumerate() {
        let input = match call.arguments.trim() {
            "" => Value::Object(Map::new()),
            text => match serde_json::from_str::<Value>(text) {
                Ok(v @ Value::Object(_)) => v,
                _ => {
                    let param = format!("messages[{index}].tool_calls[{j}].function.arguments");
                    return Err(ValidationError::new(
                        format!("{param} must be a JSON object"),
                        Some(&param),
                    ));
                }
            },
        };
        blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}));
    }
    Ok(blocks)
}
