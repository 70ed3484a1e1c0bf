//! Unit tests of the filter parser and evaluator, operator by operator.

use crate::vectors::{Filter, PointId};
use serde_json::{Value, json};

fn passes_id(filter: Value, id: PointId, payload: Value) -> bool {
    let f = Filter::from_json(&filter, "filter").unwrap();
    f.matches(&id, payload.as_object())
}

fn passes(filter: Value, payload: Value) -> bool {
    passes_id(filter, PointId::Num(1), payload)
}

fn cond(c: Value, payload: Value) -> bool {
    passes(json!({ "must": [c] }), payload)
}

/// Ids (1-based) of the Qdrant docs' city/color points that pass.
fn cities(filter: Value) -> Vec<u64> {
    let points = [
        ("London", "green"),
        ("London", "red"),
        ("London", "blue"),
        ("Berlin", "red"),
        ("Moscow", "green"),
        ("Moscow", "blue"),
    ];
    let f = Filter::from_json(&filter, "filter").unwrap();
    (1..=6u64)
        .filter(|&i| {
            let (city, color) = points[(i - 1) as usize];
            let p = json!({ "city": city, "color": color });
            f.matches(&PointId::Num(i), p.as_object())
        })
        .collect()
}

fn m(key: &str, value: Value) -> Value {
    json!({ "key": key, "match": { "value": value } })
}

#[test]
fn clauses_follow_the_qdrant_docs_examples() {
    let london = m("city", json!("London"));
    let red = m("color", json!("red"));
    assert_eq!(cities(json!({ "must": [london, red] })), vec![2]);
    assert_eq!(cities(json!({ "should": [london, red] })), vec![1, 2, 3, 4]);
    assert_eq!(cities(json!({ "must_not": [london, red] })), vec![5, 6]);
    assert_eq!(
        cities(json!({ "must": [london], "must_not": [red] })),
        vec![1, 3]
    );
    assert_eq!(
        cities(json!({ "must_not": [{ "must": [london, red] }] })),
        vec![1, 3, 4, 5, 6]
    );
    // A clause may be a single condition instead of a list.
    assert_eq!(cities(json!({ "should": london })), vec![1, 2, 3]);
    // Deeper nesting: (London AND NOT red) OR (Moscow AND NOT (green OR blue)).
    let f = json!({ "should": [
        { "must": [london], "must_not": [red] },
        { "must": [m("city", json!("Moscow"))], "must_not": [{ "should": [m("color", json!("green")), m("color", json!("blue"))] }] }
    ]});
    assert_eq!(cities(f), vec![1, 3]);
}

#[test]
fn empty_clauses() {
    assert_eq!(cities(json!({})), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(cities(json!({ "must": [] })), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(cities(json!({ "must_not": [] })), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(cities(json!({ "should": null })), vec![1, 2, 3, 4, 5, 6]);
    // Qdrant: a present but empty `should` matches nothing (qdrant/qdrant#554, wontfix).
    assert_eq!(cities(json!({ "should": [] })), Vec::<u64>::new());
    assert_eq!(
        cities(json!({ "must_not": [{ "should": [] }] })),
        vec![1, 2, 3, 4, 5, 6]
    );
    // An empty filter used as a condition is true.
    assert_eq!(cities(json!({ "must": [{}] })), vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn min_should_counts_hits() {
    let f = |n: u64| {
        json!({ "min_should": { "min_count": n, "conditions": [
            m("city", json!("London")), m("color", json!("red")), m("color", json!("green"))
        ]}})
    };
    assert_eq!(cities(f(0)), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(cities(f(1)), vec![1, 2, 3, 4, 5]);
    assert_eq!(cities(f(2)), vec![1, 2]);
    assert_eq!(cities(f(3)), Vec::<u64>::new());
    let empty = json!({ "min_should": { "min_count": 1, "conditions": [] } });
    assert_eq!(cities(empty), Vec::<u64>::new());
}

#[test]
fn match_value() {
    assert!(cond(m("c", json!("red")), json!({ "c": "red" })));
    assert!(!cond(m("c", json!("red")), json!({ "c": "Red" })));
    assert!(cond(m("n", json!(3)), json!({ "n": 3 })));
    // Integers compare with integers only: a stored 3.0 or "3" is not 3.
    assert!(!cond(m("n", json!(3)), json!({ "n": 3.0 })));
    assert!(!cond(m("n", json!(3)), json!({ "n": "3" })));
    assert!(cond(m("b", json!(true)), json!({ "b": true })));
    assert!(!cond(m("b", json!(true)), json!({ "b": 1 })));
    // Arrays match when any element does; missing and null never match.
    assert!(cond(m("c", json!("b")), json!({ "c": ["a", "b"] })));
    assert!(!cond(m("c", json!("b")), json!({ "c": [["b"]] })));
    assert!(!cond(m("c", json!("b")), json!({})));
    assert!(!cond(m("c", json!("b")), json!({ "c": null })));
    assert!(!cond(m("c", json!("b")), Value::Null));
}

#[test]
fn match_any() {
    let any = |list: Value| json!({ "key": "c", "match": { "any": list } });
    assert!(cond(
        any(json!(["black", "yellow"])),
        json!({ "c": "black" })
    ));
    assert!(!cond(
        any(json!(["black", "yellow"])),
        json!({ "c": "green" })
    ));
    assert!(cond(
        any(json!(["black", "yellow"])),
        json!({ "c": ["black", "green"] })
    ));
    assert!(cond(any(json!([1, 2])), json!({ "c": 2 })));
    assert!(!cond(any(json!([1, 2])), json!({ "c": "2" })));
    assert!(!cond(any(json!([])), json!({ "c": "black" })));
    assert!(!cond(any(json!(["a"])), json!({})));
}

#[test]
fn match_except() {
    let except = |list: Value| json!({ "key": "c", "match": { "except": list } });
    let by = except(json!(["black", "yellow"]));
    assert!(cond(by.clone(), json!({ "c": "green" })));
    assert!(!cond(by.clone(), json!({ "c": "black" })));
    // Arrays: some element must be outside the list (the Qdrant docs' example).
    assert!(cond(by.clone(), json!({ "c": ["black", "green"] })));
    assert!(!cond(by.clone(), json!({ "c": ["black", "yellow"] })));
    assert!(!cond(by.clone(), json!({ "c": [] })));
    // Missing and null never match; other types always do.
    assert!(!cond(by.clone(), json!({})));
    assert!(!cond(by.clone(), json!({ "c": null })));
    assert!(cond(by.clone(), json!({ "c": 5 })));
    assert!(cond(by, json!({ "c": true })));
    let ints = except(json!([1, 2]));
    assert!(cond(ints.clone(), json!({ "c": 3 })));
    assert!(!cond(ints.clone(), json!({ "c": 2 })));
    assert!(cond(ints.clone(), json!({ "c": 2.5 })));
    assert!(cond(ints, json!({ "c": "x" })));
    assert!(cond(except(json!([])), json!({ "c": "x" })));
}

#[test]
fn match_text_is_substring() {
    let t = json!({ "key": "d", "match": { "text": "good cheap" } });
    assert!(cond(t.clone(), json!({ "d": "a good cheap phone" })));
    assert!(!cond(t.clone(), json!({ "d": "good and cheap" })));
    assert!(cond(t.clone(), json!({ "d": ["x", "very good cheap"] })));
    assert!(!cond(t, json!({ "d": 5 })));
}

#[test]
fn range_bounds() {
    let r = |b: Value| json!({ "key": "p", "range": b });
    assert!(cond(
        r(json!({ "gte": 100, "lte": 450 })),
        json!({ "p": 100 })
    ));
    assert!(cond(
        r(json!({ "gte": 100, "lte": 450 })),
        json!({ "p": 450.0 })
    ));
    assert!(!cond(r(json!({ "gt": 100 })), json!({ "p": 100 })));
    assert!(!cond(r(json!({ "lt": 100 })), json!({ "p": 100 })));
    assert!(cond(r(json!({ "lt": 100.5 })), json!({ "p": 100 })));
    assert!(cond(r(json!({ "gt": null, "lte": 1 })), json!({ "p": -7 })));
    assert!(!cond(r(json!({ "gte": 0 })), json!({ "p": "5" })));
    assert!(!cond(r(json!({ "gte": 0 })), json!({})));
    // Any element of an array; one element must satisfy every bound at once.
    assert!(cond(r(json!({ "gte": 9 })), json!({ "p": [1, 9.5] })));
    assert!(!cond(
        r(json!({ "gt": 2, "lt": 4 })),
        json!({ "p": [1, 5] })
    ));
    assert!(cond(r(json!({})), json!({ "p": 1 })));
    assert!(!cond(r(json!({})), json!({ "p": "x" })));
}

#[test]
fn nested_keys_follow_the_qdrant_docs_examples() {
    let germany = json!({ "country": { "name": "Germany", "cities": [
        { "name": "Berlin", "population": 3.7, "sightseeing": ["Brandenburg Gate", "Reichstag"] },
        { "name": "Munich", "population": 1.5, "sightseeing": ["Marienplatz", "Olympiapark"] }
    ]}});
    let japan = json!({ "country": { "name": "Japan", "cities": [
        { "name": "Tokyo", "population": 9.3, "sightseeing": ["Tokyo Tower", "Tokyo Skytree"] },
        { "name": "Osaka", "population": 2.7, "sightseeing": ["Osaka Castle", "Universal Studios Japan"] }
    ]}});
    let big = json!({ "key": "country.cities[].population", "range": { "gte": 9.0 } });
    assert!(!cond(big.clone(), germany.clone()));
    assert!(cond(big, japan.clone()));
    let castle = m("country.cities[].sightseeing", json!("Osaka Castle"));
    assert!(!cond(castle.clone(), germany.clone()));
    assert!(cond(castle, japan.clone()));
    assert!(cond(m("country.name", json!("Germany")), germany));
    assert!(!cond(
        m("country.cities.name", json!("Tokyo")),
        japan.clone()
    ));
    assert!(cond(m("country.cities[1].name", json!("Osaka")), japan));
}

#[test]
fn nested_object_filter_matches_per_element() {
    let trex = json!({ "dinosaur": "t-rex", "diet": [
        { "food": "leaves", "likes": false }, { "food": "meat", "likes": true } ] });
    let diplo = json!({ "dinosaur": "diplodocus", "diet": [
        { "food": "leaves", "likes": true }, { "food": "meat", "likes": false } ] });
    let flat = json!({ "must": [m("diet[].food", json!("meat")), m("diet[].likes", json!(true))] });
    assert!(passes(flat.clone(), trex.clone()));
    assert!(passes(flat, diplo.clone()));
    let inner = json!({ "must": [m("food", json!("meat")), m("likes", json!(true))] });
    for key in ["diet", "diet[]"] {
        let nested = json!({ "must": [{ "nested": { "key": key, "filter": inner } }] });
        assert!(passes(nested.clone(), trex.clone()));
        assert!(!passes(nested, diplo.clone()));
    }
    let bad = json!({ "must": [{ "nested": { "key": "diet", "filter": { "must": [{ "has_id": [1] }] } } }] });
    let e = Filter::from_json(&bad, "filter").unwrap_err().to_string();
    assert!(
        e.starts_with("filter.must[0].nested.filter.must[0]: has_id is not supported"),
        "{e}"
    );
}

#[test]
fn is_empty_and_is_null() {
    let empty = json!({ "is_empty": { "key": "r" } });
    let null = json!({ "is_null": { "key": "r" } });
    for (payload, is_empty, is_null) in [
        (json!({}), true, false),
        (json!({ "r": null }), true, true),
        (json!({ "r": [] }), true, false),
        (json!({ "r": [null] }), false, false),
        (json!({ "r": 0 }), false, false),
        (json!({ "r": "" }), false, false),
        (json!({ "r": {} }), false, false),
        (json!({ "r": [1] }), false, false),
    ] {
        assert_eq!(
            cond(empty.clone(), payload.clone()),
            is_empty,
            "is_empty {payload}"
        );
        assert_eq!(
            cond(null.clone(), payload.clone()),
            is_null,
            "is_null {payload}"
        );
    }
    // Several selected values: empty when all are empty, null when any is null.
    let deep_empty = json!({ "is_empty": { "key": "a[].b" } });
    let deep_null = json!({ "is_null": { "key": "a[].b" } });
    let mixed = json!({ "a": [{ "b": null }, { "b": 1 }] });
    assert!(!cond(deep_empty.clone(), mixed.clone()));
    assert!(cond(deep_null.clone(), mixed));
    let all_empty = json!({ "a": [{ "b": null }, { "b": [] }, { "c": 1 }] });
    assert!(cond(deep_empty, all_empty.clone()));
    assert!(cond(deep_null.clone(), all_empty));
    assert!(!cond(deep_null, json!({ "a": [{ "b": 1 }, { "b": 2 }] })));
}

#[test]
fn has_id() {
    let f = json!({ "must": [{ "has_id": [1, 3, "doc-5"] }] });
    assert!(passes_id(f.clone(), PointId::Num(3), json!({})));
    assert!(passes_id(
        f.clone(),
        PointId::Str("doc-5".into()),
        json!({})
    ));
    assert!(!passes_id(f.clone(), PointId::Num(2), json!({})));
    assert!(!passes_id(f, PointId::Str("1".into()), json!({})));
    let not = json!({ "must_not": [{ "has_id": [1] }] });
    assert!(!passes_id(not.clone(), PointId::Num(1), json!({})));
    assert!(passes_id(not, PointId::Num(2), json!({})));
}

#[test]
fn values_count() {
    let vc = |b: Value| json!({ "key": "c", "values_count": b });
    assert!(cond(
        vc(json!({ "gt": 2 })),
        json!({ "c": ["a", "b", "c"] })
    ));
    assert!(!cond(vc(json!({ "gt": 2 })), json!({ "c": ["a", "b"] })));
    assert!(cond(
        vc(json!({ "lte": 1, "gte": 1 })),
        json!({ "c": "scalar" })
    ));
    assert!(cond(vc(json!({ "lt": 1 })), json!({ "c": null })));
    assert!(cond(vc(json!({ "lt": 1 })), json!({ "c": [] })));
    // A missing key has zero values (the documented intent, ValuesCount::check_empty).
    assert!(cond(vc(json!({ "lte": 0 })), json!({})));
    assert!(!cond(vc(json!({ "gte": 1 })), json!({})));
}

fn parse_err(filter: Value) -> String {
    Filter::from_json(&filter, "filter")
        .unwrap_err()
        .to_string()
}

#[test]
fn malformed_filters_name_the_clause() {
    let cases = [
        (
            json!({ "must": [m("a", json!(1)), { "key": "p", "range": { "gtx": 1 } }] }),
            "filter.must[1].range: unknown key 'gtx'",
        ),
        (json!({ "musts": [] }), "filter: unknown key 'musts'"),
        (json!([]), "filter must be an object, got an array"),
        (
            json!({ "must": 5 }),
            "filter.must must be an array of conditions, got a number",
        ),
        (
            json!({ "should": [{ "key": "a" }] }),
            "filter.should[0]: a field condition needs exactly one of 'match', 'range', 'values_count'",
        ),
        (
            json!({ "must": [{ "key": "a", "match": { "value": 1 }, "range": {} }] }),
            "filter.must[0]: a field condition needs exactly one of 'match', 'range', 'values_count'",
        ),
        (
            json!({ "must": [{ "key": "a..b", "match": { "value": 1 } }] }),
            "filter.must[0].key: invalid key 'a..b' (use dots, [] or [n]; quote other characters)",
        ),
        (
            json!({ "must": [{ "key": 3, "match": { "value": 1 } }] }),
            "filter.must[0].key must be a string",
        ),
        (
            json!({ "must": [m("a", json!(1.5))] }),
            "filter.must[0].match.value must be a string, an integer or a boolean, got 1.5 (use 'range' for decimals)",
        ),
        (
            json!({ "must": [m("a", json!(null))] }),
            "filter.must[0].match.value must be a string, an integer or a boolean, got null",
        ),
        (
            json!({ "must": [{ "key": "a", "match": { "any": ["x", 1] } }] }),
            "filter.must[0].match.any must be an array of strings or an array of integers",
        ),
        (
            json!({ "must": [{ "key": "a", "match": { "value": 1, "any": [1] } }] }),
            "filter.must[0].match: expected exactly one of 'value', 'any', 'except', 'text'",
        ),
        (
            json!({ "must": [{ "key": "a", "match": { "text": 1 } }] }),
            "filter.must[0].match.text must be a string, got a number",
        ),
        (
            json!({ "must": [{ "key": "a", "range": { "gt": "1" } }] }),
            "filter.must[0].range.gt must be a number, got a string",
        ),
        (
            json!({ "must": [{ "key": "a", "values_count": { "gt": -1 } }] }),
            "filter.must[0].values_count.gt must be a non-negative integer, got -1",
        ),
        (
            json!({ "must": [{ "is_empty": { "field": "a" } }] }),
            "filter.must[0].is_empty: unknown key 'field'",
        ),
        (
            json!({ "must": [{ "is_null": { "key": "a" }, "must": [] }] }),
            "filter.must[0]: unknown key 'must'",
        ),
        (
            json!({ "must": [{ "has_id": [1, -2] }] }),
            "filter.must[0].has_id[1] must be an unsigned integer or a string, got -2",
        ),
        (
            json!({ "must": [{ "key": "a", "geo_radius": {} }] }),
            "filter.must[0]: 'geo_radius' conditions are not supported",
        ),
        (
            json!({ "must": [{ "key": "a", "is_empty": true }] }),
            "filter.must[0]: write {\"is_empty\": {\"key\": ...}} instead of 'is_empty' next to 'key'",
        ),
        (
            json!({ "min_should": { "conditions": [] } }),
            "filter.min_should.min_count must be a non-negative integer",
        ),
        (
            json!({ "must": [{ "nested": { "key": "a" } }] }),
            "filter.must[0].nested.filter is required",
        ),
        (
            json!({ "must": [{ "must_not": [{ "should": [{ "key": "a", "match": { "phrase": "x" } }] }] }] }),
            "filter.must[0].must_not[0].should[0].match: 'phrase' matching is not supported; use 'text'",
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(parse_err(filter), want);
    }
}
