//! Randomized agreement test: 5,000 points with messy payloads, 200 random filters, every query
//! compared with the brute-force reference (ids, order, scores), then deletes by filter.

use super::reference::{self, RefPoint};
use crate::vectors::{DeleteRequest, EmbeddedVectors, Namespace, QueryRequest, UpsertRequest};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

const POINTS: usize = 5_000;
const FILTERS: usize = 200;
const COLORS: [&str; 4] = ["red", "green", "blue", "black"];
const TAGS: [&str; 5] = ["a", "b", "c", "d", "e"];
const WORDS: [&str; 6] = ["good", "cheap", "fast", "phone", "red", "case"];
const KEYWORDS: [&str; 9] = ["a", "b", "c", "d", "e", "red", "green", "blue", "black"];
/// (collection, distance, dimension, integer components?)
const COLLECTIONS: [(&str, &str, usize, bool); 3] = [
    ("cos", "cosine", 16, false),
    ("dot", "dot", 8, true),
    ("euc", "euclid", 8, true),
];

fn id_for(i: usize) -> Value {
    if i % 3 == 0 {
        json!(format!("k{:05}", (i * 7919) % 100_000))
    } else {
        json!(i as u64 * 13)
    }
}

fn pick(rng: &mut StdRng, list: &[&'static str]) -> &'static str {
    list.choose(rng).copied().unwrap_or_default()
}

fn maybe<T>(rng: &mut StdRng, p: f64, f: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
    if rng.random_bool(p) {
        Some(f(rng))
    } else {
        None
    }
}

fn random_payload(rng: &mut StdRng) -> Value {
    if rng.random_bool(0.05) {
        return Value::Null;
    }
    let mut m = Map::new();
    let roll: f64 = rng.random();
    let color = match roll {
        r if r < 0.55 => Some(json!(pick(rng, &COLORS))),
        r if r < 0.65 => Some(json!(
            (0..rng.random_range(0..4))
                .map(|_| pick(rng, &COLORS))
                .collect::<Vec<_>>()
        )),
        r if r < 0.70 => Some(json!([pick(rng, &COLORS), Value::Null])),
        r if r < 0.80 => Some(Value::Null),
        r if r < 0.85 => Some(json!(7)),
        _ => None,
    };
    let roll: f64 = rng.random();
    let n = match roll {
        r if r < 0.40 => Some(json!(rng.random_range(-5i64..=5))),
        r if r < 0.50 => Some(json!(rng.random_range(-5i64..=5) as f64 + 0.5)),
        // Integral floats: equal to an integer for `range`, never for `match`.
        r if r < 0.55 => Some(json!(rng.random_range(-5i64..=5) as f64)),
        r if r < 0.67 => Some(json!(
            (0..rng.random_range(0..4))
                .map(|_| rng.random_range(-5i64..=5))
                .collect::<Vec<_>>()
        )),
        r if r < 0.70 => Some(json!([rng.random_range(-5i64..=5), Value::Null])),
        r if r < 0.80 => Some(Value::Null),
        r if r < 0.85 => Some(json!("3")),
        _ => None,
    };
    let flag = maybe(rng, 0.7, |r| json!(r.random_bool(0.5)));
    let tags = match rng.random_range(0..10) {
        0 => Some(Value::Null),
        1 | 2 => None,
        _ => Some(json!(
            (0..rng.random_range(0..4))
                .map(|_| pick(rng, &TAGS))
                .collect::<Vec<_>>()
        )),
    };
    let meta = match rng.random_range(0..20) {
        0 => Some(json!("flat")),
        1 => Some(json!([{ "v": 1 }])),
        2..=4 => None,
        _ => {
            let mut meta = Map::new();
            if let Some(s) = maybe(rng, 0.8, |r| json!(r.random_range(0..100) as f64 / 100.0)) {
                meta.insert("score".into(), s);
            }
            let kind = if rng.random_bool(0.8) {
                json!(pick(rng, &TAGS))
            } else {
                json!(rng.random_range(0..3))
            };
            meta.insert("kind".into(), kind);
            let items: Vec<Value> = (0..rng.random_range(0..4))
                .map(|_| {
                    let mut it = Map::new();
                    if rng.random_bool(0.85) {
                        it.insert("v".into(), json!(rng.random_range(0..10)));
                    }
                    it.insert("name".into(), json!(pick(rng, &COLORS)));
                    Value::Object(it)
                })
                .collect();
            meta.insert("items".into(), json!(items));
            Some(Value::Object(meta))
        }
    };
    let text = maybe(rng, 0.5, |r| {
        let words: Vec<&str> = (0..r.random_range(1..5)).map(|_| pick(r, &WORDS)).collect();
        json!(words.join(" "))
    });
    for (k, v) in [
        ("color", color),
        ("n", n),
        ("flag", flag),
        ("tags", tags),
        ("meta", meta),
        ("text", text),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    }
    Value::Object(m)
}

fn random_condition(rng: &mut StdRng, depth: u32) -> Value {
    if depth < 3 && rng.random_bool(0.2) {
        return random_filter(rng, depth + 1);
    }
    let str_keys = ["color", "tags", "meta.kind", "meta.items[].name", "missing"];
    let int_keys = ["n", "meta.kind", "meta.items[].v"];
    let any_key = [
        "color",
        "n",
        "tags",
        "meta",
        "meta.items",
        "meta.items[].v",
        "meta.score",
        "missing",
        "flag",
    ];
    match rng.random_range(0..13) {
        0 => json!({ "key": pick(rng, &str_keys), "match": { "value": pick(rng, &KEYWORDS) } }),
        1 => json!({ "key": pick(rng, &int_keys), "match": { "value": rng.random_range(-5..10) } }),
        2 => json!({ "key": "flag", "match": { "value": rng.random_bool(0.5) } }),
        3 => {
            let list: Vec<&str> = (0..rng.random_range(0..3))
                .map(|_| pick(rng, &KEYWORDS))
                .collect();
            let kind = if rng.random_bool(0.5) {
                "any"
            } else {
                "except"
            };
            json!({ "key": pick(rng, &str_keys), "match": { kind: list } })
        }
        4 => {
            let list: Vec<i64> = (0..rng.random_range(1..4))
                .map(|_| rng.random_range(-5..10))
                .collect();
            let kind = if rng.random_bool(0.5) {
                "any"
            } else {
                "except"
            };
            json!({ "key": pick(rng, &int_keys), "match": { kind: list } })
        }
        5 => json!({ "key": "text", "match": { "text": pick(rng, &WORDS) } }),
        6 => {
            let mut b = Map::new();
            for op in ["gt", "gte", "lt", "lte"] {
                if rng.random_bool(0.35) {
                    b.insert(op.into(), json!(rng.random_range(-6..10) as f64 / 2.0));
                }
            }
            json!({ "key": pick(rng, &["n", "meta.score", "meta.items[].v"]), "range": b })
        }
        7 => json!({ "is_empty": { "key": pick(rng, &any_key) } }),
        8 => json!({ "is_null": { "key": pick(rng, &any_key) } }),
        9 => {
            let ids: Vec<Value> = (0..rng.random_range(0..40))
                .map(|_| id_for(rng.random_range(0..POINTS + 100)))
                .collect();
            json!({ "has_id": ids })
        }
        10 => {
            let mut b = Map::new();
            for op in ["gt", "gte", "lt", "lte"] {
                if rng.random_bool(0.4) {
                    b.insert(op.into(), json!(rng.random_range(0..4)));
                }
            }
            json!({ "key": pick(rng, &["tags", "color", "meta.items", "n", "missing"]), "values_count": b })
        }
        11 => {
            let inner = json!({ "must": [
                { "key": "v", "range": { "gte": rng.random_range(0..10) } },
                { "key": "name", "match": { "any": [pick(rng, &COLORS), pick(rng, &COLORS)] } }
            ]});
            json!({ "nested": { "key": if rng.random_bool(0.5) { "meta.items" } else { "meta.items[]" }, "filter": inner } })
        }
        _ => json!({ "key": "meta.items[].v", "match": { "value": rng.random_range(0..10) } }),
    }
}

fn random_filter(rng: &mut StdRng, depth: u32) -> Value {
    let mut f = Map::new();
    for clause in ["must", "should", "must_not"] {
        if rng.random_bool(0.45) {
            let n = rng.random_range(0..3);
            let conds: Vec<Value> = (0..n).map(|_| random_condition(rng, depth)).collect();
            f.insert(clause.into(), json!(conds));
        }
    }
    if rng.random_bool(0.1) {
        let conds: Vec<Value> = (0..3).map(|_| random_condition(rng, depth)).collect();
        f.insert(
            "min_should".into(),
            json!({ "conditions": conds, "min_count": rng.random_range(0..4) }),
        );
    }
    Value::Object(f)
}

fn random_vector(rng: &mut StdRng, dim: usize, ints: bool) -> Vec<f64> {
    (0..dim)
        .map(|_| {
            if ints {
                rng.random_range(-3..=3) as f64
            } else {
                rng.random_range(-1.0..1.0)
            }
        })
        .collect()
}

#[test]
fn engine_agrees_with_brute_force_reference() {
    let mut rng = StdRng::seed_from_u64(0x5eed_cafe);
    let engine = EmbeddedVectors::open_in_memory().unwrap();
    let ns = Namespace::for_account("acct-random");
    let payloads: Vec<Value> = (0..POINTS).map(|_| random_payload(&mut rng)).collect();
    let mut stores: Vec<Vec<RefPoint>> = Vec::new();
    for (name, distance, dim, ints) in COLLECTIONS {
        let mut points: Vec<RefPoint> = Vec::new();
        for (i, payload) in payloads.iter().enumerate() {
            // Some exact duplicates, so cosine scores tie and the id order decides.
            let vector = if i > 10 && rng.random_bool(0.05) {
                points[rng.random_range(0..i)].vector.clone()
            } else {
                random_vector(&mut rng, dim, ints)
            };
            points.push(RefPoint {
                id: id_for(i),
                vector,
                payload: payload.clone(),
            });
        }
        for batch in points.chunks(2_000) {
            let body: Vec<Value> = batch
                .iter()
                .map(|p| {
                    let mut point = json!({ "id": p.id, "vector": p.vector });
                    if !p.payload.is_null() {
                        point["payload"] = p.payload.clone();
                    }
                    point
                })
                .collect();
            let req = UpsertRequest::from_json(
                &json!({ "collection": name, "distance": distance, "points": body }),
            )
            .unwrap();
            engine.upsert(&ns, req).unwrap();
        }
        stores.push(points);
    }

    // Payloads are the same in every collection.
    let payload_of: std::collections::HashMap<String, &Value> = stores[0]
        .iter()
        .map(|p| (p.id.to_string(), &p.payload))
        .collect();
    let mut nonempty = 0;
    for i in 0..FILTERS {
        let (name, distance, dim, ints) = COLLECTIONS[i % 3];
        let filter = random_filter(&mut rng, 0);
        let q = random_vector(&mut rng, dim, ints);
        let top_k = if rng.random_bool(0.1) {
            100
        } else {
            rng.random_range(1..=20)
        };
        // Thresholds sit exactly on a score near the top (exact for integer dot scores and for
        // whole euclid distances), so the >= / <= boundary is exercised.
        let threshold = maybe(&mut rng, 0.3, |r| match distance {
            "dot" => {
                let ranked = reference::search(&stores[i % 3], distance, &q, 3 * top_k, None, None);
                ranked[r.random_range(0..ranked.len())].score
            }
            "euclid" => r.random_range(2..8) as f64,
            _ => r.random_range(-2..6) as f64 / 10.0 + 0.05,
        });
        let (with_payload, with_vector) = (rng.random_bool(0.7), rng.random_bool(0.2));
        let mut body = json!({ "collection": name, "vector": q, "top_k": top_k, "filter": filter,
            "with_payload": with_payload, "with_vector": with_vector });
        if let Some(t) = threshold {
            body["score_threshold"] = json!(t);
        }
        let got = engine
            .query(&ns, &QueryRequest::from_json(&body).unwrap())
            .unwrap();
        let want = reference::search(
            &stores[i % 3],
            distance,
            &q,
            top_k,
            Some(&filter),
            threshold,
        );
        nonempty += usize::from(!want.is_empty());
        let ctx = || format!("query {i} on {name}: filter {filter}");
        assert_eq!(got.len(), want.len(), "{}", ctx());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.id.to_json(), w.id, "{}", ctx());
            let tol = 1e-6 * w.score.abs().max(1.0);
            assert!(
                (f64::from(g.score) - w.score).abs() <= tol,
                "{}: {} vs {}",
                ctx(),
                g.score,
                w.score
            );
            let stored = payload_of.get(&w.id.to_string()).copied();
            let want_payload = stored.filter(|p| with_payload && !p.is_null());
            assert_eq!(
                g.payload.clone().map(Value::Object).as_ref(),
                want_payload,
                "{}",
                ctx()
            );
            assert_eq!(
                g.vector.as_ref().map(|v| v.len()),
                with_vector.then_some(dim),
                "{}",
                ctx()
            );
        }
    }
    assert!(
        nonempty > FILTERS / 2,
        "filters too selective to test much: {nonempty}"
    );

    // Deleting by filter removes exactly what the reference says matches.
    for i in 0..12 {
        let (name, ..) = COLLECTIONS[i % 3];
        let filter = random_filter(&mut rng, 1);
        let store = &mut stores[i % 3];
        let before = store.len();
        store.retain(|p| !reference::filter(&filter, Some(&p.id), &p.payload));
        let req =
            DeleteRequest::from_json(&json!({ "collection": name, "filter": filter })).unwrap();
        assert_eq!(
            engine.delete(&ns, &req).unwrap(),
            before - store.len(),
            "delete {i}: {filter}"
        );
        let info = engine.collection_info(&ns, name).unwrap().unwrap();
        assert_eq!(info.points, store.len());
    }
}
