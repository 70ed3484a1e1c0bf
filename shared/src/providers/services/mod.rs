//! Service adapters, pure translation (no I/O): the OpenAI-format embeddings request our route
//! accepts, OpenAI `/v1/embeddings`, `/v1/audio/speech` and `/v1/audio/transcriptions` wire
//! formats, and Gemini `:batchEmbedContents` translated to and from the OpenAI shape.

pub mod gemini;
pub mod multipart;
pub mod openai;

use super::ValidationError;
use serde_json::Value;

/// Most inputs one embeddings request may carry (OpenAI's documented limit).
pub const MAX_EMBEDDING_INPUTS: usize = 2_048;

/// What to embed: strings, or pre-tokenized inputs (OpenAI models only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbeddingInput {
    Texts(Vec<String>),
    Tokens(Vec<Vec<u32>>),
}

/// How vectors are returned: JSON numbers, or base64 of little-endian f32s (OpenAI's format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingFormat {
    Float,
    Base64,
}

impl EncodingFormat {
    /// The request value.
    pub fn as_str(self) -> &'static str {
        match self {
            EncodingFormat::Float => "float",
            EncodingFormat::Base64 => "base64",
        }
    }
}

/// A validated `POST /v1/embeddings` body.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingsRequest {
    pub model: String,
    pub input: EmbeddingInput,
    pub encoding: EncodingFormat,
    pub dimensions: Option<u32>,
    pub user: Option<String>,
}

fn bad(message: impl Into<String>, param: &str) -> ValidationError {
    ValidationError::new(message, Some(param))
}

impl EmbeddingsRequest {
    /// Parse and validate the body (model existence and dimension ranges are checked by the
    /// caller against the catalog).
    pub fn from_json(body: &[u8]) -> Result<EmbeddingsRequest, ValidationError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ValidationError::new(
                "Request body is empty; expected JSON",
                None,
            ));
        }
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| ValidationError::new(format!("Invalid JSON body: {e}"), None))?;
        let obj = v
            .as_object()
            .ok_or_else(|| ValidationError::new("The body must be a JSON object", None))?;
        let model = match obj.get("model") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(bad("'model' is required", "model"));
            }
            Some(_) => return Err(bad("'model' must be a string", "model")),
        };
        let input = parse_input(obj.get("input"))?;
        let encoding = match obj.get("encoding_format") {
            None | Some(Value::Null) => EncodingFormat::Float,
            Some(Value::String(s)) if s == "float" => EncodingFormat::Float,
            Some(Value::String(s)) if s == "base64" => EncodingFormat::Base64,
            Some(_) => {
                return Err(bad(
                    "'encoding_format' must be 'float' or 'base64'",
                    "encoding_format",
                ));
            }
        };
        let dimensions = match obj.get("dimensions") {
            None | Some(Value::Null) => None,
            Some(d) => match d.as_u64() {
                Some(n) if n >= 1 && n <= u32::MAX as u64 => Some(n as u32),
                _ => return Err(bad("'dimensions' must be a positive integer", "dimensions")),
            },
        };
        let user = match obj.get("user") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad("'user' must be a string", "user")),
        };
        Ok(EmbeddingsRequest {
            model,
            input,
            encoding,
            dimensions,
            user,
        })
    }

    /// Number of inputs (one vector each).
    pub fn len(&self) -> usize {
        match &self.input {
            EmbeddingInput::Texts(t) => t.len(),
            EmbeddingInput::Tokens(t) => t.len(),
        }
    }

    /// Whether there is nothing to embed (never true after `from_json`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Most tokens the input can be: every BPE token is at least one UTF-8 byte, so a string's
    /// byte length bounds its token count; token arrays count exactly. This is what we hold.
    pub fn token_upper_bound(&self) -> u64 {
        match &self.input {
            EmbeddingInput::Texts(t) => t.iter().map(|s| s.len() as u64).sum(),
            EmbeddingInput::Tokens(t) => t.iter().map(|a| a.len() as u64).sum(),
        }
    }

    /// A typical-case token count for providers that report none (Gemini): one token per four
    /// UTF-8 bytes, at least one per input; token arrays count exactly.
    pub fn token_estimate(&self) -> u64 {
        match &self.input {
            EmbeddingInput::Texts(t) => t.iter().map(|s| (s.len() as u64).div_ceil(4).max(1)).sum(),
            EmbeddingInput::Tokens(t) => t.iter().map(|a| a.len() as u64).sum(),
        }
    }
}

fn parse_input(v: Option<&Value>) -> Result<EmbeddingInput, ValidationError> {
    const P: &str = "input";
    let empty_string = || bad("'input' must not contain empty strings", P);
    match v {
        None | Some(Value::Null) => Err(bad("'input' is required", P)),
        Some(Value::String(s)) if s.is_empty() => Err(empty_string()),
        Some(Value::String(s)) => Ok(EmbeddingInput::Texts(vec![s.clone()])),
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Err(bad("'input' must not be an empty array", P));
            }
            if items.iter().all(Value::is_number) {
                // One pre-tokenized input.
                return Ok(EmbeddingInput::Tokens(vec![tokens(items)?]));
            }
            if items.len() > MAX_EMBEDDING_INPUTS {
                return Err(bad(
                    format!("'input' may hold at most {MAX_EMBEDDING_INPUTS} items"),
                    P,
                ));
            }
            if items.iter().all(Value::is_string) {
                let mut texts = Vec::with_capacity(items.len());
                for s in items.iter().filter_map(Value::as_str) {
                    if s.is_empty() {
                        return Err(empty_string());
                    }
                    texts.push(s.to_owned());
                }
                return Ok(EmbeddingInput::Texts(texts));
            }
            if items.iter().all(Value::is_array) {
                let mut all = Vec::with_capacity(items.len());
                for a in items.iter().filter_map(Value::as_array) {
                    if a.is_empty() {
                        return Err(bad("'input' must not contain empty token arrays", P));
                    }
                    all.push(tokens(a)?);
                }
                return Ok(EmbeddingInput::Tokens(all));
            }
            Err(bad(
                "'input' must be a string, an array of strings, an array of token ids or an array of token arrays",
                P,
            ))
        }
        Some(_) => Err(bad("'input' must be a string or an array", P)),
    }
}

fn tokens(items: &[Value]) -> Result<Vec<u32>, ValidationError> {
    items
        .iter()
        .map(|t| {
            t.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad("token ids must be non-negative integers", "input"))
        })
        .collect()
}

/// One finished embedding item, as the JSON text of an OpenAI `embedding` object.
pub fn embedding_item(index: usize, embedding_json: &str) -> String {
    format!(r#"{{"object":"embedding","index":{index},"embedding":{embedding_json}}}"#)
}

/// The OpenAI-shaped response body: `{"object":"list","data":[…],"model",usage}`, with our
/// `usage.cost` (credits) added as chat responses do.
pub fn embeddings_response(
    items: &[String],
    model: &str,
    prompt_tokens: u64,
    cost: &Value,
) -> Vec<u8> {
    let model = Value::String(model.to_owned());
    let mut out = String::with_capacity(items.iter().map(String::len).sum::<usize>() + 160);
    out.push_str(r#"{"object":"list","data":["#);
    out.push_str(&items.join(","));
    out.push_str(&format!(
        r#"],"model":{model},"usage":{{"prompt_tokens":{prompt_tokens},"total_tokens":{prompt_tokens},"cost":{cost}}}}}"#
    ));
    out.into_bytes()
}

/// Base64 (standard alphabet) of the little-endian f32s, as OpenAI encodes `base64` vectors.
pub fn f32_base64(values: &[f32]) -> String {
    use base64::Engine;
    let mut bytes = Vec::with_capacity(values.len() * 4);
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests;
