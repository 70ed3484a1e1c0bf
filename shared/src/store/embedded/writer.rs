//! The embedded engine's single writer thread: it owns the write connection and commits
//! queued operations in batches (group commit), each op still all-or-nothing on its own.

use super::sql::{self, backend};
use crate::store::{
    Cond, Item, Key, Page, Query, StoreError, StoreResult, Table, TxOp, Update, check, now_secs,
};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

/// Most ops committed in one SQLite transaction; bounds the latency one batch adds.
const MAX_BATCH: usize = 256;

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
}

/// Run the writer loop until every sender is gone.
pub(super) fn run(conn: Connection, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(job) = rx.blocking_recv() {
        batch.push(job);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&conn, &mut batch);
    }
}

fn commit_batch(conn: &Connection, batch: &mut Vec<Job>) {
    let now = now_secs();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let msg = format!("sqlite begin: {e}");
        for job in batch.drain(..) {
            let _ = job.reply.send(Err(StoreError::Backend(msg.clone())));
        }
        return;
    }
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
        None => conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
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
    if cond.is_some() {
        let cur = sql::load(conn, t, &key)?;
        if !holds(cond, cur.as_ref(), now) {
            return Err(StoreError::ConditionFailed);
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
    let cur = sql::load(conn, t, key)?;
    if !holds(cond, cur.as_ref(), now) {
        return Err(StoreError::ConditionFailed);
    }
    let item = updated(cur, key, updates)?;
    sql::store(conn, t, key, &item)?;
    Ok(item)
}

fn delete(
    conn: &Connection,
    t: Table,
    key: &Key,
    cond: Option<&Cond>,
    now: i64,
) -> StoreResult<()> {
    if cond.is_some() {
        let cur = sql::load(conn, t, key)?;
        if !holds(cond, cur.as_ref(), now) {
            return Err(StoreError::ConditionFailed);
        }
    }
    sql::remove(conn, t, key)
}

enum Write<'a> {
    Store(Table, Key, Item),
    Remove(Table, &'a Key),
}

fn transact(conn: &Connection, ops: &[TxOp], now: i64) -> StoreResult<()> {
    // Every condition is evaluated (not just up to the first failure) so `failed` is complete,
    // as DynamoDB's CancellationReasons are.
    let mut failed = vec![false; ops.len()];
    let mut currents = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let (t, key, cond) = match op {
            TxOp::Put { table, item, cond } => {
                let key = item
                    .key()
                    .ok_or_else(|| StoreError::Invalid("item needs pk and sk".into()))?;
                (*table, key, cond.as_ref())
            }
            TxOp::Update {
                table, key, cond, ..
            }
            | TxOp::Delete { table, key, cond } => (*table, key.clone(), cond.as_ref()),
            TxOp::Check { table, key, cond } => (*table, key.clone(), Some(cond)),
        };
        let cur = match (cond, op) {
            (None, TxOp::Put { .. } | TxOp::Delete { .. }) => None,
            _ => sql::load(conn, t, &key)?,
        };
        failed[i] = !holds(cond, cur.as_ref(), now);
        currents.push(cur);
    }
    if failed.iter().any(|f| *f) {
        return Err(StoreError::TransactionCanceled { failed });
    }
    // Compute every new item before writing any, so a validation error writes nothing.
    let mut writes = Vec::with_capacity(ops.len());
    for (op, cur) in ops.iter().zip(currents) {
        match op {
            TxOp::Put { table, item, .. } => {
                let key = check::item(item)?;
                writes.push(Write::Store(*table, key, item.clone()));
            }
            TxOp::Update {
                table,
                key,
                updates,
                ..
            } => {
                let item = updated(cur, key, updates)?;
                writes.push(Write::Store(*table, key.clone(), item));
            }
            TxOp::Delete { table, key, .. } => writes.push(Write::Remove(*table, key)),
            TxOp::Check { .. } => {}
        }
    }
    // A savepoint so an I/O error halfway leaves none of this op's rows in the batch.
    conn.execute_batch("SAVEPOINT tx").map_err(backend)?;
    let r = writes.iter().try_for_each(|w| match w {
        Write::Store(t, key, item) => sql::store(conn, *t, key, item),
        Write::Remove(t, key) => sql::remove(conn, *t, key),
    });
    if r.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK TO tx");
    }
    if !conn.is_autocommit() {
        conn.execute_batch("RELEASE tx").map_err(backend)?;
    }
    r
}
