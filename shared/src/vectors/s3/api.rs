//! The S3 Vectors calls, on aws-sdk-s3vectors: the only module that names SDK types. Requests
//! are built by plain functions (tested without a network) and errors are sorted into what the
//! engine acts on: a missing index, a conflict, a rejected request, anything else.

use super::layout::PAYLOAD_KEY;
use super::registry::Entry;
use crate::vectors::{Distance, VectorError};
use aws_sdk_s3vectors::Client;
use aws_sdk_s3vectors::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3vectors::operation::query_vectors::builders::QueryVectorsFluentBuilder;
use aws_sdk_s3vectors::types::{
    DataType, DistanceMetric, MetadataConfiguration, PutInputVector, VectorData,
};
use aws_smithy_types::{Document, Number};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// How an S3 Vectors call failed, as far as the engine cares.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The bucket or index does not exist.
    NotFound(String),
    /// The resource already exists (CreateIndex).
    Conflict,
    /// S3 Vectors rejected the request's content (HTTP 400 for our caller).
    Invalid(String),
    /// Throttling after retries, service errors, transport errors.
    Other(String),
}

impl From<Fail> for VectorError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Invalid(m) => VectorError::Invalid(m),
            Fail::NotFound(m) | Fail::Other(m) => VectorError::Storage(m),
            Fail::Conflict => VectorError::Storage("s3vectors: unexpected conflict".into()),
        }
    }
}

fn classify<E, R>(op: &str, e: SdkError<E, R>) -> Fail
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = || e.message().unwrap_or("no message").to_string();
    match e.code() {
        Some("NotFoundException") => Fail::NotFound(format!("s3vectors {op}: {}", message())),
        Some("ConflictException") => Fail::Conflict,
        Some("ValidationException") => {
            Fail::Invalid(format!("S3 Vectors rejected the request: {}", message()))
        }
        // The SDK's error text carries codes and messages, never the signing credentials.
        _ => Fail::Other(format!("s3vectors {op}: {}", DisplayErrorContext(&e))),
    }
}

/// A QueryVectors result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hit {
    pub key: String,
    pub distance: Option<f32>,
    pub metadata: Option<Value>,
}

/// A GetVectors result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Got {
    pub key: String,
    pub data: Option<Vec<f32>>,
    pub metadata: Option<Value>,
}

/// One vector to write: key, components, metadata object.
pub(crate) type Staged = (String, Vec<f32>, Map<String, Value>);

/// The S3 Vectors metric of a distance; `dot` has none.
pub(crate) fn metric(d: Distance) -> Option<DistanceMetric> {
    match d {
        Distance::Cosine => Some(DistanceMetric::Cosine),
        Distance::Euclid => Some(DistanceMetric::Euclidean),
        Distance::Dot => None,
    }
}

/// JSON → Smithy document. Integers stay integers, so metadata compares exactly.
pub(crate) fn to_document(v: &Value) -> Document {
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap_or(0.0)),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(to_document).collect()),
        Value::Object(m) => Document::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_document(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

/// Smithy document → JSON (non-finite floats, which JSON cannot hold, become null).
pub(crate) fn to_json(d: &Document) -> Value {
    match d {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Document::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// The PutVectors members of a batch.
pub(crate) fn put_inputs(batch: &[Staged]) -> Result<Vec<PutInputVector>, Fail> {
    batch
        .iter()
        .map(|(key, data, meta)| {
            PutInputVector::builder()
                .key(key)
                .data(VectorData::Float32(data.clone()))
                .metadata(to_document(&Value::Object(meta.clone())))
                .build()
                .map_err(|e| Fail::Other(format!("building PutVectors: {e}")))
        })
        .collect()
}

/// A QueryVectors request; metadata is asked for only when the caller needs payloads.
pub(crate) fn query_request(
    client: &Client,
    e: &Entry,
    vector: Vec<f32>,
    top_k: usize,
    filter: Option<&Value>,
    with_metadata: bool,
) -> QueryVectorsFluentBuilder {
    client
        .query_vectors()
        .vector_bucket_name(&e.bucket)
        .index_name(&e.index)
        .query_vector(VectorData::Float32(vector))
        .top_k(i32::try_from(top_k).unwrap_or(i32::MAX))
        .set_filter(filter.map(to_document))
        .return_distance(true)
        .return_metadata(with_metadata)
}

/// The calls the engine makes, on one client.
#[derive(Clone, Debug)]
pub(crate) struct Api {
    pub client: Client,
}

impl Api {
    /// Creates the index of an entry; an index that already exists is fine (a racing creator
    /// used the same registry entry, so the same dimension and metric).
    pub async fn create_index(&self, e: &Entry) -> Result<(), Fail> {
        let Some(metric) = metric(e.distance) else {
            return Err(Fail::Invalid(
                "S3 Vectors has no dot-product metric".to_string(),
            ));
        };
        let config = MetadataConfiguration::builder()
            .non_filterable_metadata_keys(PAYLOAD_KEY)
            .build()
            .map_err(|err| Fail::Other(format!("building CreateIndex: {err}")))?;
        let sent = self
            .client
            .create_index()
            .vector_bucket_name(&e.bucket)
            .index_name(&e.index)
            .data_type(DataType::Float32)
            .dimension(i32::try_from(e.dimension).unwrap_or(i32::MAX))
            .distance_metric(metric)
            .metadata_configuration(config)
            .send()
            .await;
        match sent.map_err(|err| classify("CreateIndex", err)) {
            Ok(_) | Err(Fail::Conflict) => Ok(()),
            Err(f) => Err(f),
        }
    }

    /// Writes one batch (at most 500 vectors, the PutVectors limit).
    pub async fn put(&self, e: &Entry, batch: &[Staged]) -> Result<(), Fail> {
        self.client
            .put_vectors()
            .vector_bucket_name(&e.bucket)
            .index_name(&e.index)
            .set_vectors(Some(put_inputs(batch)?))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| classify("PutVectors", err))
    }

    /// One similarity search.
    pub async fn query(
        &self,
        e: &Entry,
        vector: Vec<f32>,
        top_k: usize,
        filter: Option<&Value>,
        with_metadata: bool,
    ) -> Result<Vec<Hit>, Fail> {
        let out = query_request(&self.client, e, vector, top_k, filter, with_metadata)
            .send()
            .await
            .map_err(|err| classify("QueryVectors", err))?;
        Ok(out
            .vectors()
            .iter()
            .map(|v| Hit {
                key: v.key().to_string(),
                distance: v.distance(),
                metadata: v.metadata().map(to_json),
            })
            .collect())
    }

    /// The named vectors that exist (at most 100 keys, the GetVectors limit).
    pub async fn get(
        &self,
        e: &Entry,
        keys: Vec<String>,
        with_data: bool,
        with_metadata: bool,
    ) -> Result<Vec<Got>, Fail> {
        let out = self
            .client
            .get_vectors()
            .vector_bucket_name(&e.bucket)
            .index_name(&e.index)
            .set_keys(Some(keys))
            .return_data(with_data)
            .return_metadata(with_metadata)
            .send()
            .await
            .map_err(|err| classify("GetVectors", err))?;
        Ok(out
            .vectors()
            .iter()
            .map(|v| Got {
                key: v.key().to_string(),
                data: v.data().and_then(|d| d.as_float32().ok()).cloned(),
                metadata: v.metadata().map(to_json),
            })
            .collect())
    }

    /// Deletes vectors by key (at most 500, the DeleteVectors limit); absent keys are ignored.
    pub async fn delete(&self, e: &Entry, keys: Vec<String>) -> Result<(), Fail> {
        self.client
            .delete_vectors()
            .vector_bucket_name(&e.bucket)
            .index_name(&e.index)
            .set_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| classify("DeleteVectors", err))
    }
}
