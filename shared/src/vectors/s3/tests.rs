//! Unit tests of the pure parts of the S3 Vectors engine: index names, keys, metadata, scores,
//! request building, and the registry's first-writer-wins creation.

use super::api::{self, Staged};
use super::layout::*;
use super::prepare::{check_fit, finish_points, validate_upsert};
use super::registry::{Entry, Registry};
use crate::store::embedded::EmbeddedEngine;
use crate::vectors::s3_filter::{S3Filter, to_s3_filter};
use crate::vectors::{Distance, Filter, Namespace, PointId, ScoredPoint, UpsertRequest};
use aws_sdk_s3vectors::types::{DistanceMetric, VectorData};
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn index_names_are_valid_stable_and_distinct() {
    let a = Namespace::for_account("acct_1");
    let name = index_name(&a, "mem");
    assert_eq!(name, index_name(&a, "mem"));
    assert_eq!(name.len(), 34);
    assert!(name.starts_with("c-"));
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    );
    assert!(name.as_bytes()[33].is_ascii_alphanumeric());
    assert_ne!(name, index_name(&a, "Mem"));
    assert_ne!(name, index_name(&Namespace::for_account("acct_2"), "mem"));
    // The separator cannot be forged: collection names have no '/'.
    assert_ne!(
        index_name(&Namespace::for_account("a/b"), "c"),
        index_name(&Namespace::for_account("a"), "b.c")
    );
}

#[test]
fn bucket_accepts_a_name_or_an_arn() {
    assert_eq!(bucket_name("hexaclaw-vectors"), "hexaclaw-vectors");
    assert_eq!(
        bucket_name("arn:aws:s3vectors:us-east-1:123456789012:bucket/hexaclaw-vectors"),
        "hexaclaw-vectors"
    );
}

#[test]
fn keys_keep_numbers_and_strings_apart() {
    assert_eq!(encode_key(&PointId::Num(42)), "n:42");
    assert_eq!(encode_key(&PointId::Str("42".into())), "s:42");
    for id in [
        PointId::Num(0),
        PointId::Num(u64::MAX),
        PointId::Str("doc-1".into()),
        PointId::Str("n:7".into()),
        PointId::Str("ünï".into()),
    ] {
        assert_eq!(decode_key(&encode_key(&id)), Some(id));
    }
    for foreign in [
        "42",
        "n:",
        "n:-1",
        "n:+1",
        "n:1.5",
        "s:",
        "x:1",
        "n:99999999999999999999",
    ] {
        assert_eq!(decode_key(foreign), None, "{foreign}");
    }
    assert!(check_key(&encode_key(&PointId::Str("a".repeat(1022))), "id").is_ok());
    let err = check_key(&encode_key(&PointId::Str("a".repeat(1023))), "points[4].id").unwrap_err();
    assert!(err.is_client_error());
    assert!(
        err.to_string().starts_with("points[4].id is too long"),
        "{err}"
    );
}

#[test]
fn metadata_flattens_filterable_leaves_and_keeps_the_whole_payload() {
    let long = "x".repeat(MAX_FILTERABLE_STRING_BYTES + 1);
    let payload = obj(json!({
        "tag": "a", "n": 3, "f": 1.5, "ok": true,
        "country": {"name": "FR", "code": {"iso": "fr"}},
        "tags": ["x", "y"], "nums": [1, 2.5], "mixed": ["a", 1], "empty": [], "none": null,
        "objs": [{"a": 1}], "text": long, "a.b": 1, "$x": 2, "": 3, "_hx_payload": "mine",
        "blank": {}
    }));
    let meta = metadata(Some(&payload), "points[0].payload").unwrap();
    let mut keys: Vec<&str> = meta.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "_hx_payload",
            "country.code.iso",
            "country.name",
            "f",
            "n",
            "nums",
            "ok",
            "tag",
            "tags"
        ]
    );
    assert_eq!(meta["country.name"], json!("FR"));
    assert_eq!(meta["nums"], json!([1, 2.5]));
    // The payload key holds the user's payload, not the user's field of the same name.
    let back = payload_from_metadata(Some(&Value::Object(meta)), "n:1").unwrap();
    assert_eq!(back, Some(payload));
    assert!(metadata(None, "p").unwrap().is_empty());
    assert_eq!(
        payload_from_metadata(Some(&json!({})), "n:1").unwrap(),
        None
    );
    assert!(payload_from_metadata(Some(&json!({PAYLOAD_KEY: "{bad"})), "n:1").is_err());
}

#[test]
fn flattened_keys_are_the_keys_filters_name() {
    let payload = obj(json!({"country": {"name": "FR"}, "year": 2020}));
    let meta = metadata(Some(&payload), "p").unwrap();
    let f = Filter::from_json(
        &json!({"must": [{"key": "country.name", "match": {"value": "FR"}}, {"key": "year", "range": {"gte": 2000}}]}),
        "filter",
    )
    .unwrap();
    let S3Filter::Document(doc) = to_s3_filter(&f).unwrap() else {
        panic!("expected a document");
    };
    for clause in doc["$and"].as_array().unwrap() {
        let key = clause.as_object().unwrap().keys().next().unwrap();
        assert!(meta.contains_key(key), "{key} not written");
    }
}

#[test]
fn metadata_budgets_are_enforced_with_the_point_named() {
    let many: Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!(i))).collect();
    let err = metadata(Some(&many), "points[7].payload").unwrap_err();
    assert!(err.is_client_error());
    assert!(
        err.to_string()
            .contains("points[7].payload has 50 filterable fields"),
        "{err}"
    );
    let at_limit: Map<String, Value> = (0..49).map(|i| (format!("k{i}"), json!(i))).collect();
    assert!(metadata(Some(&at_limit), "p").is_ok());
    let wide: Map<String, Value> = (0..10)
        .map(|i| (format!("k{i}"), json!("v".repeat(250))))
        .collect();
    let err = metadata(Some(&wide), "points[1].payload").unwrap_err();
    assert!(err.to_string().contains("2048"), "{err}");
    // Long text is fine: stored whole, not filterable.
    let text = obj(json!({"text": "t".repeat(30_000), "source": "a.pdf"}));
    let meta = metadata(Some(&text), "p").unwrap();
    assert!(meta.contains_key("source") && !meta.contains_key("text"));
    let huge = obj(json!({"text": "t".repeat(MAX_METADATA_BYTES)}));
    assert!(
        metadata(Some(&huge), "points[2].payload")
            .unwrap_err()
            .to_string()
            .contains("40960")
    );
}

fn sp(id: u64, score: f32) -> ScoredPoint {
    ScoredPoint {
        id: PointId::Num(id),
        score,
        payload: None,
        vector: None,
    }
}

#[test]
fn scores_follow_the_embedded_convention() {
    assert_eq!(score_from_distance(Distance::Cosine, 0.25), 0.75);
    assert_eq!(score_from_distance(Distance::Cosine, 0.0), 1.0);
    assert_eq!(score_from_distance(Distance::Euclid, 5.0), 5.0);
    assert!(passes_threshold(Distance::Cosine, 0.8, Some(0.8)));
    assert!(!passes_threshold(Distance::Cosine, 0.79, Some(0.8)));
    assert!(passes_threshold(Distance::Euclid, 2.0, Some(2.0)));
    assert!(!passes_threshold(Distance::Euclid, 2.1, Some(2.0)));
    assert!(passes_threshold(Distance::Euclid, 1e9, None));
    let mut v = vec![sp(3, 0.5), sp(1, 0.9), sp(2, 0.5)];
    rank(Distance::Cosine, &mut v);
    assert_eq!(
        v.iter().map(|p| p.score).collect::<Vec<_>>(),
        [0.9, 0.5, 0.5]
    );
    assert_eq!(v[1].id, PointId::Num(2));
    rank(Distance::Euclid, &mut v);
    assert_eq!(
        v.iter().map(|p| p.score).collect::<Vec<_>>(),
        [0.5, 0.5, 0.9]
    );
    assert_eq!(v[0].id, PointId::Num(2));
    assert_eq!(probe_vector(3), [1.0, 0.0, 0.0]);
}

fn staged(key: &str, v: &[f32]) -> Staged {
    (key.to_string(), v.to_vec(), Map::new())
}

#[test]
fn points_are_normalised_and_the_last_duplicate_wins() {
    let pts = vec![
        staged("n:1", &[3.0, 4.0]),
        staged("n:2", &[1.0, 0.0]),
        staged("n:1", &[0.0, 2.0]),
    ];
    let out = finish_points(Distance::Cosine, pts.clone()).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0], staged("n:2", &[1.0, 0.0]));
    assert_eq!(out[1], staged("n:1", &[0.0, 1.0]));
    let raw = finish_points(Distance::Euclid, pts).unwrap();
    assert_eq!(raw[1].1, vec![0.0, 2.0]);
    let zero = vec![staged("n:1", &[1.0, 1.0]), staged("n:2", &[0.0, 0.0])];
    let err = finish_points(Distance::Cosine, zero.clone()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("points[1].vector has zero length"),
        "{err}"
    );
    assert!(finish_points(Distance::Euclid, zero).is_ok());
}

#[test]
fn upserts_are_checked_like_the_embedded_engine_and_dot_is_refused() {
    let up = |v: Value| UpsertRequest::from_json(&v).unwrap();
    assert_eq!(
        validate_upsert(&up(json!({"points": [{"id": 1, "vector": [1.0, 2.0]}]}))).unwrap(),
        2
    );
    let dot = validate_upsert(&up(
        json!({"distance": "dot", "points": [{"id": 1, "vector": [1.0]}]}),
    ));
    let msg = dot.unwrap_err().to_string();
    assert!(
        msg.contains("'dot' is not available") && msg.contains("euclid"),
        "{msg}"
    );
    let e = Entry {
        bucket: "b".into(),
        index: "c-x".into(),
        dimension: 4,
        distance: Distance::Euclid,
    };
    assert!(check_fit("mem", 4, &e, None).is_ok());
    assert!(check_fit("mem", 4, &e, Some(Distance::Euclid)).is_ok());
    let dim = check_fit("mem", 3, &e, None).unwrap_err().to_string();
    assert_eq!(
        dim,
        "points[0].vector has dimension 3, collection 'mem' has dimension 4"
    );
    let dist = check_fit("mem", 4, &e, Some(Distance::Cosine))
        .unwrap_err()
        .to_string();
    assert!(dist.contains("uses distance euclid"), "{dist}");
}

#[test]
fn documents_round_trip_json_exactly() {
    let v = json!({"u": u64::MAX, "i": -5, "f": 0.25, "s": "x", "b": false, "n": null, "a": [1, "two", [3]], "o": {"k": {}}});
    assert_eq!(api::to_json(&api::to_document(&v)), v);
}

fn client() -> aws_sdk_s3vectors::Client {
    let conf = aws_sdk_s3vectors::Config::builder()
        .behavior_version(aws_sdk_s3vectors::config::BehaviorVersion::latest())
        .region(aws_sdk_s3vectors::config::Region::new("us-east-1"))
        .build();
    aws_sdk_s3vectors::Client::from_conf(conf)
}

#[test]
fn requests_carry_the_layout() {
    let e = Entry {
        bucket: "vb".into(),
        index: "c-abc".into(),
        dimension: 2,
        distance: Distance::Cosine,
    };
    let meta = metadata(Some(&obj(json!({"tag": "a"}))), "p").unwrap();
    let inputs = api::put_inputs(&[("s:doc".into(), vec![0.6, 0.8], meta.clone())]).unwrap();
    assert_eq!(inputs[0].key(), "s:doc");
    assert_eq!(inputs[0].data(), Some(&VectorData::Float32(vec![0.6, 0.8])));
    assert_eq!(api::to_json(inputs[0].metadata()), Value::Object(meta));
    let filter = json!({"tag": {"$eq": "a"}});
    let c = client();
    let q = api::query_request(&c, &e, vec![1.0, 0.0], 7, Some(&filter), false);
    let input = q.as_input();
    assert_eq!(input.get_vector_bucket_name().as_deref(), Some("vb"));
    assert_eq!(input.get_index_name().as_deref(), Some("c-abc"));
    assert_eq!(*input.get_top_k(), Some(7));
    assert_eq!(input.get_filter().as_ref().map(api::to_json), Some(filter));
    assert_eq!(*input.get_return_distance(), Some(true));
    assert_eq!(*input.get_return_metadata(), Some(false));
    let unfiltered = api::query_request(&c, &e, vec![1.0, 0.0], 1, None, true);
    assert!(unfiltered.as_input().get_filter().is_none());
    assert_eq!(api::metric(Distance::Cosine), Some(DistanceMetric::Cosine));
    assert_eq!(
        api::metric(Distance::Euclid),
        Some(DistanceMetric::Euclidean)
    );
    assert_eq!(api::metric(Distance::Dot), None);
}

#[tokio::test]
async fn concurrent_first_registrations_agree_on_one_entry() {
    let store: crate::store::StoreRef = Arc::new(EmbeddedEngine::open_in_memory().unwrap());
    let ns = Namespace::for_account("acct");
    let want = |dimension| Entry {
        bucket: "vb".into(),
        index: index_name(&ns, "mem"),
        dimension,
        distance: Distance::Cosine,
    };
    let (r1, r2) = (Registry::new(store.clone()), Registry::new(store.clone()));
    let (a, b) = tokio::join!(
        r1.create(&ns, "mem", want(3)),
        r2.create(&ns, "mem", want(5))
    );
    let ((ea, ca), (eb, cb)) = (a.unwrap(), b.unwrap());
    assert_eq!(ea, eb, "both callers see the winner's entry");
    assert!(ca ^ cb, "exactly one caller created it");
    // A third process reads it from the store; another account sees nothing.
    let fresh = Registry::new(store.clone());
    assert_eq!(fresh.get(&ns, "mem").await.unwrap(), Some(ea));
    assert_eq!(
        fresh
            .get(&Namespace::for_account("other"), "mem")
            .await
            .unwrap(),
        None
    );
    let item = store
        .get(
            crate::store::Table::Vectors,
            &super::registry::key(&ns, "mem"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.s("pk"), Some("VCOLL#acct"));
    assert_eq!(item.s("distance"), Some("cosine"));
}
