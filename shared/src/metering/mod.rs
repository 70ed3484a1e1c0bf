//! Metering: hold the maximum a request can cost before calling upstream, settle the actual
//! cost exactly once afterwards, and record usage and the generation — all in one transaction.
//!
//! HOLD: `available -= X, held += X` under `available >= X`, a HELD hold item, a ledger row
//! (available → held). SETTLE: the hold flips HELD → SETTLED under a condition (so only one
//! settlement can ever win), `held -= X`, `available += X - charge` with `charge = min(actual, X)`,
//! ledger rows (held → revenue, held → available), usage counters, the generation record and,
//! when the request carried an Idempotency-Key, the stored response. VOID = settle with 0.
//! Holds carry a deadline; the maintenance sweeper voids holds still HELD past it.

pub mod records;

use crate::accounts::{self, account_key, bucket};
use crate::error::ApiError;
use crate::idempotency::{self, ClaimToken, StoredResponse};
use crate::money::MicroCredits;
use crate::store::{Cond, GSI1PK, GSI1SK, Item, Key, StoreError, StoreRef, Table, TxOp, Update};
pub use records::{Generation, UsageDelta};

/// Shards of the "holds still HELD" index, so one hot partition never throttles DynamoDB.
pub const HELD_SHARDS: u32 = 8;

/// A hold on an account's credits.
#[derive(Clone, Debug)]
pub struct Hold {
    pub id: String,
    pub account_id: String,
    pub amount: MicroCredits,
}

fn hold_key(id: &str) -> Key {
    Key::new(format!("HOLD#{id}"), "H")
}

/// Take `amount` from `available` into `held`, or 402 if the balance cannot cover it.
/// `deadline_secs` after now the sweeper may void it.
pub async fn hold(
    store: &StoreRef,
    account_id: &str,
    amount: MicroCredits,
    reference: &str,
    deadline_secs: i64,
    now: i64,
) -> Result<Hold, ApiError> {
    let id = format!("hold_{}", uuid::Uuid::now_v7().simple());
    let amount = amount.max(MicroCredits::ZERO);
    let shard = rand::random::<u32>() % HELD_SHARDS;
    let deadline = now + deadline_secs;
    let item = Item::new(&hold_key(&id))
        .with("hold_id", id.as_str())
        .with("account_id", account_id)
        .with("amount", amount.0)
        .with("state", "HELD")
        .with("ref", reference)
        .with("created_at", now)
        .with("deadline", deadline)
        .with(GSI1PK, format!("HELD#{shard}"))
        .with(GSI1SK, crate::store::timed_sk(deadline, &id));
    let ops = vec![
        TxOp::Update {
            table: Table::Accounts,
            key: account_key(account_id),
            updates: vec![
                Update::add("available", -amount.0),
                Update::add("held", amount.0),
            ],
            cond: Some(Cond::And(vec![
                Cond::Exists,
                Cond::ge("available", amount.0),
            ])),
        },
        TxOp::Put {
            table: Table::Holds,
            item,
            cond: Some(Cond::NotExists),
        },
        accounts::ledger_put(
            account_id,
            "hold",
            bucket::AVAILABLE,
            bucket::HELD,
            amount,
            Some(&id),
            None,
        ),
    ];
    match store.transact(ops).await {
        Ok(()) => Ok(Hold {
            id,
            account_id: account_id.to_owned(),
            amount,
        }),
        Err(StoreError::TransactionCanceled { .. }) => Err(ApiError::payment_required()),
        Err(e) => Err(e.into()),
    }
}

/// What a settlement records besides the money.
pub struct Settlement<'a> {
    pub actual: MicroCredits,
    pub generation: Option<&'a Generation>,
    pub usage: Option<&'a UsageDelta>,
    pub idempotency: Option<(&'a ClaimToken, &'a StoredResponse)>,
}

/// Why a settlement did not apply.
#[derive(Debug, PartialEq, Eq)]
pub enum SettleOutcome {
    /// Applied; this is what was charged.
    Charged(MicroCredits),
    /// Someone (the sweeper, a retry) already settled or voided this hold; nothing changed.
    AlreadySettled,
}

/// Settle a hold: charge `min(actual, hold)`, return the rest, record everything. At most one
/// settlement of a hold ever applies.
pub async fn settle(
    store: &StoreRef,
    hold: &Hold,
    s: Settlement<'_>,
) -> Result<SettleOutcome, ApiError> {
    let charge = s.actual.max(MicroCredits::ZERO).min(hold.amount);
    let refund = hold.amount - charge;
    let now = crate::store::now_secs();
    let mut ops = vec![
        TxOp::Update {
            table: Table::Holds,
            key: hold_key(&hold.id),
            updates: vec![
                Update::set("state", if s.actual.0 > 0 { "SETTLED" } else { "VOIDED" }),
                Update::set("charged", charge.0),
                Update::set("settled_at", now),
                Update::remove(GSI1PK),
                Update::remove(GSI1SK),
            ],
            cond: Some(Cond::eq("state", "HELD")),
        },
        TxOp::Update {
            table: Table::Accounts,
            key: account_key(&hold.account_id),
            updates: vec![
                Update::add("held", -hold.amount.0),
                Update::add("available", refund.0),
            ],
            cond: None,
        },
    ];
    if charge.0 > 0 {
        ops.push(accounts::ledger_put(
            &hold.account_id,
            "settle",
            bucket::HELD,
            bucket::REVENUE,
            charge,
            Some(&hold.id),
            None,
        ));
    }
    if refund.0 > 0 {
        ops.push(accounts::ledger_put(
            &hold.account_id,
            "release",
            bucket::HELD,
            bucket::AVAILABLE,
            refund,
            Some(&hold.id),
            None,
        ));
    }
    if let Some(u) = s.usage {
        ops.extend(records::usage_ops(&hold.account_id, u, charge));
    }
    if let Some(g) = s.generation {
        ops.push(records::generation_put(g, charge));
    }
    if let Some((token, resp)) = s.idempotency {
        ops.push(idempotency::complete_op(token, resp));
    }
    match store.transact(ops).await {
        Ok(()) => Ok(SettleOutcome::Charged(charge)),
        Err(StoreError::TransactionCanceled { failed }) => {
            if failed.first().copied().unwrap_or(false) {
                // Not HELD: settled or voided already, unless the hold is not there at all
                // (its write was lost, `store::commit_later`). Then this request was never
                // paid for and must not be answered as if it were.
                match hold_state(store, &hold.id).await? {
                    Some(_) => Ok(SettleOutcome::AlreadySettled),
                    None => Err(ApiError::internal(format!(
                        "settlement of {}: the hold is missing",
                        hold.id
                    ))),
                }
            } else {
                Err(ApiError::internal(format!(
                    "settlement of {} cancelled: {failed:?}",
                    hold.id
                )))
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Release a whole hold (the request failed before costing anything).
pub async fn void(store: &StoreRef, hold: &Hold) -> Result<SettleOutcome, ApiError> {
    settle(
        store,
        hold,
        Settlement {
            actual: MicroCredits::ZERO,
            generation: None,
            usage: None,
            idempotency: None,
        },
    )
    .await
}

/// Void every hold whose deadline passed (the maintenance function). Returns how many.
pub async fn sweep_expired_holds(store: &StoreRef, now: i64) -> Result<usize, ApiError> {
    crate::store::sweep_due(
        store,
        Table::Holds,
        "HELD",
        HELD_SHARDS,
        now,
        200,
        |item| async move {
            let (Some(id), Some(acct), Some(amount)) =
                (item.s("hold_id"), item.s("account_id"), item.n("amount"))
            else {
                return Ok(false);
            };
            let h = Hold {
                id: id.to_owned(),
                account_id: acct.to_owned(),
                amount: MicroCredits(amount),
            };
            let voided = void(store, &h).await? == SettleOutcome::Charged(MicroCredits::ZERO);
            if voided {
                tracing::info!(hold = %h.id, "voided expired hold");
            }
            Ok(voided)
        },
    )
    .await
}

/// A hold's current state (`HELD`, `SETTLED`, `VOIDED`) and charged amount.
pub async fn hold_state(
    store: &StoreRef,
    hold_id: &str,
) -> Result<Option<(String, MicroCredits)>, ApiError> {
    Ok(store.get(Table::Holds, &hold_key(hold_id)).await?.map(|i| {
        (
            i.s("state").unwrap_or_default().to_owned(),
            MicroCredits(i.n("charged").unwrap_or(0)),
        )
    }))
}
