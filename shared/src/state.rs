//! `AppState`: what every handler shares — config, store, key cache, upstream HTTP client.

use crate::auth::KeyCache;
use crate::config::{Config, StoreConfig, VectorBackendConfig};
use crate::store::StoreRef;
use std::sync::Arc;
use std::time::Duration;

/// Cheap to clone; everything behind `Arc`.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: StoreRef,
    pub key_cache: Arc<KeyCache>,
    /// One pooled client for every upstream, so connections are reused.
    pub http: reqwest::Client,
    /// Firebase's signing keys, cached for their `Cache-Control: max-age`.
    pub firebase_keys: Arc<crate::auth::firebase::JwksCache>,
    /// Vector storage: the embedded engine locally, Amazon S3 Vectors in AWS; `None` where no
    /// vector backend is configured (the vectors routes then answer 503).
    pub vectors: Option<Arc<dyn crate::vectors::VectorBackend>>,
    /// The Guardian scanner (deny-list and thresholds from config), shared by every request.
    pub guardian: crate::guardian::Guardian,
    /// Where concurrency leases live: in the store, or in this process when it is the
    /// store's only server (`Store::single_server`).
    pub leases: crate::ratelimit::Leases,
}

impl AppState {
    pub fn new(config: Config, store: StoreRef) -> Self {
        let ttl = Duration::from_secs(config.key_cache_ttl_secs);
        let guardian = crate::guardian::Guardian::new(crate::guardian::GuardianConfig {
            deny_terms: config.guardian_deny_terms.clone(),
            ..Default::default()
        })
        .or_else(|e| {
            tracing::error!(error = %e, "Guardian deny-list rejected; running without it");
            crate::guardian::Guardian::new(crate::guardian::GuardianConfig::default())
        })
        // Start-up only: the default configuration has no deny-list and valid thresholds.
        .expect("default Guardian configuration is valid");
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            // Bounds silence inside a body; whole-request limits are per call (upstream.rs).
            .read_timeout(Duration::from_secs(300))
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        AppState {
            config: Arc::new(config),
            leases: crate::ratelimit::Leases::for_store(&store),
            store,
            key_cache: Arc::new(KeyCache::new(ttl)),
            http,
            firebase_keys: Arc::default(),
            vectors: None,
            guardian,
        }
    }

    /// Open the configured store engine and vector backend and build the state.
    pub async fn from_config(config: Config) -> anyhow::Result<Self> {
        let store = open_store(&config.store).await?;
        let vectors = open_vectors(&config.vectors, &store).await?;
        let mut state = Self::new(config, store);
        state.vectors = vectors;
        Ok(state)
    }

    /// `from_config` without the vector backend, for functions that never touch vectors:
    /// not naming `open_vectors` keeps the S3 Vectors client out of their binaries.
    pub async fn from_config_without_vectors(config: Config) -> anyhow::Result<Self> {
        let store = open_store(&config.store).await?;
        Ok(Self::new(config, store))
    }
}

/// Why a Lambda build refuses the embedded engines (they are a cargo feature the functions
/// leave out to keep their packages small).
#[cfg(not(feature = "embedded"))]
const NO_EMBEDDED: &str = "this binary was built without the embedded store (cargo feature \
    `embedded`); set HEXACLAW_STORE=dynamodb, or run `hexaclaw gateway run` locally";

/// Open the vector backend a `VectorBackendConfig` names; S3 Vectors keeps its collection
/// registry in `store`.
pub async fn open_vectors(
    cfg: &VectorBackendConfig,
    store: &StoreRef,
) -> anyhow::Result<Option<Arc<dyn crate::vectors::VectorBackend>>> {
    use crate::vectors::s3::S3VectorsEngine;
    #[cfg(feature = "embedded")]
    use crate::vectors::{EmbeddedBackend, EmbeddedVectors};
    Ok(match cfg {
        VectorBackendConfig::Disabled => None,
        #[cfg(not(feature = "embedded"))]
        VectorBackendConfig::Embedded { .. } => anyhow::bail!(NO_EMBEDDED),
        #[cfg(feature = "embedded")]
        VectorBackendConfig::Embedded { data_dir } => {
            std::fs::create_dir_all(data_dir)?;
            let engine = EmbeddedVectors::open(data_dir.join("vectors.db"))
                .map_err(|e| anyhow::anyhow!("opening the vector store: {e}"))?;
            Some(Arc::new(EmbeddedBackend::new(Arc::new(engine))))
        }
        VectorBackendConfig::S3Vectors {
            bucket,
            endpoint_url,
        } => Some(Arc::new(match endpoint_url {
            Some(url) => S3VectorsEngine::for_endpoint(url, bucket, store.clone()).await,
            None => S3VectorsEngine::from_env(bucket, store.clone()).await,
        })),
    })
}

/// Open the store engine a `StoreConfig` names.
pub async fn open_store(cfg: &StoreConfig) -> anyhow::Result<StoreRef> {
    Ok(match cfg {
        #[cfg(feature = "embedded")]
        StoreConfig::Embedded { data_dir } => {
            std::fs::create_dir_all(data_dir)?;
            Arc::new(crate::store::embedded::EmbeddedEngine::open(
                &data_dir.join("hexaclaw.db"),
            )?)
        }
        #[cfg(not(feature = "embedded"))]
        StoreConfig::Embedded { .. } => anyhow::bail!(NO_EMBEDDED),
        StoreConfig::Dynamo { table_prefix } => {
            Arc::new(crate::store::dynamo::DynamoEngine::from_env(table_prefix).await)
        }
    })
}
