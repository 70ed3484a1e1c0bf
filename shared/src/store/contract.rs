//! The store contract: behaviour every engine must show, as checks a test can run against
//! any [`StoreRef`]. Each check works under its own random partition-key prefix, so checks may
//! run concurrently and on shared tables. Checks return `Err(description)` instead of
//! panicking, so one run reports every broken rule.

use super::{StoreError, StoreRef, StoreResult};
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

/// Return `Err(message)` from a check when a condition does not hold.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

mod basic;
mod query;
mod tx;

pub use basic::{
    conditions, delete_if, failed_update_changes_nothing, invalid_requests, put_if_absent,
    round_trip, set_if_absent_and_remove, update_add_creates,
};
pub use query::{expired_items, query_gsi1, query_pages, query_ranges};
pub use tx::{
    concurrent_decrements, concurrent_holds, index_follows_updates, transact_applies_all,
    transact_cancels_all, transact_limits, transact_taken_key,
};

/// A check's outcome: `Err` describes what the engine got wrong.
pub type CheckResult = Result<(), String>;
/// A boxed check future.
pub type CheckFuture = Pin<Box<dyn Future<Output = CheckResult> + Send>>;
/// A check, callable through a plain function pointer.
pub type Check = fn(StoreRef) -> CheckFuture;

/// Every check with its name, in a stable order.
pub const CHECKS: &[(&str, Check)] = &[
    ("round_trip", |s| Box::pin(round_trip(s))),
    ("put_if_absent", |s| Box::pin(put_if_absent(s))),
    ("update_add_creates", |s| Box::pin(update_add_creates(s))),
    ("failed_update_changes_nothing", |s| {
        Box::pin(failed_update_changes_nothing(s))
    }),
    ("conditions", |s| Box::pin(conditions(s))),
    ("set_if_absent_and_remove", |s| {
        Box::pin(set_if_absent_and_remove(s))
    }),
    ("delete_if", |s| Box::pin(delete_if(s))),
    ("invalid_requests", |s| Box::pin(invalid_requests(s))),
    ("transact_applies_all", |s| {
        Box::pin(transact_applies_all(s))
    }),
    ("transact_cancels_all", |s| {
        Box::pin(transact_cancels_all(s))
    }),
    ("transact_taken_key", |s| Box::pin(transact_taken_key(s))),
    ("index_follows_updates", |s| {
        Box::pin(index_follows_updates(s))
    }),
    ("transact_limits", |s| Box::pin(transact_limits(s))),
    ("concurrent_decrements", |s| {
        Box::pin(concurrent_decrements(s))
    }),
    ("concurrent_holds", |s| Box::pin(concurrent_holds(s))),
    ("query_ranges", |s| Box::pin(query_ranges(s))),
    ("query_pages", |s| Box::pin(query_pages(s))),
    ("query_gsi1", |s| Box::pin(query_gsi1(s))),
    ("expired_items", |s| Box::pin(expired_items(s))),
];

/// Run every check concurrently; `Err` lists each failed check with its reason.
pub async fn run_all(store: StoreRef) -> CheckResult {
    let handles: Vec<_> = CHECKS
        .iter()
        .map(|(name, check)| (*name, tokio::spawn(check(store.clone()))))
        .collect();
    let mut failures = Vec::new();
    for (name, handle) in handles {
        match handle.await {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => failures.push(format!("{name}: {msg}")),
            Err(e) => failures.push(format!("{name}: task failed: {e}")),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// A partition-key prefix no other check (or run) uses.
fn scope(check: &str) -> String {
    format!("ct-{check}-{}", uuid::Uuid::new_v4().simple())
}

/// The value of a store call that must succeed.
fn ok<T>(r: StoreResult<T>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: unexpected error: {e}"))
}

fn expect_condition_failed<T: Debug>(r: StoreResult<T>, what: &str) -> CheckResult {
    match r {
        Err(StoreError::ConditionFailed) => Ok(()),
        other => Err(format!("{what}: expected ConditionFailed, got {other:?}")),
    }
}

fn expect_invalid<T: Debug>(r: StoreResult<T>, what: &str) -> CheckResult {
    match r {
        Err(StoreError::Invalid(_)) => Ok(()),
        other => Err(format!("{what}: expected Invalid, got {other:?}")),
    }
}

fn expect_canceled<T: Debug>(r: StoreResult<T>, want: &[bool], what: &str) -> CheckResult {
    match r {
        Err(StoreError::TransactionCanceled { failed }) if failed == want => Ok(()),
        other => Err(format!(
            "{what}: expected TransactionCanceled {{ failed: {want:?} }}, got {other:?}"
        )),
    }
}
