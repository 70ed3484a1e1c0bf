//! Persistence tests: what is written survives closing and reopening the database file.

use super::tests::{delete, ids, query, upsert};
use crate::vectors::{Distance, EmbeddedVectors, Namespace};
use serde_json::json;
use std::path::PathBuf;

/// A fresh database path under the system temp dir, removed by the caller.
fn temp_db(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hexaclaw-vectors-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("vectors.sqlite")
}

#[test]
fn survives_reopen() {
    let path = temp_db("reopen");
    let (a, b) = (Namespace::for_account("a"), Namespace::for_account("b"));
    {
        let e = EmbeddedVectors::open(&path).unwrap();
        upsert(
            &e,
            &a,
            json!({ "points": [
                { "id": 1, "vector": [1, 0], "payload": { "x": [1, { "y": null }] } },
                { "id": "1", "vector": [0, 1] },
                { "id": 18_446_744_073_709_551_615u64, "vector": [1, 1] }
            ]}),
        );
        upsert(
            &e,
            &a,
            json!({ "collection": "eu", "distance": "euclid", "points": [{ "id": 7, "vector": [2, 2, 2] }] }),
        );
        upsert(&e, &b, json!({ "points": [{ "id": 1, "vector": [5, 5] }] }));
        upsert(
            &e,
            &a,
            json!({ "points": [{ "id": "1", "vector": [0, 2], "payload": { "replaced": true } }] }),
        );
        assert_eq!(delete(&e, &b, json!({ "ids": [1] })), 1);
        upsert(
            &e,
            &b,
            json!({ "collection": "gone", "points": [{ "id": 1, "vector": [1] }] }),
        );
        assert!(e.drop_collection(&b, "gone").unwrap());
    }
    let e = EmbeddedVectors::open(&path).unwrap();
    let hits = query(&e, &a, json!({ "vector": [1, 0], "with_vector": true }));
    assert_eq!(
        ids(&hits),
        vec![json!(1), json!(18_446_744_073_709_551_615u64), json!("1")]
    );
    assert_eq!(
        hits[0].payload.as_ref().unwrap()["x"],
        json!([1, { "y": null }])
    );
    assert_eq!(hits[2].payload.as_ref().unwrap()["replaced"], json!(true));
    assert_eq!(hits[0].vector, Some(vec![1.0, 0.0]));
    let eu = e.collection_info(&a, "eu").unwrap().unwrap();
    assert_eq!(
        (eu.dimension, eu.distance, eu.points),
        (3, Distance::Euclid, 1)
    );
    assert_eq!(
        query(&e, &a, json!({ "collection": "eu", "vector": [2, 2, 3] }))[0].score,
        1.0
    );
    assert_eq!(e.collection_info(&b, "default").unwrap().unwrap().points, 0);
    assert_eq!(e.collection_info(&b, "gone").unwrap(), None);
    drop(e);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
