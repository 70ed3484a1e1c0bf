//! OpenAI-format chat request → Gemini `generateContent` request body.

use crate::providers::chat::{
    ChatMessage, ChatRequest, Content, ContentPart, ImageSource, ResponseFormat, Role, ToolChoice,
    ValidationError,
};
use serde_json::{Map, Value, json};

/// Gemini 3 refuses a replayed function call without a thought signature. Calls that reach us
/// through the OpenAI format have lost theirs, so the value Google documents for calls the
/// model did not produce in this session is sent instead.
const FOREIGN_THOUGHT_SIGNATURE: &str = "skip_thought_signature_validator";

/// Builds the request body. System and developer messages become `systemInstruction`, the
/// assistant is `model`, and tool results become `functionResponse` parts of a user turn
/// (named after the call they answer, which Gemini matches by name).
pub(crate) fn build_request_body(req: &ChatRequest) -> Result<Value, ValidationError> {
    let mut system: Vec<Value> = Vec::new();
    let mut contents: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (i, msg) in req.messages.iter().enumerate() {
        let (role, parts) = match msg.role {
            Role::System | Role::Developer => {
                let text = msg.content.joined_text();
                if !text.is_empty() {
                    system.push(json!({"text": text}));
                }
                continue;
            }
            Role::User => ("user", content_parts(&msg.content)),
            Role::Assistant => ("model", model_parts(i, msg)?),
            Role::Tool => ("user", vec![function_response(i, msg, &req.messages[..i])?]),
        };
        if parts.is_empty() {
            continue;
        }
        match contents.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(parts),
            _ => contents.push((role, parts)),
        }
    }
    let mut body = Map::new();
    body.insert(
        "contents".into(),
        Value::Array(
            contents
                .into_iter()
                .map(|(role, parts)| json!({"role": role, "parts": parts}))
                .collect(),
        ),
    );
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({"parts": system}));
    }
    let config = generation_config(req);
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    if !req.tools.is_empty() {
        let declarations: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                // `parametersJsonSchema` takes full JSON Schema; `parameters` only an OpenAPI subset.
                let mut d = json!({"name": t.name, "parametersJsonSchema": t.parameters});
                if let Some(desc) = &t.description {
                    d["description"] = json!(desc);
                }
                d
            })
            .collect();
        body.insert(
            "tools".into(),
            json!([{"functionDeclarations": declarations}]),
        );
        if let Some(choice) = &req.tool_choice {
            let config = match choice {
                ToolChoice::Auto => json!({"mode": "AUTO"}),
                ToolChoice::None => json!({"mode": "NONE"}),
                ToolChoice::Required => json!({"mode": "ANY"}),
                ToolChoice::Function(name) => {
                    json!({"mode": "ANY", "allowedFunctionNames": [name]})
                }
            };
            body.insert(
                "toolConfig".into(),
                json!({"functionCallingConfig": config}),
            );
        }
    }
    Ok(Value::Object(body))
}

fn generation_config(req: &ChatRequest) -> Map<String, Value> {
    let mut config = Map::new();
    if let Some(t) = req.temperature {
        config.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        config.insert("topP".into(), json!(p));
    }
    if let Some(max) = req.max_tokens {
        config.insert("maxOutputTokens".into(), json!(max));
    }
    if !req.stop.is_empty() {
        config.insert("stopSequences".into(), json!(req.stop));
    }
    if let Some(seed) = req.seed {
        config.insert("seed".into(), json!(seed));
    }
    match &req.response_format {
        Some(ResponseFormat::JsonObject) => {
            config.insert("responseMimeType".into(), json!("application/json"));
        }
        Some(ResponseFormat::JsonSchema { schema, .. }) => {
            config.insert("responseMimeType".into(), json!("application/json"));
            config.insert("responseJsonSchema".into(), schema.clone());
        }
        Some(ResponseFormat::Text) | None => {}
    }
    config
}

/// Media type for an image URL, from its extension (Gemini's `fileData` needs one).
fn media_type_of(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    match path.rsplit('.').next().unwrap_or("") {
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        _ => "image/jpeg",
    }
}

fn content_parts(content: &Content) -> Vec<Value> {
    match content {
        Content::None => Vec::new(),
        Content::Text(t) if t.is_empty() => Vec::new(),
        Content::Text(t) => vec![json!({"text": t})],
        Content::Parts(parts) => parts
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text(t) if t.is_empty() => None,
                ContentPart::Text(t) => Some(json!({"text": t})),
                ContentPart::Image(image) => Some(match &image.source {
                    ImageSource::Base64 { media_type, data } => {
                        json!({"inlineData": {"mimeType": media_type, "data": data}})
                    }
                    ImageSource::Url(url) => {
                        json!({"fileData": {"mimeType": media_type_of(url), "fileUri": url}})
                    }
                }),
            })
            .collect(),
    }
}

fn model_parts(index: usize, msg: &ChatMessage) -> Result<Vec<Value>, ValidationError> {
    let mut parts = content_parts(&msg.content);
    for (j, call) in msg.tool_calls.iter().enumerate() {
        let args = match call.arguments.trim() {
            "" => json!({}),
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
        let mut part = json!({"functionCall": {"name": call.name, "args": args}});
        if j == 0 {
            part["thoughtSignature"] = json!(FOREIGN_THOUGHT_SIGNATURE);
        }
        parts.push(part);
    }
    Ok(parts)
}

/// A tool result as a `functionResponse`. A JSON-object result is passed as the response;
/// anything else is wrapped as `{"output": …}`, the key Gemini's documentation uses.
fn function_response(
    index: usize,
    msg: &ChatMessage,
    earlier: &[ChatMessage],
) -> Result<Value, ValidationError> {
    let id = msg.tool_call_id.as_deref().unwrap_or("");
    let name = earlier
        .iter()
        .rev()
        .flat_map(|m| m.tool_calls.iter())
        .find(|c| c.id == id)
        .map(|c| c.name.clone())
        .ok_or_else(|| {
            let param = format!("messages[{index}].tool_call_id");
            ValidationError::new(
                format!(
                    "{param} '{id}' does not match a tool call of an earlier assistant message"
                ),
                Some(&param),
            )
        })?;
    let text = msg.content.joined_text();
    let response = match serde_json::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => json!({"output": other}),
        Err(_) => json!({"output": text}),
    };
    Ok(json!({"functionResponse": {"name": name, "response": response}}))
}
