//! Parsing and validation of OpenAI-format request bodies, with messages a person can act on.

use super::messages::parse_message;
use super::options::{parse_response_format, parse_stop, parse_tool_choice, parse_tools};
use super::{ChatRequest, ValidationError};
use serde_json::{Map, Value};

/// Top-level fields we model; everything else goes to `extra`.
const KNOWN_FIELDS: &[&str] = &[
    "model",
    "messages",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "stop",
    "n",
    "user",
    "seed",
];

pub(super) fn err(message: impl Into<String>, param: &str) -> ValidationError {
    ValidationError::new(message, Some(param))
}

pub(super) fn parse_request(body: &[u8]) -> Result<ChatRequest, ValidationError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ValidationError::new(format!("request body is not valid JSON: {e}"), None))?;
    let Value::Object(obj) = value else {
        return Err(ValidationError::new(
            "request body must be a JSON object",
            None,
        ));
    };
    let model = match obj.get("model") {
        None | Some(Value::Null) => return Err(err("model is required", "model")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(_) => return Err(err("model must be a non-empty string", "model")),
    };
    let messages = match obj.get("messages") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, m)| parse_message(i, m))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(err("messages must be a non-empty array", "messages")),
    };
    let stream = opt_bool(&obj, "stream")?.unwrap_or(false);
    let include_usage = match obj.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(Value::Object(o)) => opt_bool(o, "include_usage")
            .map_err(|_| {
                err(
                    "stream_options.include_usage must be a boolean",
                    "stream_options.include_usage",
                )
            })?
            .unwrap_or(false),
        Some(_) => return Err(err("stream_options must be an object", "stream_options")),
    };
    let temperature = opt_number_in(&obj, "temperature", 0.0, 2.0)?;
    let top_p = opt_number_in(&obj, "top_p", 0.0, 1.0)?;
    let max_tokens = match opt_positive(&obj, "max_completion_tokens")? {
        Some(v) => Some(v),
        None => opt_positive(&obj, "max_tokens")?,
    };
    match obj.get("n") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_u64() == Some(1) => {}
        Some(_) => {
            return Err(err(
                "n must be 1: HexaClaw returns a single choice per request; send several requests for more",
                "n",
            ));
        }
    }
    let tools = parse_tools(obj.get("tools"))?;
    let tool_choice = parse_tool_choice(obj.get("tool_choice"), &tools)?;
    let parallel_tool_calls = opt_bool(&obj, "parallel_tool_calls")?;
    let response_format = parse_response_format(obj.get("response_format"))?;
    let stop = parse_stop(obj.get("stop"))?;
    let user = match obj.get("user") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(err("user must be a string", "user")),
    };
    let seed = match obj.get("seed") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| err("seed must be an integer", "seed"))?,
        ),
    };
    let extra: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(ChatRequest {
        model,
        messages,
        stream,
        include_usage,
        temperature,
        top_p,
        max_tokens,
        tools,
        tool_choice,
        parallel_tool_calls,
        response_format,
        stop,
        user,
        seed,
        extra,
    })
}

fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, ValidationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(err(format!("{key} must be a boolean"), key)),
    }
}

fn opt_number_in(
    obj: &Map<String, Value>,
    key: &str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, ValidationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(err(format!("{key} must be between {min} and {max}"), key)),
        },
    }
}

fn opt_positive(obj: &Map<String, Value>, key: &str) -> Result<Option<u64>, ValidationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(err(format!("{key} must be a positive integer"), key)),
        },
    }
}
