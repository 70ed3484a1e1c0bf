//! The embedded engine: one SQLite file in WAL mode that several processes (the gateway and
//! `hexaclaw admin …`) may open at once.
//!
//! Writes share one connection (`writer`): each op is queued, then its caller commits the
//! queue on its own thread if the connection is free (no thread hand-off for an uncontended
//! write; ops issued together, like a request's rate window, lease and hold, share one
//! commit), and otherwise the writer thread commits it in batches of up to 256 ops (group
//! commit under load). Each op is still evaluated and applied on its own, so its condition
//! sees every earlier op of the batch and a failed op writes nothing; a caller hears back
//! only after the commit that holds its op, except under `store::commit_later` (a lone
//! request's pre-call writes), where it hears back once its op is applied and the commit
//! follows in a task of its own, ahead of any later write's. Ops issued in a `store::wave`
//! are committed as soon as all of them are queued; others gather by yielding to the
//! scheduler first, so other ready tasks' ops join the commit. Across processes,
//! `BEGIN IMMEDIATE` plus a busy timeout serialise writers (the inline path never waits on
//! it; the writer thread does). Reads use a small pool of connections on blocking threads;
//! WAL gives them the last committed state without blocking the writer. A checkpoint thread
//! copies the WAL into the file every 250 ms so no commit pays for a checkpoint. Durability:
//! `synchronous=NORMAL` — a process crash loses nothing committed, a power loss may lose the
//! last few commits but never corrupts the file.

mod codec;
mod sql;
mod writer;

use super::{
    Cond, Item, Key, Page, Query, Store, StoreError, StoreResult, Table, TxOp, Update, check,
};
use async_trait::async_trait;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, mpsc};
use writer::{Inline, Op, Out, Writer};

/// Read connections (and blocking threads) in use at once; also how many stay open idle.
const MAX_READERS: usize = 8;

/// Item store on a local SQLite file.
pub struct EmbeddedEngine {
    writer: Arc<Writer>,
    /// Commits the queue inline or wakes the writer thread (`Committer`); a `store::wave`
    /// runs it once all its writes have queued.
    committer: Arc<dyn crate::store::Flush>,
    /// None for in-memory databases, whose only connection is the writer's.
    readers: Option<Arc<ReadPool>>,
    /// Dropping it stops the checkpoint thread (file databases only).
    _checkpointer: Option<std::sync::mpsc::Sender<()>>,
}

/// How often the checkpoint thread copies the WAL into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// WAL size (frames) at which the checkpoint thread briefly holds writers to rewind it:
/// 64 MB at SQLite's default 4 KB page (about two seconds of one connection's full-speed traffic).
const WAL_REWIND_FRAMES: i64 = 16_384;
/// Rewind at least this often while there is traffic, so a quiet gateway's WAL stays small.
const WAL_REWIND_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Bounds concurrent reads so a burst waits for a pooled connection instead of opening
    /// (and then closing) one per read.
    permits: Arc<Semaphore>,
}

impl ReadPool {
    fn run<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => sql::open_reader(&self.path)?,
        };
        let r = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_READERS {
            idle.push(conn);
        }
        r
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("store writer thread stopped".into())
}

fn unexpected() -> StoreError {
    StoreError::Backend("store writer returned the wrong kind of result".into())
}

impl EmbeddedEngine {
    /// Open (creating if needed) the store file at `path`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let conn = sql::open_writer(path)?;
        let readers = ReadPool {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(MAX_READERS)),
        };
        let mut engine = Self::start(conn, Some(Arc::new(readers)))?;
        let (stop, stopped_rx) = std::sync::mpsc::channel();
        let file = path.to_path_buf();
        // A weak handle: the thread must not keep the write connection open once the engine
        // is gone (it then stops on the disconnected `stop` channel anyway).
        let writer = Arc::downgrade(&engine.writer);
        std::thread::Builder::new()
            .name("hexaclaw-store-checkpoint".into())
            .spawn(move || {
                sql::checkpoint_loop(
                    &file,
                    CHECKPOINT_EVERY,
                    WAL_REWIND_FRAMES,
                    WAL_REWIND_EVERY,
                    stopped_rx,
                    || match writer.upgrade() {
                        Some(w) => w.with_conn(sql::checkpoint),
                        None => Ok((0, 0)),
                    },
                )
            })
            .map_err(|e| StoreError::Backend(format!("cannot start store checkpointer: {e}")))?;
        engine._checkpointer = Some(stop);
        Ok(engine)
    }

    /// A private, empty, in-memory store (tests and throwaway runs).
    pub fn open_in_memory() -> StoreResult<Self> {
        Self::start(sql::open_memory()?, None)
    }

    fn start(conn: Connection, readers: Option<Arc<ReadPool>>) -> StoreResult<Self> {
        let (wake, woken) = mpsc::channel(1);
        let writer = Arc::new(Writer::new(conn));
        let for_thread = Arc::clone(&writer);
        // The thread ends when the engine (and with it the `Committer`, the sender) is dropped.
        std::thread::Builder::new()
            .name("hexaclaw-store-writer".into())
            .spawn(move || writer::run(for_thread, woken))
            .map_err(|e| StoreError::Backend(format!("cannot start store writer: {e}")))?;
        let committer = Arc::new(Committer {
            writer: Arc::clone(&writer),
            wake: wake.clone(),
        });
        Ok(EmbeddedEngine {
            writer,
            committer,
            readers,
            _checkpointer: None,
        })
    }

    /// Physically delete up to `max` expired items (they are already invisible); returns the
    /// count. Call it now and then so TTL'd tables do not grow for ever.
    pub async fn sweep_expired(&self, max: usize) -> StoreResult<u64> {
        let rows = match &self.readers {
            Some(pool) => {
                let now = super::now_secs();
                self.read(pool, move |conn| sql::expired(conn, now, max))
                    .await?
            }
            None => match self.write(Op::FindExpired { max }).await? {
                Out::Rows(rows) => rows,
                _ => return Err(unexpected()),
            },
        };
        if rows.is_empty() {
            return Ok(0);
        }
        match self.write(Op::Sweep(rows)).await? {
            Out::Count(n) => Ok(n),
            _ => Err(unexpected()),
        }
    }

    async fn write(&self, op: Op) -> StoreResult<Out> {
        let done = self.writer.enqueue(op, crate::store::commit_is_deferred());
        match crate::store::flush_in_wave(&self.committer) {
            // The wave commits once all its writes have queued.
            Some(flushed) => flushed.await,
            None => {
                // Let the ops of the same request and any other ready task queue theirs
                // first, so one commit covers them all.
                tokio::task::yield_now().await;
                self.committer.flush();
            }
        }
        done.await.map_err(|_| stopped())?
    }

    async fn read<T: Send + 'static>(
        &self,
        pool: &Arc<ReadPool>,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let permit = Arc::clone(&pool.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Backend("store read pool closed".into()))?;
        let pool = Arc::clone(pool);
        tokio::task::spawn_blocking(move || {
            let r = pool.run(f);
            drop(permit);
            r
        })
        .await
        .map_err(|e| StoreError::Backend(format!("store read task failed: {e}")))?
    }
}

/// Commits the writer's queue from an async task.
struct Committer {
    writer: Arc<Writer>,
    /// Wakes the writer thread (capacity 1: one pending wake-up covers any number of ops).
    /// The thread ends once every sender is gone: the engine's, and any a commit task holds.
    wake: mpsc::Sender<()>,
}

impl crate::store::Flush for Committer {
    fn flush(&self) {
        match self.writer.commit_inline(false) {
            Inline::Done => {}
            // The writer thread takes the queue. A failed send means a wake-up is already
            // pending, which covers these ops too.
            Inline::Busy => {
                let _ = self.wake.try_send(());
            }
            // Commit-later ops were applied: commit them in a task of their own, which runs
            // once this one waits (for a request, on its upstream call).
            Inline::Open => {
                let (writer, wake) = (Arc::clone(&self.writer), self.wake.clone());
                tokio::spawn(async move {
                    if writer.commit_inline(true) == Inline::Busy {
                        let _ = wake.try_send(());
                    }
                });
            }
        }
    }
}

#[async_trait]
impl Store for EmbeddedEngine {
    fn single_server(&self) -> bool {
        true
    }

    async fn purge_expired(&self, max: usize) -> StoreResult<u64> {
        self.sweep_expired(max).await
    }

    async fn get(&self, table: Table, key: &Key) -> StoreResult<Option<Item>> {
        check::key(key)?;
        let Some(pool) = &self.readers else {
            return match self
                .write(Op::Get {
                    table,
                    key: key.clone(),
                })
                .await?
            {
                Out::Item(i) => Ok(i),
                _ => Err(unexpected()),
            };
        };
        let key = key.clone();
        self.read(pool, move |conn| {
            let now = super::now_secs();
            Ok(sql::load(conn, table, &key)?.filter(|i| !i.is_expired(now)))
        })
        .await
    }

    async fn put(&self, table: Table, item: Item, cond: Option<Cond>) -> StoreResult<()> {
        check::item(&item)?;
        check::opt_cond(cond.as_ref())?;
        match self.write(Op::Put { table, item, cond }).await? {
            Out::Done => Ok(()),
            _ => Err(unexpected()),
        }
    }

    async fn update(
        &self,
        table: Table,
        key: &Key,
        updates: &[Update],
        cond: Option<Cond>,
    ) -> StoreResult<Item> {
        check::key(key)?;
        check::updates(updates)?;
        check::opt_cond(cond.as_ref())?;
        let op = Op::Update {
            table,
            key: key.clone(),
            updates: updates.to_vec(),
            cond,
        };
        match self.write(op).await? {
            Out::Item(Some(i)) => Ok(i),
            _ => Err(unexpected()),
        }
    }

    async fn delete(&self, table: Table, key: &Key, cond: Option<Cond>) -> StoreResult<()> {
        check::key(key)?;
        check::opt_cond(cond.as_ref())?;
        let op = Op::Delete {
            table,
            key: key.clone(),
            cond,
        };
        match self.write(op).await? {
            Out::Done => Ok(()),
            _ => Err(unexpected()),
        }
    }

    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        check::tx(&ops)?;
        if ops.is_empty() {
            return Ok(());
        }
        match self.write(Op::Transact(ops)).await? {
            Out::Done => Ok(()),
            _ => Err(unexpected()),
        }
    }

    async fn query(&self, q: Query) -> StoreResult<Page> {
        check::query(&q)?;
        let Some(pool) = &self.readers else {
            return match self.write(Op::Query(q)).await? {
                Out::Page(p) => Ok(p),
                _ => Err(unexpected()),
            };
        };
        self.read(pool, move |conn| sql::query(conn, &q, super::now_secs()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EXPIRES_AT, Update, now_secs};

    #[tokio::test]
    async fn in_memory_sweep_removes_only_expired_items() {
        let s = EmbeddedEngine::open_in_memory().expect("open");
        let now = now_secs();
        for (sk, exp) in [("a", now - 5), ("b", now - 1), ("c", now + 60)] {
            let item = Item::new(&Key::new("p", sk)).with(EXPIRES_AT, exp);
            s.put(Table::Idempotency, item, None).await.expect("put");
        }
        assert_eq!(s.sweep_expired(1).await.expect("sweep"), 1);
        assert_eq!(s.sweep_expired(10).await.expect("sweep"), 1);
        assert_eq!(s.sweep_expired(10).await.expect("sweep"), 0);
        let live = s.get(Table::Idempotency, &Key::new("p", "c")).await;
        assert!(live.expect("get").is_some());
    }

    /// A fresh directory for a store file, removed when dropped (a failed test included).
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("hexaclaw-{tag}-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).expect("dir");
            Scratch(dir)
        }

        fn db(&self) -> PathBuf {
            self.0.join("store.db")
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The WAL's current length in frames (`mxFrame` in the wal-index header of the `-shm`
    /// file), read without touching the database, so the probe checkpoints nothing itself.
    fn wal_frames(db: &Path) -> u32 {
        let shm = std::fs::read(db.with_extension("db-shm")).unwrap_or_default();
        shm.get(16..20)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn steady_writes_do_not_grow_the_wal_without_bound() {
        let dir = Scratch::new("wal");
        let path = dir.db();
        let s = Arc::new(EmbeddedEngine::open(&path).expect("open"));
        // Writes never pause, as under load: a checkpoint alone never catches up with them.
        let writer = {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let pad = "x".repeat(2000);
                for i in 0u64.. {
                    let item =
                        Item::new(&Key::new("p", format!("{i:010}"))).with("pad", pad.as_str());
                    if s.put(Table::Idempotency, item, None).await.is_err() {
                        break;
                    }
                }
            })
        };
        let (mut peak, mut rewound) = (0u32, false);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !rewound && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let frames = wal_frames(&path);
            rewound = peak > 0 && frames < peak / 2;
            peak = peak.max(frames);
        }
        writer.abort();
        assert!(
            rewound,
            "the WAL was never rewound under steady writes (peak {peak} frames)"
        );
        // Rewound at the frame threshold (or the timer), give or take what one 250 ms
        // checkpoint round lets through.
        assert!(
            peak < 4 * WAL_REWIND_FRAMES as u32,
            "WAL peaked at {peak} frames"
        );
    }

    /// A second engine on the same file reads only what the first has committed.
    async fn committed(other: &EmbeddedEngine, key: &Key) -> bool {
        other
            .get(Table::Idempotency, key)
            .await
            .expect("get")
            .is_some()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commit_later_writes_are_final_at_once_and_committed_soon() {
        let dir = Scratch::new("later");
        let path = dir.db();
        let (s, other) = (
            EmbeddedEngine::open(&path).expect("open"),
            EmbeddedEngine::open(&path).expect("open other"),
        );
        let (a, b) = (Key::new("p", "a"), Key::new("p", "b"));
        let put_new = |k: &Key| s.put(Table::Idempotency, Item::new(k), Some(Cond::NotExists));
        // Answered once applied: a second put-if-absent of the same key already sees it.
        crate::store::commit_later(true, async {
            put_new(&a).await.expect("first put");
            let again = put_new(&a).await;
            assert!(
                matches!(again, Err(StoreError::ConditionFailed)),
                "{again:?}"
            );
        })
        .await;
        // Committed in the background, with no other write to carry it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !committed(&other, &a).await {
            assert!(std::time::Instant::now() < deadline, "never committed");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // Any later write returns only once the commit-later writes before it are committed.
        for i in 0..50 {
            let k = Key::new("p", format!("later-{i}"));
            crate::store::commit_later(true, put_new(&k))
                .await
                .expect("put later");
            s.put(Table::Idempotency, Item::new(&b), None)
                .await
                .expect("put");
            assert!(committed(&other, &k).await, "round {i}: not committed");
        }
    }

    #[tokio::test]
    async fn a_wave_answers_each_of_its_writes() {
        let s = EmbeddedEngine::open_in_memory().expect("open");
        let t = Table::Idempotency;
        let (a, n) = (Key::new("w", "a"), Key::new("w", "n"));
        let put_a = || s.put(t, Item::new(&a).with("v", 1), Some(Cond::NotExists));
        let add = [Update::add("n", 1)];
        let bump = || s.update(t, &n, &add, None);
        let (first, second, one, two, seen) = crate::store::wave(true, async {
            tokio::join!(put_a(), put_a(), bump(), bump(), s.get(t, &a))
        })
        .await;
        // Applied in the order queued: one put wins, both bumps count, the read sees the put.
        assert!(first.is_ok(), "{first:?}");
        assert!(
            matches!(second, Err(StoreError::ConditionFailed)),
            "{second:?}"
        );
        let mut ns = [one.expect("bump").n("n"), two.expect("bump").n("n")];
        ns.sort();
        assert_eq!(ns, [Some(1), Some(2)]);
        assert!(seen.expect("get").is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wave_waits_for_a_busy_writer() {
        let dir = Scratch::new("wave");
        let s = Arc::new(EmbeddedEngine::open(&dir.db()).expect("open"));
        // Someone else holds the write connection: the wave cannot commit inline.
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let busy = {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                s.writer.with_conn(|_| {
                    held_tx.send(()).expect("signal");
                    std::thread::sleep(std::time::Duration::from_millis(200));
                })
            })
        };
        held_rx.recv().expect("held");
        let t = Table::Idempotency;
        let (x, y) = (Key::new("w", "x"), Key::new("w", "y"));
        let (rx, ry) = crate::store::wave(true, async {
            tokio::join!(
                s.put(t, Item::new(&x), Some(Cond::NotExists)),
                s.put(t, Item::new(&y), Some(Cond::NotExists))
            )
        })
        .await;
        assert!(rx.is_ok() && ry.is_ok(), "{rx:?} {ry:?}");
        busy.join().expect("busy thread");
        assert!(s.get(t, &x).await.expect("get").is_some());
        assert!(s.get(t, &y).await.expect("get").is_some());
    }

    #[tokio::test]
    async fn refuses_a_file_from_a_newer_schema() {
        let dir = Scratch::new("schema");
        let path = dir.db();
        drop(EmbeddedEngine::open(&path).expect("first open"));
        let conn = Connection::open(&path).expect("raw open");
        conn.pragma_update(None, "user_version", 99).expect("bump");
        drop(conn);
        let r = EmbeddedEngine::open(&path);
        assert!(matches!(r, Err(StoreError::Backend(m)) if m.contains("schema version 99")));
    }
}
