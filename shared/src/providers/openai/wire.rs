//! Serialising our messages and tools into OpenAI-format JSON.

use crate::providers::ProviderKind;
use crate::providers::chat::{ChatMessage, Content, ContentPart, Role, Tool, ValidationError};
use crate::providers::completion::tool_call_json;
use serde_json::{Value, json};

/// The `messages` array for `kind`.
pub(super) fn messages_json(
    kind: ProviderKind,
    messages: &[ChatMessage],
) -> Result<Vec<Value>, ValidationError> {
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| message_json(kind, i, m))
        .collect()
}

fn message_json(
    kind: ProviderKind,
    index: usize,
    msg: &ChatMessage,
) -> Result<Value, ValidationError> {
    // Only OpenAI knows the `developer` role; for everyone else it is a system prompt.
    let role = match msg.role {
        Role::Developer if kind != ProviderKind::OpenAi => "system",
        other => other.as_str(),
    };
    let mut out = json!({"role": role, "content": content_json(kind, index, &msg.content)?});
    if let Some(name) = &msg.name {
        out["name"] = json!(name);
    }
    if !msg.tool_calls.is_empty() {
        out["tool_calls"] = Value::Array(msg.tool_calls.iter().map(tool_call_json).collect());
    }
    if let Some(id) = &msg.tool_call_id {
        out["tool_call_id"] = json!(id);
    }
    Ok(out)
}

fn content_json(
    kind: ProviderKind,
    index: usize,
    content: &Content,
) -> Result<Value, ValidationError> {
    Ok(match content {
        Content::None => Value::Null,
        Content::Text(t) => json!(t),
        Content::Parts(_) if kind == ProviderKind::DeepSeek => {
            // DeepSeek's chat models take text only, as a plain string.
            if content.has_image() {
                return Err(ValidationError::new(
                    "DeepSeek models do not accept images; send text only",
                    Some(&format!("messages[{index}].content")),
                ));
            }
            json!(content.joined_text())
        }
        Content::Parts(parts) => Value::Array(
            parts
                .iter()
                .map(|p| match p {
                    ContentPart::Text(t) => json!({"type": "text", "text": t}),
                    ContentPart::Image(image) => {
                        let mut inner = json!({"url": image.source.to_url()});
                        if let Some(d) = &image.detail {
                            inner["detail"] = json!(d);
                        }
                        json!({"type": "image_url", "image_url": inner})
                    }
                })
                .collect(),
        ),
    })
}

/// One entry of `tools`.
pub(super) fn tool_json(tool: &Tool) -> Value {
    let mut function = json!({"name": tool.name, "parameters": tool.parameters});
    if let Some(d) = &tool.description {
        function["description"] = json!(d);
    }
    if let Some(s) = tool.strict {
        function["strict"] = json!(s);
    }
    json!({"type": "function", "function": function})
}
