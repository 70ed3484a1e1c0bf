//! Generation records (`GET /v1/generation`) and pre-aggregated usage counters
//! (`/v1/usage/*`), both written inside the settlement transaction.

use crate::error::ApiError;
use crate::money::MicroCredits;
use crate::store::{Cond, Item, Key, Query, StoreRef, Table, TxOp, Update};
use serde::{Deserialize, Serialize};

/// Generation records are kept this long.
pub const GENERATION_TTL_SECS: i64 = 30 * 86_400;

/// One billable request, as `GET /v1/generation?id=` returns it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Generation {
    pub id: String,
    pub account_id: String,
    pub key_id: String,
    /// `chat`, `messages`, `embeddings`, `audio.speech`, …
    pub service: String,
    pub model_requested: Option<String>,
    pub model_used: Option<String>,
    pub provider: Option<String>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub cached_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    /// Service units (characters, seconds, images, vectors…) for non-token services.
    pub units: Option<u64>,
    pub latency_ms: u64,
    pub streamed: bool,
    pub cancelled: bool,
    pub byok: bool,
    pub finish_reason: Option<String>,
    /// `completed`, `failed`, `cancelled`.
    pub status: String,
    /// Whether the cost was estimated (no usage reported upstream).
    pub estimated: bool,
    pub created_at: i64,
}

/// What one request adds to the usage counters.
#[derive(Clone, Debug, Default)]
pub struct UsageDelta {
    /// Model id (LLM, embeddings) or `None` for per-unit services.
    pub model: Option<String>,
    /// Service group: `chat`, `embeddings`, `images`, …
    pub service: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub units: u64,
}

fn day_of(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// Counter updates for one request (per model and per service, by day).
pub fn usage_ops(account_id: &str, u: &UsageDelta, cost: MicroCredits) -> Vec<TxOp> {
    let day = day_of(crate::store::now_secs());
    let pk = format!("USAGE#{account_id}");
    let adds = |extra: Vec<Update>| {
        let mut v = vec![
            Update::add("requests", 1),
            Update::add("input_tokens", u.input_tokens as i64),
            Update::add("output_tokens", u.output_tokens as i64),
            Update::add("units", u.units as i64),
            Update::add("cost", cost.0),
        ];
        v.extend(extra);
        v
    };
    let mut ops = vec![TxOp::Update {
        table: Table::Usage,
        key: Key::new(pk.clone(), format!("S#{day}#{}", u.service)),
        updates: adds(vec![Update::set("service", u.service.as_str())]),
        cond: None,
    }];
    if let Some(m) = &u.model {
        ops.push(TxOp::Update {
            table: Table::Usage,
            key: Key::new(pk, format!("M#{day}#{m}")),
            updates: adds(vec![
                Update::set("model", m.as_str()),
                Update::set("service", u.service.as_str()),
            ]),
            cond: None,
        });
    }
    ops
}

/// The generation record put (inside the settlement).
pub fn generation_put(g: &Generation, cost: MicroCredits) -> TxOp {
    // The record's JSON object with `cost_micros` appended: written straight from the struct
    // (the settlement is on the response path), not through a `serde_json::Value` map.
    let mut doc = serde_json::to_string(g).unwrap_or_else(|_| "{}".to_owned());
    doc.pop(); // the closing brace
    if doc.len() > 1 {
        doc.push(',');
    }
    doc.push_str("\"cost_micros\":");
    doc.push_str(&cost.0.to_string());
    doc.push('}');
    TxOp::Put {
        table: Table::Generations,
        item: Item::new(&Key::new(format!("GEN#{}", g.id), "G"))
            .with("account_id", g.account_id.as_str())
            .with("doc", doc)
            .with(crate::store::EXPIRES_AT, g.created_at + GENERATION_TTL_SECS),
        cond: Some(Cond::NotExists),
    }
}

/// A generation as JSON, if it belongs to `account_id` (others' are simply not found).
pub async fn get_generation(
    store: &StoreRef,
    account_id: &str,
    id: &str,
) -> Result<Option<serde_json::Value>, ApiError> {
    let Some(item) = store
        .get(Table::Generations, &Key::new(format!("GEN#{id}"), "G"))
        .await?
    else {
        return Ok(None);
    };
    if item.s("account_id") != Some(account_id) {
        return Ok(None);
    }
    let mut v: serde_json::Value =
        serde_json::from_str(item.s("doc").unwrap_or("{}")).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        let cost = MicroCredits(o.get("cost_micros").and_then(|c| c.as_i64()).unwrap_or(0));
        o.insert("cost".into(), cost.to_credits_json());
        o.insert("object".into(), serde_json::json!("generation"));
    }
    Ok(Some(v))
}

/// One usage counter row.
#[derive(Clone, Debug, Serialize)]
pub struct UsageRow {
    pub date: String,
    pub service: String,
    pub model: Option<String>,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub units: i64,
    pub cost: MicroCredits,
}

/// Usage rows of one kind (`M` per model, `S` per service) between two dates (inclusive).
pub async fn usage_rows(
    store: &StoreRef,
    account_id: &str,
    per_model: bool,
    from: &str,
    to: &str,
) -> Result<Vec<UsageRow>, ApiError> {
    let tag = if per_model { "M" } else { "S" };
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .query(
                Query::new(Table::Usage, format!("USAGE#{account_id}"))
                    .between(format!("{tag}#{from}"), format!("{tag}#{to}#~"))
                    .limit(500)
                    .cursor(cursor),
            )
            .await?;
        for i in &page.items {
            let sk = i.s("sk").unwrap_or_default();
            let date = sk.get(2..12).unwrap_or_default().to_owned();
            out.push(UsageRow {
                date,
                service: i.s("service").unwrap_or_default().to_owned(),
                model: i.s("model").map(str::to_owned),
                requests: i.n("requests").unwrap_or(0),
                input_tokens: i.n("input_tokens").unwrap_or(0),
                output_tokens: i.n("output_tokens").unwrap_or(0),
                units: i.n("units").unwrap_or(0),
                cost: MicroCredits(i.n("cost").unwrap_or(0)),
            });
        }
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored document is the record's JSON object plus what it cost.
    #[test]
    fn generation_doc_is_the_record_with_its_cost() {
        let g = Generation {
            id: "gen_1".into(),
            account_id: "acct_1".into(),
            service: "chat".into(),
            model_used: Some("gpt-4.1".into()),
            prompt_tokens: Some(19),
            status: "completed".into(),
            created_at: 1_700_000_000,
            ..Default::default()
        };
        let TxOp::Put { item, .. } = generation_put(&g, MicroCredits(1234)) else {
            panic!("a put");
        };
        let doc: serde_json::Value =
            serde_json::from_str(item.s("doc").expect("doc")).expect("valid JSON");
        let mut want = serde_json::to_value(&g).unwrap();
        want["cost_micros"] = serde_json::json!(1234);
        assert_eq!(doc, want);
        assert_eq!(item.s("account_id"), Some("acct_1"));
    }
}
