//! Accounts (tier, balance) and the double-entry credit ledger.
//!
//! Balance lives on the account item as two integer buckets, `available` and `held`
//! (micro-credits). Every movement is one ledger row recording a transfer *from* one bucket
//! *to* another (`system:grants` → `available`, `available` → `held`, `held` → `system:revenue`,
//! `held` → `available`), written in the same transaction as the balance change. So each row is
//! both legs of a double entry, and for any account: sum(rows into `available`) − sum(rows out
//! of it) = `available`, and likewise for `held` (checked by `verify_ledger`).

use crate::catalog::Tier;
use crate::error::ApiError;
use crate::money::MicroCredits;
use crate::store::{Cond, Item, Key, Query, StoreError, StoreRef, Table, TxOp, Update};
use serde::Serialize;

/// Ledger bucket names.
pub mod bucket {
    pub const AVAILABLE: &str = "available";
    pub const HELD: &str = "held";
    pub const GRANTS: &str = "system:grants";
    pub const PURCHASES: &str = "system:purchases";
    pub const REVENUE: &str = "system:revenue";
}

/// Store key of an account.
pub fn account_key(account_id: &str) -> Key {
    Key::new(format!("ACCT#{account_id}"), "A")
}

/// Accounts are listed in this many registry partitions.
pub const REGISTRY_SHARDS: u32 = 8;

fn registry_key(account_id: &str) -> Key {
    let shard = account_id
        .bytes()
        .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(b as u32))
        % REGISTRY_SHARDS;
    Key::new(format!("ACCOUNTS#{shard}"), account_id)
}

/// Partition of accounts created since their month's grant pass: `create` adds one item per
/// new account (sort key: the account id) in the same transaction as the account, and the
/// maintenance function grants each and deletes its item. So once a month's full registry
/// pass is done, later runs that month read this one partition instead of every account.
pub const GRANT_QUEUE_PK: &str = "GRANTS_DUE";

/// The queue item of a new account (see `GRANT_QUEUE_PK`).
pub fn grant_queue_key(account_id: &str) -> Key {
    Key::new(GRANT_QUEUE_PK, account_id)
}

/// Every account id waiting in the grant queue.
pub async fn queued_for_grant(store: &StoreRef) -> Result<Vec<String>, ApiError> {
    account_ids_in(store, GRANT_QUEUE_PK.to_owned()).await
}

/// Every account id (for the maintenance function). The registry shards are read
/// concurrently: one round trip per page of the largest shard, not one per shard in a row.
pub async fn all_account_ids(store: &StoreRef) -> Result<Vec<String>, ApiError> {
    let per_shard =
        (0..REGISTRY_SHARDS).map(|shard| account_ids_in(store, format!("ACCOUNTS#{shard}")));
    let shards = futures_util::future::try_join_all(per_shard).await?;
    Ok(shards.concat())
}

/// The `account_id` of every item in one Accounts partition (the registry shards and the
/// grant queue), page by page.
async fn account_ids_in(store: &StoreRef, pk: String) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .query(
                Query::new(Table::Accounts, pk.as_str())
                    .limit(1000)
                    .cursor(cursor),
            )
            .await?;
        out.extend(
            page.items
                .iter()
                .filter_map(|i| i.s("account_id").map(str::to_owned)),
        );
        match page.next {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

fn email_key(email: &str) -> Key {
    Key::new(format!("EMAIL#{}", email.to_ascii_lowercase()), "A")
}

/// An account as read from the store.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    pub id: String,
    pub email: Option<String>,
    pub tier: Tier,
    pub available: MicroCredits,
    pub held: MicroCredits,
    pub created_at: i64,
}

impl Account {
    fn from_item(item: &Item) -> Option<Account> {
        Some(Account {
            id: item.s("account_id")?.to_owned(),
            email: item.s("email").map(str::to_owned),
            tier: item.s("tier")?.parse().ok()?,
            available: MicroCredits(item.n("available").unwrap_or(0)),
            held: MicroCredits(item.n("held").unwrap_or(0)),
            created_at: item.n("created_at").unwrap_or(0),
        })
    }
}

/// A new random account id.
pub fn new_account_id() -> String {
    format!("acct_{}", crate::auth::apikey::random_base62(16))
}

/// Create an account. `email`, when given, must be unique (409 otherwise).
pub async fn create(
    store: &StoreRef,
    email: Option<&str>,
    tier: Tier,
    firebase_uid: Option<&str>,
) -> Result<Account, ApiError> {
    let id = new_account_id();
    let now = crate::store::now_secs();
    let mut item = Item::new(&account_key(&id))
        .with("account_id", id.as_str())
        .with("tier", tier.id())
        .with("available", 0)
        .with("held", 0)
        .with("created_at", now);
    if let Some(e) = email {
        item.set("email", e);
    }
    if let Some(uid) = firebase_uid {
        item.set("firebase_uid", uid);
    }
    let mut ops = vec![
        TxOp::Put {
            table: Table::Accounts,
            item,
            cond: Some(Cond::NotExists),
        },
        // Registry entry so the maintenance function can enumerate accounts without a scan.
        TxOp::Put {
            table: Table::Accounts,
            item: Item::new(&registry_key(&id)).with("account_id", id.as_str()),
            cond: None,
        },
        // Queued for its first monthly grant (the next maintenance run).
        TxOp::Put {
            table: Table::Accounts,
            item: Item::new(&grant_queue_key(&id)).with("account_id", id.as_str()),
            cond: None,
        },
    ];
    if let Some(e) = email {
        ops.push(TxOp::Put {
            table: Table::Accounts,
            item: Item::new(&email_key(e)).with("account_id", id.as_str()),
            cond: Some(Cond::NotExists),
        });
    }
    match store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. }) => {
            return Err(ApiError::conflict(
                "An account with this email already exists",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Account {
        id,
        email: email.map(str::to_owned),
        tier,
        available: MicroCredits::ZERO,
        held: MicroCredits::ZERO,
        created_at: now,
    })
}

/// Read an account.
pub async fn get(store: &StoreRef, account_id: &str) -> Result<Option<Account>, ApiError> {
    Ok(store
        .get(Table::Accounts, &account_key(account_id))
        .await?
        .as_ref()
        .and_then(Account::from_item))
}

/// One ledger row (both legs of a transfer).
#[derive(Clone, Debug, Serialize)]
pub struct LedgerEntry {
    pub id: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub amount: MicroCredits,
    pub reference: Option<String>,
    pub description: Option<String>,
    pub at_ms: i64,
}

/// Build the ledger row put for a transfer (used inside the caller's transaction).
pub fn ledger_put(
    account_id: &str,
    kind: &str,
    from: &str,
    to: &str,
    amount: MicroCredits,
    reference: Option<&str>,
    description: Option<&str>,
) -> TxOp {
    let at_ms = chrono::Utc::now().timestamp_millis();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let mut item = Item::new(&Key::new(
        format!("ACCT#{account_id}"),
        format!("{at_ms:013}#{id}"),
    ))
    .with("entry_id", format!("le_{id}"))
    .with("kind", kind)
    .with("from", from)
    .with("to", to)
    .with("amount", amount.0)
    .with("at_ms", at_ms);
    if let Some(r) = reference {
        item.set("ref", r);
    }
    if let Some(d) = description {
        item.set("description", d);
    }
    TxOp::Put {
        table: Table::Ledger,
        item,
        cond: Some(Cond::NotExists),
    }
}

/// Grant credits to an account (admin, monthly tier grant, purchase): balance + ledger row,
/// atomically. `reference` makes the grant idempotent when given (e.g. `grant:2026-12`).
pub async fn grant(
    store: &StoreRef,
    account_id: &str,
    amount: MicroCredits,
    source: &str,
    reference: Option<&str>,
    description: Option<&str>,
) -> Result<Account, ApiError> {
    apply_grant(store, account_id, amount, source, reference, description).await?;
    get(store, account_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No account '{account_id}'")))
}

/// `grant` without reading the account back (one store call fewer, for the maintenance run).
pub async fn apply_grant(
    store: &StoreRef,
    account_id: &str,
    amount: MicroCredits,
    source: &str,
    reference: Option<&str>,
    description: Option<&str>,
) -> Result<(), ApiError> {
    if amount.0 <= 0 {
        return Err(ApiError::bad_request("Grant amount must be positive"));
    }
    let mut ops = vec![
        TxOp::Update {
            table: Table::Accounts,
            key: account_key(account_id),
            updates: vec![Update::add("available", amount.0)],
            cond: Some(Cond::Exists),
        },
        ledger_put(
            account_id,
            "grant",
            source,
            bucket::AVAILABLE,
            amount,
            reference,
            description,
        ),
    ];
    if let Some(r) = reference {
        // A marker item makes a referenced grant happen at most once.
        ops.push(TxOp::Put {
            table: Table::Accounts,
            item: Item::new(&Key::new(
                format!("ACCT#{account_id}"),
                format!("GRANT#{r}"),
            ))
            .with("amount", amount.0),
            cond: Some(Cond::NotExists),
        });
    }
    match store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { failed }) => {
            if failed.first().copied().unwrap_or(false) {
                return Err(ApiError::not_found(format!("No account '{account_id}'")));
            }
            return Err(ApiError::conflict("This grant was already applied"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Change an account's tier.
pub async fn set_tier(store: &StoreRef, account_id: &str, tier: Tier) -> Result<(), ApiError> {
    match store
        .update(
            Table::Accounts,
            &account_key(account_id),
            &[Update::set("tier", tier.id())],
            Some(Cond::Exists),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::ConditionFailed) => {
            Err(ApiError::not_found(format!("No account '{account_id}'")))
        }
        Err(e) => Err(e.into()),
    }
}

/// One page of an account's ledger, newest first.
pub async fn ledger_page(
    store: &StoreRef,
    account_id: &str,
    limit: usize,
    cursor: Option<String>,
) -> Result<(Vec<LedgerEntry>, Option<String>), ApiError> {
    let page = store
        .query(
            Query::new(Table::Ledger, format!("ACCT#{account_id}"))
                .limit(limit)
                .cursor(cursor)
                .backward(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(_) => ApiError::bad_request("Invalid cursor"),
            e => ApiError::from(e),
        })?;
    let entries = page
        .items
        .iter()
        .filter_map(|i| {
            Some(LedgerEntry {
                id: i.s("entry_id")?.to_owned(),
                kind: i.s("kind")?.to_owned(),
                from: i.s("from")?.to_owned(),
                to: i.s("to")?.to_owned(),
                amount: MicroCredits(i.n("amount")?),
                reference: i.s("ref").map(str::to_owned),
                description: i.s("description").map(str::to_owned),
                at_ms: i.n("at_ms")?,
            })
        })
        .collect();
    Ok((entries, page.next))
}

/// Check the ledger invariant for one account: replaying every row gives exactly the stored
/// `available` and `held`, and neither is negative. Returns the replayed (available, held).
pub async fn verify_ledger(
    store: &StoreRef,
    account_id: &str,
) -> Result<(MicroCredits, MicroCredits), String> {
    let acct = get(store, account_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no such account")?;
    let (mut avail, mut held) = (0i64, 0i64);
    let mut cursor = None;
    loop {
        let page = store
            .query(
                Query::new(Table::Ledger, format!("ACCT#{account_id}"))
                    .limit(1000)
                    .cursor(cursor),
            )
            .await
            .map_err(|e| e.to_string())?;
        for i in &page.items {
            let amt = i.n("amount").unwrap_or(0);
            for (name, sign) in [(i.s("from"), -1), (i.s("to"), 1)] {
                match name {
                    Some(bucket::AVAILABLE) => avail += sign * amt,
                    Some(bucket::HELD) => held += sign * amt,
                    _ => {}
                }
            }
        }
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    if avail != acct.available.0 || held != acct.held.0 {
        return Err(format!(
            "ledger replays to available={avail} held={held}, account has available={} held={}",
            acct.available.0, acct.held.0
        ));
    }
    if avail < 0 || held < 0 {
        return Err(format!("negative balance: available={avail} held={held}"));
    }
    Ok((MicroCredits(avail), MicroCredits(held)))
}

/// Result of `audit`: the ledger replay plus counts that must agree for a healthy account.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    pub available: MicroCredits,
    pub held: MicroCredits,
    /// Ledger rows per kind (`grant`, `hold`, `settle`, `release`).
    pub rows: std::collections::BTreeMap<String, u64>,
    /// Distinct holds that were taken, and how many of them have been settled or released.
    pub holds: u64,
    pub holds_closed: u64,
    /// Sum of per-service usage counters (requests recorded at settlement).
    pub usage_requests: i64,
}

/// Replay the ledger (failing if it disagrees with the balance) and count holds, closings
/// and recorded requests: every hold must be closed exactly once and counted once.
pub async fn audit(store: &StoreRef, account_id: &str) -> Result<Audit, String> {
    let (available, held) = verify_ledger(store, account_id).await?;
    let mut rows = std::collections::BTreeMap::new();
    let mut taken = std::collections::BTreeSet::new();
    let mut closed = std::collections::BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = store
            .query(
                Query::new(Table::Ledger, format!("ACCT#{account_id}"))
                    .limit(1000)
                    .cursor(cursor),
            )
            .await
            .map_err(|e| e.to_string())?;
        for i in &page.items {
            let kind = i.s("kind").unwrap_or_default().to_owned();
            *rows.entry(kind.clone()).or_insert(0) += 1;
            if let Some(r) = i.s("ref") {
                match kind.as_str() {
                    "hold" => {
                        taken.insert(r.to_owned());
                    }
                    "settle" | "release" => {
                        closed.insert(r.to_owned());
                    }
                    _ => {}
                }
            }
        }
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut usage_requests = 0;
    let mut cursor = None;
    loop {
        let page = store
            .query(
                Query::new(Table::Usage, format!("USAGE#{account_id}"))
                    .prefix("S#")
                    .limit(1000)
                    .cursor(cursor),
            )
            .await
            .map_err(|e| e.to_string())?;
        usage_requests += page
            .items
            .iter()
            .filter_map(|i| i.n("requests"))
            .sum::<i64>();
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(Audit {
        available,
        held,
        rows,
        holds: taken.len() as u64,
        holds_closed: closed.len() as u64,
        usage_requests,
    })
}
