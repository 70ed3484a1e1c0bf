//! Gemini embeddings: `models/{model}:batchEmbedContents` built from an OpenAI-format request,
//! and its `{"embeddings":[{"values":[…]}]}` answer turned into OpenAI embedding objects.
//! Gemini reports no token usage for embeddings; the route settles on an estimate.

use super::{EncodingFormat, embedding_item, f32_base64};
use crate::providers::{ProviderError, ProviderKind};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

/// Most requests one `batchEmbedContents` call accepts; larger inputs are sent in chunks.
pub const MAX_BATCH: usize = 100;
/// Smallest and largest `outputDimensionality` gemini-embedding-001 supports.
pub const DIMENSIONS: std::ops::RangeInclusive<u32> = 128..=3_072;

/// Path (with the model) of the batch endpoint.
pub fn batch_embed_path(upstream_model: &str) -> String {
    format!("/v1beta/models/{upstream_model}:batchEmbedContents")
}

/// The body for one chunk of texts.
pub fn batch_embed_body(
    texts: &[String],
    upstream_model: &str,
    dimensions: Option<u32>,
) -> Vec<u8> {
    let name = format!("models/{upstream_model}");
    let requests: Vec<serde_json::Value> = texts
        .iter()
        .map(|t| {
            let mut r = json!({"model": name, "content": {"parts": [{"text": t}]}});
            if let Some(d) = dimensions {
                r["outputDimensionality"] = json!(d);
            }
            r
        })
        .collect();
    serde_json::to_vec(&json!({ "requests": requests })).unwrap_or_default()
}

#[derive(Deserialize)]
struct BatchWire<'a> {
    #[serde(borrow, default)]
    embeddings: Vec<EmbeddingWire<'a>>,
}

#[derive(Deserialize)]
struct EmbeddingWire<'a> {
    #[serde(borrow)]
    values: &'a RawValue,
}

/// OpenAI embedding objects (indices from `first_index`) for one chunk's answer; vectors are
/// copied verbatim for `float`, re-encoded as little-endian f32 base64 for `base64`.
pub fn parse_batch_embed(
    body: &[u8],
    expected: usize,
    first_index: usize,
    encoding: EncodingFormat,
) -> Result<Vec<String>, ProviderError> {
    let unreadable = |what: String| ProviderError::unreadable(ProviderKind::Gemini, what);
    let wire: BatchWire<'_> =
        serde_json::from_slice(body).map_err(|e| unreadable(e.to_string()))?;
    if wire.embeddings.len() != expected {
        return Err(unreadable(format!(
            "{} embeddings for {expected} inputs",
            wire.embeddings.len()
        )));
    }
    wire.embeddings
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let values: Vec<f32> =
                serde_json::from_str(e.values.get()).map_err(|e| unreadable(e.to_string()))?;
            if values.is_empty() {
                return Err(unreadable("an empty embedding".into()));
            }
            let rendered = match encoding {
                EncodingFormat::Float => e.values.get().to_owned(),
                EncodingFormat::Base64 => format!("\"{}\"", f32_base64(&values)),
            };
            Ok(embedding_item(first_index + i, &rendered))
        })
        .collect()
}
