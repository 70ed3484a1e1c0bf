//! Parsing of request messages: roles, content parts, images and assistant tool calls.

use super::parse::err;
use super::{
    ChatMessage, Content, ContentPart, Image, ImageSource, Role, ToolCall, ValidationError,
};
use base64::Engine;
use serde_json::{Map, Value};

fn parse_role(index: usize, msg: &Map<String, Value>) -> Result<Role, ValidationError> {
    let param = format!("messages[{index}].role");
    match msg.get("role") {
        None | Some(Value::Null) => Err(err(format!("{param} is required"), &param)),
        Some(Value::String(s)) => match s.as_str() {
            "system" => Ok(Role::System),
            "developer" => Ok(Role::Developer),
            "user" => Ok(Role::User),
            "assistant" => Ok(Role::Assistant),
            "tool" => Ok(Role::Tool),
            other => Err(err(
                format!("{param} '{other}' is not one of system, developer, user, assistant, tool"),
                &param,
            )),
        },
        Some(_) => Err(err(format!("{param} must be a string"), &param)),
    }
}

pub(super) fn parse_message(index: usize, value: &Value) -> Result<ChatMessage, ValidationError> {
    let Value::Object(msg) = value else {
        let param = format!("messages[{index}]");
        return Err(err(
            format!("{param} must be an object with a role and content"),
            &param,
        ));
    };
    let role = parse_role(index, msg)?;
    let cparam = format!("messages[{index}].content");
    let content = match msg.get("content") {
        None | Some(Value::Null) => Content::None,
        Some(Value::String(s)) => Content::Text(s.clone()),
        Some(Value::Array(parts)) => Content::Parts(
            parts
                .iter()
                .enumerate()
                .map(|(j, p)| parse_part(&format!("{cparam}[{j}]"), p))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => {
            return Err(err(
                format!("{cparam} must be a string or an array of content parts"),
                &cparam,
            ));
        }
    };
    if content.has_image() && role != Role::User {
        return Err(err(
            format!("{cparam}: images are only allowed in user messages"),
            &cparam,
        ));
    }
    let name = match msg.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(err(
                format!("messages[{index}].name must be a string"),
                &format!("messages[{index}].name"),
            ));
        }
    };
    let tool_calls = match (role, msg.get("tool_calls")) {
        (_, None | Some(Value::Null)) => Vec::new(),
        (Role::Assistant, Some(Value::Array(calls))) => calls
            .iter()
            .enumerate()
            .map(|(j, c)| parse_tool_call(&format!("messages[{index}].tool_calls[{j}]"), c))
            .collect::<Result<Vec<_>, _>>()?,
        (Role::Assistant, Some(_)) => {
            let p = format!("messages[{index}].tool_calls");
            return Err(err(format!("{p} must be an array"), &p));
        }
        (_, Some(_)) => {
            let p = format!("messages[{index}].tool_calls");
            return Err(err(
                format!("{p} is only allowed on assistant messages"),
                &p,
            ));
        }
    };
    let tool_call_id = match msg.get("tool_call_id") {
        Some(Value::String(s)) if role == Role::Tool && !s.is_empty() => Some(s.clone()),
        _ if role == Role::Tool => {
            let p = format!("messages[{index}].tool_call_id");
            return Err(err(
                format!("{p} is required on tool messages and must be a string"),
                &p,
            ));
        }
        _ => None,
    };
    let needs_content = match role {
        Role::Assistant => tool_calls.is_empty(),
        _ => true,
    };
    if needs_content && content == Content::None {
        return Err(err(format!("{cparam} is required"), &cparam));
    }
    Ok(ChatMessage {
        role,
        content,
        name,
        tool_calls,
        tool_call_id,
    })
}

fn parse_part(param: &str, value: &Value) -> Result<ContentPart, ValidationError> {
    let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "text" => match value.get("text") {
            Some(Value::String(t)) => Ok(ContentPart::Text(t.clone())),
            _ => Err(err(
                format!("{param}.text must be a string"),
                &format!("{param}.text"),
            )),
        },
        "image_url" => {
            let image = value.get("image_url");
            let (url, detail) = match image {
                Some(Value::String(u)) => (Some(u.as_str()), None),
                Some(Value::Object(o)) => (
                    o.get("url").and_then(Value::as_str),
                    o.get("detail").and_then(Value::as_str).map(str::to_string),
                ),
                _ => (None, None),
            };
            let uparam = format!("{param}.image_url.url");
            let url = url.ok_or_else(|| err(format!("{uparam} is required"), &uparam))?;
            Ok(ContentPart::Image(Image {
                source: parse_image_url(&uparam, url)?,
                detail,
            }))
        }
        "" => Err(err(
            format!("{param}.type is required (text or image_url)"),
            &format!("{param}.type"),
        )),
        other => Err(err(
            format!("{param}.type '{other}' is not supported; use text or image_url"),
            &format!("{param}.type"),
        )),
    }
}

/// Accepts `https://` URLs and base64 `data:image/...` URLs whose payload decodes.
pub(crate) fn parse_image_url(param: &str, url: &str) -> Result<ImageSource, ValidationError> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, data) = rest
            .split_once(',')
            .ok_or_else(|| err(format!("{param} is not a valid data: URL"), param))?;
        let media_type = meta.strip_suffix(";base64").ok_or_else(|| {
            err(
                format!("{param} must be a base64 data: URL (data:image/png;base64,...)"),
                param,
            )
        })?;
        if !media_type.starts_with("image/") || media_type.len() <= "image/".len() {
            return Err(err(
                format!("{param} must have an image media type, not '{media_type}'"),
                param,
            ));
        }
        if data.is_empty()
            || base64::engine::general_purpose::STANDARD
                .decode(data)
                .is_err()
        {
            return Err(err(
                format!("{param} does not contain valid base64 image data"),
                param,
            ));
        }
        return Ok(ImageSource::Base64 {
            media_type: media_type.to_string(),
            data: data.to_string(),
        });
    }
    let lower = url.get(..8).map(str::to_ascii_lowercase);
    if lower.as_deref() == Some("https://") && url.len() > 8 {
        return Ok(ImageSource::Url(url.to_string()));
    }
    Err(err(
        format!("{param} must be an https:// URL or a base64 data: URL"),
        param,
    ))
}

fn parse_tool_call(param: &str, value: &Value) -> Result<ToolCall, ValidationError> {
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err(format!("{param}.id is required"), &format!("{param}.id")))?;
    let function = value.get("function");
    let name = function
        .and_then(|f| f.get("name"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            err(
                format!("{param}.function.name is required"),
                &format!("{param}.function.name"),
            )
        })?;
    let arguments = match function.and_then(|f| f.get("arguments")) {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(s)) => s.clone(),
        // Some clients send the arguments as an object; keep its JSON text.
        Some(v @ Value::Object(_)) => v.to_string(),
        Some(_) => {
            let p = format!("{param}.function.arguments");
            return Err(err(format!("{p} must be a JSON string"), &p));
        }
    };
    Ok(ToolCall {
        id: id.to_string(),
        name: name.to_string(),
        arguments,
    })
}
