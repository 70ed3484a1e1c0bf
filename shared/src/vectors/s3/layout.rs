//! The AWS layout as pure functions (no SDK types): index names, vector keys, the metadata
//! written with each vector, and the conversion of S3 distances to our scores.

use crate::vectors::{Distance, Namespace, Payload, PointId, ScoredPoint, VectorError};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;

type Result<T> = std::result::Result<T, VectorError>;

/// The non-filterable metadata key holding the whole payload as JSON text.
pub const PAYLOAD_KEY: &str = "_hx_payload";
/// Longest vector key S3 Vectors accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Metadata keys per vector (S3 limit 50, one of them is [`PAYLOAD_KEY`]).
pub const MAX_FILTERABLE_KEYS: usize = 49;
/// Filterable metadata per vector (S3 limit: 2 KB), as we estimate it (JSON text of each entry).
pub const MAX_FILTERABLE_BYTES: usize = 2048;
/// All metadata per vector (S3 limit: 40 KB, filterable and not).
pub const MAX_METADATA_BYTES: usize = 40 * 1024;
/// Strings longer than this are stored but not filterable: long text would exhaust the 2 KB
/// filterable budget, and nobody matches a document body by equality.
pub const MAX_FILTERABLE_STRING_BYTES: usize = 256;

/// The index of one (account, collection): `c-` + 32 hex chars of SHA-256("account/collection").
/// Collection names cannot contain `/`, so distinct pairs hash distinct inputs.
pub fn index_name(ns: &Namespace, collection: &str) -> String {
    let digest = Sha256::digest(format!("{}/{}", ns.as_str(), collection).as_bytes());
    format!("c-{}", hex::encode(&digest[..16]))
}

/// The vector bucket name from `HEXACLAW_VECTOR_BUCKET`, which may be a name or an ARN
/// (`arn:aws:s3vectors:region:account:bucket/NAME`, what CloudFormation's `Ref` returns).
pub fn bucket_name(configured: &str) -> &str {
    match configured.rsplit_once(":bucket/") {
        Some((_, name)) if configured.starts_with("arn:") => name,
        _ => configured,
    }
}

/// The vector key of a point id: a type prefix keeps `5` and `"5"` distinct.
pub fn encode_key(id: &PointId) -> String {
    match id {
        PointId::Num(n) => format!("n:{n}"),
        PointId::Str(s) => format!("s:{s}"),
    }
}

/// The point id of a vector key written by [`encode_key`]; `None` for foreign keys.
pub fn decode_key(key: &str) -> Option<PointId> {
    if let Some(n) = key.strip_prefix("n:") {
        if n.bytes().all(|b| b.is_ascii_digit()) {
            return n.parse().ok().map(PointId::Num);
        }
        return None;
    }
    key.strip_prefix("s:")
        .filter(|s| !s.is_empty())
        .map(|s| PointId::Str(s.to_string()))
}

/// Rejects ids whose key would exceed the S3 key limit; `what` names the field.
pub fn check_key(key: &str, what: &str) -> Result<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(VectorError::invalid(format!(
            "{what} is too long: ids are stored as keys of at most {MAX_KEY_BYTES} bytes including a 2-byte type prefix, this one takes {}",
            key.len()
        )));
    }
    Ok(())
}

/// The metadata object written with a point: the payload as JSON text under [`PAYLOAD_KEY`]
/// (absent when the point has none) plus its filterable leaves under dotted keys. `what` names
/// the payload field in errors (`points[3].payload`).
pub fn metadata(payload: Option<&Payload>, what: &str) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let Some(payload) = payload else {
        return Ok(out);
    };
    let mut prefix = Vec::new();
    flatten(payload, &mut prefix, &mut out);
    if out.len() > MAX_FILTERABLE_KEYS {
        return Err(VectorError::invalid(format!(
            "{what} has {} filterable fields, S3 Vectors filters on at most {MAX_FILTERABLE_KEYS} per point",
            out.len()
        )));
    }
    let filterable = filterable_bytes(&out);
    if filterable > MAX_FILTERABLE_BYTES {
        return Err(VectorError::invalid(format!(
            "{what}: its filterable fields take {filterable} bytes, S3 Vectors allows {MAX_FILTERABLE_BYTES} per point (strings over {MAX_FILTERABLE_STRING_BYTES} bytes are stored but not filterable)"
        )));
    }
    let text = serde_json::to_string(payload)
        .map_err(|e| VectorError::Storage(format!("serialising a payload: {e}")))?;
    let total = text.len() + PAYLOAD_KEY.len() + filterable;
    if total > MAX_METADATA_BYTES {
        return Err(VectorError::invalid(format!(
            "{what} takes {total} bytes of metadata, S3 Vectors stores at most {MAX_METADATA_BYTES} per point"
        )));
    }
    out.insert(PAYLOAD_KEY.to_string(), Value::String(text));
    Ok(out)
}

/// Our estimate of the filterable size: the JSON text of every `"key":value` entry.
fn filterable_bytes(m: &Map<String, Value>) -> usize {
    m.iter()
        .map(|(k, v)| k.len() + 3 + v.to_string().len())
        .sum()
}

/// Leaves a filter can name: segments never contain `.` or start with `$` (the translation
/// refuses such keys, so writing them would only spend budget), strings are short, and lists
/// are non-empty and of one scalar type. Nulls, empty lists and arrays of objects are left out.
fn flatten<'a>(obj: &'a Payload, prefix: &mut Vec<&'a str>, out: &mut Map<String, Value>) {
    for (k, v) in obj {
        if k.is_empty() || k.contains('.') || k.starts_with('$') {
            continue;
        }
        prefix.push(k);
        match v {
            Value::Object(inner) => flatten(inner, prefix, out),
            leaf if filterable_leaf(leaf) => {
                let key = prefix.join(".");
                if key != PAYLOAD_KEY {
                    out.insert(key, leaf.clone());
                }
            }
            _ => {}
        }
        prefix.pop();
    }
}

fn filterable_leaf(v: &Value) -> bool {
    match v {
        Value::String(s) => s.len() <= MAX_FILTERABLE_STRING_BYTES,
        Value::Number(_) | Value::Bool(_) => true,
        Value::Array(items) => {
            let same_type = |f: fn(&Value) -> bool| items.iter().all(f);
            !items.is_empty()
                && (same_type(|x| {
                    x.as_str()
                        .is_some_and(|s| s.len() <= MAX_FILTERABLE_STRING_BYTES)
                }) || same_type(Value::is_number)
                    || same_type(Value::is_boolean))
        }
        Value::Null | Value::Object(_) => false,
    }
}

/// The payload stored in a vector's metadata; `Ok(None)` when the point has none.
pub fn payload_from_metadata(meta: Option<&Value>, key: &str) -> Result<Option<Payload>> {
    let Some(text) = meta.and_then(|m| m.get(PAYLOAD_KEY)) else {
        return Ok(None);
    };
    let corrupt = || VectorError::Storage(format!("vector {key:?} has a corrupt payload"));
    let Value::String(text) = text else {
        return Err(corrupt());
    };
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        _ => Err(corrupt()),
    }
}

/// Our score for an S3 distance. Cosine: S3 returns the cosine distance `1 - similarity`, we
/// report the similarity (as the embedded engine does). Euclid: S3 returns the Euclidean
/// distance, which is what the embedded engine reports. Dot never reaches S3.
pub fn score_from_distance(distance: Distance, d: f32) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => 1.0 - d,
        Distance::Euclid => d,
    }
}

/// Qdrant's `score_threshold`: similarities at least, distances at most.
pub fn passes_threshold(distance: Distance, score: f32, threshold: Option<f32>) -> bool {
    match threshold {
        None => true,
        Some(t) if distance.higher_is_better() => score >= t,
        Some(t) => score <= t,
    }
}

/// Sorts best first with ties by ascending id, the embedded engine's order.
pub fn rank(distance: Distance, points: &mut [ScoredPoint]) {
    points.sort_by(|a, b| {
        let by_score = if distance.higher_is_better() {
            b.score.total_cmp(&a.score)
        } else {
            a.score.total_cmp(&b.score)
        };
        match by_score {
            Ordering::Equal => a.id.cmp(&b.id),
            o => o,
        }
    });
}

/// A fixed non-zero query vector for delete-by-filter, which searches by filter alone.
pub fn probe_vector(dimension: usize) -> Vec<f32> {
    let mut v = vec![0.0; dimension.max(1)];
    v[0] = 1.0;
    v
}

/// Scales `v` to unit length in place (the embedded engine's arithmetic, so both store the
/// same components); false, and `v` untouched, when its norm is zero.
pub fn normalise(v: &mut [f32]) -> bool {
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return false;
    }
    for x in v.iter_mut() {
        *x = (f64::from(*x) / norm) as f32;
    }
    true
}
