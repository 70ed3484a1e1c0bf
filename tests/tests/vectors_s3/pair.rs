//! Helpers of the S3 Vectors route tests: test data, a gateway on the S3 backend, and a pair of
//! gateways (S3 and embedded) that must answer the same requests the same way.

use crate::fake::FakeS3Vectors;
use axum::Router;
use hexaclaw_shared::accounts;
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_tests::{Resp, TestEnv, call, req};
use serde_json::{Value, json};

pub const BUCKET_ARN: &str = "arn:aws:s3vectors:us-east-1:123456789012:bucket/vb";

/// Distinct pseudo-random vectors (no score ties), with payloads the filters below use.
pub fn points(n: usize, dim: usize, seed: u64, tag: &str) -> Vec<Value> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            let v: Vec<f32> = (0..dim)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 40) as f32 / (1u64 << 24) as f32) - 0.5
                })
                .collect();
            let group = if i % 3 == 0 { "x" } else { "y" };
            json!({"id": i, "vector": v, "payload": {
                "tag": tag, "i": i, "even": i % 2 == 0, "group": {"name": group},
                "labels": [format!("l{}", i % 5), "all"], "text": "t".repeat(300 + i % 7)
            }})
        })
        .collect()
}

/// A gateway whose vectors live in the fake S3 Vectors (registry in the embedded store).
pub async fn s3_env(fake: &FakeS3Vectors) -> TestEnv {
    TestEnv::embedded_with(&[
        ("HEXACLAW_VECTOR_BACKEND", "s3vectors"),
        ("HEXACLAW_VECTOR_BUCKET", BUCKET_ARN),
        ("HEXACLAW_VECTOR_ENDPOINT", &fake.url),
    ])
    .await
}

/// The account's verified balance.
pub async fn balance(env: &TestEnv, acct: &str) -> MicroCredits {
    accounts::verify_ledger(&env.state.store, acct)
        .await
        .unwrap()
        .0
}

/// The same account setup on the S3 backend and on the embedded engine.
pub struct Pair {
    pub s3: TestEnv,
    pub emb: TestEnv,
    pub g3: Router,
    pub ge: Router,
    pub k3: (String, String),
    pub ke: (String, String),
}

impl Pair {
    pub async fn new(s3: TestEnv) -> Pair {
        let emb = TestEnv::embedded().await;
        let k3 = s3.account_with_key(Tier::Pro, 20).await;
        let ke = emb.account_with_key(Tier::Pro, 20).await;
        Pair {
            g3: s3.gateway(),
            ge: emb.gateway(),
            s3,
            emb,
            k3,
            ke,
        }
    }

    /// Sends one request to both; asserts equal statuses; returns (s3, embedded).
    pub async fn send(&self, method: &str, path: &str, body: Value) -> (Resp, Resp) {
        let a = call(
            &self.g3,
            req(method, path, Some(&self.k3.1), Some(body.clone())),
        )
        .await;
        let b = call(
            &self.ge,
            req(method, path, Some(&self.ke.1), Some(body.clone())),
        )
        .await;
        assert_eq!(
            a.status,
            b.status,
            "{method} {path} {body}: s3 {} vs embedded {}",
            String::from_utf8_lossy(&a.body),
            String::from_utf8_lossy(&b.body)
        );
        (a, b)
    }

    /// A query both must answer identically (scores within float rounding).
    pub async fn same_results(&self, body: Value) -> Vec<Value> {
        let (a, b) = self.send("POST", "/v1/vectors/query", body.clone()).await;
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        let (ra, rb) = (a.json()["results"].clone(), b.json()["results"].clone());
        let (ra, rb) = (ra.as_array().unwrap(), rb.as_array().unwrap());
        let ids = |r: &[Value]| r.iter().map(|p| p["id"].clone()).collect::<Vec<_>>();
        assert_eq!(ids(ra), ids(rb), "{body}");
        for (x, y) in ra.iter().zip(rb) {
            let (sx, sy) = (x["score"].as_f64().unwrap(), y["score"].as_f64().unwrap());
            assert!((sx - sy).abs() < 1e-4, "{body}: score {sx} vs {sy}");
            assert_eq!(x.get("payload"), y.get("payload"), "{body}");
            match (x.get("vector"), y.get("vector")) {
                (None, None) => {}
                (Some(vx), Some(vy)) => {
                    for (p, q) in vx.as_array().unwrap().iter().zip(vy.as_array().unwrap()) {
                        assert!((p.as_f64().unwrap() - q.as_f64().unwrap()).abs() < 1e-6);
                    }
                }
                other => panic!("{body}: vectors differ {other:?}"),
            }
        }
        ra.clone()
    }

    pub async fn both_count(&self, method: &str, path: &str, body: Value, field: &str) -> u64 {
        let (a, b) = self.send(method, path, body.clone()).await;
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        assert_eq!(a.json()[field], b.json()[field], "{body}");
        a.json()[field].as_u64().unwrap()
    }
}
