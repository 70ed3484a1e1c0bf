//! `/v1/messages` for non-Claude models: an Anthropic Messages request translated into our chat model.

use super::native::validate_object;
use crate::providers::chat::{
    ChatMessage, ChatRequest, Content, ContentPart, Image, MAX_STOP_SEQUENCES, Role, Tool,
    ToolCall, ToolChoice, ValidationError,
};
use crate::providers::chat::{parse_image_url, valid_function_name};
use serde_json::{Value, json};

fn err(message: impl Into<String>, param: &str) -> ValidationError {
    ValidationError::new(message, Some(param))
}

/// Translates an Anthropic Messages request body into our chat model so any provider can
/// answer it. Claude-only features (thinking, server tools, documents, cache_control) are
/// dropped or refused with a message saying so. The result has `include_usage` set.
pub fn messages_request_to_chat(body: &[u8]) -> Result<ChatRequest, ValidationError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ValidationError::new(format!("request body is not valid JSON: {e}"), None))?;
    let Value::Object(obj) = value else {
        return Err(ValidationError::new(
            "request body must be a JSON object",
            None,
        ));
    };
    let info = validate_object(&obj)?;
    let mut messages = Vec::new();
    if let Some(system) = obj.get("system").filter(|s| !s.is_null()) {
        let text = match system {
            Value::String(s) => s.clone(),
            Value::Array(blocks) => blocks
                .iter()
                .map(|b| {
                    b.get("text")
                        .and_then(Value::as_str)
                        .ok_or_else(|| err("system blocks must be text blocks", "system"))
                })
                .collect::<Result<Vec<_>, _>>()?
                .join("\n\n"),
            _ => {
                return Err(err(
                    "system must be a string or an array of text blocks",
                    "system",
                ));
            }
        };
        if !text.is_empty() {
            messages.push(ChatMessage::text(Role::System, text));
        }
    }
    let Some(Value::Array(items)) = obj.get("messages") else {
        return Err(err("messages must be a non-empty array", "messages"));
    };
    for (i, item) in items.iter().enumerate() {
        let assistant = item.get("role").and_then(Value::as_str) == Some("assistant");
        match item.get("content") {
            Some(Value::String(s)) => {
                messages.push(ChatMessage::text(
                    if assistant {
                        Role::Assistant
                    } else {
                        Role::User
                    },
                    s.clone(),
                ));
            }
            Some(Value::Array(blocks)) if assistant => messages.push(assistant_message(i, blocks)?),
            Some(Value::Array(blocks)) => user_messages(i, blocks, &mut messages)?,
            _ => {
                return Err(err(
                    "content must be a string or an array",
                    &format!("messages[{i}].content"),
                ));
            }
        }
    }
    let mut req = ChatRequest::new(info.model, messages);
    req.stream = info.stream;
    req.include_usage = true;
    req.max_tokens = Some(info.max_tokens);
    req.temperature = obj.get("temperature").and_then(Value::as_f64);
    req.top_p = match obj.get("top_p").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| err("top_p must be between 0 and 1", "top_p"))?,
        ),
    };
    req.stop = match obj.get("stop_sequences") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(s))
            if s.len() <= MAX_STOP_SEQUENCES && s.iter().all(Value::is_string) =>
        {
            s.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        }
        Some(_) => {
            return Err(err(
                format!(
                    "stop_sequences must be an array of at most {MAX_STOP_SEQUENCES} strings for this model"
                ),
                "stop_sequences",
            ));
        }
    };
    req.user = obj
        .get("metadata")
        .and_then(|m| m.get("user_id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    req.tools = tools(obj.get("tools"))?;
    let (choice, parallel) = tool_choice(obj.get("tool_choice"), &req.tools)?;
    req.tool_choice = choice;
    req.parallel_tool_calls = parallel;
    Ok(req)
}

fn image_part(param: &str, block: &Value) -> Result<ContentPart, ValidationError> {
    let source = block.get("source").unwrap_or(&Value::Null);
    let url = match source.get("type").and_then(Value::as_str) {
        Some("base64") => format!(
            "data:{};base64,{}",
            source
                .get("media_type")
                .and_then(Value::as_str)
                .unwrap_or(""),
            source.get("data").and_then(Value::as_str).unwrap_or("")
        ),
        Some("url") => source
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        _ => {
            return Err(err(
                format!("{param}.source.type must be base64 or url for this model"),
                &format!("{param}.source"),
            ));
        }
    };
    Ok(ContentPart::Image(Image {
        source: parse_image_url(&format!("{param}.source"), &url)?,
        detail: None,
    }))
}

fn unsupported(param: &str, kind: &str) -> ValidationError {
    err(
        format!("{param}: content block type '{kind}' is only supported on Claude models"),
        &format!("{param}.type"),
    )
}

/// A user turn: `tool_result` blocks become OpenAI tool messages (which must come first, right
/// after the assistant's calls); the remaining text and images become one user message.
fn user_messages(
    i: usize,
    blocks: &[Value],
    out: &mut Vec<ChatMessage>,
) -> Result<(), ValidationError> {
    let mut parts = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        let param = format!("messages[{i}].content[{j}]");
        match block.get("type").and_then(Value::as_str).unwrap_or("") {
            "text" => parts.push(ContentPart::Text(
                block
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            )),
            "image" => parts.push(image_part(&param, block)?),
            "tool_result" => {
                let id = block
                    .get("tool_use_id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty());
                let id = id.ok_or_else(|| {
                    err(
                        format!("{param}.tool_use_id is required"),
                        &format!("{param}.tool_use_id"),
                    )
                })?;
                let text = match block.get("content") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Array(inner)) => inner
                        .iter()
                        .map(|b| match b.get("type").and_then(Value::as_str) {
                            Some("text") => Ok(b.get("text").and_then(Value::as_str).unwrap_or("")),
                            other => Err(err(
                                format!("{param}.content: '{}' blocks inside tool_result are only supported on Claude models", other.unwrap_or("?")),
                                &format!("{param}.content"),
                            )),
                        })
                        .collect::<Result<Vec<_>, _>>()?
                        .join("\n"),
                    Some(_) => return Err(err(format!("{param}.content must be a string or an array"), &format!("{param}.content"))),
                };
                let mut msg = ChatMessage::text(Role::Tool, text);
                msg.tool_call_id = Some(id.to_string());
                out.push(msg);
            }
            other => return Err(unsupported(&param, other)),
        }
    }
    if !parts.is_empty() {
        let content = match parts.as_slice() {
            [ContentPart::Text(t)] => Content::Text(t.clone()),
            _ => Content::Parts(parts),
        };
        out.push(ChatMessage {
            role: Role::User,
            content,
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
        });
    }
    Ok(())
}

fn assistant_message(i: usize, blocks: &[Value]) -> Result<ChatMessage, ValidationError> {
    let mut text = String::new();
    let mut calls = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        let param = format!("messages[{i}].content[{j}]");
        match block.get("type").and_then(Value::as_str).unwrap_or("") {
            "text" => text.push_str(block.get("text").and_then(Value::as_str).unwrap_or("")),
            "tool_use" => {
                let id = block.get("id").and_then(Value::as_str).unwrap_or("");
                let name = block.get("name").and_then(Value::as_str).unwrap_or("");
                if id.is_empty() || name.is_empty() {
                    return Err(err(format!("{param} needs an id and a name"), &param));
                }
                let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
                calls.push(ToolCall {
                    id: id.to_string(),
                    name: name.to_string(),
                    arguments: input.to_string(),
                });
            }
            // Another model cannot verify Claude's thinking; it is history only.
            "thinking" | "redacted_thinking" => {}
            other => return Err(unsupported(&param, other)),
        }
    }
    let content = if text.is_empty() && !calls.is_empty() {
        Content::None
    } else {
        Content::Text(text)
    };
    Ok(ChatMessage {
        role: Role::Assistant,
        content,
        name: None,
        tool_calls: calls,
        tool_call_id: None,
    })
}

fn tools(value: Option<&Value>) -> Result<Vec<Tool>, ValidationError> {
    let Some(Value::Array(items)) = value.filter(|v| !v.is_null()) else {
        return match value {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(_) => Err(err("tools must be an array", "tools")),
        };
    };
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let param = format!("tools[{i}]");
            if let Some(kind) = t
                .get("type")
                .and_then(Value::as_str)
                .filter(|k| *k != "custom")
            {
                return Err(err(
                    format!("{param}.type '{kind}' is only available on Claude models"),
                    &format!("{param}.type"),
                ));
            }
            let name = t.get("name").and_then(Value::as_str).unwrap_or("");
            if !valid_function_name(name) {
                return Err(err(
                    format!("{param}.name must be 1 to 64 letters, digits, underscores or dashes"),
                    &format!("{param}.name"),
                ));
            }
            let schema = match t.get("input_schema") {
                Some(s @ Value::Object(_)) => s.clone(),
                _ => {
                    return Err(err(
                        format!("{param}.input_schema must be a JSON Schema object"),
                        &format!("{param}.input_schema"),
                    ));
                }
            };
            Ok(Tool {
                name: name.to_string(),
                description: t
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                parameters: schema,
                strict: None,
            })
        })
        .collect()
}

fn tool_choice(
    value: Option<&Value>,
    tools: &[Tool],
) -> Result<(Option<ToolChoice>, Option<bool>), ValidationError> {
    let Some(v) = value.filter(|v| !v.is_null()) else {
        return Ok((None, None));
    };
    let parallel = v
        .get("disable_parallel_tool_use")
        .and_then(Value::as_bool)
        .map(|d| !d);
    let choice = match v.get("type").and_then(Value::as_str) {
        Some("auto") => ToolChoice::Auto,
        Some("any") => ToolChoice::Required,
        Some("none") => ToolChoice::None,
        Some("tool") => {
            let name = v.get("name").and_then(Value::as_str).unwrap_or("");
            if !tools.iter().any(|t| t.name == name) {
                return Err(err(
                    format!("tool_choice names tool '{name}', which is not in tools"),
                    "tool_choice.name",
                ));
            }
            ToolChoice::Function(name.to_string())
        }
        _ => {
            return Err(err(
                "tool_choice.type must be auto, any, tool or none",
                "tool_choice.type",
            ));
        }
    };
    Ok((Some(choice), parallel))
}
