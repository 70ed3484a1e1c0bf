//! Engine tests: scoring and ordering per distance, validation against the collection,
//! namespace isolation, persistence across reopen, deletes and drops.

use crate::vectors::{
    DeleteRequest, Distance, EmbeddedVectors, Namespace, PointId, QueryRequest, ScoredPoint,
    UpsertRequest,
};
use serde_json::{Value, json};

pub(super) fn upsert(e: &EmbeddedVectors, ns: &Namespace, body: Value) -> usize {
    e.upsert(ns, UpsertRequest::from_json(&body).unwrap())
        .unwrap()
}

pub(super) fn upsert_err(e: &EmbeddedVectors, ns: &Namespace, body: Value) -> String {
    e.upsert(ns, UpsertRequest::from_json(&body).unwrap())
        .unwrap_err()
        .to_string()
}

pub(super) fn query(e: &EmbeddedVectors, ns: &Namespace, body: Value) -> Vec<ScoredPoint> {
    e.query(ns, &QueryRequest::from_json(&body).unwrap())
        .unwrap()
}

pub(super) fn ids(hits: &[ScoredPoint]) -> Vec<Value> {
    hits.iter().map(|h| h.id.to_json()).collect()
}

pub(super) fn delete(e: &EmbeddedVectors, ns: &Namespace, body: Value) -> usize {
    e.delete(ns, &DeleteRequest::from_json(&body).unwrap())
        .unwrap()
}

#[test]
fn engine_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<EmbeddedVectors>();
}

#[test]
fn cosine_scores_and_order() {
    let e = EmbeddedVectors::open_in_memory().unwrap();
    let ns = Namespace::for_account("a");
    upsert(
        &e,
        &ns,
        json!({ "points": [
            { "id": "x", "vector": [1, 0], "payload": { "t": "x" } },
            { "id": "y", "vector": [0, 2] },
            { "id": "xy", "vector": [3, 3] },
            { "id": "neg", "vector": [-1, 0] }
        ]}),
    );
    let hits = query(&e, &ns, json!({ "vector": [2, 0] }));
    assert_eq!(
        ids(&hits),
        vec![json!("x"), json!("xy"), json!("y"), json!("neg")]
    );
    let scores: Vec<f32> = hits.iter().map(|h| h.score).collect();
    assert!(
        (scores[0] - 1.0).abs() < 1e-6
            && (scores[1] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6
    );
    assert!(scores[2].abs() < 1e-6 && (scores[3] + 1.0).abs() < 1e-6);
    assert_eq!(hits[0].payload.as_ref().unwrap()["t"], "x");
    assert_eq!(
        (hits[1].payload.as_ref(), hits[0].vector.as_ref()),
        (None, None)
    );
    // Vectors come back normalised, as Qdrant returns them for cosine.
    let hits = query(
        &e,
        &ns,
        json!({ "vector": [1, 1], "top_k": 1, "with_vector": true, "with_payload": false }),
    );
    let v = hits[0].vector.clone().unwrap();
    assert!(
        (v[0] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6
            && (v[1] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6
    );
    assert_eq!(hits[0].payload, None);
    let hits = query(&e, &ns, json!({ "vector": [1, 0], "score_threshold": 0.5 }));
    assert_eq!(ids(&hits), vec![json!("x"), json!("xy")]);
}

#[test]
fn dot_and_euclid_and_ties_by_id() {
    let e = EmbeddedVectors::open_in_memory().unwrap();
    let ns = Namespace::for_account("a");
    let points = json!([
        { "id": "b", "vector": [1, 1] }, { "id": 10, "vector": [1, 1] }, { "id": 2, "vector": [1, 1] },
        { "id": "a", "vector": [1, 1] }, { "id": 5, "vector": [3, 0] }, { "id": 6, "vector": [0, 0] }
    ]);
    upsert(
        &e,
        &ns,
        json!({ "collection": "d", "distance": "dot", "points": points }),
    );
    upsert(
        &e,
        &ns,
        json!({ "collection": "e", "distance": "euclid", "points": points }),
    );
    let hits = query(&e, &ns, json!({ "collection": "d", "vector": [1, 1] }));
    assert_eq!(
        ids(&hits),
        vec![
            json!(5),
            json!(2),
            json!(10),
            json!("a"),
            json!("b"),
            json!(6)
        ]
    );
    assert_eq!(
        hits.iter().map(|h| h.score).collect::<Vec<_>>(),
        vec![3.0, 2.0, 2.0, 2.0, 2.0, 0.0]
    );
    // Euclid: smaller distance first, threshold keeps distances <= t.
    let hits = query(
        &e,
        &ns,
        json!({ "collection": "e", "vector": [1, 1], "top_k": 3 }),
    );
    assert_eq!(ids(&hits), vec![json!(2), json!(10), json!("a")]);
    assert_eq!(hits[0].score, 0.0);
    let hits = query(
        &e,
        &ns,
        json!({ "collection": "e", "vector": [3, 0], "score_threshold": 1.5 }),
    );
    assert_eq!(ids(&hits), vec![json!(5)]);
    let info = e.collection_info(&ns, "e").unwrap().unwrap();
    assert_eq!(
        (info.dimension, info.distance, info.points),
        (2, Distance::Euclid, 6)
    );
}

#[test]
fn validation_against_the_collection() {
    let e = EmbeddedVectors::open_in_memory().unwrap();
    let ns = Namespace::for_account("a");
    upsert(
        &e,
        &ns,
        json!({ "points": [{ "id": 1, "vector": [1, 2, 3, 4] }] }),
    );
    assert_eq!(
        upsert_err(
            &e,
            &ns,
            json!({ "points": [{ "id": 2, "vector": [1, 2, 3] }] })
        ),
        "points[0].vector has dimension 3, collection 'default' has dimension 4"
    );
    assert_eq!(
        upsert_err(
            &e,
            &ns,
            json!({ "distance": "dot", "points": [{ "id": 2, "vector": [1, 2, 3, 4] }] })
        ),
        "collection 'default' uses distance cosine, the request asks for dot"
    );
    assert_eq!(
        upsert_err(
            &e,
            &ns,
            json!({ "points": [{ "id": 2, "vector": [1, 1, 1, 1] }, { "id": 3, "vector": [0, 0, 0, 0] }] })
        ),
        "points[1].vector has zero length; cosine distance needs a non-zero vector"
    );
    let q = QueryRequest::from_json(&json!({ "vector": [1, 2] })).unwrap();
    assert_eq!(
        e.query(&ns, &q).unwrap_err().to_string(),
        "vector has dimension 2, collection 'default' has dimension 4"
    );
    let q = QueryRequest::from_json(&json!({ "vector": [0, 0, 0, 0] })).unwrap();
    assert!(e.query(&ns, &q).unwrap_err().is_client_error());
    // A rejected first upsert creates nothing.
    assert_eq!(
        upsert_err(
            &e,
            &ns,
            json!({ "collection": "fresh", "points": [{ "id": 1, "vector": [0, 0] }] })
        ),
        "points[0].vector has zero length; cosine distance needs a non-zero vector"
    );
    assert_eq!(e.collection_info(&ns, "fresh").unwrap(), None);
    // Querying a collection that does not exist yet finds nothing.
    assert!(
        query(
            &e,
            &ns,
            json!({ "collection": "nothing-yet", "vector": [1] })
        )
        .is_empty()
    );
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let e = EmbeddedVectors::open_in_memory().unwrap();
    let ns = Namespace::for_account("a");
    let n = upsert(
        &e,
        &ns,
        json!({ "distance": "dot", "points": [
            { "id": 1, "vector": [1], "payload": { "v": "old" } },
            { "id": 2, "vector": [2] }, { "id": 3, "vector": [3] },
            { "id": 1, "vector": [9], "payload": { "v": "last wins" } }
        ]}),
    );
    assert_eq!(n, 4);
    let hits = query(&e, &ns, json!({ "vector": [1] }));
    assert_eq!(ids(&hits), vec![json!(1), json!(3), json!(2)]);
    assert_eq!(hits[0].payload.as_ref().unwrap()["v"], "last wins");
    upsert(&e, &ns, json!({ "points": [{ "id": 1, "vector": [0.5] }] }));
    let hits = query(&e, &ns, json!({ "vector": [1] }));
    assert_eq!(ids(&hits), vec![json!(3), json!(2), json!(1)]);
    assert_eq!(hits[2].payload, None);
    assert_eq!(delete(&e, &ns, json!({ "ids": [2, 2, 99, "2"] })), 1);
    assert_eq!(
        ids(&query(&e, &ns, json!({ "vector": [1] }))),
        vec![json!(3), json!(1)]
    );
    assert_eq!(
        delete(
            &e,
            &ns,
            json!({ "filter": { "must": [{ "has_id": [3] }] } })
        ),
        1
    );
    assert_eq!(
        delete(&e, &ns, json!({ "collection": "absent", "ids": [1] })),
        0
    );
    assert_eq!(
        ids(&query(&e, &ns, json!({ "vector": [1] }))),
        vec![json!(1)]
    );
}

#[test]
fn namespaces_are_isolated() {
    let e = EmbeddedVectors::open_in_memory().unwrap();
    let (a, b) = (
        Namespace::for_account("acct-a"),
        Namespace::for_account("acct-b"),
    );
    // Same collection, same ids, different dimensions and payloads in each account.
    upsert(
        &e,
        &a,
        json!({ "points": [
            { "id": 1, "vector": [1, 0], "payload": { "owner": "a", "k": 1 } },
            { "id": "doc", "vector": [0, 1], "payload": { "owner": "a", "k": 2 } }
        ]}),
    );
    upsert(
        &e,
        &b,
        json!({ "points": [
            { "id": 1, "vector": [1, 0, 0], "payload": { "owner": "b", "k": 1 } },
            { "id": "doc", "vector": [0, 1, 0], "payload": { "owner": "b", "k": 2 } }
        ]}),
    );
    let everyone = json!({ "should": [{ "key": "owner", "match": { "any": ["a", "b"] } }] });
    let hits = query(&e, &a, json!({ "vector": [1, 1], "filter": everyone }));
    assert_eq!(hits.len(), 2);
    assert!(
        hits.iter()
            .all(|h| h.payload.as_ref().unwrap()["owner"] == "a")
    );
    let hits = query(
        &e,
        &b,
        json!({ "vector": [1, 1, 1], "filter": { "must": [{ "has_id": [1, "doc"] }] } }),
    );
    assert!(
        hits.iter()
            .all(|h| h.payload.as_ref().unwrap()["owner"] == "b")
    );
    // A's dimension does not leak into B's validation and vice versa.
    assert!(
        e.query(
            &b,
            &QueryRequest::from_json(&json!({ "vector": [1, 1] })).unwrap()
        )
        .is_err()
    );
    // Deletes by id and by match-everything filter stay in their namespace.
    assert_eq!(delete(&e, &a, json!({ "ids": [1] })), 1);
    assert_eq!(delete(&e, &a, json!({ "filter": {} })), 1);
    assert_eq!(e.collection_info(&a, "default").unwrap().unwrap().points, 0);
    assert_eq!(e.collection_info(&b, "default").unwrap().unwrap().points, 2);
    assert_eq!(
        query(&e, &b, json!({ "vector": [1, 0, 0], "top_k": 1 }))[0].id,
        PointId::Num(1)
    );
    assert_eq!(e.collections(&a).unwrap().len(), 1);
    assert!(
        e.collections(&Namespace::for_account("acct-c"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(e.drop_namespace(&a).unwrap(), 1);
    assert_eq!(e.collection_info(&a, "default").unwrap(), None);
    assert_eq!(e.collection_info(&b, "default").unwrap().unwrap().points, 2);
}

#[test]
fn concurrent_writers_and_readers() {
    let e = EmbeddedVectors::open_in_memory().unwrap();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let e = &e;
            s.spawn(move || {
                let ns = Namespace::for_account(format!("t{}", t % 2));
                for i in 0..50u64 {
                    let id = t * 1000 + i;
                    upsert(
                        e,
                        &ns,
                        json!({ "points": [{ "id": id, "vector": [1, i as f64 + 1.0] }] }),
                    );
                    let hits = query(e, &ns, json!({ "vector": [1, 1], "top_k": 5 }));
                    assert!(!hits.is_empty() && hits.len() <= 5);
                }
            });
        }
    });
    for t in 0..2 {
        let info = e
            .collection_info(&Namespace::for_account(format!("t{t}")), "default")
            .unwrap();
        assert_eq!(info.unwrap().points, 100);
    }
}

#[test]
fn large_scan_uses_threads_and_matches_single_thread_order() {
    // Enough floats to cross the parallel threshold; every score is distinct or tied by id.
    let e = EmbeddedVectors::open_in_memory().unwrap();
    let ns = Namespace::for_account("big");
    let dim = 64;
    let n = 40_000;
    let points: Vec<Value> = (0..n)
        .map(|i| {
            let mut v = vec![0.0; dim];
            v[0] = ((i * 37) % 1000) as f64;
            v[1] = 1.0;
            json!({ "id": i, "vector": v })
        })
        .collect();
    for chunk in points.chunks(10_000) {
        upsert(&e, &ns, json!({ "distance": "dot", "points": chunk }));
    }
    let mut q = vec![0.0; dim];
    q[0] = 1.0;
    let hits = query(
        &e,
        &ns,
        json!({ "vector": q, "top_k": 100, "filter": { "must_not": [{ "has_id": [27] }] } }),
    );
    // Scores 999 are held by ids i with (i*37)%1000 == 999: i = 27 + 1000k; 27 is excluded.
    let want: Vec<Value> = (1..40).map(|k| json!(27 + 1000 * k)).collect();
    assert_eq!(ids(&hits)[..39], want[..]);
    assert!(hits[..39].iter().all(|h| h.score == 999.0));
    assert_eq!(
        (hits.len(), hits[39].score, hits[99].score),
        (100, 998.0, 997.0)
    );
    assert!(
        hits.windows(2)
            .all(|w| w[0].score > w[1].score || (w[0].score == w[1].score && w[0].id < w[1].id))
    );
}
