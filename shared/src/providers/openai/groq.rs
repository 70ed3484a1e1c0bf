//! Groq quirks: `messages[].name` and log-probability fields are a 400, and stream usage arrives under `x_groq.usage`.

use crate::providers::chat::ValidationError;
use serde_json::{Map, Value};

/// Fields Groq documents as "not supported … will result in a 400 error".
const UNSUPPORTED: &[&str] = &["logprobs", "logit_bias", "top_logprobs"];

pub(super) fn adjust_request(body: &mut Map<String, Value>) -> Result<(), ValidationError> {
    for key in UNSUPPORTED {
        match body.get(*key) {
            None => {}
            Some(Value::Null) | Some(Value::Bool(false)) => {
                body.remove(*key);
            }
            Some(_) => {
                return Err(ValidationError::new(
                    format!("{key} is not supported by Groq models"),
                    Some(key),
                ));
            }
        }
    }
    // `name` only labels a participant; dropping it is better than a 400.
    if let Some(Value::Array(messages)) = body.get_mut("messages") {
        for message in messages.iter_mut().filter_map(Value::as_object_mut) {
            message.remove("name");
        }
    }
    Ok(())
}

/// Groq's final stream chunk carries usage as `x_groq.usage` rather than `usage`.
pub(super) fn usage_location(value: &Value) -> Option<&Value> {
    value.get("x_groq")?.get("usage").filter(|u| u.is_object())
}
