//! A brute-force reference for the randomized tests, written apart from the engine on purpose:
//! it reads the filter as raw JSON (no typed model, no shared path code), scores in f64 from the
//! original vectors, and sorts the whole collection. Slow and obviously correct.

use serde_json::Value;
use std::cmp::Ordering;

/// A stored point as the reference sees it.
pub(super) struct RefPoint {
    pub id: Value,
    pub vector: Vec<f64>,
    pub payload: Value,
}

/// One expected result.
#[derive(Debug)]
pub(super) struct RefHit {
    pub id: Value,
    pub score: f64,
}

/// The values a key like `a.b[].c` selects: walk object keys, `[]` spreads an array.
fn resolve<'a>(payload: &'a Value, key: &str) -> Vec<&'a Value> {
    fn walk<'a>(v: &'a Value, segments: &[&str], out: &mut Vec<&'a Value>) {
        let Some((first, rest)) = segments.split_first() else {
            out.push(v);
            return;
        };
        let (name, spread) = match first.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (*first, false),
        };
        let Some(child) = v.as_object().and_then(|o| o.get(name)) else {
            return;
        };
        if !spread {
            walk(child, rest, out);
        } else if let Some(items) = child.as_array() {
            for item in items {
                walk(item, rest, out);
            }
        }
    }
    let segments: Vec<&str> = key.split('.').collect();
    let mut out = Vec::new();
    walk(payload, &segments, &mut out);
    out
}

/// Selected values with arrays opened one level (how match and range see them).
fn elements<'a>(values: &[&'a Value]) -> Vec<&'a Value> {
    let mut out = Vec::new();
    for v in values {
        match v {
            Value::Array(items) => out.extend(items.iter()),
            other => out.push(*other),
        }
    }
    out
}

fn same_scalar(stored: &Value, wanted: &Value) -> bool {
    match (stored, wanted) {
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a.as_i64().is_some() && a.as_i64() == b.as_i64(),
        _ => false,
    }
}

/// Qdrant's `except` for one element: null never passes; an element of the list's own type
/// passes when it is not listed; anything else passes.
fn except_passes(element: &Value, list: &[Value]) -> bool {
    let list_is_ints = !list.is_empty() && list.iter().all(Value::is_number);
    match element {
        Value::Null => false,
        Value::String(_) if !list_is_ints => !list.iter().any(|w| same_scalar(element, w)),
        Value::Number(n) if list_is_ints => match n.as_i64() {
            None => true,
            Some(_) => !list.iter().any(|w| same_scalar(element, w)),
        },
        _ => true,
    }
}

fn count_of(v: &Value) -> u64 {
    match v {
        Value::Null => 0,
        Value::Array(a) => a.len() as u64,
        _ => 1,
    }
}

fn within(bounds: &Value, x: f64) -> bool {
    let b = |k: &str| bounds.get(k).and_then(Value::as_f64);
    !(b("gt").is_some_and(|v| x <= v)
        || b("gte").is_some_and(|v| x < v)
        || b("lt").is_some_and(|v| x >= v)
        || b("lte").is_some_and(|v| x > v))
}

fn field(c: &Value, payload: &Value) -> bool {
    let key = c["key"].as_str().unwrap_or_default();
    let values = resolve(payload, key);
    if let Some(vc) = c.get("values_count") {
        if values.is_empty() {
            return within(vc, 0.0);
        }
        return values.iter().any(|v| within(vc, count_of(v) as f64));
    }
    let els = elements(&values);
    if let Some(r) = c.get("range") {
        return els.iter().any(|e| e.as_f64().is_some_and(|x| within(r, x)));
    }
    let m = &c["match"];
    if let Some(w) = m.get("value") {
        els.iter().any(|e| same_scalar(e, w))
    } else if let Some(list) = m.get("any").and_then(Value::as_array) {
        els.iter().any(|e| list.iter().any(|w| same_scalar(e, w)))
    } else if let Some(list) = m.get("except").and_then(Value::as_array) {
        els.iter().any(|e| except_passes(e, list))
    } else if let Some(t) = m.get("text").and_then(Value::as_str) {
        els.iter()
            .any(|e| e.as_str().is_some_and(|s| s.contains(t)))
    } else {
        panic!("reference does not know condition {c}")
    }
}

fn condition(c: &Value, id: Option<&Value>, payload: &Value) -> bool {
    if c.get("key").is_some() {
        return field(c, payload);
    }
    if let Some(k) = c.get("is_empty") {
        let vals = resolve(payload, k["key"].as_str().unwrap_or_default());
        return vals
            .iter()
            .all(|v| v.is_null() || v.as_array().is_some_and(|a| a.is_empty()));
    }
    if let Some(k) = c.get("is_null") {
        let vals = resolve(payload, k["key"].as_str().unwrap_or_default());
        return vals.iter().any(|v| v.is_null());
    }
    if let Some(list) = c.get("has_id").and_then(Value::as_array) {
        return id.is_some_and(|id| list.contains(id));
    }
    if let Some(n) = c.get("nested") {
        let key = n["key"].as_str().unwrap_or_default();
        let key = if key.ends_with("[]") {
            key.to_string()
        } else {
            format!("{key}[]")
        };
        return resolve(payload, &key)
            .iter()
            .any(|el| el.is_object() && filter(&n["filter"], None, el));
    }
    filter(c, id, payload)
}

/// Does the point pass the raw JSON filter?
pub(super) fn filter(f: &Value, id: Option<&Value>, payload: &Value) -> bool {
    let list = |k: &str| -> Option<&[Value]> {
        match f.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(a.as_slice()),
            Some(single) => Some(std::slice::from_ref(single)),
        }
    };
    if let Some(should) = list("should") {
        if !should.iter().any(|c| condition(c, id, payload)) {
            return false;
        }
    }
    if let Some(ms) = f.get("min_should") {
        let need = ms["min_count"].as_u64().unwrap_or(0) as usize;
        let empty = Vec::new();
        let conds = ms["conditions"].as_array().unwrap_or(&empty);
        if conds.iter().filter(|c| condition(c, id, payload)).count() < need {
            return false;
        }
    }
    if let Some(must) = list("must") {
        if !must.iter().all(|c| condition(c, id, payload)) {
            return false;
        }
    }
    if let Some(must_not) = list("must_not") {
        if must_not.iter().any(|c| condition(c, id, payload)) {
            return false;
        }
    }
    true
}

/// Numbers before strings, numbers numerically, strings bytewise.
pub(super) fn id_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_u64().cmp(&y.as_u64()),
        (Value::Number(_), _) => Ordering::Less,
        (_, Value::Number(_)) => Ordering::Greater,
        _ => a.as_str().cmp(&b.as_str()),
    }
}

fn score(distance: &str, q: &[f64], v: &[f64]) -> f64 {
    let dot: f64 = q.iter().zip(v).map(|(a, b)| a * b).sum();
    match distance {
        "cosine" => {
            let nq = q.iter().map(|a| a * a).sum::<f64>().sqrt();
            let nv = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            dot / (nq * nv)
        }
        "dot" => dot,
        _ => q
            .iter()
            .zip(v)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt(),
    }
}

/// Scores every point, keeps those passing filter and threshold, sorts, cuts to `top_k`.
pub(super) fn search(
    points: &[RefPoint],
    distance: &str,
    q: &[f64],
    top_k: usize,
    f: Option<&Value>,
    threshold: Option<f64>,
) -> Vec<RefHit> {
    let lower_is_better = distance == "euclid";
    let mut hits: Vec<RefHit> = points
        .iter()
        .filter(|p| f.is_none_or(|f| filter(f, Some(&p.id), &p.payload)))
        .map(|p| RefHit {
            id: p.id.clone(),
            score: score(distance, q, &p.vector),
        })
        .filter(|h| match threshold {
            None => true,
            Some(t) if lower_is_better => h.score <= t,
            Some(t) => h.score >= t,
        })
        .collect();
    hits.sort_by(|a, b| {
        let by_score = if lower_is_better {
            a.score.total_cmp(&b.score)
        } else {
            b.score.total_cmp(&a.score)
        };
        by_score.then_with(|| id_order(&a.id, &b.id))
    });
    hits.truncate(top_k);
    hits
}
