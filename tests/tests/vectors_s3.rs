//! The vectors routes on the Amazon S3 Vectors backend, end to end through the gateway router
//! against a fake S3 Vectors API (moto has no QueryVectors): the same requests sent to the
//! embedded engine give the same answers (ids, order, scores, payloads, vectors, counts and
//! charges); the index layout, batching and limits are visible in the calls the fake records;
//! and moto, where it is available, accepts the engine's writes.

#[path = "vectors_s3/fake.rs"]
mod fake;
#[path = "vectors_s3/fake_filter.rs"]
mod fake_filter;
#[path = "vectors_s3/pair.rs"]
mod pair;

use fake::{BUCKET, FakeS3Vectors};
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_shared::vectors::s3::{S3VectorsEngine, layout};
use hexaclaw_shared::vectors::{Namespace, UpsertRequest, VectorBackend};
use hexaclaw_tests::{TestEnv, call, req};
use pair::{Pair, balance, points, s3_env};
use serde_json::{Value, json};
use std::sync::Arc;
async fn scenario(p: &Pair, fake: &FakeS3Vectors) {
    let docs = points(1200, 8, 1, "a");
    let n = p
        .both_count(
            "POST",
            "/v1/vectors/upsert",
            json!({"collection": "docs", "points": docs}),
            "upserted",
        )
        .await;
    assert_eq!(n, 1200);
    // Billing is the backend's business not at all: 1.2 credits on both.
    assert_eq!(
        balance(&p.s3, &p.k3.0).await,
        MicroCredits::credits(20) - MicroCredits(1_200_000)
    );
    assert_eq!(
        balance(&p.emb, &p.ke.0).await,
        balance(&p.s3, &p.k3.0).await
    );
    let created = fake.calls_to("CreateIndex");
    assert_eq!(created.len(), 1);
    let ns = Namespace::for_account(p.k3.0.clone());
    assert_eq!(
        created[0]["vectorBucketName"], BUCKET,
        "the ARN was reduced to the bucket name"
    );
    assert_eq!(created[0]["indexName"], layout::index_name(&ns, "docs"));
    assert_eq!(created[0]["dimension"], 8);
    assert_eq!(created[0]["distanceMetric"], "cosine");
    assert_eq!(
        created[0]["metadataConfiguration"]["nonFilterableMetadataKeys"],
        json!([layout::PAYLOAD_KEY])
    );
    let sizes: Vec<usize> = fake
        .calls_to("PutVectors")
        .iter()
        .map(|c| c["vectors"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [500, 500, 200]);

    let q: Vec<f32> = points(1, 8, 99, "q")[0]["vector"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    let queries = [
        json!({"collection": "docs", "vector": q, "top_k": 7}),
        json!({"collection": "docs", "vector": q, "top_k": 5, "filter": {"must": [{"key": "even", "match": {"value": true}}]}}),
        json!({"collection": "docs", "vector": q, "top_k": 20, "filter": {"must_not": [{"key": "group.name", "match": {"value": "x"}}], "should": [{"key": "labels", "match": {"any": ["l1", "l2"]}}]}}),
        json!({"collection": "docs", "vector": q, "top_k": 100, "filter": {"must": [{"key": "i", "range": {"gte": 100, "lt": 300}}]}}),
        json!({"collection": "docs", "vector": q, "top_k": 3, "with_vector": true, "with_payload": false}),
        json!({"collection": "docs", "vector": q, "top_k": 50, "score_threshold": 0.6}),
        json!({"collection": "docs", "vector": q, "filter": {"min_should": {"conditions": [{"key": "even", "match": {"value": true}}, {"key": "group.name", "match": {"value": "x"}}, {"key": "i", "range": {"lt": 600}}], "min_count": 2}}}),
        json!({"collection": "nothing-here", "vector": q}),
    ];
    for body in queries {
        p.same_results(body).await;
    }
    let r = p.same_results(json!({"collection": "docs", "vector": q, "top_k": 5, "filter": {"must": [{"key": "even", "match": {"value": true}}]}})).await;
    assert!(r.iter().all(|x| x["payload"]["even"] == true) && r.len() == 5);

    // Euclid: distances, lower first.
    let geo = points(60, 3, 7, "g");
    p.both_count(
        "POST",
        "/v1/vectors/upsert",
        json!({"collection": "geo", "distance": "euclid", "points": geo}),
        "upserted",
    )
    .await;
    let r = p.same_results(json!({"collection": "geo", "vector": [0.1, 0.2, 0.3], "top_k": 10, "score_threshold": 0.5})).await;
    assert!(
        r.windows(2)
            .all(|w| w[0]["score"].as_f64() <= w[1]["score"].as_f64())
    );
    assert!(r.iter().all(|x| x["score"].as_f64().unwrap() <= 0.5));

    // 5 and "5" are different points; a repeated id in one upsert: the last wins.
    let ids = json!({"collection": "ids", "points": [
        {"id": 5, "vector": [1.0, 0.0], "payload": {"v": 1}},
        {"id": "5", "vector": [0.0, 1.0], "payload": {"v": 2}},
        {"id": 5, "vector": [1.0, 0.1], "payload": {"v": 3}}]});
    p.both_count("POST", "/v1/vectors/upsert", ids, "upserted")
        .await;
    let r = p
        .same_results(json!({"collection": "ids", "vector": [1.0, 0.0]}))
        .await;
    assert_eq!(r.len(), 2);
    assert_eq!(
        (r[0]["id"].clone(), r[0]["payload"]["v"].clone()),
        (json!(5), json!(3))
    );

    // Deletes: by ids (only existing ones count), then by filter in rounds of 100.
    let del = json!({"collection": "docs", "ids": [1, 2, 3, 3, 99_999, "1"]});
    assert_eq!(
        p.both_count("DELETE", "/v1/vectors/delete", del.clone(), "deleted")
            .await,
        3
    );
    assert_eq!(
        p.both_count("DELETE", "/v1/vectors/delete", del, "deleted")
            .await,
        0
    );
    fake.forget_calls();
    let even = json!({"collection": "docs", "filter": {"must": [{"key": "even", "match": {"value": true}}]}});
    assert_eq!(
        p.both_count("DELETE", "/v1/vectors/delete", even.clone(), "deleted")
            .await,
        599
    );
    let rounds = fake.calls_to("QueryVectors");
    assert!(rounds.len() >= 6, "{} rounds", rounds.len());
    assert!(
        rounds
            .iter()
            .all(|c| c["topK"] == 100 && c["returnMetadata"] == true)
    );
    assert_eq!(
        p.both_count("DELETE", "/v1/vectors/delete", even, "deleted")
            .await,
        0
    );
    p.same_results(json!({"collection": "docs", "vector": q, "top_k": 100}))
        .await;
    assert_eq!(
        fake.indexes()
            .values()
            .map(|i| i.vectors.len())
            .sum::<usize>(),
        1200 - 3 - 599 + 60 + 2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_on_s3_vectors_answer_like_the_embedded_engine() {
    let fake = FakeS3Vectors::start().await;
    let pair = Pair::new(s3_env(&fake).await).await;
    scenario(&pair, &fake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_on_dynamodb_gives_the_same_answers() {
    let Some(mut env) = TestEnv::dynamo().await else {
        return;
    };
    let fake = FakeS3Vectors::start().await;
    let engine = S3VectorsEngine::for_endpoint(&fake.url, BUCKET, env.state.store.clone()).await;
    env.state.vectors = Some(Arc::new(engine));
    let pair = Pair::new(env).await;
    scenario(&pair, &fake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_get_their_own_indexes() {
    let fake = FakeS3Vectors::start().await;
    let env = s3_env(&fake).await;
    let g = env.gateway();
    let (alice_id, alice) = env.account_with_key(Tier::Pro, 5).await;
    let (bob_id, bob) = env.account_with_key(Tier::Pro, 5).await;
    for (k, tag, seed) in [(&alice, "alice", 1), (&bob, "bob", 2)] {
        let r = call(
            &g,
            req(
                "POST",
                "/v1/vectors/upsert",
                Some(k),
                Some(json!({"collection": "mem", "points": points(20, 3, seed, tag)})),
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let names: Vec<String> = fake.indexes().keys().map(|(_, i)| i.clone()).collect();
    let mut want = vec![
        layout::index_name(&Namespace::for_account(alice_id), "mem"),
        layout::index_name(&Namespace::for_account(bob_id), "mem"),
    ];
    want.sort();
    assert_eq!(names, want);
    let q = json!({"collection": "mem", "vector": [1.0, 2.0, 3.0], "top_k": 100, "filter": {"should": [{"key": "tag", "match": {"any": ["alice", "bob"]}}]}});
    let r = call(&g, req("POST", "/v1/vectors/query", Some(&alice), Some(q)))
        .await
        .json();
    let res = r["results"].as_array().unwrap();
    assert_eq!(res.len(), 20);
    assert!(res.iter().all(|p| p["payload"]["tag"] == "alice"));
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
async fn what_s3_cannot_do_is_a_free_400_before_any_write() {
    let fake = FakeS3Vectors::start().await;
    let env = s3_env(&fake).await;
    let g = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, 50).await;
    let ok = call(
        &g,
        req(
            "POST",
            "/v1/vectors/upsert",
            Some(&key),
            Some(json!({"points": points(3, 4, 5, "a")})),
        ),
    )
    .await;
    assert_eq!(ok.status, 200);
    let start = balance(&env, &acct).await;
    fake.forget_calls();
    let wide: serde_json::Map<String, Value> =
        (0..60).map(|i| (format!("f{i}"), json!(i))).collect();
    let v4 = [1.0, 2.0, 3.0, 4.0];
    let cases = [
        (
            "/v1/vectors/upsert",
            json!({"collection": "d", "distance": "dot", "points": [{"id": 1, "vector": v4}]}),
            "'dot' is not available",
        ),
        (
            "/v1/vectors/upsert",
            json!({"points": [{"id": 1, "vector": v4, "payload": wide}]}),
            "points[0].payload has 60 filterable fields",
        ),
        (
            "/v1/vectors/upsert",
            json!({"points": [{"id": "x".repeat(1023), "vector": v4}]}),
            "points[0].id is too long",
        ),
        (
            "/v1/vectors/upsert",
            json!({"points": [{"id": 9, "vector": [1.0, 2.0]}]}),
            "dimension",
        ),
        (
            "/v1/vectors/upsert",
            json!({"collection": "new", "points": [{"id": 9, "vector": [0.0, 0.0]}]}),
            "zero length",
        ),
        (
            "/v1/vectors/query",
            json!({"vector": v4, "filter": {"must": [{"has_id": [1]}]}}),
            "filter.must[0].has_id",
        ),
        (
            "/v1/vectors/query",
            json!({"collection": "absent", "vector": v4, "filter": {"must": [{"key": "t", "match": {"text": "a"}}]}}),
            "match.text",
        ),
        (
            "/v1/vectors/delete",
            json!({"filter": {"must": [{"is_empty": {"key": "t"}}]}}),
            "is_empty",
        ),
        (
            "/v1/vectors/query",
            json!({"vector": [1.0, 2.0]}),
            "dimension",
        ),
    ];
    for (path, body, needle) in cases {
        let method = if path.ends_with("delete") {
            "DELETE"
        } else {
            "POST"
        };
        let msg = call(&g, req(method, path, Some(&key), Some(body)))
            .await
            .assert_error(400);
        assert!(msg.contains(needle), "{path}: {msg}");
    }
    let calls: Vec<String> = fake.calls().into_iter().map(|(op, _)| op).collect();
    assert!(
        calls.is_empty(),
        "S3 Vectors was not called at all: {calls:?}"
    );
    assert_eq!(balance(&env, &acct).await, start, "rejections are free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_first_upserts_agree_and_a_lost_index_is_recreated() {
    let fake = FakeS3Vectors::start().await;
    let env = s3_env(&fake).await;
    let g = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, 5).await;
    let up = |dim: usize| {
        req(
            "POST",
            "/v1/vectors/upsert",
            Some(&key),
            Some(json!({"collection": "race", "points": points(2, dim, dim as u64, "r")})),
        )
    };
    let (a, b) = tokio::join!(call(&g, up(3)), call(&g, up(5)));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 400],
        "one wins, the other is told the dimension"
    );
    let loser = if a.status == 400 { &a } else { &b };
    assert!(loser.assert_error(400).contains("dimension"));
    assert_eq!(fake.calls_to("CreateIndex").len(), 1);

    let index = layout::index_name(&Namespace::for_account(acct), "race");
    fake.drop_index(&index);
    let dim = fake.calls_to("CreateIndex")[0]["dimension"]
        .as_u64()
        .unwrap() as usize;
    let r = call(&g, up(dim)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(fake.calls_to("CreateIndex").len(), 2);
    assert_eq!(
        fake.indexes().values().next().map(|i| i.vectors.len()),
        Some(2)
    );
}

/// moto implements CreateIndex, PutVectors, GetVectors and DeleteVectors (not QueryVectors):
/// the engine's writes and deletes, and what they store, against a second implementation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_accepts_the_engines_writes() {
    let Some(endpoint) = hexaclaw_tests::dynamo_endpoint() else {
        return;
    };
    let store = hexaclaw_tests::dynamo_store(&endpoint).await;
    let bucket = format!("vb-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let engine = S3VectorsEngine::for_endpoint(&endpoint, &bucket, store).await;
    engine
        .client()
        .create_vector_bucket()
        .vector_bucket_name(&bucket)
        .send()
        .await
        .expect("bucket");
    let ns = Namespace::for_account("acct-moto");
    let mut pts = points(600, 4, 3, "m");
    pts.push(json!({"id": "doc", "vector": [3.0, 4.0, 0.0, 0.0], "payload": {"tag": "s", "n": {"k": 1}}}));
    let up = UpsertRequest::from_json(&json!({"collection": "mem", "points": pts})).unwrap();
    assert_eq!(engine.upsert(&ns, up).await.unwrap(), 601);
    let got = engine
        .client()
        .get_vectors()
        .vector_bucket_name(&bucket)
        .index_name(layout::index_name(&ns, "mem"))
        .keys("s:doc")
        .keys("n:599")
        .keys("n:600")
        .return_data(true)
        .return_metadata(true)
        .send()
        .await
        .expect("GetVectors");
    let mut keys: Vec<&str> = got.vectors().iter().map(|v| v.key()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["n:599", "s:doc"]);
    let doc = got.vectors().iter().find(|v| v.key() == "s:doc").unwrap();
    assert_eq!(
        doc.data().unwrap().as_float32().unwrap(),
        &vec![0.6, 0.8, 0.0, 0.0]
    );
    let meta = doc.metadata().and_then(|m| m.as_object()).unwrap();
    assert_eq!(meta.get("tag").and_then(|d| d.as_string()), Some("s"));
    assert!(meta.contains_key("n.k"));
    let whole = meta
        .get(layout::PAYLOAD_KEY)
        .and_then(|d| d.as_string())
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(whole).unwrap(),
        json!({"tag": "s", "n": {"k": 1}})
    );
    let del = hexaclaw_shared::vectors::DeleteRequest::from_json(
        &json!({"collection": "mem", "ids": ["doc", 0, 7, 12345]}),
    )
    .unwrap();
    assert_eq!(engine.delete(&ns, &del).await.unwrap(), 3);
    assert_eq!(engine.delete(&ns, &del).await.unwrap(), 0);
}
