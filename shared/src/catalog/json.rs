//! JSON bodies for `GET /v1/models`, `GET /v1/models/{id}` and the public price list.
//!
//! The model objects keep OpenAI's required fields (`id`, `object`, `created`, `owned_by`) so the
//! official SDKs parse them; everything else is an extra field those SDKs ignore.

use super::models::{EmbeddingModel, ModelInfo};
use super::services::SERVICE_PRICES;
use super::{aliases_for, all_embedding_models, all_models, embedding_aliases_for};
use super::{resolve, resolve_embedding};
use serde_json::{Value, json};

/// OpenAI-style list of every chat model, then every embedding model (`type` tells them apart).
pub fn models_list_json() -> Value {
    let data: Vec<Value> = all_models()
        .iter()
        .map(model_json)
        .chain(all_embedding_models().iter().map(embedding_model_json))
        .chain(AUDIO_MODELS.iter().map(audio_model_json))
        .collect();
    json!({ "object": "list", "data": data })
}

/// Audio models served by `/v1/audio/*` (OpenAI's list shows them too, so SDK users can
/// discover them): (id, type, display name, price in credits, unit).
const AUDIO_MODELS: [(&str, &str, &str, i64, &str); 3] = [
    (
        "tts-1",
        "audio_speech",
        "TTS (standard)",
        1,
        "per_1k_characters",
    ),
    (
        "tts-1-hd",
        "audio_speech",
        "TTS (HD)",
        2,
        "per_1k_characters",
    ),
    (
        "whisper-1",
        "audio_transcription",
        "Whisper",
        1,
        "per_minute",
    ),
];

fn audio_model_json(m: &(&str, &str, &str, i64, &str)) -> Value {
    let (id, kind, name, credits, unit) = *m;
    json!({
        "id": id,
        "object": "model",
        "created": 1_698_969_600,
        "owned_by": "openai",
        "type": kind,
        "display_name": name,
        "provider": "openai",
        "provider_name": "OpenAI",
        "pricing": { "price": credits, "unit": unit },
        "aliases": [],
    })
}

/// One chat model, as `GET /v1/models/{id}` returns it.
pub fn model_json(m: &ModelInfo) -> Value {
    json!({
        "id": m.id,
        "object": "model",
        "created": m.created,
        "owned_by": m.provider.id(),
        "type": "chat",
        "display_name": m.display_name,
        "provider": m.provider.id(),
        "provider_name": m.provider.display_name(),
        "pricing": {
            "input_per_1m": m.input_per_1m.to_credits_json(),
            "output_per_1m": m.output_per_1m.to_credits_json(),
            "unit": "credits",
        },
        "capabilities": m.capabilities,
        "context_window": m.context_window,
        "max_output_tokens": m.max_output_tokens,
        "aliases": aliases_for(m.id),
    })
}

/// One embedding model, in the same shape as chat models.
pub fn embedding_model_json(e: &EmbeddingModel) -> Value {
    json!({
        "id": e.id,
        "object": "model",
        "created": e.created,
        "owned_by": e.provider.id(),
        "type": "embedding",
        "display_name": e.display_name,
        "provider": e.provider.id(),
        "provider_name": e.provider.display_name(),
        "pricing": {
            "input_per_1m": e.price_per_1m.to_credits_json(),
            "unit": "credits",
        },
        "dimensions": e.dimensions,
        "max_input_tokens": e.max_input_tokens,
        "aliases": embedding_aliases_for(e.id),
    })
}

/// `GET /v1/models/{id}`: the canonical model for an id or alias, chat or embedding; `None` → 404.
pub fn model_json_for(id_or_alias: &str) -> Option<Value> {
    resolve(id_or_alias)
        .map(model_json)
        .or_else(|| resolve_embedding(id_or_alias).map(embedding_model_json))
        .or_else(|| {
            AUDIO_MODELS
                .iter()
                .find(|m| m.0 == id_or_alias)
                .map(audio_model_json)
        })
}

/// The service price list (`{"object":"list","data":[{id, display_name, price, unit}]}`).
pub fn service_prices_json() -> Value {
    let data: Vec<Value> = SERVICE_PRICES
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "display_name": s.display_name,
                "price": s.price.to_credits_json(),
                "unit": s.unit,
            })
        })
        .collect();
    json!({ "object": "list", "data": data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_has_openai_required_fields() {
        let v = models_list_json();
        assert_eq!(v["object"], "list");
        let data = v["data"].as_array().map(Vec::as_slice).unwrap_or_default();
        assert_eq!(
            data.len(),
            all_models().len() + all_embedding_models().len() + AUDIO_MODELS.len()
        );
        for item in data {
            assert!(item["id"].is_string(), "{item}");
            assert_eq!(item["object"], "model");
            assert!(item["created"].is_i64(), "{item}");
            assert!(item["owned_by"].is_string(), "{item}");
        }
    }

    #[test]
    fn sonnet_renders_exact_prices_and_capabilities() {
        let v = model_json_for("claude-sonnet");
        let v = v.unwrap_or_default();
        assert_eq!(v["id"], "claude-sonnet-4-6");
        assert_eq!(v["owned_by"], "anthropic");
        assert_eq!(v["pricing"]["input_per_1m"].to_string(), "390");
        assert_eq!(v["pricing"]["output_per_1m"].to_string(), "1950");
        assert_eq!(v["pricing"]["unit"], "credits");
        assert_eq!(v["capabilities"]["vision"], true);
        assert_eq!(v["context_window"], 1_000_000);
        assert!(
            v["aliases"]
                .as_array()
                .is_some_and(|a| a.contains(&json!("claude-sonnet")))
        );
    }

    #[test]
    fn embedding_lookup_and_missing_model() {
        let v = model_json_for("text-embedding-3-large").unwrap_or_default();
        assert_eq!(v["type"], "embedding");
        assert_eq!(v["pricing"]["input_per_1m"].to_string(), "13");
        assert_eq!(v["dimensions"], 3_072);
        assert!(model_json_for("no-such-model").is_none());
    }

    #[test]
    fn price_list_renders_units() {
        let v = service_prices_json();
        let first = &v["data"][0];
        assert_eq!(first["id"], "web_search");
        assert_eq!(first["price"].to_string(), "1");
        assert_eq!(first["unit"], "per_query");
    }
}
