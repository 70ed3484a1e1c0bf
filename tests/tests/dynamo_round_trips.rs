//! DynamoDB calls per chat request on a warm function (key cached), against moto: at most ONE
//! sequential store round trip before the upstream call and ONE after it. A counting wrapper
//! around the real DynamoDB engine records when every call started and ended; calls that
//! overlap in time are one round trip, calls that follow each other are sequential.

use async_trait::async_trait;
use hexaclaw_shared::config::Config;
use hexaclaw_shared::state::AppState;
use hexaclaw_shared::store::{
    Cond, Item, Key, Page, Query, Store, StoreRef, StoreResult, Table, TxOp, Update,
};
use hexaclaw_tests::fake::FakeUpstream;
use hexaclaw_tests::{TestEnv, call, req};
use std::sync::{Arc, Mutex};
use std::time::Instant;

struct Counting {
    inner: StoreRef,
    calls: Mutex<Vec<(&'static str, Instant, Instant)>>,
}

impl Counting {
    async fn timed<T>(&self, op: &'static str, f: impl std::future::Future<Output = T>) -> T {
        let start = Instant::now();
        let out = f.await;
        if let Ok(mut c) = self.calls.lock() {
            c.push((op, start, Instant::now()));
        }
        out
    }
}

#[async_trait]
impl Store for Counting {
    async fn get(&self, t: Table, k: &Key) -> StoreResult<Option<Item>> {
        self.timed("get", self.inner.get(t, k)).await
    }
    async fn put(&self, t: Table, i: Item, c: Option<Cond>) -> StoreResult<()> {
        self.timed("put", self.inner.put(t, i, c)).await
    }
    async fn update(&self, t: Table, k: &Key, u: &[Update], c: Option<Cond>) -> StoreResult<Item> {
        self.timed("update", self.inner.update(t, k, u, c)).await
    }
    async fn delete(&self, t: Table, k: &Key, c: Option<Cond>) -> StoreResult<()> {
        self.timed("delete", self.inner.delete(t, k, c)).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        self.timed("transact", self.inner.transact(ops)).await
    }
    async fn query(&self, q: Query) -> StoreResult<Page> {
        self.timed("query", self.inner.query(q)).await
    }
}

/// Longest chain of calls where each starts after the previous one ended.
fn sequential_depth(calls: &[(&'static str, Instant, Instant)]) -> usize {
    let mut sorted = calls.to_vec();
    sorted.sort_by_key(|c| c.1);
    let mut depth = vec![1usize; sorted.len()];
    for i in 0..sorted.len() {
        for j in 0..i {
            if sorted[j].2 <= sorted[i].1 {
                depth[i] = depth[i].max(depth[j] + 1);
            }
        }
    }
    depth.into_iter().max().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_round_trip_before_the_upstream_call_and_one_after() {
    let Some(endpoint) = hexaclaw_tests::dynamo_endpoint() else {
        return;
    };
    let fake = FakeUpstream::start().await;
    let inner = hexaclaw_tests::dynamo_store(&endpoint).await;
    let counting = Arc::new(Counting {
        inner,
        calls: Mutex::new(Vec::new()),
    });
    let mut vars: Vec<(String, String)> = fake.env_vars();
    vars.push(("HEXACLAW_STORE".into(), "dynamodb".into()));
    vars.push((
        "HEXACLAW_KEY_PEPPER".into(),
        hexaclaw_tests::TEST_PEPPER.into(),
    ));
    vars.push(("HEXACLAW_KEY_CACHE_TTL_SECS".into(), "300".into()));
    let config =
        Config::from_sources(&|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let state = AppState::new(config, counting.clone());
    let env = TestEnv {
        state,
        dir: tempfile::tempdir().unwrap(),
    };
    let (_, key) = env
        .account_with_key(hexaclaw_shared::catalog::Tier::Pro, 50)
        .await;
    let g = env.gateway();
    let body = serde_json::json!({"model": "gpt-4.1", "max_tokens": 50, "messages": [{"role": "user", "content": "Hello"}]});

    // Warm-up: caches the key, as on a warm Lambda.
    let r = call(
        &g,
        req(
            "POST",
            "/v1/chat/completions",
            Some(&key),
            Some(body.clone()),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    counting.calls.lock().unwrap().clear();
    let upstream_before = fake.count();

    let r = call(
        &g,
        req("POST", "/v1/chat/completions", Some(&key), Some(body)),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(fake.count(), upstream_before + 1);
    let upstream_at = fake.requests().last().unwrap().received_at;
    let calls = counting.calls.lock().unwrap().clone();
    let before: Vec<_> = calls
        .iter()
        .copied()
        .filter(|c| c.1 < upstream_at)
        .collect();
    let after: Vec<_> = calls
        .iter()
        .copied()
        .filter(|c| c.1 >= upstream_at)
        .collect();
    let names = |v: &[(&'static str, Instant, Instant)]| v.iter().map(|c| c.0).collect::<Vec<_>>();
    eprintln!(
        "before upstream: {:?}; after: {:?}",
        names(&before),
        names(&after)
    );
    assert_eq!(
        sequential_depth(&before),
        1,
        "calls before upstream: {:?}",
        names(&before)
    );
    assert_eq!(
        sequential_depth(&after),
        1,
        "calls after upstream: {:?}",
        names(&after)
    );
    // The work itself: rate window, lease, hold before; settlement + lease release after.
    assert_eq!(before.len(), 3, "{:?}", names(&before));
    assert_eq!(after.len(), 2, "{:?}", names(&after));
}
