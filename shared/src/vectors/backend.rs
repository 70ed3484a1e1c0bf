//! [`VectorBackend`]: the one interface the vectors routes call, whatever stores the points —
//! the embedded engine locally ([`EmbeddedBackend`]) or Amazon S3 Vectors in AWS
//! ([`crate::vectors::s3::S3VectorsEngine`]).
//!
//! Every backend answers with the same conventions: `upsert` returns the number of points in the
//! request, `query` returns at most `top_k` points best first (cosine: similarity, higher is
//! better; euclid: distance, lower is better; ties by ascending id), `delete` returns how many
//! points existed and were removed, and a collection that does not exist holds no points.

#[cfg(feature = "embedded")]
use crate::vectors::EmbeddedVectors;
use crate::vectors::{
    DeleteRequest, Namespace, QueryRequest, ScoredPoint, UpsertRequest, VectorError,
};
use async_trait::async_trait;
#[cfg(feature = "embedded")]
use std::sync::Arc;

/// Vector storage as the routes see it. Implementations isolate namespaces completely.
#[async_trait]
pub trait VectorBackend: Send + Sync {
    /// Inserts or replaces points, creating the collection on first use; returns the count.
    async fn upsert(&self, ns: &Namespace, req: UpsertRequest) -> Result<usize, VectorError>;

    /// The best `top_k` points of a collection for a query vector, best first.
    async fn query(
        &self,
        ns: &Namespace,
        req: &QueryRequest,
    ) -> Result<Vec<ScoredPoint>, VectorError>;

    /// Deletes points by id or by filter; returns how many existed and were removed.
    async fn delete(&self, ns: &Namespace, req: &DeleteRequest) -> Result<usize, VectorError>;
}

/// The embedded engine behind [`VectorBackend`]; its synchronous calls (SQLite writes, exact
/// scans) run on the blocking pool so they never stall the async workers.
#[cfg(feature = "embedded")]
#[derive(Clone)]
pub struct EmbeddedBackend {
    engine: Arc<EmbeddedVectors>,
}

#[cfg(feature = "embedded")]
impl EmbeddedBackend {
    /// Wraps an opened engine.
    pub fn new(engine: Arc<EmbeddedVectors>) -> Self {
        EmbeddedBackend { engine }
    }

    /// The engine itself (collection listing, drops, benchmarks).
    pub fn engine(&self) -> &Arc<EmbeddedVectors> {
        &self.engine
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&EmbeddedVectors) -> Result<T, VectorError> + Send + 'static,
    ) -> Result<T, VectorError> {
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || f(&engine))
            .await
            .map_err(|e| VectorError::Storage(format!("vector task failed: {e}")))?
    }
}

#[cfg(feature = "embedded")]
#[async_trait]
impl VectorBackend for EmbeddedBackend {
    async fn upsert(&self, ns: &Namespace, req: UpsertRequest) -> Result<usize, VectorError> {
        let ns = ns.clone();
        self.blocking(move |e| e.upsert(&ns, req)).await
    }

    async fn query(
        &self,
        ns: &Namespace,
        req: &QueryRequest,
    ) -> Result<Vec<ScoredPoint>, VectorError> {
        let (ns, req) = (ns.clone(), req.clone());
        self.blocking(move |e| e.query(&ns, &req)).await
    }

    async fn delete(&self, ns: &Namespace, req: &DeleteRequest) -> Result<usize, VectorError> {
        let (ns, req) = (ns.clone(), req.clone());
        self.blocking(move |e| e.delete(&ns, &req)).await
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn embedded_backend_round_trips_through_the_blocking_pool() {
        let backend: Arc<dyn VectorBackend> = Arc::new(EmbeddedBackend::new(Arc::new(
            EmbeddedVectors::open_in_memory().unwrap(),
        )));
        let ns = Namespace::for_account("acct-1");
        let other = Namespace::for_account("acct-2");
        let up = UpsertRequest::from_json(&json!({"points": [
            {"id": 1, "vector": [1.0, 0.0], "payload": {"k": "a"}},
            {"id": "two", "vector": [0.0, 1.0]},
        ]}))
        .unwrap();
        assert_eq!(backend.upsert(&ns, up).await.unwrap(), 2);
        let q = QueryRequest::from_json(&json!({"vector": [1.0, 0.1], "top_k": 1})).unwrap();
        let hits = backend.query(&ns, &q).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, crate::vectors::PointId::Num(1));
        assert!(backend.query(&other, &q).await.unwrap().is_empty());
        let del = DeleteRequest::from_json(&json!({"ids": [1, 1, 3]})).unwrap();
        assert_eq!(backend.delete(&other, &del).await.unwrap(), 0);
        assert_eq!(backend.delete(&ns, &del).await.unwrap(), 1);
    }
}
