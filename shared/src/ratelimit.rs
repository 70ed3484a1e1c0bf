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

/// Count one request against the minute and day windows. Each window is one conditional
/// increment (`count < limit`), so under any overload exactly `limit` requests pass a window.
/// The two run concurrently (one round trip); a request refused by one window still counts in
/// the other if that one admitted it.
pub async fn admit(
    store: &StoreRef,
    key_id: &str,
    limits: Limits,
    now: i64,
) -> Result<RateInfo, ApiError> {
    let minute = now.div_euclid(60);
    let day = now.div_euclid(86_400);
    let pk = format!("RL#{key_id}");
    let minute_reset = ((minute + 1) * 60 - now) as u64;
    let day_reset = ((day + 1) * 86_400 - now) as u64;
    let window = |sk: String, limit: u32, expires: i64| {
        let key = Key::new(pk.clone(), sk);
        async move {
            store
                .update(
                    Table::RateLimits,
                    &key,
                    &[
                        Update::add("count", 1),
                        Update::set_if_absent(crate::store::EXPIRES_AT, expires),
                    ],
                    Some(Cond::Or(vec![
                        Cond::AttrNotExists("count".into()),
                        Cond::lt("count", limit as i64),
                    ])),
                )
                .await
        }
    };
    let (m, d) = tokio::join!(
        window(format!("M#{minute}"), limits.per_minute, (minute + 2) * 60),
        window(format!("D#{day}"), limits.per_day, (day + 2) * 86_400),
    );
    let refused = |limit: u32, what: &str, reset: u64, used: Option<i64>| {
        with_rate_headers(
            ApiError::rate_limited(
                format!("Rate limit exceeded: {limit} requests per {what}"),
                reset,
            ),
            RateInfo {
                limit: limits.per_minute,
                remaining: used.map_or(0, |u| (limits.per_minute as i64 - u).max(0) as u32),
                reset_secs: minute_reset,
            },
        )
    };
    let used_minute = match m {
        Ok(item) => item.n("count").unwrap_or(1),
        Err(StoreError::ConditionFailed) => {
            return Err(refused(limits.per_minute, "minute", minute_reset, None));
        }
        Err(e) => return Err(e.into()),
    };
    match d {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => {
            return Err(refused(limits.per_day, "day", day_reset, Some(used_minute)));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(RateInfo {
        limit: limits.per_minute,
        remaining: (limits.per_minute as i64 - used_minute).max(0) as u32,
        reset_secs: minute_reset,
    })
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
