//! Tests of request parsing: defaults and the exact validation messages.

use super::*;
use serde_json::json;

fn upsert_err(body: Value) -> String {
    UpsertRequest::from_json(&body).unwrap_err().to_string()
}

fn query_err(body: Value) -> String {
    QueryRequest::from_json(&body).unwrap_err().to_string()
}

fn delete_err(body: Value) -> String {
    DeleteRequest::from_json(&body).unwrap_err().to_string()
}

#[test]
fn upsert_parses_points() {
    let req = UpsertRequest::from_json(&json!({ "points": [
        { "id": "doc-1", "vector": [0.1, 0.2], "payload": { "text": "Hello world" } },
        { "id": 7, "vector": [1, -2] }
    ]}))
    .unwrap();
    assert_eq!(req.collection, "default");
    assert_eq!(req.distance, None);
    assert_eq!(req.dimension(), 2);
    assert_eq!(req.points[0].id, PointId::Str("doc-1".into()));
    assert_eq!(
        req.points[0].payload.as_ref().unwrap()["text"],
        "Hello world"
    );
    assert_eq!(req.points[1].vector, vec![1.0, -2.0]);
    assert_eq!(req.points[1].payload, None);
    let req = UpsertRequest::from_json(&json!({ "collection": "notes.v2", "distance": "Dot",
        "points": [{ "id": 1, "vector": [1] }] }))
    .unwrap();
    assert_eq!(
        (req.collection.as_str(), req.distance),
        ("notes.v2", Some(Distance::Dot))
    );
}

#[test]
fn upsert_rejections_say_what_is_wrong() {
    let p = |v: Value| json!({ "id": 1, "vector": v });
    let cases = [
        (json!([]), "the body must be a JSON object, got an array"),
        (json!({}), "points is required and must be an array"),
        (json!({ "points": [] }), "points must not be empty"),
        (
            json!({ "points": [p(json!([1, 2])), p(json!([1, 2])), p(json!([1, 2])), p(json!([1, 2, 3]))] }),
            "points[3].vector has dimension 3, points[0].vector has dimension 2",
        ),
        (
            json!({ "points": [p(json!([]))] }),
            "points[0].vector is empty",
        ),
        (
            json!({ "points": [p(json!([1, "x"]))] }),
            "points[0].vector[1] must be a number, got a string",
        ),
        (
            json!({ "points": [p(json!([1, 1e300]))] }),
            "points[0].vector[1] is not a finite 32-bit number",
        ),
        (
            json!({ "points": [p(json!(null))] }),
            "points[0].vector must be an array of numbers, got null",
        ),
        (
            json!({ "points": [{ "vector": [1] }] }),
            "points[0].id is required",
        ),
        (
            json!({ "points": [{ "id": 1.5, "vector": [1] }] }),
            "points[0].id must be an unsigned integer or a string, got 1.5",
        ),
        (
            json!({ "points": [{ "id": 1, "vector": [1], "payload": [1] }] }),
            "points[0].payload must be an object, got an array",
        ),
        (
            json!({ "points": [{ "id": 1, "vector": [1], "meta": {} }] }),
            "points[0]: unknown field 'meta' (expected id, vector, payload)",
        ),
        (
            json!({ "points": [p(json!([1]))], "collection": "a b" }),
            "collection must be 1 to 64 characters of letters, digits, '_', '-' or '.', got 'a b'",
        ),
        (
            json!({ "points": [p(json!([1]))], "distance": "l1" }),
            "distance must be one of 'cosine', 'dot', 'euclid', got 'l1'",
        ),
        (
            json!({ "points": [p(json!([1]))], "namespace": "x" }),
            "unknown field 'namespace' (expected one of: points, collection, distance)",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(upsert_err(body), want);
    }
    let too_many: Vec<Value> = (0..10_001)
        .map(|i| json!({ "id": i, "vector": [1] }))
        .collect();
    assert_eq!(
        upsert_err(json!({ "points": too_many })),
        "points has 10001 entries, the maximum is 10000"
    );
    let big = vec![0.5; MAX_DIMENSION + 1];
    assert_eq!(
        upsert_err(json!({ "points": [{ "id": 1, "vector": big }] })),
        "points[0].vector has dimension 4097, the maximum is 4096"
    );
}

#[test]
fn query_defaults_and_fields() {
    let q = QueryRequest::from_json(&json!({ "vector": [0.1, 0.2] })).unwrap();
    assert_eq!(q.collection, "default");
    assert_eq!(q.top_k, 10);
    assert!(q.with_payload && !q.with_vector);
    assert_eq!((q.filter.clone(), q.score_threshold), (None, None));
    let q = QueryRequest::from_json(&json!({ "vector": [1], "top_k": 100, "with_payload": false,
        "with_vector": true, "score_threshold": 0.5, "collection": "c",
        "filter": { "must": [{ "key": "a", "match": { "value": "x" } }] } }))
    .unwrap();
    assert_eq!((q.top_k, q.with_payload, q.with_vector), (100, false, true));
    assert_eq!(q.score_threshold, Some(0.5));
    assert!(q.filter.is_some());
}

#[test]
fn query_rejections_say_what_is_wrong() {
    let cases = [
        (json!({}), "vector is required"),
        (json!({ "vector": [] }), "vector is empty"),
        (
            json!({ "vector": [1], "top_k": 0 }),
            "top_k must be an integer from 1 to 100, got 0",
        ),
        (
            json!({ "vector": [1], "top_k": 101 }),
            "top_k must be an integer from 1 to 100, got 101",
        ),
        (
            json!({ "vector": [1], "top_k": 2.5 }),
            "top_k must be an integer from 1 to 100, got 2.5",
        ),
        (
            json!({ "vector": [1], "top_k": "5" }),
            "top_k must be an integer from 1 to 100, got a string",
        ),
        (
            json!({ "vector": [1], "with_payload": ["text"] }),
            "with_payload must be a boolean, got an array",
        ),
        (
            json!({ "vector": [1], "score_threshold": "high" }),
            "score_threshold must be a number, got a string",
        ),
        (
            json!({ "vector": [1], "filter": { "must": [{ "key": "p", "range": { "gtx": 1 } }] } }),
            "filter.must[0].range: unknown key 'gtx'",
        ),
        (
            json!({ "vector": [1], "limit": 5 }),
            "unknown field 'limit' (expected one of: vector, top_k, filter, with_payload, with_vector, score_threshold, collection)",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(query_err(body), want);
    }
}

#[test]
fn delete_needs_exactly_one_selector() {
    let d = DeleteRequest::from_json(&json!({ "ids": [1, "a"], "collection": "c" })).unwrap();
    assert_eq!(d.collection, "c");
    assert_eq!(
        d.selector,
        DeleteSelector::Ids(vec![PointId::Num(1), PointId::Str("a".into())])
    );
    let d = DeleteRequest::from_json(&json!({ "filter": {} })).unwrap();
    assert_eq!(d.selector, DeleteSelector::Filter(Filter::default()));
    assert_eq!(
        delete_err(json!({})),
        "give exactly one of 'ids' or 'filter'"
    );
    assert_eq!(
        delete_err(json!({ "ids": [1], "filter": {} })),
        "give exactly one of 'ids' or 'filter'"
    );
    assert_eq!(delete_err(json!({ "ids": [] })), "ids must not be empty");
    assert_eq!(
        delete_err(json!({ "ids": 5 })),
        "ids must be an array, got a number"
    );
    assert_eq!(
        delete_err(json!({ "ids": [1, {}] })),
        "ids[1] must be an unsigned integer or a string, got an object"
    );
    assert_eq!(
        delete_err(json!({ "filter": { "must": [{ "key": "a" }] } })),
        "filter.must[0]: a field condition needs exactly one of 'match', 'range', 'values_count'"
    );
}
