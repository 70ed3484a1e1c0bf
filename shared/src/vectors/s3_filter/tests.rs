//! Clause-by-clause tests of the S3 Vectors filter translation.

use super::*;
use serde_json::json;

fn tr(filter: Value) -> S3Filter {
    to_s3_filter(&Filter::from_json(&filter, "filter").unwrap()).unwrap()
}

fn doc(filter: Value) -> Value {
    match tr(filter.clone()) {
        S3Filter::Document(d) => d,
        other => panic!("{filter} translated to {other:?}"),
    }
}

fn must(c: Value) -> Value {
    json!({ "must": [c] })
}

fn must_not(c: Value) -> Value {
    json!({ "must_not": [c] })
}

fn rejected(filter: Value) -> (String, String) {
    match to_s3_filter(&Filter::from_json(&filter, "filter").unwrap()) {
        Err(VectorError::Untranslatable { path, reason }) => (path, reason),
        other => panic!("{filter} was not rejected: {other:?}"),
    }
}

fn m(key: &str, kind: &str, v: Value) -> Value {
    json!({ "key": key, "match": { kind: v } })
}

#[test]
fn match_value() {
    assert_eq!(
        doc(must(m("genre", "value", json!("drama")))),
        json!({ "genre": { "$eq": "drama" } })
    );
    assert_eq!(
        doc(must(m("year", "value", json!(2020)))),
        json!({ "year": { "$eq": 2020 } })
    );
    assert_eq!(
        doc(must(m("ok", "value", json!(true)))),
        json!({ "ok": { "$eq": true } })
    );
    assert_eq!(
        doc(must_not(m("genre", "value", json!("drama")))),
        json!({ "$or": [{ "genre": { "$exists": false } }, { "genre": { "$ne": "drama" } }] })
    );
}

#[test]
fn match_any_and_except() {
    assert_eq!(
        doc(must(m("g", "any", json!(["a", "b"])))),
        json!({ "g": { "$in": ["a", "b"] } })
    );
    assert_eq!(
        doc(must_not(m("n", "any", json!([1, 2])))),
        json!({ "$or": [{ "n": { "$exists": false } }, { "n": { "$nin": [1, 2] } }] })
    );
    assert_eq!(
        doc(must(m("g", "except", json!(["a"])))),
        json!({ "$and": [{ "g": { "$exists": true } }, { "g": { "$nin": ["a"] } }] })
    );
    assert_eq!(
        doc(must_not(m("g", "except", json!(["a"])))),
        json!({ "$or": [{ "g": { "$exists": false } }, { "g": { "$in": ["a"] } }] })
    );
    // Empty lists (S3 requires non-empty $in/$nin): folded to constants or $exists.
    assert_eq!(tr(must(m("g", "any", json!([])))), S3Filter::MatchNone);
    assert_eq!(tr(must_not(m("g", "any", json!([])))), S3Filter::MatchAll);
    assert_eq!(
        doc(must(m("g", "except", json!([])))),
        json!({ "g": { "$exists": true } })
    );
    assert_eq!(
        doc(must_not(m("g", "except", json!([])))),
        json!({ "g": { "$exists": false } })
    );
}

#[test]
fn range() {
    let r = |b: Value| json!({ "key": "price", "range": b });
    assert_eq!(
        doc(must(r(json!({ "gte": 10, "lt": 50.5 })))),
        json!({ "price": { "$gte": 10.0, "$lt": 50.5 } })
    );
    assert_eq!(
        doc(must(r(json!({})))),
        json!({ "price": { "$gte": f64::MIN } })
    );
    assert_eq!(
        doc(must_not(r(json!({ "gt": 1, "lte": 5 })))),
        json!({ "$or": [
            { "price": { "$exists": false } }, { "price": { "$lte": 1.0 } }, { "price": { "$gt": 5.0 } }
        ] })
    );
    assert_eq!(
        doc(must_not(r(json!({ "gte": 1, "lt": 5 })))),
        json!({ "$or": [
            { "price": { "$exists": false } }, { "price": { "$lt": 1.0 } }, { "price": { "$gte": 5.0 } }
        ] })
    );
}

#[test]
fn nested_keys_use_dotted_names() {
    assert_eq!(
        doc(must(m("country.name", "value", json!("Japan")))),
        json!({ "country.name": { "$eq": "Japan" } })
    );
    let (path, reason) = rejected(must(
        json!({ "key": "country.cities[].population", "range": { "gte": 9 } }),
    ));
    assert_eq!(path, "filter.must[0].key");
    assert!(
        reason.contains("'country.cities[].population' projects into arrays"),
        "{reason}"
    );
    assert_eq!(
        rejected(must(m("a[0]", "value", json!(1)))).0,
        "filter.must[0].key"
    );
    assert_eq!(
        rejected(must(m("\"a.b\"", "value", json!(1)))).0,
        "filter.must[0].key"
    );
    assert_eq!(
        rejected(must(m("\"$eq\"", "value", json!(1)))).0,
        "filter.must[0].key"
    );
}

#[test]
fn clauses_combine() {
    let a = m("a", "value", json!(1));
    let b = m("b", "value", json!(2));
    let c = m("c", "value", json!(3));
    let (ea, eb, ec) = (
        json!({ "a": { "$eq": 1 } }),
        json!({ "b": { "$eq": 2 } }),
        json!({ "c": { "$eq": 3 } }),
    );
    let (na, nb) = (
        json!({ "$or": [{ "a": { "$exists": false } }, { "a": { "$ne": 1 } }] }),
        json!({ "$or": [{ "b": { "$exists": false } }, { "b": { "$ne": 2 } }] }),
    );
    assert_eq!(doc(json!({ "must": [a, b] })), json!({ "$and": [ea, eb] }));
    assert_eq!(doc(json!({ "should": [a, b] })), json!({ "$or": [ea, eb] }));
    assert_eq!(
        doc(json!({ "must_not": [a, b] })),
        json!({ "$and": [na, nb] })
    );
    assert_eq!(
        doc(json!({ "must": [a], "should": [b, c], "must_not": [b] })),
        json!({ "$and": [{ "$or": [eb, ec] }, ea, nb] })
    );
    // NOT (a AND b) = NOT a OR NOT b, flattened into one $or.
    assert_eq!(
        doc(json!({ "must_not": [{ "must": [a, b] }] })),
        json!({ "$or": [{ "a": { "$exists": false } }, { "a": { "$ne": 1 } }, { "b": { "$exists": false } }, { "b": { "$ne": 2 } }] })
    );
    // NOT (NOT a) = a; NOT (a OR b) = NOT a AND NOT b.
    assert_eq!(doc(json!({ "must_not": [{ "must_not": [a] }] })), ea);
    assert_eq!(
        doc(json!({ "must_not": [{ "should": [a, b] }] })),
        json!({ "$and": [na, nb] })
    );
    // Single conditions and nested single-clause filters collapse.
    assert_eq!(doc(json!({ "must": [{ "should": [a] }] })), ea);
}

#[test]
fn constants_fold() {
    let a = m("a", "value", json!(1));
    assert_eq!(tr(json!({})), S3Filter::MatchAll);
    assert_eq!(tr(json!({ "must": [] })), S3Filter::MatchAll);
    assert_eq!(tr(json!({ "should": [] })), S3Filter::MatchNone);
    assert_eq!(
        tr(json!({ "must": [a], "should": [] })),
        S3Filter::MatchNone
    );
    assert_eq!(
        tr(json!({ "must_not": [{ "should": [] }] })),
        S3Filter::MatchAll
    );
    assert_eq!(tr(json!({ "must_not": [{}] })), S3Filter::MatchNone);
    assert_eq!(
        doc(json!({ "should": [a, { "should": [] }] })),
        json!({ "a": { "$eq": 1 } })
    );
}

#[test]
fn min_should_expands() {
    let conds = json!([
        m("a", "value", json!(1)),
        m("b", "value", json!(2)),
        m("c", "value", json!(3))
    ]);
    let (ea, eb, ec) = (
        json!({ "a": { "$eq": 1 } }),
        json!({ "b": { "$eq": 2 } }),
        json!({ "c": { "$eq": 3 } }),
    );
    let ms = |k: u64| json!({ "min_should": { "conditions": conds, "min_count": k } });
    assert_eq!(tr(ms(0)), S3Filter::MatchAll);
    assert_eq!(doc(ms(1)), json!({ "$or": [ea, eb, ec] }));
    assert_eq!(
        doc(ms(2)),
        json!({ "$or": [{ "$and": [ea, eb] }, { "$and": [ea, ec] }, { "$and": [eb, ec] }] })
    );
    assert_eq!(doc(ms(3)), json!({ "$and": [ea, eb, ec] }));
    assert_eq!(tr(ms(4)), S3Filter::MatchNone);
    // NOT (at least 3 of 3) = at least 1 of the negations.
    let negated = doc(json!({ "must_not": [ms(3)] }));
    assert_eq!(negated["$or"].as_array().unwrap().len(), 6);
    let many: Vec<Value> = (0..12)
        .map(|i| m(&format!("k{i}"), "value", json!(i)))
        .collect();
    let big = json!({ "min_should": { "conditions": many, "min_count": 6 } });
    assert_eq!(rejected(big).0, "filter.min_should");
}

#[test]
fn untranslatable_clauses_name_their_path() {
    let cases = [
        (
            json!({ "must": [m("d", "text", json!("x"))] }),
            "filter.must[0].match.text",
        ),
        (
            json!({ "should": [{ "is_empty": { "key": "r" } }] }),
            "filter.should[0].is_empty",
        ),
        (
            json!({ "must_not": [{ "is_null": { "key": "r" } }] }),
            "filter.must_not[0].is_null",
        ),
        (
            json!({ "must": [{ "has_id": [1] }] }),
            "filter.must[0].has_id",
        ),
        (
            json!({ "must": [{ "key": "c", "values_count": { "gt": 1 } }] }),
            "filter.must[0].values_count",
        ),
        (
            json!({ "must": [{ "nested": { "key": "d", "filter": {} } }] }),
            "filter.must[0].nested",
        ),
        (
            json!({ "must": [{ "should": [m("a", "value", json!(1)), m("d", "text", json!("x"))] }] }),
            "filter.must[0].should[1].match.text",
        ),
        (
            json!({ "min_should": { "conditions": [{ "has_id": [1] }], "min_count": 1 } }),
            "filter.min_should.conditions[0].has_id",
        ),
    ];
    for (filter, want) in cases {
        let (path, reason) = rejected(filter);
        assert_eq!(path, want);
        assert!(!reason.is_empty());
    }
    let e = to_s3_filter(
        &Filter::from_json(&json!({ "must": [{ "has_id": [1] }] }), "filter").unwrap(),
    )
    .unwrap_err();
    assert!(e.is_client_error());
    assert_eq!(
        e.to_string(),
        "filter.must[0].has_id: S3 Vectors filters apply to metadata only and cannot select vector keys"
    );
}
