//! Vector storage: point/request types, Qdrant-style filters, the embedded exact-search engine,
//! and the translation of filters to Amazon S3 Vectors.
//!
//! Layout:
//! - [`request`]: parsing and validation of the `upsert` / `query` / `delete` bodies;
//! - [`filter`]: the typed Qdrant filter model, its parser and its evaluator;
//! - [`engine`]: [`EmbeddedVectors`], per-account namespaces of collections kept in memory and
//!   persisted to SQLite;
//! - [`s3_filter`]: Qdrant filter → S3 Vectors metadata filter (and the AWS index layout choice);
//! - [`backend`]: [`VectorBackend`], the interface the routes call, over either engine;
//! - [`s3`]: [`s3::S3VectorsEngine`], the Amazon S3 Vectors engine used in AWS.
//!
//! Every validation failure is a [`VectorError::Invalid`] (or [`VectorError::Untranslatable`])
//! whose message names the offending field; both map to HTTP 400.

pub mod backend;
#[cfg(feature = "embedded")]
pub mod engine;
pub mod filter;
pub mod request;
pub mod s3;
pub mod s3_filter;

#[cfg(feature = "embedded")]
pub use backend::EmbeddedBackend;
pub use backend::VectorBackend;
#[cfg(feature = "embedded")]
pub use engine::{CollectionInfo, EmbeddedVectors};
pub use filter::Filter;
pub use request::{DeleteRequest, DeleteSelector, QueryRequest, UpsertRequest};

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// Most points one upsert may carry.
pub const MAX_POINTS_PER_UPSERT: usize = 10_000;
/// Most ids one delete may name.
pub const MAX_IDS_PER_DELETE: usize = 10_000;
/// Default number of query results.
pub const DEFAULT_TOP_K: usize = 10;
/// Most query results.
pub const MAX_TOP_K: usize = 100;
/// Largest vector dimension (the S3 Vectors limit, above every embedding model we sell).
pub const MAX_DIMENSION: usize = 4096;
/// Longest string point id (the S3 Vectors key limit).
pub const MAX_STRING_ID_LEN: usize = 1024;
/// Longest collection name.
pub const MAX_COLLECTION_NAME_LEN: usize = 64;
/// Collection used when a request names none.
pub const DEFAULT_COLLECTION: &str = "default";

/// A JSON object payload attached to a point.
pub type Payload = Map<String, Value>;

/// Errors of the vectors module.
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// The request is malformed or inconsistent with the collection (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// A filter clause the S3 Vectors engine cannot express (HTTP 400).
    #[error("{path}: {reason}")]
    Untranslatable { path: String, reason: String },
    /// The storage layer failed (HTTP 500; log it, do not return it).
    #[error("vector storage failed: {0}")]
    Storage(String),
}

impl VectorError {
    /// True when the caller sent something wrong (HTTP 400), false for server faults.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, VectorError::Storage(_))
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        VectorError::Invalid(msg.into())
    }
}

#[cfg(feature = "embedded")]
impl From<rusqlite::Error> for VectorError {
    fn from(e: rusqlite::Error) -> Self {
        VectorError::Storage(e.to_string())
    }
}

/// The isolation boundary: one per account. Nothing reads or writes across namespaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(String);

impl Namespace {
    /// The namespace of an account.
    pub fn for_account(account_id: impl Into<String>) -> Self {
        Namespace(account_id.into())
    }

    /// The account id this namespace belongs to.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A point id: an unsigned integer or a string (a UUID is just a string here), as Qdrant allows.
/// `5` and `"5"` are different ids. Ordering (used to break score ties): numbers before
/// strings, numbers numerically, strings bytewise.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointId {
    Num(u64),
    Str(String),
}

impl PointId {
    /// Parses a JSON id; `what` names the field in the error.
    pub fn from_json(v: &Value, what: &str) -> Result<Self, VectorError> {
        match v {
            Value::Number(n) => n.as_u64().map(PointId::Num).ok_or_else(|| {
                VectorError::invalid(format!(
                    "{what} must be an unsigned integer or a string, got {n}"
                ))
            }),
            Value::String(s) if s.is_empty() => Err(VectorError::invalid(format!(
                "{what} must not be an empty string"
            ))),
            Value::String(s) if s.chars().count() > MAX_STRING_ID_LEN => Err(VectorError::invalid(
                format!("{what} is longer than {MAX_STRING_ID_LEN} characters"),
            )),
            Value::String(s) => Ok(PointId::Str(s.clone())),
            other => Err(VectorError::invalid(format!(
                "{what} must be an unsigned integer or a string, got {}",
                json_type(other)
            ))),
        }
    }

    /// The id as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            PointId::Num(n) => Value::from(*n),
            PointId::Str(s) => Value::from(s.as_str()),
        }
    }
}

impl fmt::Display for PointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PointId::Num(n) => write!(f, "{n}"),
            PointId::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl Serialize for PointId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PointId::Num(n) => s.serialize_u64(*n),
            PointId::Str(v) => s.serialize_str(v),
        }
    }
}

/// How similarity is measured in a collection (fixed when the collection is created).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Distance {
    /// Cosine similarity, higher is better; vectors are normalised on write.
    #[default]
    Cosine,
    /// Raw dot product, higher is better.
    Dot,
    /// Euclidean distance, lower is better.
    Euclid,
}

impl Distance {
    /// Parses `cosine` / `dot` / `euclid` (any case; `euclidean` accepted).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cosine" => Some(Distance::Cosine),
            "dot" => Some(Distance::Dot),
            "euclid" | "euclidean" => Some(Distance::Euclid),
            _ => None,
        }
    }

    /// The lowercase name (`cosine`, `dot`, `euclid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Distance::Cosine => "cosine",
            Distance::Dot => "dot",
            Distance::Euclid => "euclid",
        }
    }

    /// True when a larger score is a better match.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Distance::Euclid)
    }
}

impl fmt::Display for Distance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Distance {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A point to store.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub id: PointId,
    pub vector: Vec<f32>,
    pub payload: Option<Payload>,
}

/// One query result, best first in the result list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoredPoint {
    pub id: PointId,
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Payload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<Vec<f32>>,
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn point_ids_parse_and_order() {
        assert_eq!(
            PointId::from_json(&json!(7), "id").unwrap(),
            PointId::Num(7)
        );
        assert_eq!(
            PointId::from_json(&json!("a"), "id").unwrap(),
            PointId::Str("a".into())
        );
        let neg = PointId::from_json(&json!(-1), "points[2].id").unwrap_err();
        assert_eq!(
            neg.to_string(),
            "points[2].id must be an unsigned integer or a string, got -1"
        );
        assert!(PointId::from_json(&json!(1.5), "id").is_err());
        assert!(PointId::from_json(&json!(""), "id").is_err());
        assert!(PointId::from_json(&json!(null), "id").is_err());
        assert!(PointId::Num(u64::MAX) < PointId::Str(String::new()));
        assert!(PointId::Num(2) < PointId::Num(10));
        assert_eq!(serde_json::to_string(&PointId::Num(3)).unwrap(), "3");
        assert_eq!(
            serde_json::to_string(&PointId::Str("x".into())).unwrap(),
            "\"x\""
        );
    }

    #[test]
    fn distances_parse() {
        assert_eq!(Distance::parse("Cosine"), Some(Distance::Cosine));
        assert_eq!(Distance::parse("euclidean"), Some(Distance::Euclid));
        assert_eq!(Distance::parse("dot"), Some(Distance::Dot));
        assert_eq!(Distance::parse("manhattan"), None);
    }
}
