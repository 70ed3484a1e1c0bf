//! Long-term memory: text embedded with `/v1/embeddings` and kept in the account's `memory`
//! vector collection (`/v1/vectors/upsert`); recall embeds the question and queries it.

use super::Outcome;
use crate::api::Api;
use crate::exit::{self, CliError};
use hexaclaw_shared::catalog;
use hexaclaw_shared::money::MicroCredits;
use serde_json::{Value, json};

/// The vector collection memories live in.
pub const COLLECTION: &str = "memory";

/// Embed one text; returns the vector and what the embedding cost.
async fn embed(api: &Api, model: &str, text: &str) -> anyhow::Result<(Vec<Value>, MicroCredits)> {
    let r = api
        .post("/v1/embeddings", &json!({"model": model, "input": text}))
        .await?;
    let vector = r.json["data"][0]["embedding"]
        .as_array()
        .cloned()
        .ok_or_else(|| CliError::new(exit::ERROR, "the API returned no embedding"))?;
    let tokens = r.json["usage"]["prompt_tokens"].as_u64().unwrap_or(0);
    let cost = catalog::resolve_embedding(model)
        .map_or(MicroCredits::ZERO, |m| catalog::embedding_cost(m, tokens));
    Ok((vector, cost))
}

/// Store `text` in memory.
pub async fn remember(api: &Api, model: &str, text: &str) -> anyhow::Result<Outcome> {
    let text = text.trim();
    if text.is_empty() {
        return exit::fail(
            exit::USAGE,
            "remember what? e.g. /remember HexaClaw launched in March 2026",
        );
    }
    let (vector, embed_cost) = embed(api, model, text).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let r = api
        .post(
            "/v1/vectors/upsert",
            &json!({"collection": COLLECTION, "points": [{
                "id": id, "vector": vector,
                "payload": {"text": text, "created_at": chrono::Utc::now().to_rfc3339(), "source": "hexaclaw-cli"},
            }]}),
        )
        .await?;
    let upsert = crate::ui::micros_of(&r.json["cost"]).unwrap_or_default();
    Ok(Outcome {
        lines: vec![format!("remembered ({id})")],
        cost: Some(embed_cost + upsert),
        media: None,
        data: json!({"id": id, "stored": text}),
    })
}

/// Memories closest to `query`, best first.
pub async fn recall(api: &Api, model: &str, query: &str, top_k: u32) -> anyhow::Result<Outcome> {
    let query = query.trim();
    if query.is_empty() {
        return exit::fail(
            exit::USAGE,
            "recall what? e.g. /recall when did HexaClaw launch",
        );
    }
    let (vector, embed_cost) = embed(api, model, query).await?;
    let body =
        json!({"collection": COLLECTION, "vector": vector, "top_k": top_k, "with_payload": true});
    let results = match api.post("/v1/vectors/query", &body).await {
        Ok(r) => r.json["results"].as_array().cloned().unwrap_or_default(),
        // Nothing stored yet: the collection does not exist.
        Err(e) if e.to_string().starts_with("HTTP 404") => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut lines = Vec::new();
    if results.is_empty() {
        lines.push("nothing remembered matches".to_owned());
    }
    let data: Vec<Value> = results
        .iter()
        .map(|r| {
            let text = r["payload"]["text"].as_str().unwrap_or_default();
            let score = r["score"].as_f64().unwrap_or(0.0);
            lines.push(format!("{score:.3}  {text}"));
            json!({"text": text, "score": score, "saved": r["payload"]["created_at"]})
        })
        .collect();
    Ok(Outcome {
        lines,
        cost: Some(embed_cost),
        media: None,
        data: json!({"query": query, "memories": data}),
    })
}
