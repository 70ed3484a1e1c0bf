//! The scheduled `maintenance` job: monthly tier grants (at most once per account and month),
//! ending and billing browser sessions left open past their timeout, settling media jobs nobody
//! polled, and voiding holds left HELD past their deadline. Concurrency leases need no
//! sweeping: they are TTL items, invisible once expired.

use crate::accounts::{self, bucket};
use crate::error::ApiError;
use crate::metering;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;

/// What one run did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub accounts: usize,
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

/// Run every maintenance task once, as of `now`. Independent store calls run concurrently
/// (each is a DynamoDB round trip in AWS): the monthly grants beside the sweeps, the grants
/// 16 at a time. The sweeps stay in order (see below).
pub async fn run(state: &AppState, now: DateTime<Utc>) -> Result<Report, ApiError> {
    let store = &state.store;
    let month = now.format("%Y-%m").to_string();
    let grants = async {
        let ids = accounts::all_account_ids(store).await?;
        let n = ids.len();
        let outcomes: Vec<Result<Option<bool>, ApiError>> = stream::iter(ids)
            .map(|id| grant_month(state, id, &month))
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
        Ok::<_, ApiError>((n, applied, already))
    };
    // Sessions and jobs first: they settle their own holds; what is left HELD after that is
    // an abandoned request.
    let sweeps = async {
        let sessions = crate::http::browser::sweep_expired_sessions(state, now.timestamp()).await?;
        let jobs = crate::http::media::jobs::sweep_media_jobs(state, now.timestamp()).await?;
        let holds = metering::sweep_expired_holds(store, now.timestamp()).await?;
        Ok::<_, ApiError>((sessions, jobs, holds))
    };
    let (grants, sweeps) = tokio::join!(grants, sweeps);
    let (accounts, grants_applied, grants_already_applied) = grants?;
    let (browser_sessions_ended, media_jobs_swept, holds_voided) = sweeps?;
    let expired_items_purged = store.purge_expired(50_000).await.map_err(ApiError::from)?;
    Ok(Report {
        accounts,
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
async fn grant_month(state: &AppState, id: String, month: &str) -> Result<Option<bool>, ApiError> {
    let store = &state.store;
    let Some(acct) = accounts::get(store, &id).await? else {
        return Ok(None);
    };
    let amount = acct.tier.limits().monthly_credits;
    if amount.0 <= 0 {
        return Ok(None);
    }
    let reference = format!("monthly:{month}");
    let description = format!("{} plan credits for {month}", acct.tier.display_name());
    match accounts::grant(
        store,
        &id,
        amount,
        bucket::GRANTS,
        Some(&reference),
        Some(&description),
    )
    .await
    {
        Ok(_) => Ok(Some(true)),
        Err(e) if e.status.as_u16() == 409 => Ok(Some(false)),
        Err(e) => Err(e),
    }
}
