//! Anthropic Messages: OpenAI-format requests translated to Claude, and `/v1/messages` helpers in both directions.
//!
//! - Chat route → Claude: [`build_request_body`], [`parse_response`], [`stream::AnthropicStream`].
//! - `/v1/messages` pass-through to Claude: [`validate_messages_request`], [`usage_from_message`],
//!   [`StreamUsageTap`].
//! - `/v1/messages` for non-Claude models: [`messages_request_to_chat`],
//!   [`chat_response_to_message`], [`ChatToMessagesStream`].

mod native;
mod request;
pub(crate) mod stream;
mod to_chat;
mod to_message;
mod to_message_stream;
mod wire;

pub use native::{
    MessagesRequestInfo, StreamUsageTap, usage_from_message, validate_messages_request,
};
pub use request::DEFAULT_MAX_TOKENS;
pub(crate) use request::build_request_body;
pub use to_chat::messages_request_to_chat;
pub use to_message::chat_response_to_message;
pub use to_message_stream::ChatToMessagesStream;

use super::chat::ToolCall;
use super::completion::{Meta, completion_json};
use super::error::from_stream_error;
use super::{ChatOutcome, ProviderError, ProviderKind};
use serde_json::Value;
use wire::{WireBlock, WireMessage, finish_from_stop_reason};

/// Translates a non-streaming Messages response into our `chat.completion`.
pub(crate) fn parse_response(body: &[u8], meta: &Meta<'_>) -> Result<ChatOutcome, ProviderError> {
    let kind = ProviderKind::Anthropic;
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ProviderError::unreadable(kind, e))?;
    if value.get("type").and_then(Value::as_str) == Some("error") {
        return Err(from_stream_error(kind, &value));
    }
    let message: WireMessage =
        serde_json::from_value(value).map_err(|e| ProviderError::unreadable(kind, e))?;
    let mut text = String::new();
    let mut calls = Vec::new();
    for block in message.content {
        match block {
            WireBlock::Text { text: t } => text.push_str(&t),
            WireBlock::ToolUse { id, name, input } => {
                let input = if input.is_null() {
                    Value::Object(Default::default())
                } else {
                    input
                };
                calls.push(ToolCall {
                    id,
                    name,
                    arguments: input.to_string(),
                });
            }
            WireBlock::Other => {}
        }
    }
    let finish = message.stop_reason.as_deref().map(finish_from_stop_reason);
    let usage = message.usage.map(|u| u.to_usage()).unwrap_or_default();
    let content = if text.is_empty() && !calls.is_empty() {
        None
    } else {
        Some(text.as_str())
    };
    let body = completion_json(meta, content, &calls, finish, &usage);
    Ok(ChatOutcome {
        body,
        usage,
        finish_reason: finish,
    })
}
