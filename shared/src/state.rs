//! `AppState`: what every handler shares — config, store, key cache, upstream HTTP client.

use crate::auth::KeyCache;
use crate::config::{Config, StoreConfig};
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
    /// Vector storage: the embedded engine locally; `None` where no vector backend is
    /// configured (the vectors routes then answer 503).
    pub vectors: Option<Arc<crate::vectors::EmbeddedVectors>>,
}

impl AppState {
    pub fn new(config: Config, store: StoreRef) -> Self {
        let ttl = Duration::from_secs(config.key_cache_ttl_secs);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        AppState {
            config: Arc::new(config),
            store,
            key_cache: Arc::new(KeyCache::new(ttl)),
            http,
            firebase_keys: Arc::default(),
            vectors: None,
        }
    }

    /// Open the configured store engine and build the state.
    pub async fn from_config(config: Config) -> anyhow::Result<Self> {
        let store = open_store(&config.store).await?;
        let vectors = match &config.store {
            StoreConfig::Embedded { data_dir } => Some(Arc::new(
                crate::vectors::EmbeddedVectors::open(data_dir.join("vectors.db"))
                    .map_err(|e| anyhow::anyhow!("opening the vector store: {e}"))?,
            )),
            StoreConfig::Dynamo { .. } => None,
        };
        let mut state = Self::new(config, store);
        state.vectors = vectors;
        Ok(state)
    }
}

/// Open the store engine a `StoreConfig` names.
pub async fn open_store(cfg: &StoreConfig) -> anyhow::Result<StoreRef> {
    Ok(match cfg {
        StoreConfig::Embedded { data_dir } => {
            std::fs::create_dir_all(data_dir)?;
            Arc::new(crate::store::embedded::EmbeddedEngine::open(
                &data_dir.join("hexaclaw.db"),
            )?)
        }
        StoreConfig::Dynamo { table_prefix } => {
            Arc::new(crate::store::dynamo::DynamoEngine::from_env(table_prefix).await)
        }
    })
}
