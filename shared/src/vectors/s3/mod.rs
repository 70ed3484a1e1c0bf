//! [`S3VectorsEngine`]: vector storage on Amazon S3 Vectors, the AWS backend of the vectors
//! routes. The layout (one index per account and collection, keys, metadata) is explained in
//! [`crate::vectors::s3_filter`]; [`layout`] holds it as pure functions, [`registry`] keeps the
//! collection → index mapping in the item store, `prepare` checks upserts before any call, and
//! `api` makes the SDK calls.
//!
//! Behaviour, matched to the embedded engine: a collection's dimension comes from its first
//! upsert and its distance from that upsert's `distance` (default cosine); cosine vectors are
//! normalised before they are written (so `with_vector` returns what the embedded engine
//! returns); scores are cosine similarity or Euclidean distance; ties rank by id. (The API
//! reference does not say whether `euclidean` distances are squared; we take them as plain
//! Euclidean distances, see [`layout::score_from_distance`].)
//!
//! Limits of this backend (S3 Vectors properties, and the choices they force):
//! - no `dot` metric: such collections are refused with a 400;
//! - search is approximate, and a filtered query may return fewer than `top_k` points when few
//!   points match (for indexes in CLASSIC mode); results are re-checked against the exact
//!   Qdrant filter, so a returned point always matches it;
//! - filters with `has_id`, `is_empty`, `is_null`, `nested`, `values_count`, `match.text` or
//!   array paths are refused with a 400 naming the clause;
//! - payload strings over 256 bytes are stored but not filterable, and filterable fields are
//!   capped per point (49 fields, 2 KB), payloads at 40 KB: over that, a 400 before any write;
//! - delete-by-filter does not exist in S3 Vectors: it is query-then-delete, in rounds of 100
//!   matches, at most 10,000 points or 20 seconds per request (repeat until `deleted` is 0);
//!   matches the approximate search does not reach are not deleted;
//! - an upsert over several PutVectors batches that fails midway has written the batches
//!   before the failure (and is not charged); upserts are idempotent, so a retry completes it.

mod api;
pub mod layout;
mod prepare;
pub mod registry;

#[cfg(test)]
#[cfg(feature = "embedded")]
mod tests;

use crate::store::StoreRef;
use crate::vectors::backend::VectorBackend;
use crate::vectors::s3_filter::{S3Filter, to_s3_filter};
use crate::vectors::{
    DeleteRequest, DeleteSelector, Distance, Filter, MAX_IDS_PER_DELETE, MAX_TOP_K, Namespace,
    QueryRequest, ScoredPoint, UpsertRequest, VectorError,
};
use api::{Api, Fail, Staged};
use async_trait::async_trait;
use aws_config::BehaviorVersion;
use futures_util::{StreamExt, TryStreamExt};
use prepare::{check_fit, finish_points, validate_upsert, zero_vector_error};
use registry::{Entry, Registry};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

type Result<T> = std::result::Result<T, VectorError>;

/// Vectors per PutVectors call (the API maximum).
pub const PUT_BATCH: usize = 500;
/// Keys per DeleteVectors call (the API maximum).
pub const DELETE_BATCH: usize = 500;
/// Keys per GetVectors call (the API maximum).
pub const GET_BATCH: usize = 100;
/// GetVectors calls in flight at once while checking which ids exist.
const GET_CONCURRENCY: usize = 4;
/// Wall-clock budget of one delete-by-filter (the function times out at 29 s).
pub const FILTER_DELETE_BUDGET: Duration = Duration::from_secs(20);
/// Attempts per call, so per-index write throttling (HTTP 429) is ridden out with backoff.
const MAX_ATTEMPTS: u32 = 5;

/// Vector storage on one S3 vector bucket, with the collection registry in the item store.
pub struct S3VectorsEngine {
    api: Api,
    bucket: String,
    registry: Registry,
}

impl std::fmt::Debug for S3VectorsEngine {
    // Hand-written so no client configuration (credential providers) is ever printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3VectorsEngine")
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl S3VectorsEngine {
    /// An engine on a configured client; `bucket` is a vector bucket name or ARN.
    pub fn new(client: aws_sdk_s3vectors::Client, bucket: &str, store: StoreRef) -> Self {
        S3VectorsEngine {
            api: Api { client },
            bucket: layout::bucket_name(bucket).to_string(),
            registry: Registry::new(store),
        }
    }

    /// An engine configured from the environment (region, credentials, and
    /// `AWS_ENDPOINT_URL_S3VECTORS` / `AWS_ENDPOINT_URL` for a local endpoint).
    pub async fn from_env(bucket: &str, store: StoreRef) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS),
            )
            .load()
            .await;
        Self::new(aws_sdk_s3vectors::Client::new(&config), bucket, store)
    }

    /// An engine on a local S3 Vectors-compatible endpoint (moto, a test fake) with dummy
    /// credentials and region us-east-1, whatever the environment says.
    pub async fn for_endpoint(endpoint_url: &str, bucket: &str, store: StoreRef) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint_url)
            .region(aws_config::Region::new("us-east-1"))
            .test_credentials()
            .load()
            .await;
        Self::new(aws_sdk_s3vectors::Client::new(&config), bucket, store)
    }

    /// The SDK client (operators' tools and tests create buckets with it).
    pub fn client(&self) -> &aws_sdk_s3vectors::Client {
        &self.api.client
    }

    /// The vector bucket new collections go to.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Writes one batch, re-creating the index from its registry entry if it is missing (its
    /// creator stopped between the registry write and CreateIndex, or it was deleted).
    async fn put_batch(&self, e: &Entry, batch: &[Staged]) -> Result<()> {
        match self.api.put(e, batch).await {
            Err(Fail::NotFound(_)) => {
                self.api.create_index(e).await?;
                Ok(self.api.put(e, batch).await?)
            }
            r => Ok(r?),
        }
    }

    /// The keys among `keys` that exist in the index.
    async fn existing(&self, e: &Entry, keys: Vec<String>) -> Result<Vec<String>> {
        let chunks: Vec<Vec<String>> = keys.chunks(GET_BATCH).map(<[String]>::to_vec).collect();
        let found: Vec<Vec<String>> = futures_util::stream::iter(chunks)
            .map(|chunk| async move {
                match self.api.get(e, chunk, false, false).await {
                    Ok(got) => Ok(got.into_iter().map(|g| g.key).collect()),
                    Err(Fail::NotFound(_)) => Ok(Vec::new()),
                    Err(f) => Err(VectorError::from(f)),
                }
            })
            .buffer_unordered(GET_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn delete_keys(&self, e: &Entry, keys: Vec<String>) -> Result<usize> {
        for chunk in keys.chunks(DELETE_BATCH) {
            match self.api.delete(e, chunk.to_vec()).await {
                Ok(()) | Err(Fail::NotFound(_)) => {}
                Err(f) => return Err(f.into()),
            }
        }
        Ok(keys.len())
    }

    /// Query-then-delete in rounds (S3 Vectors has no delete-by-filter); see the module doc.
    async fn delete_matching(
        &self,
        e: &Entry,
        filter: &Filter,
        doc: Option<&Value>,
    ) -> Result<usize> {
        let deadline = tokio::time::Instant::now() + FILTER_DELETE_BUDGET;
        let probe = layout::probe_vector(e.dimension);
        let mut seen = HashSet::new();
        let mut deleted = 0;
        while deleted < MAX_IDS_PER_DELETE && tokio::time::Instant::now() < deadline {
            let hits = match self.api.query(e, probe.clone(), MAX_TOP_K, doc, true).await {
                Ok(h) => h,
                Err(Fail::NotFound(_)) => break,
                Err(f) => return Err(f.into()),
            };
            let mut doomed = Vec::new();
            let mut fresh = false;
            for hit in hits {
                if !seen.insert(hit.key.clone()) {
                    continue;
                }
                fresh = true;
                let Some(id) = layout::decode_key(&hit.key) else {
                    continue;
                };
                let payload = layout::payload_from_metadata(hit.metadata.as_ref(), &hit.key)?;
                if filter.matches(&id, payload.as_ref()) {
                    doomed.push(hit.key);
                }
            }
            if !fresh {
                break;
            }
            doomed.truncate(MAX_IDS_PER_DELETE - deleted);
            deleted += self.delete_keys(e, doomed).await?;
        }
        Ok(deleted)
    }
}

#[async_trait]
impl VectorBackend for S3VectorsEngine {
    async fn upsert(&self, ns: &Namespace, req: UpsertRequest) -> Result<usize> {
        let dim = validate_upsert(&req)?;
        let (name, asked) = (req.collection.clone(), req.distance);
        let mut staged: Vec<Staged> = Vec::with_capacity(req.points.len());
        for (i, p) in req.points.into_iter().enumerate() {
            let key = layout::encode_key(&p.id);
            layout::check_key(&key, &format!("points[{i}].id"))?;
            let meta = layout::metadata(p.payload.as_ref(), &format!("points[{i}].payload"))?;
            staged.push((key, p.vector, meta));
        }
        let count = staged.len();
        let entry = match self.registry.get(ns, &name).await? {
            Some(e) => e,
            None => {
                let distance = asked.unwrap_or_default();
                if distance == Distance::Cosine
                    && let Some(i) = staged.iter().position(|s| s.1.iter().all(|&x| x == 0.0))
                {
                    return Err(zero_vector_error(i));
                }
                let want = Entry {
                    bucket: self.bucket.clone(),
                    index: layout::index_name(ns, &name),
                    dimension: dim,
                    distance,
                };
                let (entry, created) = self.registry.create(ns, &name, want).await?;
                if created {
                    self.api.create_index(&entry).await?;
                }
                entry
            }
        };
        check_fit(&name, dim, &entry, asked)?;
        let points = finish_points(entry.distance, staged)?;
        for batch in points.chunks(PUT_BATCH) {
            self.put_batch(&entry, batch).await?;
        }
        Ok(count)
    }

    async fn query(&self, ns: &Namespace, req: &QueryRequest) -> Result<Vec<ScoredPoint>> {
        // Translate first: an untranslatable filter is a 400 whether or not the collection exists.
        let translated = match &req.filter {
            Some(f) => to_s3_filter(f)?,
            None => S3Filter::MatchAll,
        };
        let Some(e) = self.registry.get(ns, &req.collection).await? else {
            return Ok(Vec::new());
        };
        if req.vector.len() != e.dimension {
            return Err(VectorError::invalid(format!(
                "vector has dimension {}, collection '{}' has dimension {}",
                req.vector.len(),
                req.collection,
                e.dimension
            )));
        }
        if req.vector.iter().any(|x| !x.is_finite()) {
            return Err(VectorError::invalid(
                "vector has a component that is not a finite number",
            ));
        }
        let mut q = req.vector.clone();
        if e.distance == Distance::Cosine && !layout::normalise(&mut q) {
            return Err(VectorError::invalid(
                "vector has zero length; cosine distance needs a non-zero vector",
            ));
        }
        let doc = match &translated {
            S3Filter::MatchNone => return Ok(Vec::new()),
            S3Filter::MatchAll => None,
            S3Filter::Document(d) => Some(d),
        };
        // Payloads are needed to return them and to re-check the exact filter.
        let need_payload = req.with_payload || req.filter.is_some();
        let top_k = req.top_k.min(MAX_TOP_K);
        let hits = match self.api.query(&e, q, top_k, doc, need_payload).await {
            Ok(h) => h,
            Err(Fail::NotFound(m)) => {
                // Registered but not created yet (its first upsert failed midway): no points.
                tracing::warn!(index = %e.index, error = %m, "querying a missing vector index");
                return Ok(Vec::new());
            }
            Err(f) => return Err(f.into()),
        };
        let mut out = Vec::with_capacity(hits.len());
        for hit in hits {
            let Some(id) = layout::decode_key(&hit.key) else {
                tracing::warn!(key = %hit.key, index = %e.index, "skipping a vector key this engine did not write");
                continue;
            };
            let payload = if need_payload {
                layout::payload_from_metadata(hit.metadata.as_ref(), &hit.key)?
            } else {
                None
            };
            if req
                .filter
                .as_ref()
                .is_some_and(|f| !f.matches(&id, payload.as_ref()))
            {
                continue;
            }
            let Some(d) = hit.distance else {
                return Err(VectorError::Storage(
                    "QueryVectors returned no distance".into(),
                ));
            };
            let score = layout::score_from_distance(e.distance, d);
            if !layout::passes_threshold(e.distance, score, req.score_threshold) {
                continue;
            }
            out.push(ScoredPoint {
                id,
                score,
                payload: payload.filter(|_| req.with_payload),
                vector: None,
            });
        }
        layout::rank(e.distance, &mut out);
        out.truncate(top_k);
        if req.with_vector && !out.is_empty() {
            let keys = out.iter().map(|p| layout::encode_key(&p.id)).collect();
            let got = self.api.get(&e, keys, true, false).await?;
            let mut data: HashMap<String, Vec<f32>> = got
                .into_iter()
                .filter_map(|g| Some((g.key, g.data?)))
                .collect();
            for p in &mut out {
                p.vector = data.remove(&layout::encode_key(&p.id));
            }
        }
        Ok(out)
    }

    async fn delete(&self, ns: &Namespace, req: &DeleteRequest) -> Result<usize> {
        match &req.selector {
            DeleteSelector::Ids(ids) => {
                let Some(e) = self.registry.get(ns, &req.collection).await? else {
                    return Ok(0);
                };
                let mut seen = HashSet::new();
                let keys: Vec<String> = ids
                    .iter()
                    .map(layout::encode_key)
                    .filter(|k| k.len() <= layout::MAX_KEY_BYTES && seen.insert(k.clone()))
                    .collect();
                // DeleteVectors ignores absent keys and says nothing, so count first.
                let existing = self.existing(&e, keys).await?;
                self.delete_keys(&e, existing).await
            }
            DeleteSelector::Filter(f) => {
                let translated = to_s3_filter(f)?;
                let Some(e) = self.registry.get(ns, &req.collection).await? else {
                    return Ok(0);
                };
                match &translated {
                    S3Filter::MatchNone => Ok(0),
                    S3Filter::MatchAll => self.delete_matching(&e, f, None).await,
                    S3Filter::Document(d) => self.delete_matching(&e, f, Some(d)).await,
                }
            }
        }
    }
}
