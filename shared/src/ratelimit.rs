//! Per-key rate limits: minute and day window counters (exact: a conditional increment each)
//! and concurrency leases (slot items with a TTL, so a slot held by a function that died frees
//! itself when the lease expires).

use crate::auth::Principal;
use crate::error::ApiError;
use crate::store::{Cond, Item, Key, StoreError, StoreRef, Table, Update};

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
    Err(ApiError::rate_limited(
        format!("Too many concurrent requests: at most {limit} in flight for this key"),
        1,
    ))
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
