//! Our OpenAI-format chat request: the typed model every provider adapter translates from.

mod messages;
mod options;
mod parse;

pub(crate) use messages::parse_image_url;
pub(crate) use options::valid_function_name;

use serde_json::{Map, Value};

/// A request to `/v1/chat/completions` (or one translated from `/v1/messages`), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub stream: bool,
    /// `stream_options.include_usage`: the client wants the final usage chunk.
    pub include_usage: bool,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    /// `max_completion_tokens`, or `max_tokens` when only that was sent.
    pub max_tokens: Option<u64>,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    pub parallel_tool_calls: Option<bool>,
    pub response_format: Option<ResponseFormat>,
    pub stop: Vec<String>,
    pub user: Option<String>,
    pub seed: Option<i64>,
    /// Fields we do not model (e.g. `presence_penalty`, `reasoning_effort`), forwarded as-is to
    /// OpenAI-format providers and dropped for Anthropic and Gemini.
    pub extra: Map<String, Value>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

impl Role {
    /// The OpenAI role string.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    /// System and developer messages are both instructions to every non-OpenAI provider.
    pub fn is_instruction(self) -> bool {
        matches!(self, Role::System | Role::Developer)
    }
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: Content,
    pub name: Option<String>,
    /// Assistant messages only.
    pub tool_calls: Vec<ToolCall>,
    /// Tool messages only.
    pub tool_call_id: Option<String>,
}

impl ChatMessage {
    /// A message with only text content.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: Content::Text(text.into()),
            name: None,
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// Message content: absent (assistant turns that only call tools), a string, or parts.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    None,
    Text(String),
    Parts(Vec<ContentPart>),
}

impl Content {
    /// All text of the content joined without separators (images are skipped).
    pub fn joined_text(&self) -> String {
        match self {
            Content::None => String::new(),
            Content::Text(t) => t.clone(),
            Content::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text(t) => Some(t.as_str()),
                    ContentPart::Image(_) => None,
                })
                .collect(),
        }
    }

    /// True when the content holds at least one image.
    pub fn has_image(&self) -> bool {
        matches!(self, Content::Parts(p) if p.iter().any(|x| matches!(x, ContentPart::Image(_))))
    }
}

/// One part of a multi-part content array.
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    Text(String),
    Image(Image),
}

/// An image part: either inline bytes from a `data:` URL or an `https://` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub source: ImageSource,
    /// OpenAI's `detail` hint (`auto`, `low`, `high`), kept for OpenAI-format providers.
    pub detail: Option<String>,
}

/// Where an image's bytes come from.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageSource {
    /// A `data:<media_type>;base64,<data>` URL, already checked to decode.
    Base64 { media_type: String, data: String },
    /// An `https://` URL the provider fetches itself.
    Url(String),
}

impl ImageSource {
    /// The source as a URL again (`data:` form for inline images).
    pub fn to_url(&self) -> String {
        match self {
            ImageSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
            ImageSource::Url(url) => url.clone(),
        }
    }
}

/// A function call made by the assistant.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text of the arguments, exactly as the model produced it.
    pub arguments: String,
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema of the arguments (`{"type":"object"}` when the client sent none).
    pub parameters: Value,
    pub strict: Option<bool>,
}

/// How the model must use tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    None,
    Auto,
    Required,
    Function(String),
}

/// The requested output format.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema {
        name: String,
        description: Option<String>,
        schema: Value,
        strict: Option<bool>,
    },
}

/// A request the caller must fix: `message` is written for a person, `param` names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    pub message: String,
    pub param: Option<String>,
}

impl ValidationError {
    /// A new error with a message and the offending parameter path, if any.
    pub fn new(message: impl Into<String>, param: Option<&str>) -> Self {
        ValidationError {
            message: message.into(),
            param: param.map(str::to_string),
        }
    }
}

/// Longest `stop` list OpenAI accepts.
pub const MAX_STOP_SEQUENCES: usize = 4;

impl ChatRequest {
    /// Parses and validates an OpenAI-format request body.
    pub fn from_json(body: &[u8]) -> Result<ChatRequest, ValidationError> {
        parse::parse_request(body)
    }

    /// A request with only a model and messages; every option unset.
    pub fn new(model: impl Into<String>, messages: Vec<ChatMessage>) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            messages,
            stream: false,
            include_usage: false,
            temperature: None,
            top_p: None,
            max_tokens: None,
            tools: Vec::new(),
            tool_choice: None,
            parallel_tool_calls: None,
            response_format: None,
            stop: Vec::new(),
            user: None,
            seed: None,
            extra: Map::new(),
        }
    }
}
