//! Per-key rate limits: minute and day window counters (exact: a conditional increment each)
//! and concurrency leases. Where several processes serve one store (Lambda functions on
//! DynamoDB) a lease is a slot item with a TTL, so a slot held by a function that died frees
//! itself when the lease expires; where one process serves it (the local gateway on its
//! embedded store) leases are a table in that process (`Leases`).

use crate::auth::Principal;
use crate::error::ApiError;
use crate::store::{Cond, Item, Key, StoreError, StoreRef, Table, Update};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Effective limits for a key: per-key overrides over the tier's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub per_minute: u32,
    pub per_day: u32,
    pub concurrent: u32,
}

impl Limits {
    pub fn for_principal(p: &Principal) -> Limits {
        let t = p.tier.limits();
        let o = &p.key.rate_limits;
        Limits {
            per_minute: o.requests_per_minute.unwrap_or(t.requests_per_minute),
            per_day: o.requests_per_day.unwrap_or(t.requests_per_day),
            concurrent: o.concurrent.unwrap_or(t.concurrent_requests),
        }
    }
}

/// What the `X-RateLimit-*` headers report (the minute window).
#[derive(Clone, Copy, Debug)]
pub struct RateInfo {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
}

/// Count one request against the minute and day windows in ONE conditional update of one
/// item per key (attributes `m<minute>` and `d<day>`): either both counters move or neither
/// does, so under any overload exactly `limit` requests pass each window, a request refused
/// by one window is not charged to the other, and it costs one store round trip.
pub async fn admit(
    store: &StoreRef,
    key_id: &str,
    limits: Limits,
    now: i64,
) -> Result<RateInfo, ApiError> {
    let minute = now.div_euclid(60);
    let day = now.div_euclid(86_400);
    let key = Key::new(format!("RL#{key_id}"), "W");
    let (m_attr, d_attr) = (format!("m{minute}"), format!("d{day}"));
    let minute_reset = ((minute + 1) * 60 - now) as u64;
    let day_reset = ((day + 1) * 86_400 - now) as u64;
    let under = |attr: &str, limit: u32| {
        Cond::Or(vec![
            Cond::AttrNotExists(attr.to_owned()),
            Cond::lt(attr, limit as i64),
        ])
    };
    let result = store
        .update(
            Table::RateLimits,
            &key,
            &[
                Update::add(&m_attr, 1),
                Update::add(&d_attr, 1),
                Update::set(crate::store::EXPIRES_AT, (day + 2) * 86_400),
            ],
            Some(Cond::And(vec![
                under(&m_attr, limits.per_minute),
                under(&d_attr, limits.per_day),
            ])),
        )
        .await;
    match result {
        Ok(item) => {
            let used = item.n(&m_attr).unwrap_or(1);
            let stale: Vec<String> = item
                .0
                .keys()
                .filter(|k| {
                    (k.starts_with('m') || k.starts_with('d'))
                        && k[1..].bytes().all(|b| b.is_ascii_digit())
                        && **k != m_attr
                        && **k != d_attr
                })
                .cloned()
                .collect();
            if !stale.is_empty() {
                // Past windows' counters: drop them off the hot path.
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(async move {
                    let ups: Vec<Update> = stale.iter().map(|a| Update::remove(a)).collect();
                    let _ = store
                        .update(Table::RateLimits, &key, &ups, Some(Cond::Exists))
                        .await;
                });
            }
            Ok(RateInfo {
                limit: limits.per_minute,
                remaining: (limits.per_minute as i64 - used).max(0) as u32,
                reset_secs: minute_reset,
            })
        }
        Err(StoreError::ConditionFailed) => {
            // Refusals are off the hot path: read which window is full.
            let item = store
                .get(Table::RateLimits, &key)
                .await?
                .unwrap_or_default();
            let used_m = item.n(&m_attr).unwrap_or(0);
            let (limit, what, reset) = if used_m >= limits.per_minute as i64 {
                (limits.per_minute, "minute", minute_reset)
            } else {
                (limits.per_day, "day", day_reset)
            };
            Err(with_rate_headers(
                ApiError::rate_limited(
                    format!("Rate limit exceeded: {limit} requests per {what}"),
                    reset,
                ),
                RateInfo {
                    limit: limits.per_minute,
                    remaining: (limits.per_minute as i64 - used_m).max(0) as u32,
                    reset_secs: minute_reset,
                },
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Attach the `X-RateLimit-*` headers to an error response.
pub fn with_rate_headers(e: ApiError, info: RateInfo) -> ApiError {
    e.with_header("x-ratelimit-limit", info.limit.to_string())
        .with_header("x-ratelimit-remaining", info.remaining.to_string())
        .with_header("x-ratelimit-reset", info.reset_secs.to_string())
}

/// A held concurrency slot; release it when the request ends.
#[derive(Clone, Debug)]
pub struct Lease {
    pub key: Key,
    pub lease_id: String,
}

/// Take one of the key's `limit` concurrency slots, or 429. A slot is an item whose TTL is
/// `ttl_secs`: if the process holding it dies, the slot is free again once it expires.
pub async fn acquire_lease(
    store: &StoreRef,
    key_id: &str,
    limit: u32,
    ttl_secs: i64,
    now: i64,
) -> Result<Lease, ApiError> {
    let lease_id = uuid::Uuid::new_v4().simple().to_string();
    let start = rand::random::<u32>() % limit.max(1);
    for i in 0..limit {
        let slot = (start + i) % limit;
        let key = Key::new(format!("LEASE#{key_id}"), format!("{slot:03}"));
        let item = Item::new(&key)
            .with("lease_id", lease_id.as_str())
            .with(crate::store::EXPIRES_AT, now + ttl_secs);
        match store
            .put(Table::RateLimits, item, Some(Cond::NotExists))
            .await
        {
            Ok(()) => return Ok(Lease { key, lease_id }),
            Err(StoreError::ConditionFailed) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(too_many(limit))
}

/// Free a slot (only if it is still ours: an expired lease may have been taken over).
pub async fn release_lease(store: &StoreRef, lease: &Lease) {
    let r = store
        .delete(
            Table::RateLimits,
            &lease.key,
            Some(Cond::eq("lease_id", lease.lease_id.as_str())),
        )
        .await;
    if let Err(e) = r {
        if !matches!(e, StoreError::ConditionFailed) {
            tracing::warn!(error = %e, "lease release failed; it will expire on its own");
        }
    }
}

/// Where this process keeps the concurrency leases of the requests it serves.
#[derive(Clone)]
pub enum Leases {
    /// Slot items in the store (`acquire_lease`), seen by every process that serves it.
    Stored,
    /// A table in this process, for a store that only this process serves
    /// (`Store::single_server`: the local gateway's embedded store). A lease then costs no
    /// store write on either side of the upstream call, and needs no TTL: the table goes
    /// with the process, so a crash cannot leave a slot taken.
    Local(Arc<LocalLeases>),
}

/// Requests in flight per key, for `Leases::Local`.
#[derive(Debug, Default)]
pub struct LocalLeases {
    in_flight: Mutex<HashMap<String, u32>>,
}

impl LocalLeases {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        // The map is consistent after any panic (single inserts and decrements).
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Requests of `key_id` holding a slot now.
    pub fn in_flight(&self, key_id: &str) -> u32 {
        self.table().get(key_id).copied().unwrap_or(0)
    }
}

/// A slot of `Leases::Local`, freed when dropped (so no path can leak one).
pub struct LocalSlot {
    table: Arc<LocalLeases>,
    key_id: String,
}

impl std::fmt::Debug for LocalSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSlot")
            .field("key_id", &self.key_id)
            .finish()
    }
}

impl Drop for LocalSlot {
    fn drop(&mut self) {
        let mut t = self.table.table();
        if let Some(n) = t.get_mut(&self.key_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.remove(&self.key_id);
            }
        }
    }
}

/// A concurrency slot a request holds until it ends (`Leases::release`).
#[derive(Debug)]
pub enum Slot {
    Stored(Lease),
    Local(LocalSlot),
}

fn too_many(limit: u32) -> ApiError {
    ApiError::rate_limited(
        format!("Too many concurrent requests: at most {limit} in flight for this key"),
        1,
    )
}

impl Leases {
    /// Leases for requests served from `store`.
    pub fn for_store(store: &StoreRef) -> Self {
        if store.single_server() {
            Leases::Local(Arc::default())
        } else {
            Leases::Stored
        }
    }

    /// Take one of the key's `limit` slots, or 429.
    pub async fn acquire(
        &self,
        store: &StoreRef,
        key_id: &str,
        limit: u32,
        ttl_secs: i64,
        now: i64,
    ) -> Result<Slot, ApiError> {
        match self {
            Leases::Stored => acquire_lease(store, key_id, limit, ttl_secs, now)
                .await
                .map(Slot::Stored),
            Leases::Local(table) => {
                let mut t = table.table();
                let n = t.entry(key_id.to_owned()).or_insert(0);
                if *n >= limit {
                    if *n == 0 {
                        t.remove(key_id);
                    }
                    return Err(too_many(limit));
                }
                *n += 1;
                Ok(Slot::Local(LocalSlot {
                    table: Arc::clone(table),
                    key_id: key_id.to_owned(),
                }))
            }
        }
    }

    /// Free a slot.
    pub async fn release(store: &StoreRef, slot: Slot) {
        match slot {
            Slot::Stored(lease) => release_lease(store, &lease).await,
            Slot::Local(local) => drop(local),
        }
    }
}
