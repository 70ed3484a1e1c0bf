//! The fake S3 Vectors' metadata filter: the documented operators (`$eq $ne $gt $gte $lt $lte
//! $in $nin $exists $and $or`, implicit `$eq`), with arrays matching element-wise and any
//! comparison with a missing key false, written independently of the engine's translation.

use axum::http::StatusCode;
use serde_json::{Map, Value};

/// Filtering on a non-filterable key is a 400 (documented).
pub fn check_filter_keys(
    f: &Value,
    non_filterable: &[String],
) -> Result<(), (StatusCode, &'static str, String)> {
    let Some(m) = f.as_object() else {
        return Err((
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "filter must be an object".to_string(),
        ));
    };
    for (k, v) in m {
        if k == "$and" || k == "$or" {
            for sub in v.as_array().into_iter().flatten() {
                check_filter_keys(sub, non_filterable)?;
            }
        } else if non_filterable.contains(k) {
            return Err((
                StatusCode::BAD_REQUEST,
                "ValidationException",
                format!("{k} is not filterable"),
            ));
        }
    }
    Ok(())
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The documented operators; a comparison with a missing key is false.
pub fn matches(f: &Value, meta: &Map<String, Value>) -> bool {
    let Some(m) = f.as_object() else { return false };
    m.iter().all(|(k, cond)| match k.as_str() {
        "$and" => cond
            .as_array()
            .is_some_and(|a| a.iter().all(|c| matches(c, meta))),
        "$or" => cond
            .as_array()
            .is_some_and(|a| a.iter().any(|c| matches(c, meta))),
        _ => {
            let ops = match cond {
                Value::Object(ops) => ops.clone(),
                scalar => Map::from_iter([("$eq".to_string(), scalar.clone())]),
            };
            ops.iter().all(|(op, arg)| field(meta.get(k), op, arg))
        }
    })
}

fn field(v: Option<&Value>, op: &str, arg: &Value) -> bool {
    if op == "$exists" {
        return v.is_some() == (arg == &Value::Bool(true));
    }
    let Some(v) = v else { return false };
    let elems: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        s => vec![s],
    };
    let list = arg.as_array().cloned().unwrap_or_default();
    let num = |x: &Value, pred: &dyn Fn(f64, f64) -> bool| match (x.as_f64(), arg.as_f64()) {
        (Some(a), Some(b)) => pred(a, b),
        _ => false,
    };
    match op {
        "$eq" => elems.iter().any(|e| same(e, arg)),
        "$ne" => !elems.iter().any(|e| same(e, arg)),
        "$in" => elems.iter().any(|e| list.iter().any(|l| same(e, l))),
        "$nin" => !elems.iter().any(|e| list.iter().any(|l| same(e, l))),
        "$gt" => elems.iter().any(|e| num(e, &|a, b| a > b)),
        "$gte" => elems.iter().any(|e| num(e, &|a, b| a >= b)),
        "$lt" => elems.iter().any(|e| num(e, &|a, b| a < b)),
        "$lte" => elems.iter().any(|e| num(e, &|a, b| a <= b)),
        _ => false,
    }
}
