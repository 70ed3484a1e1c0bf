//! Key records: create, look up by HMAC, list, update, revoke. Only the HMAC of a key is a store
//! key; the secret itself exists once, in the creation response.

use super::apikey;
use crate::catalog::Tier;
use crate::error::ApiError;
use crate::store::{Cond, Item, Key, Query, StoreError, StoreRef, Table, Update};
use serde::{Deserialize, Serialize};

/// Scopes: one per endpoint group, plus `*` for all.
pub const SCOPES: &[&str] = &[
    "*",
    "chat",
    "messages",
    "models",
    "embeddings",
    "audio",
    "images",
    "vectors",
    "browser",
    "guardian",
    "usage",
    "tools",
];

/// Per-key overrides of the tier's rate limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_day: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent: Option<u32>,
}

/// What a key is: an API key or a CLI device token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Api,
    Device,
}

/// A key's metadata (never the secret).
#[derive(Clone, Debug, Serialize)]
pub struct KeyRecord {
    pub id: String,
    pub kind: KeyKind,
    pub account_id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub active: bool,
    pub rate_limits: RateLimitOverride,
    /// What Guardian does with secrets in this key's output on the Max plan.
    pub guardian_mode: crate::guardian::StreamMode,
    /// HMAC of the secret (store key); never serialized to clients.
    #[serde(skip)]
    pub hash: String,
}

impl KeyRecord {
    fn from_item(i: &Item) -> Option<KeyRecord> {
        let num = |n: &str| i.n(n).and_then(|v| u32::try_from(v).ok());
        Some(KeyRecord {
            id: i.s("key_id")?.to_owned(),
            kind: if i.s("kind") == Some("device") {
                KeyKind::Device
            } else {
                KeyKind::Api
            },
            account_id: i.s("account_id")?.to_owned(),
            name: i.s("name").unwrap_or_default().to_owned(),
            prefix: i.s("prefix").unwrap_or_default().to_owned(),
            scopes: i
                .s("scopes")
                .unwrap_or("*")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            created_at: i.n("created_at").unwrap_or(0),
            active: i.bool("active").unwrap_or(false),
            rate_limits: RateLimitOverride {
                requests_per_minute: num("rl_rpm"),
                requests_per_day: num("rl_rpd"),
                concurrent: num("rl_conc"),
            },
            guardian_mode: match i.s("guardian_mode") {
                Some("redact") => crate::guardian::StreamMode::Redact,
                Some("block") => crate::guardian::StreamMode::Block,
                _ => crate::guardian::StreamMode::Monitor,
            },
            hash: i.s("pk")?.strip_prefix("KEY#")?.to_owned(),
        })
    }

    /// Whether the key may call routes of `scope`.
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == "*" || s == scope)
    }

    /// Public JSON view (`GET /v1/key`, `GET /v1/keys`).
    pub fn to_json(&self, tier: Option<Tier>) -> serde_json::Value {
        let mut v = serde_json::json!({
            "id": self.id,
            "object": "api_key",
            "type": self.kind,
            "name": self.name,
            "prefix": self.prefix,
            "scopes": self.scopes,
            "account_id": self.account_id,
            "created": self.created_at,
            "active": self.active,
            "rate_limits": self.rate_limits,
            "guardian_mode": self.guardian_mode,
        });
        if let (Some(t), Some(o)) = (tier, v.as_object_mut()) {
            o.insert("tier".into(), serde_json::json!(t.id()));
        }
        v
    }
}

fn key_item_key(hash: &str) -> Key {
    Key::new(format!("KEY#{hash}"), "K")
}

/// Validate and normalise a scope list; empty means `*`.
pub fn normalize_scopes(scopes: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        if !SCOPES.contains(&s) {
            return Err(ApiError::bad_request(format!(
                "Unknown scope '{s}'; valid scopes: {}",
                SCOPES.join(", ")
            )));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    if out.is_empty() {
        out.push("*".into());
    }
    Ok(out)
}

/// Parameters of a new key.
pub struct NewKeyParams<'a> {
    pub account_id: &'a str,
    pub name: &'a str,
    pub scopes: Vec<String>,
    pub rate_limits: RateLimitOverride,
    pub kind: KeyKind,
}

/// Create a key; returns the record and the secret (to be shown once).
pub async fn create(
    store: &StoreRef,
    pepper: &str,
    p: NewKeyParams<'_>,
) -> Result<(KeyRecord, String), ApiError> {
    if p.name.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "Key name must be at most 100 characters",
        ));
    }
    let scopes = normalize_scopes(&p.scopes)?;
    let secret = apikey::generate().secret;
    let hash = apikey::hash(pepper, &secret);
    let id = format!("key_{}", apikey::random_base62(20));
    let now = crate::store::now_secs();
    let mut item = Item::new(&key_item_key(&hash))
        .with("key_id", id.as_str())
        .with(
            "kind",
            match p.kind {
                KeyKind::Api => "api",
                KeyKind::Device => "device",
            },
        )
        .with("account_id", p.account_id)
        .with("name", p.name)
        .with("prefix", apikey::display_prefix(&secret))
        .with("scopes", scopes.join(","))
        .with("created_at", now)
        .with("active", true)
        .with(crate::store::GSI1PK, format!("ACCT#{}", p.account_id))
        .with(crate::store::GSI1SK, format!("KEY#{now:012}#{id}"));
    set_limits(&mut item, &p.rate_limits);
    store
        .put(Table::Keys, item.clone(), Some(Cond::NotExists))
        .await?;
    let rec = KeyRecord::from_item(&item).ok_or_else(|| ApiError::internal("bad key item"))?;
    Ok((rec, secret))
}

fn set_limits(item: &mut Item, rl: &RateLimitOverride) {
    for (name, v) in [
        ("rl_rpm", rl.requests_per_minute),
        ("rl_rpd", rl.requests_per_day),
        ("rl_conc", rl.concurrent),
    ] {
        if let Some(v) = v {
            item.set(name, v as i64);
        }
    }
}

/// Look up a key by its HMAC (active or not; the caller checks `active`).
pub async fn get_by_hash(store: &StoreRef, hash: &str) -> Result<Option<KeyRecord>, ApiError> {
    Ok(store
        .get(Table::Keys, &key_item_key(hash))
        .await?
        .as_ref()
        .and_then(KeyRecord::from_item))
}

/// All keys of an account (active and revoked), oldest first.
pub async fn list_for_account(
    store: &StoreRef,
    account_id: &str,
) -> Result<Vec<KeyRecord>, ApiError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .query(
                Query::new(Table::Keys, format!("ACCT#{account_id}"))
                    .gsi1()
                    .prefix("KEY#")
                    .limit(200)
                    .cursor(cursor),
            )
            .await?;
        out.extend(page.items.iter().filter_map(KeyRecord::from_item));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(out)
}

/// Find one of the account's keys by id; other accounts' keys are simply not found.
pub async fn find_in_account(
    store: &StoreRef,
    account_id: &str,
    key_id: &str,
) -> Result<Option<KeyRecord>, ApiError> {
    Ok(list_for_account(store, account_id)
        .await?
        .into_iter()
        .find(|k| k.id == key_id))
}

/// Changes to a key (PATCH).
#[derive(Default)]
pub struct KeyPatch {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub rate_limits: Option<RateLimitOverride>,
    pub guardian_mode: Option<crate::guardian::StreamMode>,
}

/// Apply a patch to an active key.
pub async fn update(store: &StoreRef, rec: &KeyRecord, patch: KeyPatch) -> Result<(), ApiError> {
    let mut ups = Vec::new();
    if let Some(n) = patch.name {
        if n.chars().count() > 100 {
            return Err(ApiError::bad_request(
                "Key name must be at most 100 characters",
            ));
        }
        ups.push(Update::set("name", n));
    }
    if let Some(s) = patch.scopes {
        ups.push(Update::set("scopes", normalize_scopes(&s)?.join(",")));
    }
    if let Some(rl) = patch.rate_limits {
        for (name, v) in [
            ("rl_rpm", rl.requests_per_minute),
            ("rl_rpd", rl.requests_per_day),
            ("rl_conc", rl.concurrent),
        ] {
            ups.push(match v {
                Some(v) => Update::set(name, v as i64),
                None => Update::remove(name),
            });
        }
    }
    if let Some(m) = patch.guardian_mode {
        let v = match m {
            crate::guardian::StreamMode::Monitor => "monitor",
            crate::guardian::StreamMode::Redact => "redact",
            crate::guardian::StreamMode::Block => "block",
        };
        ups.push(Update::set("guardian_mode", v));
    }
    if ups.is_empty() {
        return Ok(());
    }
    match store
        .update(
            Table::Keys,
            &key_item_key(&rec.hash),
            &ups,
            Some(Cond::And(vec![Cond::Exists, Cond::eq("active", true)])),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(ApiError::not_found("No such key")),
        Err(e) => Err(e.into()),
    }
}

/// Deactivate a key for good.
pub async fn revoke(store: &StoreRef, rec: &KeyRecord) -> Result<(), ApiError> {
    match store
        .update(
            Table::Keys,
            &key_item_key(&rec.hash),
            &[
                Update::set("active", false),
                Update::set("revoked_at", crate::store::now_secs()),
            ],
            Some(Cond::Exists),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(ApiError::not_found("No such key")),
        Err(e) => Err(e.into()),
    }
}
