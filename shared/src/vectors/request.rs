//! Parsing and validation of the `/v1/vectors/{upsert,query,delete}` bodies. Checks that need
//! the collection (its dimension, its distance) happen in the engine.

use crate::vectors::{
    DEFAULT_COLLECTION, DEFAULT_TOP_K, Distance, Filter, MAX_COLLECTION_NAME_LEN, MAX_DIMENSION,
    MAX_IDS_PER_DELETE, MAX_POINTS_PER_UPSERT, MAX_TOP_K, Payload, Point, PointId, VectorError,
    json_type,
};
use serde_json::{Map, Value};

type Result<T> = std::result::Result<T, VectorError>;

/// A validated upsert: every vector has the same dimension and only finite components.
#[derive(Clone, Debug, PartialEq)]
pub struct UpsertRequest {
    pub collection: String,
    /// The distance asked for; only used when the upsert creates the collection.
    pub distance: Option<Distance>,
    pub points: Vec<Point>,
}

/// A validated query.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryRequest {
    pub collection: String,
    pub vector: Vec<f32>,
    pub top_k: usize,
    pub filter: Option<Filter>,
    pub with_payload: bool,
    pub with_vector: bool,
    /// Cosine/dot: keep scores `>=` this; euclid: keep distances `<=` this (Qdrant's rule).
    pub score_threshold: Option<f32>,
}

/// A validated delete.
#[derive(Clone, Debug, PartialEq)]
pub struct DeleteRequest {
    pub collection: String,
    pub selector: DeleteSelector,
}

/// What a delete removes.
#[derive(Clone, Debug, PartialEq)]
pub enum DeleteSelector {
    Ids(Vec<PointId>),
    Filter(Filter),
}

impl UpsertRequest {
    /// Parses `{"points": [{id, vector, payload?}], "collection"?, "distance"?}`.
    pub fn from_json(body: &Value) -> Result<Self> {
        let obj = top_object(body, &["points", "collection", "distance"])?;
        let collection = collection_name(obj)?;
        let distance = match obj.get("distance") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(Distance::parse(s).ok_or_else(|| {
                VectorError::invalid(format!(
                    "distance must be one of 'cosine', 'dot', 'euclid', got '{s}'"
                ))
            })?),
            Some(other) => {
                return Err(VectorError::invalid(format!(
                    "distance must be a string, got {}",
                    json_type(other)
                )));
            }
        };
        let Some(Value::Array(items)) = obj.get("points") else {
            return Err(VectorError::invalid(
                "points is required and must be an array",
            ));
        };
        if items.is_empty() {
            return Err(VectorError::invalid("points must not be empty"));
        }
        if items.len() > MAX_POINTS_PER_UPSERT {
            return Err(VectorError::invalid(format!(
                "points has {} entries, the maximum is {MAX_POINTS_PER_UPSERT}",
                items.len()
            )));
        }
        let mut points = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let point = parse_point(item, i)?;
            if let Some(first) = points.first().map(|p: &Point| p.vector.len()) {
                if point.vector.len() != first {
                    return Err(VectorError::invalid(format!(
                        "points[{i}].vector has dimension {}, points[0].vector has dimension {first}",
                        point.vector.len()
                    )));
                }
            }
            points.push(point);
        }
        Ok(UpsertRequest {
            collection,
            distance,
            points,
        })
    }

    /// The dimension of the request's vectors.
    pub fn dimension(&self) -> usize {
        self.points.first().map_or(0, |p| p.vector.len())
    }
}

impl QueryRequest {
    /// Parses `{vector, top_k?, filter?, with_payload?, with_vector?, score_threshold?, collection?}`.
    pub fn from_json(body: &Value) -> Result<Self> {
        let obj = top_object(
            body,
            &[
                "vector",
                "top_k",
                "filter",
                "with_payload",
                "with_vector",
                "score_threshold",
                "collection",
            ],
        )?;
        let collection = collection_name(obj)?;
        let Some(v) = obj.get("vector") else {
            return Err(VectorError::invalid("vector is required"));
        };
        let vector = parse_vector(v, "vector")?;
        let top_k = match obj.get("top_k") {
            None | Some(Value::Null) => DEFAULT_TOP_K,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(k) if (1..=MAX_TOP_K as u64).contains(&k) => k as usize,
                _ => {
                    return Err(VectorError::invalid(format!(
                        "top_k must be an integer from 1 to {MAX_TOP_K}, got {n}"
                    )));
                }
            },
            Some(other) => {
                return Err(VectorError::invalid(format!(
                    "top_k must be an integer from 1 to {MAX_TOP_K}, got {}",
                    json_type(other)
                )));
            }
        };
        let filter = match obj.get("filter") {
            None | Some(Value::Null) => None,
            Some(f) => Some(Filter::from_json(f, "filter")?),
        };
        let score_threshold = match obj.get("score_threshold") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(finite_f32(n.as_f64(), "score_threshold")?),
            Some(other) => {
                return Err(VectorError::invalid(format!(
                    "score_threshold must be a number, got {}",
                    json_type(other)
                )));
            }
        };
        Ok(QueryRequest {
            collection,
            vector,
            top_k,
            filter,
            with_payload: flag(obj, "with_payload", true)?,
            with_vector: flag(obj, "with_vector", false)?,
            score_threshold,
        })
    }
}

impl DeleteRequest {
    /// Parses `{"ids": [..]}` or `{"filter": {..}}` (exactly one), plus `collection?`.
    pub fn from_json(body: &Value) -> Result<Self> {
        let obj = top_object(body, &["ids", "filter", "collection"])?;
        let collection = collection_name(obj)?;
        let ids = obj.get("ids").filter(|v| !v.is_null());
        let filter = obj.get("filter").filter(|v| !v.is_null());
        let selector = match (ids, filter) {
            (Some(Value::Array(items)), None) => {
                if items.is_empty() {
                    return Err(VectorError::invalid("ids must not be empty"));
                }
                if items.len() > MAX_IDS_PER_DELETE {
                    return Err(VectorError::invalid(format!(
                        "ids has {} entries, the maximum is {MAX_IDS_PER_DELETE}",
                        items.len()
                    )));
                }
                let ids = items
                    .iter()
                    .enumerate()
                    .map(|(i, id)| PointId::from_json(id, &format!("ids[{i}]")))
                    .collect::<Result<Vec<_>>>()?;
                DeleteSelector::Ids(ids)
            }
            (Some(other), None) => {
                return Err(VectorError::invalid(format!(
                    "ids must be an array, got {}",
                    json_type(other)
                )));
            }
            (None, Some(f)) => DeleteSelector::Filter(Filter::from_json(f, "filter")?),
            _ => {
                return Err(VectorError::invalid(
                    "give exactly one of 'ids' or 'filter'",
                ));
            }
        };
        Ok(DeleteRequest {
            collection,
            selector,
        })
    }
}

fn top_object<'a>(body: &'a Value, allowed: &[&str]) -> Result<&'a Map<String, Value>> {
    let obj = body.as_object().ok_or_else(|| {
        VectorError::invalid(format!(
            "the body must be a JSON object, got {}",
            json_type(body)
        ))
    })?;
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(VectorError::invalid(format!(
            "unknown field '{k}' (expected one of: {})",
            allowed.join(", ")
        )));
    }
    Ok(obj)
}

/// Validates a collection name (letters, digits, `_`, `-`, `.`), defaulting to `default`.
pub fn validate_collection_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_COLLECTION_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(VectorError::invalid(format!(
            "collection must be 1 to {MAX_COLLECTION_NAME_LEN} characters of letters, digits, '_', '-' or '.', got '{name}'"
        )))
    }
}

fn collection_name(obj: &Map<String, Value>) -> Result<String> {
    match obj.get("collection") {
        None | Some(Value::Null) => Ok(DEFAULT_COLLECTION.to_string()),
        Some(Value::String(s)) => validate_collection_name(s).map(|_| s.clone()),
        Some(other) => Err(VectorError::invalid(format!(
            "collection must be a string, got {}",
            json_type(other)
        ))),
    }
}

fn flag(obj: &Map<String, Value>, key: &str, default: bool) -> Result<bool> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(VectorError::invalid(format!(
            "{key} must be a boolean, got {}",
            json_type(other)
        ))),
    }
}

fn finite_f32(x: Option<f64>, what: &str) -> Result<f32> {
    match x {
        Some(x) if x.is_finite() && x.abs() <= f64::from(f32::MAX) => Ok(x as f32),
        _ => Err(VectorError::invalid(format!(
            "{what} is not a finite 32-bit number"
        ))),
    }
}

/// Parses a non-empty array of finite numbers (at most [`MAX_DIMENSION`]).
pub(crate) fn parse_vector(v: &Value, what: &str) -> Result<Vec<f32>> {
    let Value::Array(items) = v else {
        return Err(VectorError::invalid(format!(
            "{what} must be an array of numbers, got {}",
            json_type(v)
        )));
    };
    if items.is_empty() {
        return Err(VectorError::invalid(format!("{what} is empty")));
    }
    if items.len() > MAX_DIMENSION {
        return Err(VectorError::invalid(format!(
            "{what} has dimension {}, the maximum is {MAX_DIMENSION}",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(j, x)| match x {
            Value::Number(n) => finite_f32(n.as_f64(), &format!("{what}[{j}]")),
            other => Err(VectorError::invalid(format!(
                "{what}[{j}] must be a number, got {}",
                json_type(other)
            ))),
        })
        .collect()
}

fn parse_point(v: &Value, i: usize) -> Result<Point> {
    let path = format!("points[{i}]");
    let obj = v.as_object().ok_or_else(|| {
        VectorError::invalid(format!("{path} must be an object, got {}", json_type(v)))
    })?;
    if let Some(k) = obj
        .keys()
        .find(|k| !["id", "vector", "payload"].contains(&k.as_str()))
    {
        return Err(VectorError::invalid(format!(
            "{path}: unknown field '{k}' (expected id, vector, payload)"
        )));
    }
    let id = match obj.get("id") {
        Some(id) => PointId::from_json(id, &format!("{path}.id"))?,
        None => return Err(VectorError::invalid(format!("{path}.id is required"))),
    };
    let vector = match obj.get("vector") {
        Some(vec) => parse_vector(vec, &format!("{path}.vector"))?,
        None => return Err(VectorError::invalid(format!("{path}.vector is required"))),
    };
    let payload: Option<Payload> = match obj.get("payload") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(other) => {
            return Err(VectorError::invalid(format!(
                "{path}.payload must be an object, got {}",
                json_type(other)
            )));
        }
    };
    Ok(Point {
        id,
        vector,
        payload,
    })
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
