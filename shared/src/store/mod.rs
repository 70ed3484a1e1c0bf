//! The item-store port: the one storage interface every protocol (keys, holds, ledger,
//! idempotency, rate limits, usage) is written against, and the two engines behind it.
//!
//! The model is DynamoDB's, cut down to what the protocols need, with typed conditions and
//! updates instead of expression strings:
//! - every table has a string partition key `pk` and a string sort key `sk`;
//! - a table may carry one secondary index (`gsi1pk`, `gsi1sk`, both strings);
//! - `expires_at` (epoch seconds) is the TTL attribute. Expired items are *physically present*
//!   until a sweeper or DynamoDB removes them, but they are invisible: `get` and `query` skip
//!   them, and the `Exists` / `NotExists` conditions treat them as absent. Nothing relies on
//!   TTL deletion happening (DynamoDB deletes late, moto never).
//!
//! Engines: [`embedded::EmbeddedEngine`] (SQLite file, several processes may share it) and
//! [`dynamo::DynamoEngine`] (aws-sdk-dynamodb, the only module that names SDK types).

mod check;
pub mod contract;
pub mod dynamo;
#[cfg(feature = "embedded")]
pub mod embedded;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Name of the partition-key attribute on every table.
pub const PK: &str = "pk";
/// Name of the sort-key attribute on every table.
pub const SK: &str = "sk";
/// Partition key of the one secondary index a table may have.
pub const GSI1PK: &str = "gsi1pk";
/// Sort key of the one secondary index a table may have.
pub const GSI1SK: &str = "gsi1sk";
/// TTL attribute (epoch seconds).
pub const EXPIRES_AT: &str = "expires_at";

/// The tables of ARCHITECTURE §4. One per concern so each function's IAM names only its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Table {
    Accounts,
    Keys,
    Ledger,
    Holds,
    Usage,
    Generations,
    Idempotency,
    RateLimits,
    Devices,
    Vectors,
}

impl Table {
    /// Every table, in a stable order.
    pub const ALL: [Table; 10] = [
        Table::Accounts,
        Table::Keys,
        Table::Ledger,
        Table::Holds,
        Table::Usage,
        Table::Generations,
        Table::Idempotency,
        Table::RateLimits,
        Table::Devices,
        Table::Vectors,
    ];

    /// Logical name; the physical name is `<prefix><name>` (see `TableNames`).
    pub fn name(self) -> &'static str {
        match self {
            Table::Accounts => "accounts",
            Table::Keys => "keys",
            Table::Ledger => "ledger",
            Table::Holds => "holds",
            Table::Usage => "usage",
            Table::Generations => "generations",
            Table::Idempotency => "idempotency",
            Table::RateLimits => "ratelimits",
            Table::Devices => "devices",
            Table::Vectors => "vectors",
        }
    }

    /// Whether the table has the `gsi1` secondary index.
    pub fn has_gsi1(self) -> bool {
        matches!(self, Table::Keys | Table::Holds | Table::Devices)
    }
}

/// Physical table names for the DynamoDB engine: `<prefix><logical name>` per table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableNames {
    names: [String; Table::ALL.len()],
}

impl TableNames {
    /// Names such as `hexaclaw-dev-accounts` for the prefix `hexaclaw-dev-`.
    pub fn with_prefix(prefix: &str) -> Self {
        TableNames {
            names: Table::ALL.map(|t| format!("{prefix}{}", t.name())),
        }
    }

    /// The physical name of `table`.
    pub fn get(&self, table: Table) -> &str {
        // `Table::ALL` lists the variants in declaration order, so the discriminant indexes it.
        &self.names[table as usize]
    }
}

/// An attribute value. Numbers are integers: money is micro-credits, times are epoch seconds
/// or milliseconds. Structured data is stored as a JSON string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attr {
    S(String),
    N(i64),
    Bool(bool),
    /// Raw bytes (stored responses, vectors).
    B(Vec<u8>),
}

impl From<&str> for Attr {
    fn from(v: &str) -> Self {
        Attr::S(v.to_owned())
    }
}
impl From<String> for Attr {
    fn from(v: String) -> Self {
        Attr::S(v)
    }
}
impl From<i64> for Attr {
    fn from(v: i64) -> Self {
        Attr::N(v)
    }
}
impl From<bool> for Attr {
    fn from(v: bool) -> Self {
        Attr::Bool(v)
    }
}
impl From<Vec<u8>> for Attr {
    fn from(v: Vec<u8>) -> Self {
        Attr::B(v)
    }
}

/// A whole item: attribute name → value. Always contains `pk` and `sk`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item(pub BTreeMap<String, Attr>);

impl Item {
    /// A new item with its primary key set.
    pub fn new(key: &Key) -> Self {
        let mut m = BTreeMap::new();
        m.insert(PK.to_owned(), Attr::S(key.pk.clone()));
        m.insert(SK.to_owned(), Attr::S(key.sk.clone()));
        Item(m)
    }

    /// Builder-style attribute setter.
    pub fn with(mut self, name: &str, v: impl Into<Attr>) -> Self {
        self.0.insert(name.to_owned(), v.into());
        self
    }

    pub fn set(&mut self, name: &str, v: impl Into<Attr>) {
        self.0.insert(name.to_owned(), v.into());
    }

    pub fn get(&self, name: &str) -> Option<&Attr> {
        self.0.get(name)
    }

    pub fn s(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Attr::S(s)) => Some(s),
            _ => None,
        }
    }

    pub fn n(&self, name: &str) -> Option<i64> {
        match self.0.get(name) {
            Some(Attr::N(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.0.get(name) {
            Some(Attr::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn b(&self, name: &str) -> Option<&[u8]> {
        match self.0.get(name) {
            Some(Attr::B(b)) => Some(b),
            _ => None,
        }
    }

    /// The item's primary key, if both parts are present.
    pub fn key(&self) -> Option<Key> {
        Some(Key::new(self.s(PK)?, self.s(SK)?))
    }

    /// Whether the item's TTL has passed at `now` (epoch seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        matches!(self.n(EXPIRES_AT), Some(t) if t <= now)
    }
}

/// Primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// A typed condition, evaluated atomically with the write it guards.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// The item exists and is not expired.
    Exists,
    /// The item does not exist, or exists but is expired.
    NotExists,
    /// Attribute equals value (absent attribute: false).
    Eq(String, Attr),
    /// Attribute differs from value (absent attribute: true).
    Ne(String, Attr),
    /// Numeric attribute >= value (absent: false).
    Ge(String, i64),
    /// Numeric attribute <= value (absent: false).
    Le(String, i64),
    /// Numeric attribute < value (absent: false).
    Lt(String, i64),
    /// Numeric attribute > value (absent: false).
    Gt(String, i64),
    /// Attribute is present.
    AttrExists(String),
    /// Attribute is absent.
    AttrNotExists(String),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    pub fn eq(name: &str, v: impl Into<Attr>) -> Self {
        Cond::Eq(name.to_owned(), v.into())
    }
    pub fn ge(name: &str, v: i64) -> Self {
        Cond::Ge(name.to_owned(), v)
    }
    pub fn le(name: &str, v: i64) -> Self {
        Cond::Le(name.to_owned(), v)
    }
    pub fn lt(name: &str, v: i64) -> Self {
        Cond::Lt(name.to_owned(), v)
    }

    /// Evaluate against the current item (None = absent). `now` is epoch seconds. Used by the
    /// embedded engine and by unit tests; the DynamoDB engine translates instead.
    pub fn eval(&self, item: Option<&Item>, now: i64) -> bool {
        let live = item.filter(|i| !i.is_expired(now));
        match self {
            Cond::Exists => live.is_some(),
            Cond::NotExists => live.is_none(),
            Cond::Eq(n, v) => item.and_then(|i| i.get(n)) == Some(v),
            Cond::Ne(n, v) => item.and_then(|i| i.get(n)) != Some(v),
            Cond::Ge(n, v) => item.and_then(|i| i.n(n)).is_some_and(|x| x >= *v),
            Cond::Le(n, v) => item.and_then(|i| i.n(n)).is_some_and(|x| x <= *v),
            Cond::Lt(n, v) => item.and_then(|i| i.n(n)).is_some_and(|x| x < *v),
            Cond::Gt(n, v) => item.and_then(|i| i.n(n)).is_some_and(|x| x > *v),
            Cond::AttrExists(n) => item.is_some_and(|i| i.get(n).is_some()),
            Cond::AttrNotExists(n) => item.is_none_or(|i| i.get(n).is_none()),
            Cond::And(cs) => cs.iter().all(|c| c.eval(item, now)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(item, now)),
        }
    }
}

/// A typed update action on one attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// Set the attribute.
    Set(String, Attr),
    /// Set the attribute only if it is absent (DynamoDB `if_not_exists`).
    SetIfAbsent(String, Attr),
    /// Add to a numeric attribute; an absent attribute counts as 0 (DynamoDB `ADD`).
    Add(String, i64),
    /// Remove the attribute.
    Remove(String),
}

impl Update {
    pub fn set(name: &str, v: impl Into<Attr>) -> Self {
        Update::Set(name.to_owned(), v.into())
    }
    pub fn add(name: &str, v: i64) -> Self {
        Update::Add(name.to_owned(), v)
    }
    pub fn set_if_absent(name: &str, v: impl Into<Attr>) -> Self {
        Update::SetIfAbsent(name.to_owned(), v.into())
    }
    pub fn remove(name: &str) -> Self {
        Update::Remove(name.to_owned())
    }

    /// Apply to an item in memory (embedded engine, tests).
    pub fn apply(&self, item: &mut Item) {
        match self {
            Update::Set(n, v) => {
                item.0.insert(n.clone(), v.clone());
            }
            Update::SetIfAbsent(n, v) => {
                item.0.entry(n.clone()).or_insert_with(|| v.clone());
            }
            Update::Add(n, d) => {
                // Saturating: a plain `+` would panic in debug builds; engines reject overflow
                // before applying (see `check::add_fits`).
                let cur = item.n(n).unwrap_or(0);
                item.0.insert(n.clone(), Attr::N(cur.saturating_add(*d)));
            }
            Update::Remove(n) => {
                item.0.remove(n);
            }
        }
    }
}

/// One write inside a transaction.
#[derive(Clone, Debug)]
pub enum TxOp {
    Put {
        table: Table,
        item: Item,
        cond: Option<Cond>,
    },
    Update {
        table: Table,
        key: Key,
        updates: Vec<Update>,
        cond: Option<Cond>,
    },
    Delete {
        table: Table,
        key: Key,
        cond: Option<Cond>,
    },
    /// A condition on an item that the transaction does not write.
    Check { table: Table, key: Key, cond: Cond },
}

/// Which key range a query reads within one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkRange {
    All,
    Prefix(String),
    /// Inclusive on both ends.
    Between(String, String),
}

/// A query: one partition of a table or of its `gsi1` index, in sort-key order.
#[derive(Clone, Debug)]
pub struct Query {
    pub table: Table,
    /// Query the `gsi1` index instead of the table's primary key.
    pub gsi1: bool,
    pub pk: String,
    pub sk: SkRange,
    /// Maximum items returned in this page (1..=1000).
    pub limit: usize,
    /// Opaque cursor from a previous page's `next`.
    pub cursor: Option<String>,
    /// Ascending sort-key order when true.
    pub forward: bool,
}

/// A GSI1 sort key that orders items by a time (seconds, zero-padded so lexical order is time
/// order) and then `id`: what the maintenance sweeps query with `Query::gsi1_until`.
pub fn timed_sk(secs: i64, id: &str) -> String {
    format!("{secs:012}#{id}")
}

/// Visit every item due by `now` in the time-ordered GSI1 partitions `{prefix}#0` ..
/// `{prefix}#{shards - 1}` of `table` (items written with a `timed_sk` GSI1 sort key), oldest
/// first within a shard. The shards are read concurrently, so a sweep costs one round trip per
/// page of its fullest shard rather than one per shard in a row; within a shard, pages and
/// their items are taken one after another. `visit` says whether an item counted; the total is
/// returned. The maintenance sweeps (holds, browser sessions, media jobs) are built on this.
pub async fn sweep_due<E, F, Fut>(
    store: &StoreRef,
    table: Table,
    prefix: &str,
    shards: u32,
    now: i64,
    page_size: usize,
    visit: F,
) -> Result<usize, E>
where
    E: From<StoreError>,
    F: Fn(Item) -> Fut,
    Fut: std::future::Future<Output = Result<bool, E>>,
{
    let visit = &visit;
    let per_shard = (0..shards).map(|shard| async move {
        let mut counted = 0;
        let mut cursor = None;
        loop {
            let page = store
                .query(
                    Query::new(table, format!("{prefix}#{shard}"))
                        .gsi1_until(now)
                        .limit(page_size)
                        .cursor(cursor),
                )
                .await?;
            for item in page.items {
                if visit(item).await? {
                    counted += 1;
                }
            }
            match page.next {
                Some(c) => cursor = Some(c),
                None => return Ok::<usize, E>(counted),
            }
        }
    });
    futures_util::future::join_all(per_shard)
        .await
        .into_iter()
        .sum()
}

impl Query {
    pub fn new(table: Table, pk: impl Into<String>) -> Self {
        Query {
            table,
            gsi1: false,
            pk: pk.into(),
            sk: SkRange::All,
            limit: 100,
            cursor: None,
            forward: true,
        }
    }
    pub fn gsi1(mut self) -> Self {
        self.gsi1 = true;
        self
    }
    /// On GSI1, the items whose `timed_sk` time is at or before `secs` (oldest first).
    pub fn gsi1_until(self, secs: i64) -> Self {
        self.gsi1().between("0", format!("{secs:012}#~"))
    }
    pub fn prefix(mut self, p: impl Into<String>) -> Self {
        self.sk = SkRange::Prefix(p.into());
        self
    }
    pub fn between(mut self, a: impl Into<String>, b: impl Into<String>) -> Self {
        self.sk = SkRange::Between(a.into(), b.into());
        self
    }
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = n;
        self
    }
    pub fn cursor(mut self, c: Option<String>) -> Self {
        self.cursor = c;
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
}

/// One page of query results. Expired items are skipped, so a page may hold fewer than
/// `limit` items while `next` is still set; callers loop on `next`, not on the count.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<String>,
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A single-item write's condition was false; nothing was written.
    #[error("condition failed")]
    ConditionFailed,
    /// A transaction was cancelled; nothing was applied. `failed[i]` is true for each op whose
    /// condition failed (DynamoDB's CancellationReasons).
    #[error("transaction cancelled")]
    TransactionCanceled { failed: Vec<bool> },
    /// The request was malformed (bad cursor, too many ops, missing key attribute).
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// Anything else: I/O, network, throttling after retries.
    #[error("store backend error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The port. Both engines pass one contract suite (`tests/tests/store_contract.rs`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Read one item; expired items are absent.
    async fn get(&self, table: Table, key: &Key) -> StoreResult<Option<Item>>;

    /// Write a whole item (replacing any existing one) if `cond` holds.
    async fn put(&self, table: Table, item: Item, cond: Option<Cond>) -> StoreResult<()>;

    /// Apply `updates` to the item (creating it if absent) if `cond` holds; returns the item
    /// as it is after the update.
    async fn update(
        &self,
        table: Table,
        key: &Key,
        updates: &[Update],
        cond: Option<Cond>,
    ) -> StoreResult<Item>;

    /// Delete the item if `cond` holds (deleting an absent item succeeds).
    async fn delete(&self, table: Table, key: &Key, cond: Option<Cond>) -> StoreResult<()>;

    /// All-or-nothing write of up to 100 ops on distinct items.
    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()>;

    /// One page of a partition, in sort-key order.
    async fn query(&self, q: Query) -> StoreResult<Page>;

    /// Physically remove up to `max` items whose TTL passed (they are already invisible).
    /// DynamoDB does this itself, so the default does nothing; the embedded engine overrides it
    /// so a long-running local gateway's file does not grow for ever.
    async fn purge_expired(&self, _max: usize) -> StoreResult<u64> {
        Ok(0)
    }

    /// Whether only one process serves requests from this store, so what requests only
    /// coordinate while they run (concurrency leases) may live in that process instead. True
    /// for the embedded engine: `hexaclaw gateway run` locks its data directory, and the other
    /// processes that open the file (`hexaclaw admin`) serve no requests.
    fn single_server(&self) -> bool {
        false
    }
}

/// A shared handle to whichever engine is configured.
pub type StoreRef = Arc<dyn Store>;

tokio::task_local! {
    static COMMIT_LATER: ();
}

/// If `later`, run `writes` with their commit taken off the caller's path: each write's
/// result, a failed condition included, is final when it returns, but the embedded engine
/// commits it a moment later in the background (or with whichever commit comes first)
/// instead of before returning. For the pre-call writes of a request alone in flight (rate
/// window, lease, idempotency claim, hold), whose commit then overlaps the upstream call;
/// under concurrency their commit is shared with other requests' writes anyway. Every later
/// write of this process commits after them, so a settlement that commits proves they did.
///
/// What a crash in between loses: those writes, as if the request had never started (its
/// hold never taken, its lease never held, its rate-window count and idempotency claim
/// never made), while its upstream call may already be under way. It was not answered and
/// is not charged; a settled hold would have been voided by the sweeper instead.
/// DynamoDB's writes are durable when they return, so that engine ignores this.
pub async fn commit_later<F: std::future::Future>(later: bool, writes: F) -> F::Output {
    if !later {
        return writes.await;
    }
    COMMIT_LATER.scope((), writes).await
}

/// Whether the current task runs inside [`commit_later`].
pub(crate) fn commit_is_deferred() -> bool {
    COMMIT_LATER.try_with(|_| ()).is_ok()
}

/// Commits what an engine has queued; registered by a write inside a [`wave`].
pub(crate) trait Flush: Send + Sync {
    fn flush(&self);
}

/// The flush a wave's writes have asked for.
#[derive(Default)]
struct Wave {
    flush: std::cell::Cell<Option<Arc<dyn Flush>>>,
}

tokio::task_local! {
    static WAVE: Wave;
}

/// Run `writes`, several store writes issued together (a `join!`), as one wave: each write
/// only queues its op, and once all of them wait, the wave commits the queue in one go and
/// carries on. Outside a wave, the embedded engine's writes gather by yielding to the
/// scheduler instead, which costs a round trip through it but lets every other ready task
/// queue its writes into the same commit: what a busy gateway wants. So `alone` (nothing
/// else is likely to write now) picks the wave, and otherwise the writes gather as usual.
/// DynamoDB's writes are plain calls either way.
pub async fn wave<F: std::future::Future>(alone: bool, writes: F) -> F::Output {
    if !alone {
        return writes.await;
    }
    WAVE.scope(Wave::default(), async move {
        let mut writes = std::pin::pin!(writes);
        std::future::poll_fn(|cx| {
            loop {
                if let std::task::Poll::Ready(v) = writes.as_mut().poll(cx) {
                    return std::task::Poll::Ready(v);
                }
                // Pending: every write of the wave has queued its op (or waits on something
                // else, which registered a waker). Commit, then poll the writes again.
                match WAVE.with(|w| w.flush.take()) {
                    Some(f) => f.flush(),
                    None => return std::task::Poll::Pending,
                }
            }
        })
        .await
    })
    .await
}

/// Inside a [`wave`], ask it to run `flush` once all its writes wait, and return the future
/// to await before the op's result: it is pending exactly once, without a waker, because the
/// wave polls again right after flushing. `None` outside a wave.
pub(crate) fn flush_in_wave(flush: &Arc<dyn Flush>) -> Option<FlushedByWave> {
    WAVE.try_with(|w| w.flush.set(Some(Arc::clone(flush))))
        .ok()
        .map(|()| FlushedByWave(false))
}

/// See [`flush_in_wave`]. Must only be awaited inside the wave that will flush.
pub(crate) struct FlushedByWave(bool);

impl std::future::Future for FlushedByWave {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            // No waker: the enclosing wave re-polls after it flushes.
            self.0 = true;
            std::task::Poll::Pending
        }
    }
}

/// Current time in epoch seconds, the clock for TTL checks.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}
