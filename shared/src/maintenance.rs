//! The scheduled `maintenance` job: monthly tier grants (at most once per account and month),
//! ending and billing browser sessions left open past their timeout, settling media jobs nobody
//! polled, and voiding holds left HELD past their deadline. Concurrency leases need no
//! sweeping: they are TTL items, invisible once expired.

use crate::accounts::{self, bucket};
use crate::error::ApiError;
use crate::metering;
use crate::state::AppState;
use chrono::{DateTime, Utc};
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

/// Run every maintenance task once, as of `now`.
pub async fn run(state: &AppState, now: DateTime<Utc>) -> Result<Report, ApiError> {
    let store = &state.store;
    let mut report = Report::default();
    let month = now.format("%Y-%m").to_string();
    let ids = accounts::all_account_ids(store).await?;
    report.accounts = ids.len();
    for id in ids {
        let Some(acct) = accounts::get(store, &id).await? else {
            continue;
        };
        let amount = acct.tier.limits().monthly_credits;
        if amount.0 <= 0 {
            continue;
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
            Ok(_) => report.grants_applied += 1,
            Err(e) if e.status.as_u16() == 409 => report.grants_already_applied += 1,
            Err(e) => return Err(e),
        }
    }
    // Sessions and jobs first: they settle their own holds; what is left HELD after that is
    // an abandoned request.
    report.browser_sessions_ended =
        crate::http::browser::sweep_expired_sessions(state, now.timestamp()).await?;
    report.media_jobs_swept =
        crate::http::media::jobs::sweep_media_jobs(state, now.timestamp()).await?;
    report.holds_voided = metering::sweep_expired_holds(store, now.timestamp()).await?;
    report.expired_items_purged = store.purge_expired(50_000).await.map_err(ApiError::from)?;
    Ok(report)
}
