//! `Idempotency-Key`: per-account claims that make a retried request return the stored
//! response instead of running (and charging) again.
//!
//! Claim = put-if-absent of an IN_PROGRESS record holding the request's hash. A second request
//! with the same key then gets: the stored response (COMPLETED, same hash), 422 (different
//! hash), or 409 (still IN_PROGRESS). A claim whose owner died is taken over once its
//! `in_progress_until` passes. The COMPLETED write happens in the settlement transaction
//! (`complete_op`), so "charged" and "response stored" are one atomic fact.

use crate::error::ApiError;
use crate::store::{Attr, Cond, Item, Key, StoreError, StoreRef, Table, TxOp, Update};
use sha2::{Digest, Sha256};

/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 255;
/// How long a completed response is replayed.
pub const RETENTION_SECS: i64 = 24 * 3600;

/// A stored response.
#[derive(Clone, Debug)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Outcome of a claim.
pub enum Claim {
    /// We own the key: run the request, then complete (or release) the claim.
    Owned(ClaimToken),
    /// A completed response to replay.
    Replay(StoredResponse),
}

/// Proof of ownership of an idempotency key.
#[derive(Clone, Debug)]
pub struct ClaimToken {
    pub key: Key,
    pub client_key: String,
    owner: String,
}

/// Validate the header value.
pub fn validate_key(k: &str) -> Result<(), ApiError> {
    if k.is_empty() {
        return Err(ApiError::bad_request("Idempotency-Key must not be empty"));
    }
    if k.len() > MAX_KEY_LEN {
        return Err(ApiError::bad_request(format!(
            "Idempotency-Key must be at most {MAX_KEY_LEN} characters"
        )));
    }
    if !k.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(ApiError::bad_request(
            "Idempotency-Key must be printable ASCII without spaces",
        ));
    }
    Ok(())
}

/// Hash of what makes two requests "the same": method, path, body.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

fn store_key(account_id: &str, client_key: &str) -> Key {
    // Hash the client's key: it is arbitrary user text and DynamoDB keys have size limits.
    let digest = hex::encode(Sha256::digest(client_key.as_bytes()));
    Key::new(format!("IDEM#{account_id}#{digest}"), "I")
}

/// Claim `client_key` for this request, or say what to do instead.
pub async fn claim(
    store: &StoreRef,
    account_id: &str,
    client_key: &str,
    hash: &str,
    in_progress_secs: i64,
    now: i64,
) -> Result<Claim, ApiError> {
    let key = store_key(account_id, client_key);
    let owner = uuid::Uuid::new_v4().simple().to_string();
    let item = Item::new(&key)
        .with("state", "IN_PROGRESS")
        .with("hash", hash)
        .with("owner", owner.as_str())
        .with("in_progress_until", now + in_progress_secs)
        .with(crate::store::EXPIRES_AT, now + RETENTION_SECS);
    // Absent, expired, or abandoned by a process that died mid-request.
    let cond = Cond::Or(vec![
        Cond::NotExists,
        Cond::And(vec![
            Cond::eq("state", "IN_PROGRESS"),
            Cond::lt("in_progress_until", now),
        ]),
    ]);
    match store.put(Table::Idempotency, item, Some(cond)).await {
        Ok(()) => {
            return Ok(Claim::Owned(ClaimToken {
                key,
                client_key: client_key.to_owned(),
                owner,
            }));
        }
        Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e.into()),
    }
    let existing = store.get(Table::Idempotency, &key).await?;
    let Some(existing) = existing else {
        // Expired between our put and get: tell the client to retry rather than guess.
        return Err(ApiError::conflict(
            "A request with this Idempotency-Key is in progress; retry shortly",
        ));
    };
    if existing.s("hash") != Some(hash) {
        return Err(ApiError::unprocessable(
            "This Idempotency-Key was already used with a different request",
        ));
    }
    if existing.s("state") != Some("COMPLETED") {
        return Err(
            ApiError::conflict("A request with this Idempotency-Key is still in progress")
                .with_header("retry-after", "1"),
        );
    }
    let headers: Vec<(String, String)> = existing
        .s("headers")
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    Ok(Claim::Replay(StoredResponse {
        status: existing.n("status").unwrap_or(200) as u16,
        headers,
        body: existing.b("body").map(<[u8]>::to_vec).unwrap_or_default(),
    }))
}

/// The transaction op that marks the claim COMPLETED with its response.
pub fn complete_op(token: &ClaimToken, resp: &StoredResponse) -> TxOp {
    let headers = serde_json::to_string(&resp.headers).unwrap_or_else(|_| "[]".into());
    TxOp::Update {
        table: Table::Idempotency,
        key: token.key.clone(),
        updates: vec![
            Update::set("state", "COMPLETED"),
            Update::set("status", resp.status as i64),
            Update::set("headers", headers),
            Update::Set("body".into(), Attr::B(resp.body.clone())),
        ],
        cond: Some(Cond::eq("owner", token.owner.as_str())),
    }
}

/// Complete a claim outside a settlement (free routes).
pub async fn complete(
    store: &StoreRef,
    token: &ClaimToken,
    resp: &StoredResponse,
) -> Result<(), ApiError> {
    match store.transact(vec![complete_op(token, resp)]).await {
        Ok(()) | Err(StoreError::TransactionCanceled { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Give the key back (the request failed in a way that must not be replayed).
pub async fn release(store: &StoreRef, token: &ClaimToken) {
    let r = store
        .delete(
            Table::Idempotency,
            &token.key,
            Some(Cond::And(vec![
                Cond::eq("owner", token.owner.as_str()),
                Cond::eq("state", "IN_PROGRESS"),
            ])),
        )
        .await;
    if let Err(e) = r {
        if !matches!(e, StoreError::ConditionFailed) {
            tracing::warn!(error = %e, "idempotency release failed; the claim will lapse");
        }
    }
}
