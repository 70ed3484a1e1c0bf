//! `/v1/messages` pass-through to Claude: request checks and usage observed without touching the bytes.

use super::wire::WireUsage;
use crate::providers::chat::ValidationError;
use crate::providers::error::from_stream_error;
use crate::providers::{ProviderError, ProviderKind, Usage};
use serde_json::{Map, Value};

/// What the handler needs from a native Messages request before forwarding it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagesRequestInfo {
    pub model: String,
    pub max_tokens: u64,
    pub stream: bool,
}

fn err(message: impl Into<String>, param: &str) -> ValidationError {
    ValidationError::new(message, Some(param))
}

/// Checks the fields the Messages API requires (model, max_tokens, user/assistant messages)
/// and returns what the handler needs; everything else is left to Anthropic.
pub fn validate_messages_request(body: &[u8]) -> Result<MessagesRequestInfo, ValidationError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ValidationError::new(format!("request body is not valid JSON: {e}"), None))?;
    let Value::Object(obj) = value else {
        return Err(ValidationError::new(
            "request body must be a JSON object",
            None,
        ));
    };
    validate_object(&obj)
}

pub(super) fn validate_object(
    obj: &Map<String, Value>,
) -> Result<MessagesRequestInfo, ValidationError> {
    let model = match obj.get("model") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        None | Some(Value::Null) => return Err(err("model is required", "model")),
        Some(_) => return Err(err("model must be a non-empty string", "model")),
    };
    let max_tokens = match obj.get("max_tokens").and_then(Value::as_u64) {
        Some(n) if n > 0 => n,
        _ => {
            return Err(err(
                "max_tokens is required and must be a positive integer",
                "max_tokens",
            ));
        }
    };
    let Some(Value::Array(messages)) = obj
        .get("messages")
        .filter(|m| m.as_array().is_some_and(|a| !a.is_empty()))
    else {
        return Err(err("messages must be a non-empty array", "messages"));
    };
    for (i, message) in messages.iter().enumerate() {
        let role_param = format!("messages[{i}].role");
        match message.get("role").and_then(Value::as_str) {
            Some("user" | "assistant") => {}
            Some(other) => {
                return Err(err(
                    format!(
                        "{role_param} '{other}' is not one of user, assistant (put instructions in the top-level system field)"
                    ),
                    &role_param,
                ));
            }
            None => return Err(err(format!("{role_param} is required"), &role_param)),
        }
        let content_param = format!("messages[{i}].content");
        match message.get("content") {
            Some(Value::String(_)) => {}
            Some(Value::Array(blocks)) if !blocks.is_empty() => {}
            _ => {
                return Err(err(
                    format!(
                        "{content_param} must be a string or a non-empty array of content blocks"
                    ),
                    &content_param,
                ));
            }
        }
    }
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(err("stream must be a boolean", "stream")),
    };
    if let Some(t) = obj.get("temperature").filter(|t| !t.is_null())
        && !t.as_f64().is_some_and(|t| (0.0..=1.0).contains(&t))
    {
        return Err(err("temperature must be between 0 and 1", "temperature"));
    }
    Ok(MessagesRequestInfo {
        model,
        max_tokens,
        stream,
    })
}

/// Usage of a non-streaming Messages response body, or `None` if it reports none.
pub fn usage_from_message(body: &[u8]) -> Option<Usage> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let usage = WireUsage::from_value(value.get("usage"))?.to_usage();
    usage.is_reported().then_some(usage)
}

/// Watches a native Messages stream on its way to the client and records usage, the stop
/// reason and any error event. It never changes what is forwarded.
#[derive(Debug, Clone, Default)]
pub struct StreamUsageTap {
    raw: WireUsage,
    stop_reason: Option<String>,
    error: Option<ProviderError>,
    complete: bool,
}

impl StreamUsageTap {
    /// A tap that has seen nothing yet.
    pub fn new() -> Self {
        StreamUsageTap::default()
    }

    /// Looks at one event (`event:` name and `data:`). Unparseable data is ignored.
    pub fn observe(&mut self, event: Option<&str>, data: &str) {
        let Ok(value) = serde_json::from_str::<Value>(data) else {
            return;
        };
        let name = event
            .or_else(|| value.get("type").and_then(Value::as_str))
            .unwrap_or("");
        match name {
            "message_start" => {
                if let Some(u) =
                    WireUsage::from_value(value.get("message").and_then(|m| m.get("usage")))
                {
                    self.raw.merge_from(&u);
                }
            }
            "message_delta" => {
                if let Some(u) = WireUsage::from_value(value.get("usage")) {
                    self.raw.merge_from(&u);
                }
                if let Some(reason) = value
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str)
                {
                    self.stop_reason = Some(reason.to_string());
                }
            }
            "message_stop" => self.complete = true,
            "error" => self.error = Some(from_stream_error(ProviderKind::Anthropic, &value)),
            _ => {}
        }
    }

    /// Usage seen so far (input and cache counts from `message_start`, the latest cumulative
    /// `output_tokens` from `message_delta`), or `None` if none was reported.
    pub fn usage(&self) -> Option<Usage> {
        let usage = self.raw.to_usage();
        usage.is_reported().then_some(usage)
    }

    /// The `stop_reason` from `message_delta`, once seen.
    pub fn stop_reason(&self) -> Option<&str> {
        self.stop_reason.as_deref()
    }

    /// The error event Anthropic sent mid-stream, if any.
    pub fn error(&self) -> Option<&ProviderError> {
        self.error.as_ref()
    }

    /// True once `message_stop` was seen.
    pub fn is_complete(&self) -> bool {
        self.complete
    }
}
