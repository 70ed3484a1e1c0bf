//! Parsing of request options: tools, tool_choice, response_format and stop.

use super::parse::err;
use super::{MAX_STOP_SEQUENCES, ResponseFormat, Tool, ToolChoice, ValidationError};
use serde_json::Value;

/// Function names every provider accepts: `^[a-zA-Z0-9_-]{1,64}$`.
pub(crate) fn valid_function_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub(super) fn parse_tools(value: Option<&Value>) -> Result<Vec<Tool>, ValidationError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(err("tools must be an array", "tools")),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let param = format!("tools[{i}]");
            let kind = t.get("type").and_then(Value::as_str).unwrap_or("function");
            if kind != "function" {
                return Err(err(
                    format!("{param}.type '{kind}' is not supported; only function tools are"),
                    &format!("{param}.type"),
                ));
            }
            let function = t
                .get("function")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    err(
                        format!("{param}.function is required"),
                        &format!("{param}.function"),
                    )
                })?;
            let nparam = format!("{param}.function.name");
            let name = function.get("name").and_then(Value::as_str).unwrap_or("");
            if !valid_function_name(name) {
                return Err(err(
                    format!("{nparam} must be 1 to 64 letters, digits, underscores or dashes"),
                    &nparam,
                ));
            }
            let parameters = match function.get("parameters") {
                None | Some(Value::Null) => serde_json::json!({"type": "object", "properties": {}}),
                Some(p @ Value::Object(_)) => p.clone(),
                Some(_) => {
                    let p = format!("{param}.function.parameters");
                    return Err(err(format!("{p} must be a JSON Schema object"), &p));
                }
            };
            Ok(Tool {
                name: name.to_string(),
                description: function
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                parameters,
                strict: function.get("strict").and_then(Value::as_bool),
            })
        })
        .collect()
}

pub(super) fn parse_tool_choice(
    value: Option<&Value>,
    tools: &[Tool],
) -> Result<Option<ToolChoice>, ValidationError> {
    let choice = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => match s.as_str() {
            "none" => ToolChoice::None,
            "auto" => ToolChoice::Auto,
            "required" => ToolChoice::Required,
            other => {
                return Err(err(
                    format!("tool_choice '{other}' is not one of none, auto, required"),
                    "tool_choice",
                ));
            }
        },
        Some(v) => {
            let name = v
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    err(
                        "tool_choice must be none, auto, required or {\"type\":\"function\",\"function\":{\"name\":...}}",
                        "tool_choice",
                    )
                })?;
            if !tools.iter().any(|t| t.name == name) {
                return Err(err(
                    format!("tool_choice names function '{name}', which is not in tools"),
                    "tool_choice.function.name",
                ));
            }
            ToolChoice::Function(name.to_string())
        }
    };
    if tools.is_empty() && matches!(choice, ToolChoice::Required) {
        return Err(err(
            "tool_choice 'required' needs at least one tool in tools",
            "tool_choice",
        ));
    }
    Ok(Some(choice))
}

pub(super) fn parse_response_format(
    value: Option<&Value>,
) -> Result<Option<ResponseFormat>, ValidationError> {
    let Some(v) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    match v.get("type").and_then(Value::as_str) {
        Some("text") => Ok(Some(ResponseFormat::Text)),
        Some("json_object") => Ok(Some(ResponseFormat::JsonObject)),
        Some("json_schema") => {
            let spec = v
                .get("json_schema")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    err(
                        "response_format.json_schema is required for type json_schema",
                        "response_format.json_schema",
                    )
                })?;
            let name = spec.get("name").and_then(Value::as_str).filter(|n| valid_function_name(n)).ok_or_else(|| {
                err(
                    "response_format.json_schema.name must be 1 to 64 letters, digits, underscores or dashes",
                    "response_format.json_schema.name",
                )
            })?;
            let schema = match spec.get("schema") {
                None | Some(Value::Null) => serde_json::json!({"type": "object"}),
                Some(s @ Value::Object(_)) => s.clone(),
                Some(_) => {
                    return Err(err(
                        "response_format.json_schema.schema must be a JSON Schema object",
                        "response_format.json_schema.schema",
                    ));
                }
            };
            Ok(Some(ResponseFormat::JsonSchema {
                name: name.to_string(),
                description: spec
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                schema,
                strict: spec.get("strict").and_then(Value::as_bool),
            }))
        }
        _ => Err(err(
            "response_format.type must be text, json_object or json_schema",
            "response_format.type",
        )),
    }
}

pub(super) fn parse_stop(value: Option<&Value>) -> Result<Vec<String>, ValidationError> {
    let bad = || {
        err(
            format!("stop must be a string or an array of at most {MAX_STOP_SEQUENCES} strings"),
            "stop",
        )
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) if items.len() <= MAX_STOP_SEQUENCES => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}
