//! The embedded engine's write side: one connection, a queue of ops, and two ways to commit
//! them. Every op is queued; then its caller tries to take the connection and commit whatever
//! has queued (its own op and any others) in one transaction on its own thread
//! (`commit_inline`): flat combining, so an uncontended write costs no thread hand-off and
//! concurrent ones still share a commit. When the connection is busy, the writer thread is
//! woken and commits the queue instead (group commit under load; it may wait for another
//! process's write lock, which an async worker must not). Each op is all-or-nothing on its own;
//! a transaction op whose writes fail halfway (an I/O error, say) rolls back the whole batch,
//! and every op of it reports the error (`transact_pass`).
//!
//! Ops queued under `store::commit_later` may be answered once applied, before their
//! transaction commits: a batch of nothing but such ops leaves the transaction open, and the
//! caller has it committed in the background (`Inline::Open`). The next batch of any kind
//! joins that transaction and commits it, and the writer thread never leaves one open.

use super::sql;
use crate::store::{
    Cond, Item, Key, Page, Query, StoreError, StoreResult, Table, TxOp, Update, check, now_secs,
};
use rusqlite::Connection;
use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most ops committed in one SQLite transaction; bounds the latency one batch adds.
const MAX_BATCH: usize = 256;
/// Most ops an async worker commits inline; more are left to the writer thread, so a worker
/// is never held for long.
const MAX_INLINE_BATCH: usize = 64;

/// The write connection and the queue of ops waiting for it.
pub(super) struct Writer {
    conn: Mutex<Connection>,
    queue: Mutex<Vec<Job>>,
}

/// What `commit_inline` left behind.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Inline {
    /// Everything queued is committed (or was already).
    Done,
    /// The connection was busy, or more is queued than one inline batch: the writer thread
    /// must take over.
    Busy,
    /// Ops were applied and answered but their transaction is still open: commit it soon
    /// (`commit_inline(true)`).
    Open,
}

impl Writer {
    pub(super) fn new(conn: Connection) -> Self {
        Writer {
            conn: Mutex::new(conn),
            queue: Mutex::new(Vec::new()),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Vec<Job>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue an op; its result arrives on the returned receiver once committed, or once
    /// applied if `later` (the op runs under `store::commit_later`).
    pub(super) fn enqueue(&self, op: Op, later: bool) -> oneshot::Receiver<StoreResult<Out>> {
        let (reply, rx) = oneshot::channel();
        self.queue().push(Job { op, reply, later });
        rx
    }

    fn take(&self, max: usize) -> Vec<Job> {
        let mut q = self.queue();
        let n = q.len().min(max);
        q.drain(..n).collect()
    }

    /// Apply and commit queued ops now, on this thread, if the connection is free and no
    /// other process holds the file's write lock. Never waits. A batch of nothing but
    /// commit-later ops is applied and answered, and its transaction left open (`Open`),
    /// unless `close`, which also commits a transaction an earlier batch left open.
    pub(super) fn commit_inline(&self, close: bool) -> Inline {
        let conn = match self.conn.try_lock() {
            Ok(c) => c,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return Inline::Busy,
        };
        let mut batch = self.take(MAX_INLINE_BATCH);
        let open = !conn.is_autocommit();
        if batch.is_empty() {
            if open && close {
                commit_open(&conn);
            }
            return Inline::Done;
        }
        if !open {
            // Another process writing: no waiting here; the writer thread waits instead.
            if conn.busy_timeout(Duration::ZERO).is_err() {
                self.queue().splice(0..0, batch);
                return Inline::Busy;
            }
            let began = sql::exec(&conn, "BEGIN IMMEDIATE");
            let _ = conn.busy_timeout(sql::BUSY_TIMEOUT);
            if began.is_err() {
                self.queue().splice(0..0, batch);
                return Inline::Busy;
            }
        }
        let keep_open = !close && batch.iter().all(|j| j.later);
        finish_batch(&conn, &mut batch, !keep_open);
        if !self.queue().is_empty() {
            Inline::Busy
        } else if keep_open && !conn.is_autocommit() {
            Inline::Open
        } else {
            Inline::Done
        }
    }

    /// Run `f` on the write connection, waiting for any commit in progress; a transaction
    /// left open is committed first.
    pub(super) fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        let conn = self.lock_conn();
        commit_open(&conn);
        f(&conn)
    }

    fn lock_conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Commit the transaction a commit-later batch left open, if any. Its ops were answered
/// already; if the commit fails they are lost (see `store::commit_later` for what that means)
/// and the failure is logged.
fn commit_open(conn: &Connection) {
    if conn.is_autocommit() {
        return;
    }
    if let Err(e) = sql::exec(conn, "COMMIT") {
        let _ = sql::exec(conn, "ROLLBACK");
        tracing::error!(error = %e, "store: commit of applied writes failed; they are lost");
    }
}

/// A request to the writer thread.
pub(super) enum Op {
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
    Transact(Vec<TxOp>),
    /// Reads only come here for in-memory databases, which have no read pool.
    Get {
        table: Table,
        key: Key,
    },
    Query(Query),
    /// Delete these rows if they are expired (found by a scan outside the writer).
    Sweep(Vec<sql::RowKey>),
    /// Find expired rows (in-memory databases only).
    FindExpired {
        max: usize,
    },
}

/// What an op produced.
pub(super) enum Out {
    Done,
    Item(Option<Item>),
    Page(Page),
    Count(u64),
    Rows(Vec<sql::RowKey>),
}

/// An op plus where to send its result once its batch has committed.
pub(super) struct Job {
    pub op: Op,
    pub reply: oneshot::Sender<StoreResult<Out>>,
    /// Queued under `store::commit_later`: may be answered before its commit.
    pub later: bool,
}

/// The writer thread: each wake-up commits the queue until it is empty. It ends when the
/// engine (its `Committer`, the sender) is dropped.
pub(super) fn run(w: std::sync::Arc<Writer>, mut wake: mpsc::Receiver<()>) {
    while wake.blocking_recv().is_some() {
        let conn = w.lock_conn();
        loop {
            let mut batch = w.take(MAX_BATCH);
            if batch.is_empty() {
                break;
            }
            commit_batch(&conn, &mut batch);
        }
        // Woken to commit what an inline batch left open, or anyway: never leave it open.
        commit_open(&conn);
    }
}

fn commit_batch(conn: &Connection, batch: &mut Vec<Job>) {
    if !conn.is_autocommit() {
        // Joins the transaction a commit-later batch left open.
        finish_batch(conn, batch, true);
        return;
    }
    if let Err(e) = sql::exec(conn, "BEGIN IMMEDIATE") {
        let msg = format!("sqlite begin: {e}");
        for job in batch.drain(..) {
            let _ = job.reply.send(Err(StoreError::Backend(msg.clone())));
        }
        return;
    }
    finish_batch(conn, batch, true);
}

/// Apply each op of `batch` inside the transaction already begun, commit (unless not
/// `commit`: every op is commit-later), and reply to each.
fn finish_batch(conn: &Connection, batch: &mut Vec<Job>, commit: bool) {
    let now = now_secs();
    let mut results = Vec::with_capacity(batch.len());
    let mut lost = None;
    for job in batch.iter() {
        let r = execute(conn, &job.op, now);
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction; then the
        // ops before this one are gone too and must not be reported as done.
        if let Err(e) = &r
            && conn.is_autocommit()
        {
            lost = Some(format!("sqlite transaction rolled back: {e}"));
            break;
        }
        results.push(r);
    }
    let committed = match lost {
        Some(msg) => Err(msg),
        None if !commit => Ok(()),
        None => sql::exec(conn, "COMMIT").map_err(|e| {
            let _ = sql::exec(conn, "ROLLBACK");
            format!("sqlite commit: {e}")
        }),
    };
    match committed {
        Ok(()) => {
            for (job, r) in batch.drain(..).zip(results) {
                // A caller that stopped waiting is fine: its op is committed regardless.
                let _ = job.reply.send(r);
            }
        }
        Err(msg) => {
            for job in batch.drain(..) {
                let _ = job.reply.send(Err(StoreError::Backend(msg.clone())));
            }
        }
    }
}

fn execute(conn: &Connection, op: &Op, now: i64) -> StoreResult<Out> {
    match op {
        Op::Put { table, item, cond } => {
            put(conn, *table, item, cond.as_ref(), now).map(|()| Out::Done)
        }
        Op::Update {
            table,
            key,
            updates,
            cond,
        } => update(conn, *table, key, updates, cond.as_ref(), now).map(|i| Out::Item(Some(i))),
        Op::Delete { table, key, cond } => {
            delete(conn, *table, key, cond.as_ref(), now).map(|()| Out::Done)
        }
        Op::Transact(ops) => transact(conn, ops, now).map(|()| Out::Done),
        Op::Get { table, key } => {
            let item = sql::load(conn, *table, key)?.filter(|i| !i.is_expired(now));
            Ok(Out::Item(item))
        }
        Op::Query(q) => sql::query(conn, q, now).map(Out::Page),
        Op::Sweep(rows) => sql::sweep(conn, now, rows).map(Out::Count),
        Op::FindExpired { max } => sql::expired(conn, now, *max).map(Out::Rows),
    }
}

fn holds(cond: Option<&Cond>, current: Option<&Item>, now: i64) -> bool {
    cond.is_none_or(|c| c.eval(current, now))
}

fn put(conn: &Connection, t: Table, item: &Item, cond: Option<&Cond>, now: i64) -> StoreResult<()> {
    let key = check::item(item)?;
    if matches!(cond, Some(Cond::NotExists)) && sql::insert_new(conn, t, &key, item)? {
        return Ok(());
    }
    // Unconditional, or a row has the key (perhaps expired, which `NotExists` allows).
    if cond.is_some() {
        let cur = sql::load_row(conn, t, &key)?;
        if !holds(cond, cur.as_ref().map(|r| &r.item), now) {
            return Err(StoreError::ConditionFailed);
        }
        if let Some(row) = &cur {
            return sql::rewrite(conn, row.rowid, &sql::index_entry(&row.item), item);
        }
    }
    sql::store(conn, t, &key, item)
}

/// The item after `updates`, checked like a put.
fn updated(cur: Option<Item>, key: &Key, updates: &[Update]) -> StoreResult<Item> {
    let mut item = cur.unwrap_or_else(|| Item::new(key));
    for u in updates {
        if let Update::Add(n, d) = u {
            check::add_fits(&item, n, *d)?;
        }
        u.apply(&mut item);
    }
    check::item(&item)?;
    Ok(item)
}

fn update(
    conn: &Connection,
    t: Table,
    key: &Key,
    updates: &[Update],
    cond: Option<&Cond>,
    now: i64,
) -> StoreResult<Item> {
    let cur = sql::load_row(conn, t, key)?;
    if !holds(cond, cur.as_ref().map(|r| &r.item), now) {
        return Err(StoreError::ConditionFailed);
    }
    let at = cur.as_ref().map(|r| (r.rowid, sql::index_entry(&r.item)));
    let item = updated(cur.map(|r| r.item), key, updates)?;
    match &at {
        Some((rowid, entry)) => sql::rewrite(conn, *rowid, entry, &item)?,
        None => sql::store(conn, t, key, &item)?,
    }
    Ok(item)
}

fn delete(
    conn: &Connection,
    t: Table,
    key: &Key,
    cond: Option<&Cond>,
    now: i64,
) -> StoreResult<()> {
    if cond.is_none() {
        return sql::remove(conn, t, key);
    }
    let cur = sql::load_row(conn, t, key)?;
    if !holds(cond, cur.as_ref().map(|r| &r.item), now) {
        return Err(StoreError::ConditionFailed);
    }
    match &cur {
        Some(row) => sql::remove_row(conn, row.rowid),
        None => Ok(()),
    }
}

enum Write<'a> {
    /// A put under `NotExists` whose row was not read: insert it only if the key is free.
    Insert(Table, Key, &'a Item),
    /// A whole item for a row that was not read or is absent.
    Store(Table, Key, Cow<'a, Item>),
    /// A new item for a row read in this pass: its rowid and index entry as read.
    Rewrite(i64, Option<(String, String)>, Cow<'a, Item>),
    /// A delete whose row was not read.
    Remove(Table, &'a Key),
    /// A delete of a row read in this pass.
    RemoveRow(i64),
}

/// Why one pass of `transact_pass` did not apply.
enum TxFail {
    Store(StoreError),
    /// Some row was not read but must be: a put taken for new (`Write::Insert`) found its
    /// key taken, or another condition failed and `failed` must report every op. Nothing was
    /// written.
    ReadAll,
}

impl From<StoreError> for TxFail {
    fn from(e: StoreError) -> Self {
        TxFail::Store(e)
    }
}

fn transact(conn: &Connection, ops: &[TxOp], now: i64) -> StoreResult<()> {
    // First assume that puts under `NotExists` have fresh keys (generated ids: hold, ledger
    // rows, generation) and skip reading them; if one is taken after all, or the transaction
    // is cancelled anyway, that pass wrote nothing and a second pass reads and checks every
    // row. Same outcome, fewer reads.
    match transact_pass(conn, ops, now, true) {
        Ok(()) => Ok(()),
        Err(TxFail::Store(e)) => Err(e),
        Err(TxFail::ReadAll) => match transact_pass(conn, ops, now, false) {
            Ok(()) => Ok(()),
            Err(TxFail::Store(e)) => Err(e),
            Err(TxFail::ReadAll) => Err(StoreError::Backend(
                "store: a put found its key taken after reading it absent".into(),
            )),
        },
    }
}

fn transact_pass(conn: &Connection, ops: &[TxOp], now: i64, fresh: bool) -> Result<(), TxFail> {
    // Every condition is evaluated (not just up to the first failure) so `failed` is complete,
    // as DynamoDB's CancellationReasons are.
    let mut failed = vec![false; ops.len()];
    let mut currents = Vec::with_capacity(ops.len());
    let mut unread = vec![false; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        let (t, key, cond) = match op {
            TxOp::Put { table, item, cond } => {
                let key = item
                    .key()
                    .ok_or_else(|| StoreError::Invalid("item needs pk and sk".into()))?;
                (*table, Cow::Owned(key), cond.as_ref())
            }
            TxOp::Update {
                table, key, cond, ..
            }
            | TxOp::Delete { table, key, cond } => (*table, Cow::Borrowed(key), cond.as_ref()),
            TxOp::Check { table, key, cond } => (*table, Cow::Borrowed(key), Some(cond)),
        };
        let cur = match (cond, op) {
            (None, TxOp::Put { .. } | TxOp::Delete { .. }) => None,
            (Some(Cond::NotExists), TxOp::Put { .. }) if fresh => {
                unread[i] = true;
                None
            }
            _ => sql::load_row(conn, t, &key)?,
        };
        failed[i] = !holds(cond, cur.as_ref().map(|r| &r.item), now);
        currents.push(cur);
    }
    if failed.iter().any(|f| *f) {
        if unread.iter().any(|u| *u) {
            return Err(TxFail::ReadAll);
        }
        return Err(StoreError::TransactionCanceled { failed }.into());
    }
    // Compute every new item before writing any, so a validation error writes nothing.
    let mut writes = Vec::with_capacity(ops.len());
    for ((op, cur), unread) in ops.iter().zip(currents).zip(unread) {
        match op {
            TxOp::Put { table, item, .. } => {
                let key = check::item(item)?;
                writes.push(match (unread, cur) {
                    (true, _) => Write::Insert(*table, key, item),
                    (false, Some(row)) => {
                        Write::Rewrite(row.rowid, sql::index_entry(&row.item), Cow::Borrowed(item))
                    }
                    (false, None) => Write::Store(*table, key, Cow::Borrowed(item)),
                });
            }
            TxOp::Update {
                table,
                key,
                updates,
                ..
            } => writes.push(match cur {
                Some(row) => {
                    let entry = sql::index_entry(&row.item);
                    let item = updated(Some(row.item), key, updates)?;
                    Write::Rewrite(row.rowid, entry, Cow::Owned(item))
                }
                None => Write::Store(
                    *table,
                    key.clone(),
                    Cow::Owned(updated(None, key, updates)?),
                ),
            }),
            TxOp::Delete { table, key, cond } => match (cond, cur) {
                (None, _) => writes.push(Write::Remove(*table, key)),
                (Some(_), Some(row)) => writes.push(Write::RemoveRow(row.rowid)),
                // Absent already, and the condition allows that.
                (Some(_), None) => {}
            },
            TxOp::Check { .. } => {}
        }
    }
    // All or nothing without a savepoint (which costs two statements and a copy of every page
    // the op touches that the batch had already changed): the inserts go first, and a key
    // found taken there, the one outcome that is not an error, undoes the inserts before it
    // by key; after that, or on any error, the whole SQLite transaction is rolled back, which
    // `finish_batch` sees and reports for every op of the batch (nothing of it is committed).
    let (inserts, rest): (Vec<_>, Vec<_>) =
        writes.iter().partition(|w| matches!(w, Write::Insert(..)));
    let mut inserted: Vec<(Table, &Key)> = Vec::with_capacity(inserts.len());
    for w in inserts {
        let Write::Insert(t, key, item) = w else {
            continue;
        };
        match sql::insert_new(conn, *t, key, item) {
            Ok(true) => inserted.push((*t, key)),
            Ok(false) => {
                for (t, key) in inserted {
                    if let Err(e) = sql::remove(conn, t, key) {
                        abandon(conn);
                        return Err(e.into());
                    }
                }
                return Err(TxFail::ReadAll);
            }
            Err(e) => {
                abandon(conn);
                return Err(e.into());
            }
        }
    }
    let r = rest.into_iter().try_for_each(|w| match w {
        Write::Insert(..) => Ok(()),
        Write::Store(t, key, item) => sql::store(conn, *t, key, item),
        Write::Rewrite(rowid, entry, item) => sql::rewrite(conn, *rowid, entry, item),
        Write::Remove(t, key) => sql::remove(conn, *t, key),
        Write::RemoveRow(rowid) => sql::remove_row(conn, *rowid),
    });
    if let Err(e) = r {
        abandon(conn);
        return Err(e.into());
    }
    Ok(())
}

/// Roll back the whole open transaction after a write failed halfway through a transaction
/// op, so no part of it can be committed. `finish_batch` then finds the connection in
/// autocommit and fails every op of the batch.
fn abandon(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(e) = sql::exec(conn, "ROLLBACK")
    {
        tracing::error!(error = %e, "store: rollback after a failed write failed");
    }
}
