//! Browser session records and their billing: a session holds its maximum (the timeout's
//! minutes × 2 credits) when created and is billed once, when it ends — 2 credits per started
//! minute, at least one — whether the caller ends it, Browserbase reports it over, or the
//! maintenance sweep finds it past its timeout.
//!
//! Records live in the holds table under their own partition (`BSESSION#<id>`, sort key `S`);
//! open sessions are indexed on `gsi1` (`BSESSION_OPEN#<shard>`, sorted by the time they must
//! have ended) for the sweep.

use crate::catalog::services::{browser_billed_minutes, browser_cost};
use crate::config::Upstream;
use crate::error::ApiError;
use crate::http::tools::metered::{self, Meta};
use crate::metering::{self, Hold, SettleOutcome, Settlement};
use crate::money::MicroCredits;
use crate::providers::browserbase::{self, Browserbase, Session};
use crate::state::AppState;
use crate::store::{Cond, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, StoreError, Table, Update};
use serde_json::{Value, json};

/// Session records are kept this long.
pub const RECORD_TTL_SECS: i64 = 30 * 86_400;
/// A session's hold outlives its timeout by this much, so the session sweep bills it before
/// the hold sweep could void it.
pub const HOLD_GRACE_SECS: i64 = 2 * 3600;
const OPEN_SHARDS: u32 = 4;

pub(crate) fn key(id: &str) -> Key {
    Key::new(format!("BSESSION#{id}"), "S")
}

/// The Browserbase client, or 503 when this gateway has no key.
pub(crate) fn client(state: &AppState) -> Result<Browserbase<'_>, ApiError> {
    let key = state
        .config
        .provider_key(Upstream::Browserbase)
        .ok_or_else(|| {
            ApiError::unavailable(
                "Browserbase is not configured on this gateway (BROWSERBASE_API_KEY is not set)",
            )
        })?;
    Ok(Browserbase {
        http: &state.http,
        origin: state.config.upstream_origin(Upstream::Browserbase),
        key: key.expose(),
        project_id: state.config.browserbase_project_id.as_deref(),
    })
}

/// What a new record needs.
pub(crate) struct NewRecord<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub key_id: &'a str,
    pub generation_id: &'a str,
    pub hold: &'a Hold,
    pub bb: &'a Session,
    pub proxy: bool,
    pub timeout_secs: u32,
    pub now: i64,
}

/// The store item of a new open session.
pub(crate) fn new_item(r: &NewRecord<'_>) -> Item {
    let ends_by = r.now + r.timeout_secs as i64;
    let shard = rand::random::<u32>() % OPEN_SHARDS;
    let mut item = Item::new(&key(r.id))
        .with("session_id", r.id)
        .with("account_id", r.account_id)
        .with("key_id", r.key_id)
        .with("generation_id", r.generation_id)
        .with("bb_id", r.bb.id.as_str())
        .with("hold_id", r.hold.id.as_str())
        .with("hold_amount", r.hold.amount.0)
        .with("state", "open")
        .with("proxy", r.proxy)
        .with("timeout_secs", r.timeout_secs as i64)
        .with("created_ms", r.now * 1000)
        .with("ends_by", ends_by)
        .with(GSI1PK, format!("BSESSION_OPEN#{shard}"))
        .with(GSI1SK, crate::store::timed_sk(ends_by, r.id))
        .with(EXPIRES_AT, r.now + RECORD_TTL_SECS);
    if let Some(region) = &r.bb.region {
        item.set("region", region.as_str());
    }
    item
}

fn s<'a>(item: &'a Item, k: &str) -> &'a str {
    item.s(k).unwrap_or_default()
}

/// Billable milliseconds: Browserbase's own start and end when it reports them (the clock it
/// bills us on), else our creation time and `now_ms`; never beyond the timeout.
pub fn billed_ms(item: &Item, bb: Option<&Session>, now_ms: i64) -> u64 {
    let timeout_ms = item.n("timeout_secs").unwrap_or(0) * 1000;
    let start = bb
        .and_then(|b| b.started_at_ms)
        .unwrap_or(item.n("created_ms").unwrap_or(now_ms));
    let end = bb
        .filter(|b| b.ended())
        .and_then(|b| b.ended_at_ms)
        .unwrap_or(now_ms);
    (end - start).clamp(0, timeout_ms.max(0)) as u64
}

/// Bill a session that ended and mark it closed. Exactly one settlement of its hold applies;
/// a concurrent close that got there first is returned instead.
pub(crate) async fn close(
    state: &AppState,
    item: Item,
    bb: Option<&Session>,
    now_ms: i64,
) -> Result<Item, ApiError> {
    let ms = billed_ms(&item, bb, now_ms);
    let minutes = browser_billed_minutes(ms);
    let hold = Hold {
        id: s(&item, "hold_id").to_owned(),
        account_id: s(&item, "account_id").to_owned(),
        amount: MicroCredits(item.n("hold_amount").unwrap_or(0)),
    };
    let meta = Meta {
        service: "browser",
        provider: "browserbase",
        units: minutes,
        ..Meta::default()
    };
    let record = metered::generation(
        s(&item, "generation_id"),
        &hold.account_id,
        s(&item, "key_id"),
        &meta,
        ms,
        "completed",
    );
    let usage = metered::usage(&meta);
    let settlement = Settlement {
        actual: browser_cost(ms),
        generation: Some(&record),
        usage: Some(&usage),
        idempotency: None,
    };
    let charged = match metering::settle(&state.store, &hold, settlement).await? {
        SettleOutcome::Charged(c) => c,
        SettleOutcome::AlreadySettled => metering::hold_state(&state.store, &hold.id)
            .await?
            .map_or(MicroCredits::ZERO, |(_, c)| c),
    };
    let status = bb.map_or("COMPLETED", |b| {
        if b.status == "RUNNING" {
            "COMPLETED"
        } else {
            b.status.as_str()
        }
    });
    let updates = [
        Update::set("state", "closed"),
        Update::set("bb_status", status),
        Update::set("closed_ms", now_ms),
        Update::set("duration_ms", ms as i64),
        Update::set("billed_minutes", minutes as i64),
        Update::set("charged", charged.0),
        Update::remove(GSI1PK),
        Update::remove(GSI1SK),
    ];
    let k = key(s(&item, "session_id"));
    match state
        .store
        .update(Table::Holds, &k, &updates, Some(Cond::eq("state", "open")))
        .await
    {
        Ok(i) => Ok(i),
        Err(StoreError::ConditionFailed) => {
            Ok(state.store.get(Table::Holds, &k).await?.unwrap_or(item))
        }
        Err(e) => Err(e.into()),
    }
}

/// The client's view of a session; `live_status` is Browserbase's word for an open one.
pub(crate) fn view(item: &Item, live_status: Option<&str>, connect_url: Option<&str>) -> Value {
    let open = s(item, "state") == "open";
    let status = if open {
        live_status.unwrap_or("RUNNING")
    } else {
        item.s("bb_status").unwrap_or("COMPLETED")
    };
    let mut v = json!({
        "id": s(item, "session_id"),
        "object": "browser.session",
        "status": status,
        "proxy": item.bool("proxy").unwrap_or(false),
        "timeout": item.n("timeout_secs").unwrap_or(0),
        "created_at": item.n("created_ms").unwrap_or(0) / 1000,
        "expires_at": item.n("ends_by").unwrap_or(0),
        "max_cost": MicroCredits(item.n("hold_amount").unwrap_or(0)).to_credits_json(),
    });
    if let Some(u) = connect_url {
        v["connect_url"] = json!(u);
    }
    if let Some(r) = item.s("region") {
        v["region"] = json!(r);
    }
    if !open {
        v["ended_at"] = json!(item.n("closed_ms").unwrap_or(0) / 1000);
        v["duration_ms"] = json!(item.n("duration_ms").unwrap_or(0));
        v["billed_minutes"] = json!(item.n("billed_minutes").unwrap_or(0));
        v["cost"] = MicroCredits(item.n("charged").unwrap_or(0)).to_credits_json();
    }
    v
}

/// Maintenance: end and bill every session still open past its timeout (Browserbase has
/// ended it by then; it is asked to release it anyway). Returns how many were billed.
pub async fn sweep_expired_sessions(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let bb = client(state).ok();
    let bb = &bb;
    crate::store::sweep_due(
        &state.store,
        Table::Holds,
        "BSESSION_OPEN",
        OPEN_SHARDS,
        now,
        100,
        |item| async move {
            let released = match bb {
                Some(c) => match c.release(s(&item, "bb_id")).await {
                    Ok(sess) => sess,
                    Err(e) => {
                        tracing::warn!(error = %e, "release at Browserbase failed; billing to the timeout");
                        None
                    }
                },
                None => None,
            };
            let id = s(&item, "session_id").to_owned();
            match close(state, item, released.as_ref(), now * 1000).await {
                Ok(_) => {
                    tracing::info!(session = %id, "billed expired browser session");
                    Ok(true)
                }
                Err(e) => {
                    tracing::error!(session = %id, error = %e, "billing expired session failed; next run retries");
                    Ok(false)
                }
            }
        },
    )
    .await
}

/// Bounds on the `timeout` a caller may ask for (Browserbase's own range).
pub fn timeout_range() -> std::ops::RangeInclusive<u32> {
    browserbase::MIN_TIMEOUT_SECS..=browserbase::MAX_TIMEOUT_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(created_ms: i64, timeout: i64) -> Item {
        Item::new(&key("x"))
            .with("created_ms", created_ms)
            .with("timeout_secs", timeout)
    }

    fn bb(start: Option<i64>, end: Option<i64>) -> Session {
        Session {
            id: "b".into(),
            status: "COMPLETED".into(),
            connect_url: None,
            started_at_ms: start,
            ended_at_ms: end,
            expires_at_ms: None,
            region: None,
        }
    }

    #[test]
    fn billable_time_prefers_provider_clock_and_caps_at_timeout() {
        let it = item(1_000_000, 300);
        assert_eq!(
            billed_ms(&it, Some(&bb(Some(5_000), Some(66_000))), 9_999_999),
            61_000
        );
        assert_eq!(billed_ms(&it, Some(&bb(Some(5_000), None)), 35_000), 30_000);
        let mut running = bb(Some(5_000), Some(6_000));
        running.status = "RUNNING".into();
        assert_eq!(billed_ms(&it, Some(&running), 125_000), 120_000);
        assert_eq!(billed_ms(&it, None, 1_090_000), 90_000);
        assert_eq!(billed_ms(&it, None, 99_000_000), 300_000);
        assert_eq!(billed_ms(&it, None, 0), 0);
        assert_eq!(browser_billed_minutes(billed_ms(&it, None, 1_000_500)), 1);
    }
}
