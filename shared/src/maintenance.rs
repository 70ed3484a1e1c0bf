//! The scheduled `maintenance` job: monthly tier grants (at most once per account and month),
//! ending and billing browser sessions left open past their timeout, settling media jobs nobody
//! polled, and voiding holds left HELD past their deadline. Concurrency leases need no
//! sweeping: they are TTL items, invisible once expired.

use crate::accounts::{self, bucket};
use crate::error::ApiError;
use crate::metering;
use crate::state::AppState;
use crate::store::{Item, Key, Table};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use std::collections::BTreeSet;

/// What one run did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Accounts considered for this month's grant: every registered account on the month's
    /// first (full) pass, afterwards only those created since.
    pub accounts: usize,
    /// True when this run read the whole account registry (no completed pass for this month).
    pub full_grant_pass: bool,
    pub grants_applied: usize,
    pub grants_already_applied: usize,
    pub browser_sessions_ended: usize,
    pub media_jobs_swept: usize,
    pub holds_voided: usize,
    /// Expired items physically removed (embedded store only; DynamoDB's TTL does it there).
    pub expired_items_purged: u64,
}

/// Accounts granted at once; each grant is one conditional transaction.
const GRANT_CONCURRENCY: usize = 16;

/// The item recording that `month`'s full grant pass finished: every account registered
/// before it started has the month's grant. Accounts created later are in the grant queue.
fn month_done_key(month: &str) -> Key {
    Key::new("MAINTENANCE", format!("GRANTS#{month}"))
}

/// Run every maintenance task once, as of `now`. Independent store calls run concurrently
/// (each is a DynamoDB round trip in AWS): the monthly grants beside the sweeps, the grants
/// 16 at a time, the shards of each sweep together.
///
/// Grants: the month's first run reads the whole registry and grants every account (each
/// grant is idempotent per account and month); when all succeeded it records the month as
/// done, and the month's later runs only grant the accounts queued by `accounts::create`.
/// That keeps an hourly run at a couple of store calls instead of three per account. A queued
/// account leaves the queue once its grant for the run's month is applied (or found applied),
/// so an account is either queued or was registered before some full pass of its month began.
pub async fn run(state: &AppState, now: DateTime<Utc>) -> Result<Report, ApiError> {
    let store = &state.store;
    let month = now.format("%Y-%m").to_string();
    let grants = async {
        let (done, queued) = tokio::try_join!(
            async {
                let marker = store.get(Table::Accounts, &month_done_key(&month)).await;
                Ok::<_, ApiError>(marker?.is_some())
            },
            accounts::queued_for_grant(store),
        )?;
        let mut ids: BTreeSet<String> = queued.iter().cloned().collect();
        if !done {
            ids.extend(accounts::all_account_ids(store).await?);
        }
        let queued: BTreeSet<String> = queued.into_iter().collect();
        let n = ids.len();
        let outcomes: Vec<Result<Option<bool>, ApiError>> = stream::iter(ids)
            .map(|id| {
                let dequeue = queued.contains(&id);
                let month = month.as_str();
                async move {
                    let outcome = grant_month(state, &id, month).await?;
                    if dequeue {
                        store
                            .delete(Table::Accounts, &accounts::grant_queue_key(&id), None)
                            .await?;
                    }
                    Ok(outcome)
                }
            })
            .buffer_unordered(GRANT_CONCURRENCY)
            .collect()
            .await;
        let (mut applied, mut already) = (0, 0);
        for o in outcomes {
            match o? {
                Some(true) => applied += 1,
                Some(false) => already += 1,
                None => {}
            }
        }
        if !done {
            let marker = Item::new(&month_done_key(&month))
                .with("accounts", n as i64)
                .with("finished_at", now.timestamp());
            store.put(Table::Accounts, marker, None).await?;
        }
        Ok::<_, ApiError>((n, !done, applied, already))
    };
    // Sessions and jobs first: they settle their own holds; what is left HELD after that is
    // an abandoned request.
    let sweeps = async {
        let t = now.timestamp();
        let (sessions, jobs) = tokio::try_join!(
            crate::http::browser::sweep_expired_sessions(state, t),
            crate::http::media::jobs::sweep_media_jobs(state, t),
        )?;
        let holds = metering::sweep_expired_holds(store, t).await?;
        Ok::<_, ApiError>((sessions, jobs, holds))
    };
    let (grants, sweeps) = tokio::join!(grants, sweeps);
    let (accounts, full_grant_pass, grants_applied, grants_already_applied) = grants?;
    let (browser_sessions_ended, media_jobs_swept, holds_voided) = sweeps?;
    let expired_items_purged = store.purge_expired(50_000).await.map_err(ApiError::from)?;
    Ok(Report {
        accounts,
        full_grant_pass,
        grants_applied,
        grants_already_applied,
        browser_sessions_ended,
        media_jobs_swept,
        holds_voided,
        expired_items_purged,
    })
}

/// Grant one account its tier's credits for `month`: Some(true) if granted now, Some(false)
/// if this month's grant was already applied, None if the account is gone or its tier has no
/// monthly credits.
async fn grant_month(state: &AppState, id: &str, month: &str) -> Result<Option<bool>, ApiError> {
    let store = &state.store;
    let Some(acct) = accounts::get(store, id).await? else {
        return Ok(None);
    };
    let amount = acct.tier.limits().monthly_credits;
    if amount.0 <= 0 {
        return Ok(None);
    }
    let reference = format!("monthly:{month}");
    let description = format!("{} plan credits for {month}", acct.tier.display_name());
    match accounts::apply_grant(
        store,
        id,
        amount,
        bucket::GRANTS,
        Some(&reference),
        Some(&description),
    )
    .await
    {
        Ok(()) => Ok(Some(true)),
        Err(e) if e.status.as_u16() == 409 => Ok(Some(false)),
        Err(e) => Err(e),
    }
}
