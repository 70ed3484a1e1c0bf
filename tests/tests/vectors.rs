//! Vector routes end to end through the gateway router: exact upsert billing, free query and
//! delete, Qdrant filters, per-account isolation with colliding ids, and 400s that cost nothing.

use hexaclaw_shared::accounts;
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_tests::{TestEnv, call, req};
use serde_json::json;

fn points(n: usize, dim: usize, tag: &str) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let v: Vec<f32> = (0..dim)
                .map(|d| ((i * 7 + d * 3) % 11) as f32 + 0.5)
                .collect();
            json!({"id": i, "vector": v, "payload": {"tag": tag, "i": i, "even": i % 2 == 0}})
        })
        .collect()
}

async fn balance(env: &TestEnv, acct: &str) -> MicroCredits {
    accounts::verify_ledger(&env.state.store, acct)
        .await
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_is_billed_exactly_and_query_is_free() {
    let env = TestEnv::embedded().await;
    let g = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, 10).await;
    let r = call(
        &g,
        req(
            "POST",
            "/v1/vectors/upsert",
            Some(&key),
            Some(json!({"points": points(1500, 4, "a")})),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["upserted"], 1500);
    assert!(r.headers.contains_key("x-ratelimit-remaining"));
    // 1 credit per 1K vectors, exact: 1500 → 1.5 credits.
    assert_eq!(
        balance(&env, &acct).await,
        MicroCredits::credits(10) - MicroCredits(1_500_000)
    );
    let r = call(
        &g,
        req(
            "POST",
            "/v1/vectors/upsert",
            Some(&key),
            Some(json!({"points": points(1, 4, "b")})),
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        balance(&env, &acct).await,
        MicroCredits::credits(10) - MicroCredits(1_501_000)
    );
    let gen_id = r.headers["x-generation-id"].to_str().unwrap().to_owned();
    let g2 = call(
        &g,
        req(
            "GET",
            &format!("/v1/generation?id={gen_id}"),
            Some(&key),
            None,
        ),
    )
    .await
    .json();
    assert_eq!(g2["units"], 1);
    assert_eq!(g2["cost"].to_string(), "0.001");

    let before = balance(&env, &acct).await;
    let q = json!({"vector": [1.5, 4.5, 7.5, 10.5], "top_k": 5, "filter": {"must": [{"key": "even", "match": {"value": true}}]}});
    let r = call(&g, req("POST", "/v1/vectors/query", Some(&key), Some(q))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let results = r.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 5);
    for w in results.windows(2) {
        assert!(w[0]["score"].as_f64().unwrap() >= w[1]["score"].as_f64().unwrap());
    }
    assert!(results.iter().all(|p| p["payload"]["even"] == true));
    assert_eq!(balance(&env, &acct).await, before, "query is free");

    // Delete by ids, then by filter; both free.
    let r = call(
        &g,
        req(
            "DELETE",
            "/v1/vectors/delete",
            Some(&key),
            Some(json!({"ids": [2, 4, 6]})),
        ),
    )
    .await;
    assert_eq!(r.json()["deleted"], 3);
    let r = call(
        &g,
        req(
            "DELETE",
            "/v1/vectors/delete",
            Some(&key),
            Some(json!({"filter": {"must": [{"key": "tag", "match": {"value": "b"}}]}})),
        ),
    )
    .await;
    assert_eq!(r.json()["deleted"], 1);
    assert_eq!(balance(&env, &acct).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_never_see_each_others_points() {
    let env = TestEnv::embedded().await;
    let g = env.gateway();
    let (_, alice) = env.account_with_key(Tier::Pro, 5).await;
    let (_, bob) = env.account_with_key(Tier::Pro, 5).await;
    // Same ids, same collection name, same payload keys.
    for (k, tag) in [(&alice, "alice"), (&bob, "bob")] {
        let r = call(
            &g,
            req(
                "POST",
                "/v1/vectors/upsert",
                Some(k),
                Some(json!({"collection": "mem", "points": points(20, 3, tag)})),
            ),
        )
        .await;
        assert_eq!(r.status, 200);
    }
    let q = json!({"collection": "mem", "vector": [1.0, 2.0, 3.0], "top_k": 100, "filter": {"should": [{"key": "tag", "match": {"any": ["alice", "bob"]}}, {"has_id": [1, 2, 3]}]}});
    let r = call(&g, req("POST", "/v1/vectors/query", Some(&alice), Some(q)))
        .await
        .json();
    let res = r["results"].as_array().unwrap();
    assert_eq!(res.len(), 20);
    assert!(res.iter().all(|p| p["payload"]["tag"] == "alice"));
    // Bob deletes "everything" by filter and by Alice's ids: only his own points go.
    let r = call(&g, req("DELETE", "/v1/vectors/delete", Some(&bob), Some(json!({"collection": "mem", "filter": {"must": [{"key": "tag", "match": {"value": "alice"}}]}})))).await;
    assert_eq!(r.json()["deleted"], 0);
    let r = call(
        &g,
        req(
            "DELETE",
            "/v1/vectors/delete",
            Some(&bob),
            Some(json!({"collection": "mem", "ids": [1, 2, 3]})),
        ),
    )
    .await;
    assert_eq!(r.json()["deleted"], 3);
    let r = call(
        &g,
        req(
            "POST",
            "/v1/vectors/query",
            Some(&alice),
            Some(json!({"collection": "mem", "vector": [1.0, 2.0, 3.0], "top_k": 100})),
        ),
    )
    .await
    .json();
    assert_eq!(r["results"].as_array().unwrap().len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_400_and_free() {
    let env = TestEnv::embedded().await;
    let g = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, 50).await;
    let r = call(
        &g,
        req(
            "POST",
            "/v1/vectors/upsert",
            Some(&key),
            Some(json!({"points": points(3, 4, "a")})),
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    let start = balance(&env, &acct).await;
    let too_many: Vec<_> = (0..10_001)
        .map(|i| json!({"id": i, "vector": [1.0, 2.0, 3.0, 4.0]}))
        .collect();
    let cases = vec![
        (
            "/v1/vectors/upsert",
            json!({"points": [{"id": 9, "vector": [1.0, 2.0, 3.0]}]}),
            "dimension",
        ),
        (
            "/v1/vectors/upsert",
            json!({"points": [{"id": 9, "vector": []}]}),
            "empty",
        ),
        ("/v1/vectors/upsert", json!({"points": []}), "points"),
        ("/v1/vectors/upsert", json!({"points": too_many}), "10000"),
        (
            "/v1/vectors/upsert",
            json!({"points": [{"id": -1, "vector": [1.0, 2.0, 3.0, 4.0]}]}),
            "id",
        ),
        (
            "/v1/vectors/query",
            json!({"vector": [1.0, 2.0, 3.0, 4.0], "top_k": 101}),
            "top_k",
        ),
        (
            "/v1/vectors/query",
            json!({"vector": [1.0, 2.0, 3.0, 4.0], "filter": {"must": [{"key": "x", "range": {"gtx": 1}}]}}),
            "gtx",
        ),
        (
            "/v1/vectors/query",
            json!({"vector": [1.0, 2.0]}),
            "dimension",
        ),
        ("/v1/vectors/delete", json!({}), "ids"),
    ];
    for (path, body, needle) in cases {
        let method = if path.ends_with("delete") {
            "DELETE"
        } else {
            "POST"
        };
        let r = call(&g, req(method, path, Some(&key), Some(body))).await;
        let msg = r.assert_error(400);
        assert!(
            msg.to_lowercase().contains(&needle.to_lowercase())
                || needle == "10000" && msg.contains("10"),
            "{path}: {msg}"
        );
        assert!(r.headers.contains_key("x-ratelimit-limit") || r.status == 400);
    }
    // NaN cannot be written in JSON, but an overflowing literal becomes infinity in some parsers.
    let r = call(
        &g,
        http::Request::builder()
            .method("POST")
            .uri("/v1/vectors/upsert")
            .header("authorization", format!("Bearer {key}"))
            .body(axum::body::Body::from(
                r#"{"points":[{"id":1,"vector":[1e999,1,1,1]}]}"#,
            ))
            .unwrap(),
    )
    .await;
    r.assert_error(400);
    assert_eq!(
        balance(&env, &acct).await,
        start,
        "no charge for rejected requests"
    );
    // Missing scope → 403.
    let scoped = env.key_for(&acct, &["chat"]).await;
    call(
        &g,
        req(
            "POST",
            "/v1/vectors/query",
            Some(&scoped),
            Some(json!({"vector": [1.0, 2.0, 3.0, 4.0]})),
        ),
    )
    .await
    .assert_error(403);
}
