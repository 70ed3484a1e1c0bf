//! The embedded engine's SQLite layer: connection set-up, schema, and the row-level reads and
//! writes that the writer thread and the read pool share.

use super::codec;
use crate::store::{
    Attr, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, Page, Query, SkRange, StoreError, StoreResult,
    Table,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::path::Path;
use std::time::Duration;

/// Schema version in `PRAGMA user_version`; a file from a newer build is refused.
const SCHEMA_VERSION: i64 = 1;
/// Page cache of the write connection and of each read connection (KiB).
const WRITER_CACHE_KIB: i64 = 4096;
const READER_CACHE_KIB: i64 = 1024;
/// How long a connection waits for another process's write lock before failing.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    tbl TEXT NOT NULL,
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    gsi1pk TEXT,
    gsi1sk TEXT,
    expires_at INTEGER,
    data BLOB NOT NULL,
    PRIMARY KEY (tbl, pk, sk)
);
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (tbl, gsi1pk, gsi1sk, pk, sk)
    WHERE gsi1pk IS NOT NULL;
";

/// Run a statement that returns no rows, prepared once per connection: the writer begins,
/// commits and takes a savepoint for every batch, and parsing that text each time showed in
/// profiles.
pub(super) fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

pub(super) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("sqlite: {e}"))
}

/// Per-connection settings. WAL lets readers (and other processes) run beside the one
/// writer; synchronous=NORMAL in WAL never corrupts the file and loses at most the last
/// commits on power loss or OS crash (not on a process crash), which a local gateway accepts.
///
/// `cache_kib` bounds the connection's page cache. The hot pages (accounts, counters, the
/// right edge of each index) are few; a large cache only fills with rows written once and
/// never read again, which on the gateway's writer plus its readers was ~16 MB of RSS each.
fn configure(conn: &Connection, cache_kib: i64) -> StoreResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    // Query text varies with range, direction and cursor; keep every shape prepared.
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(backend)?;
    conn.pragma_update(None, "cache_size", -cache_kib)
        .map_err(backend)?;
    // Savepoint sub-journals and sort scratch stay in memory rather than in temp files.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(backend)?;
    Ok(())
}

/// Open the writer connection: switch the file to WAL and create the schema if needed.
pub(super) fn open_writer(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(backend)?;
    configure(&conn, WRITER_CACHE_KIB)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "sqlite: cannot enable WAL (journal_mode={mode})"
        )));
    }
    init_schema(&conn)?;
    // Checkpoints run on their own thread (`checkpoint_loop`): SQLite's automatic checkpoint
    // would copy ~1000 pages inside whichever commit crosses the threshold, a multi-ms stall
    // for every request queued behind that batch.
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(backend)?;
    // A WAL that once grew under a burst is truncated back to this after it resets.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
        .map_err(backend)?;
    Ok(conn)
}

/// Run a PASSIVE checkpoint on `conn`; returns (WAL frames, frames now in the database file).
/// PASSIVE never waits for the writer or readers; frames it could not copy stay for later.
pub(super) fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}

/// The checkpoint thread's loop: every `every`, until `stop` is disconnected, copy committed
/// WAL frames into the database file, on a connection of its own and without blocking anyone
/// (PASSIVE; this also pays the two fsyncs a checkpoint does under `synchronous=NORMAL`).
///
/// That alone does not bound the WAL: it is rewound only by the first write after a
/// checkpoint that copied every frame, and a steady stream of commits keeps it a few frames
/// ahead of every checkpoint (it reached 1 GB in 40 s of load, with every page read searching
/// a growing WAL index). So when the WAL holds `finish_at` frames, or some frames have waited
/// `finish_every`, `finish` checkpoints once more while holding the write connection: only
/// the frames appended since, but commits wait for it (a short copy plus two fsyncs). At
/// full load that is about twice a second, where SQLite's automatic checkpoint would stall
/// one commit in every few dozen with a whole checkpoint.
pub(super) fn checkpoint_loop(
    path: &Path,
    every: std::time::Duration,
    finish_at: i64,
    finish_every: std::time::Duration,
    stop: std::sync::mpsc::Receiver<()>,
    finish: impl Fn() -> rusqlite::Result<(i64, i64)>,
) {
    let Ok(conn) = Connection::open(path) else {
        return;
    };
    // Checkpointing streams WAL frames to the file; it needs almost no cache.
    if configure(&conn, 256).is_err() {
        return;
    }
    let mut finished = std::time::Instant::now();
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
        let r = checkpoint(&conn).and_then(|(frames, _)| {
            if frames >= finish_at || (frames > 0 && finished.elapsed() >= finish_every) {
                finished = std::time::Instant::now();
                finish().map(|_| ())
            } else {
                Ok(())
            }
        });
        if let Err(e) = r {
            tracing::warn!(error = %e, "store checkpoint failed; retrying");
        }
    }
}

/// Open a private in-memory database (tests): one connection, so the writer also reads.
pub(super) fn open_memory() -> StoreResult<Connection> {
    let conn = Connection::open_in_memory().map_err(backend)?;
    // An in-memory database lives in its cache whatever the limit; this is only a hint.
    configure(&conn, WRITER_CACHE_KIB)?;
    init_schema(&conn)?;
    Ok(conn)
}

/// Open a connection for the read pool.
pub(super) fn open_reader(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(backend)?;
    configure(&conn, READER_CACHE_KIB)?;
    Ok(conn)
}

fn init_schema(conn: &Connection) -> StoreResult<()> {
    // IMMEDIATE so two processes starting together do not both try to create the table.
    conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
    let r = (|| {
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(backend)?;
        if v > SCHEMA_VERSION {
            return Err(StoreError::Backend(format!(
                "data file has schema version {v}, newer than this build ({SCHEMA_VERSION})"
            )));
        }
        conn.execute_batch(SCHEMA).map_err(backend)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(backend)
    })();
    let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end).map_err(backend)?;
    r
}

/// The item as stored, expired or not (conditions see expired items; callers filter).
pub(super) fn load(conn: &Connection, table: Table, key: &Key) -> StoreResult<Option<Item>> {
    Ok(load_row(conn, table, key)?.map(|r| r.item))
}

/// A stored row: its item and where it is, so the writer can rewrite or delete it without
/// looking the key up again.
pub(super) struct Row {
    pub rowid: i64,
    pub item: Item,
}

/// `load`, with the row's rowid. A rowid is stable within a transaction (only `VACUUM`
/// renumbers the rows of a table without an `INTEGER PRIMARY KEY`), so the writer may use it
/// for the write that follows the read in the same batch.
pub(super) fn load_row(conn: &Connection, table: Table, key: &Key) -> StoreResult<Option<Row>> {
    let mut st = conn
        .prepare_cached("SELECT rowid, data FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3")
        .map_err(backend)?;
    let row: Option<(i64, Vec<u8>)> = st
        .query_row(params![table.name(), key.pk, key.sk], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(backend)?;
    row.map(|(rowid, d)| {
        codec::decode(&d, key.pk.clone(), key.sk.clone()).map(|item| Row { rowid, item })
    })
    .transpose()
}

/// The index attributes of an item, as stored: both or neither (the index holds only items
/// with both, as in DynamoDB).
fn gsi(item: &Item) -> (Option<&str>, Option<&str>) {
    match (item.s(GSI1PK), item.s(GSI1SK)) {
        (Some(a), Some(b)) => (Some(a), Some(b)),
        _ => (None, None),
    }
}

/// Where a row sits in the index, as stored: both attributes or neither.
pub(super) fn index_entry(item: &Item) -> Option<(String, String)> {
    match gsi(item) {
        (Some(a), Some(b)) => Some((a.to_owned(), b.to_owned())),
        _ => None,
    }
}

/// Replace the (already validated) item of a row read in this transaction (`load_row`), whose
/// index entry was `old_entry` (`index_entry`). A plain `UPDATE` by rowid: an upsert would look
/// the key up again to find the conflict, and setting the index columns makes SQLite rewrite
/// the index entry even when they did not change, so they are only set when they did.
pub(super) fn rewrite(
    conn: &Connection,
    rowid: i64,
    old_entry: &Option<(String, String)>,
    item: &Item,
) -> StoreResult<()> {
    let (gpk, gsk) = gsi(item);
    let same = match old_entry {
        Some((a, b)) => gpk == Some(a.as_str()) && gsk == Some(b.as_str()),
        None => gpk.is_none(),
    };
    let r = if same {
        conn.prepare_cached("UPDATE items SET expires_at = ?1, data = ?2 WHERE rowid = ?3")
            .and_then(|mut st| st.execute(params![item.n(EXPIRES_AT), codec::encode(item), rowid]))
    } else {
        conn.prepare_cached(
            "UPDATE items SET gsi1pk = ?1, gsi1sk = ?2, expires_at = ?3, data = ?4
             WHERE rowid = ?5",
        )
        .and_then(|mut st| {
            st.execute(params![
                gpk,
                gsk,
                item.n(EXPIRES_AT),
                codec::encode(item),
                rowid
            ])
        })
    };
    match r.map_err(backend)? {
        1 => Ok(()),
        n => Err(StoreError::Backend(format!(
            "store: rewrite of row {rowid} touched {n} rows"
        ))),
    }
}

/// Delete a row read in this transaction (`load_row`).
pub(super) fn remove_row(conn: &Connection, rowid: i64) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM items WHERE rowid = ?1")
        .and_then(|mut st| st.execute(params![rowid]))
        .map_err(backend)?;
    Ok(())
}

/// Insert or replace a whole (already validated) item.
pub(super) fn store(conn: &Connection, table: Table, key: &Key, item: &Item) -> StoreResult<()> {
    write_row(
        conn,
        "INSERT INTO items (tbl, pk, sk, gsi1pk, gsi1sk, expires_at, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (tbl, pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk,
             gsi1sk = excluded.gsi1sk, expires_at = excluded.expires_at,
             data = excluded.data",
        table,
        key,
        item,
    )
    .map_err(backend)
}

/// Insert a whole (already validated) item only if no row has its key, expired or not.
/// `Ok(false)`, with nothing written, if one does. Puts under `NotExists` try this first:
/// their keys are almost always fresh (generated ids), and it saves the read of the row.
pub(super) fn insert_new(
    conn: &Connection,
    table: Table,
    key: &Key,
    item: &Item,
) -> StoreResult<bool> {
    let sql = "INSERT INTO items (tbl, pk, sk, gsi1pk, gsi1sk, expires_at, data)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    match write_row(conn, sql, table, key, item) {
        Ok(()) => Ok(true),
        // The key's uniqueness is the only constraint a whole, validated item can break; a
        // failed statement undoes only itself, not the transaction around it.
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(false)
        }
        Err(e) => Err(backend(e)),
    }
}

fn write_row(
    conn: &Connection,
    sql: &str,
    table: Table,
    key: &Key,
    item: &Item,
) -> rusqlite::Result<()> {
    let (gpk, gsk) = gsi(item);
    conn.prepare_cached(sql)?.execute(params![
        table.name(),
        key.pk,
        key.sk,
        gpk,
        gsk,
        item.n(EXPIRES_AT),
        codec::encode(item)
    ])?;
    Ok(())
}

/// Delete an item (absent is fine).
pub(super) fn remove(conn: &Connection, table: Table, key: &Key) -> StoreResult<()> {
    let mut st = conn
        .prepare_cached("DELETE FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3")
        .map_err(backend)?;
    st.execute(params![table.name(), key.pk, key.sk])
        .map_err(backend)?;
    Ok(())
}

/// A stored row's full key, as the sweeper finds it.
pub(super) type RowKey = (String, String, String);

/// Up to `max` expired rows. A plain scan on a read connection: no index is kept for this
/// rare job, and the scan holds no write lock.
pub(super) fn expired(conn: &Connection, now: i64, max: usize) -> StoreResult<Vec<RowKey>> {
    let mut st = conn
        .prepare_cached("SELECT tbl, pk, sk FROM items WHERE expires_at <= ?1 LIMIT ?2")
        .map_err(backend)?;
    let rows = st
        .query_map(params![now, i64::try_from(max).unwrap_or(i64::MAX)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

/// Delete the given rows if they are (still) expired; returns how many went.
pub(super) fn sweep(conn: &Connection, now: i64, rows: &[RowKey]) -> StoreResult<u64> {
    let mut st = conn
        .prepare_cached(
            "DELETE FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3 AND expires_at <= ?4",
        )
        .map_err(backend)?;
    let mut n = 0;
    for (tbl, pk, sk) in rows {
        n += st.execute(params![tbl, pk, sk, now]).map_err(backend)? as u64;
    }
    Ok(n)
}

/// The smallest string greater than every string that starts with `p`, if there is one.
fn prefix_end(p: &str) -> Option<String> {
    let mut chars: Vec<char> = p.chars().collect();
    while let Some(c) = chars.pop() {
        // UTF-8 byte order is code-point order, so bumping the last bumpable char works.
        let next = match c {
            '\u{D7FF}' => Some('\u{E000}'),
            _ => char::from_u32(c as u32 + 1),
        };
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn encode_cursor(parts: &[String]) -> StoreResult<String> {
    let json = serde_json::to_vec(parts).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

fn decode_cursor(c: &str, want: usize) -> StoreResult<Vec<String>> {
    let bad = || StoreError::Invalid("bad cursor".into());
    let json = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let parts: Vec<String> = serde_json::from_slice(&json).map_err(|_| bad())?;
    if parts.len() == want {
        Ok(parts)
    } else {
        Err(bad())
    }
}

/// One page of a (validated) query. Expired items are filtered in SQL, so pages are full.
pub(super) fn query(conn: &Connection, q: &Query, now: i64) -> StoreResult<Page> {
    // The index's sort order: gsi1sk, then the table key to make it total (as a cursor needs).
    let (pcol, scol, order_cols) = if q.gsi1 {
        ("gsi1pk", "gsi1sk", vec!["gsi1sk", "pk", "sk"])
    } else {
        ("pk", "sk", vec!["sk"])
    };
    let mut sql = format!(
        "SELECT pk, sk, data FROM items WHERE tbl = ? AND {pcol} = ? \
         AND (expires_at IS NULL OR expires_at > ?)"
    );
    let mut args: Vec<Value> = vec![
        Value::Text(q.table.name().to_owned()),
        Value::Text(q.pk.clone()),
        Value::Integer(now),
    ];
    match &q.sk {
        SkRange::All => {}
        SkRange::Prefix(p) if p.is_empty() => {}
        SkRange::Prefix(p) => {
            sql.push_str(&format!(" AND {scol} >= ?"));
            args.push(Value::Text(p.clone()));
            if let Some(end) = prefix_end(p) {
                sql.push_str(&format!(" AND {scol} < ?"));
                args.push(Value::Text(end));
            }
        }
        SkRange::Between(a, b) => {
            sql.push_str(&format!(" AND {scol} >= ? AND {scol} <= ?"));
            args.push(Value::Text(a.clone()));
            args.push(Value::Text(b.clone()));
        }
    }
    if let Some(c) = &q.cursor {
        let parts = decode_cursor(c, order_cols.len())?;
        let cmp = if q.forward { ">" } else { "<" };
        let marks = vec!["?"; parts.len()].join(", ");
        sql.push_str(&format!(" AND ({}) {cmp} ({marks})", order_cols.join(", ")));
        args.extend(parts.into_iter().map(Value::Text));
    }
    let dir = if q.forward { "ASC" } else { "DESC" };
    let order: Vec<String> = order_cols.iter().map(|c| format!("{c} {dir}")).collect();
    sql.push_str(&format!(" ORDER BY {} LIMIT ?", order.join(", ")));
    // One extra row tells whether another page exists.
    args.push(Value::Integer(q.limit as i64 + 1));

    let mut st = conn.prepare_cached(&sql).map_err(backend)?;
    let mut rows = st.query(params_from_iter(args)).map_err(backend)?;
    let mut items = Vec::with_capacity(q.limit.min(64));
    let mut more = false;
    while let Some(row) = rows.next().map_err(backend)? {
        if items.len() == q.limit {
            more = true;
            break;
        }
        let pk: String = row.get(0).map_err(backend)?;
        let sk: String = row.get(1).map_err(backend)?;
        let data: Vec<u8> = row.get(2).map_err(backend)?;
        items.push(codec::decode(&data, pk, sk)?);
    }
    let next = match items.last() {
        Some(last) if more => {
            let get = |n: &str| match last.get(n) {
                Some(Attr::S(s)) => Ok(s.clone()),
                _ => Err(StoreError::Backend(format!("queried item lacks {n}"))),
            };
            let parts = order_cols
                .iter()
                .map(|c| get(c))
                .collect::<StoreResult<Vec<_>>>()?;
            Some(encode_cursor(&parts)?)
        }
        _ => None,
    };
    Ok(Page { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        let parts = vec!["a".to_owned(), "b c".to_owned()];
        let c = encode_cursor(&parts).ok();
        assert_eq!(
            c.as_deref().map(|c| decode_cursor(c, 2).ok()),
            Some(Some(parts))
        );
        assert!(decode_cursor("!!!", 1).is_err());
        assert!(c.as_deref().map(|c| decode_cursor(c, 1).is_err()) == Some(true));
    }
}
