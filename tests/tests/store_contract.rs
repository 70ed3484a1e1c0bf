//! The store contract suite on both engines: embedded (SQLite file and in-memory) and
//! DynamoDB (against moto: `python3 tests/moto_server.py PORT`, then
//! `HEXACLAW_TEST_DYNAMO_ENDPOINT=http://127.0.0.1:PORT`). Without that variable the DynamoDB
//! tests skip, unless `HEXACLAW_REQUIRE_DYNAMO=1`, which makes them fail instead.

use hexaclaw_shared::store::dynamo::DynamoEngine;
use hexaclaw_shared::store::embedded::EmbeddedEngine;
use hexaclaw_shared::store::{
    Cond, EXPIRES_AT, Item, Key, Store, StoreError, StoreRef, Table, Update, contract, now_secs,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("hexaclaw-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open_file(dir: &TempDir) -> EmbeddedEngine {
    EmbeddedEngine::open(&dir.path().join("store.db")).expect("open embedded store")
}

async fn assert_contract(store: StoreRef) {
    if let Err(failures) = contract::run_all(store).await {
        panic!("store contract failures:\n{failures}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_file_engine_passes_contract() {
    let dir = TempDir::new("contract");
    assert_contract(Arc::new(open_file(&dir))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_memory_engine_passes_contract() {
    let store = EmbeddedEngine::open_in_memory().expect("open in-memory store");
    assert_contract(Arc::new(store)).await;
}

/// Two engines on one file stand in for the gateway and `hexaclaw admin` in two processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_engines_share_one_file() {
    let dir = TempDir::new("shared");
    let (a, b): (StoreRef, StoreRef) = (Arc::new(open_file(&dir)), Arc::new(open_file(&dir)));
    let k = Key::new("acct#shared", "meta");
    a.put(Table::Accounts, Item::new(&k).with("balance", 40), None)
        .await
        .expect("put");
    let seen = b.get(Table::Accounts, &k).await.expect("get");
    assert_eq!(seen.and_then(|i| i.n("balance")), Some(40));

    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            let k = k.clone();
            tokio::spawn(async move {
                let dec = [Update::add("balance", -1)];
                s.update(Table::Accounts, &k, &dec, Some(Cond::ge("balance", 1)))
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(won, 40);
    let end = a.get(Table::Accounts, &k).await.expect("get");
    assert_eq!(end.and_then(|i| i.n("balance")), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_data_survives_reopen_and_sweep_removes_only_expired() {
    let dir = TempDir::new("reopen");
    let now = now_secs();
    {
        let s = open_file(&dir);
        for (sk, exp) in [("old", now - 10), ("new", now + 3600)] {
            let item = Item::new(&Key::new("p", sk)).with(EXPIRES_AT, exp);
            s.put(Table::Generations, item, None).await.expect("put");
        }
    }
    let s = open_file(&dir);
    let kept = s.get(Table::Generations, &Key::new("p", "new")).await;
    assert!(kept.expect("get").is_some(), "data lost on reopen");
    assert_eq!(s.sweep_expired(1000).await.expect("sweep"), 1);
    assert_eq!(s.sweep_expired(1000).await.expect("sweep again"), 0);
    let kept = s.get(Table::Generations, &Key::new("p", "new")).await;
    assert!(kept.expect("get").is_some(), "sweep removed a live item");
}

/// Conditional single-item updates from 32 concurrent tasks (plus one put each), which the
/// engine commits inline or in writer-thread batches depending on contention: every update
/// applies exactly once. (Speed is measured by `bench/run`, not asserted here.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_concurrent_conditional_updates_all_apply() {
    let dir = TempDir::new("throughput");
    let s: StoreRef = Arc::new(open_file(&dir));
    let (tasks, per_task) = (32, 200);
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move {
                let k = Key::new(format!("acct#{t}"), "meta");
                let start = Item::new(&k).with("n", 0);
                s.put(Table::Accounts, start, None).await.expect("put");
                for _ in 0..per_task {
                    let upd = [Update::add("n", 1)];
                    s.update(Table::Accounts, &k, &upd, Some(Cond::ge("n", 0)))
                        .await
                        .expect("update");
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
    for t in 0..tasks {
        let got = s
            .get(Table::Accounts, &Key::new(format!("acct#{t}"), "meta"))
            .await;
        assert_eq!(
            got.expect("get").and_then(|i| i.n("n")),
            Some(i64::from(per_task)),
            "counter {t}"
        );
    }
}

/// The moto (or DynamoDB Local) endpoint, or None to skip.
fn dynamo_endpoint() -> Option<String> {
    match std::env::var("HEXACLAW_TEST_DYNAMO_ENDPOINT") {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var("HEXACLAW_REQUIRE_DYNAMO").as_deref() == Ok("1") => {
            panic!("HEXACLAW_REQUIRE_DYNAMO=1 but HEXACLAW_TEST_DYNAMO_ENDPOINT is not set")
        }
        _ => {
            eprintln!("skipping DynamoDB contract: HEXACLAW_TEST_DYNAMO_ENDPOINT is not set");
            None
        }
    }
}

/// One table prefix per test process, so runs never see each other's items.
fn table_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("hct-{}-{nanos}-", std::process::id())
    })
}

async fn dynamo_engine(endpoint: &str) -> DynamoEngine {
    let engine = DynamoEngine::for_endpoint(endpoint, table_prefix()).await;
    engine.create_tables().await.expect("create tables");
    engine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamo_engine_passes_contract() {
    let Some(endpoint) = dynamo_endpoint() else {
        return;
    };
    assert_contract(Arc::new(dynamo_engine(&endpoint).await)).await;
}

/// `from_env` honours the SDK's standard `AWS_ENDPOINT_URL_DYNAMODB` (checked when set).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_from_env_uses_endpoint_variable() {
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() || dynamo_endpoint().is_none() {
        eprintln!("skipping: AWS_ENDPOINT_URL_DYNAMODB or the test endpoint is not set");
        return;
    }
    let engine = DynamoEngine::from_env(table_prefix()).await;
    engine
        .create_tables()
        .await
        .expect("create tables via from_env");
    let k = Key::new("from-env", "item");
    engine
        .put(Table::Accounts, Item::new(&k).with("v", 1), None)
        .await
        .expect("put");
    let got = engine.get(Table::Accounts, &k).await.expect("get");
    assert_eq!(got.and_then(|i| i.n("v")), Some(1));
}
