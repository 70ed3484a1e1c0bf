//! The collection registry: (account, collection) → (bucket, index, dimension, distance), one
//! item per collection in `Table::Vectors` (pk `VCOLL#<account>`, sk `<collection>`).
//!
//! The registry, not S3, is the source of truth: the item is written first, with a `NotExists`
//! condition, and the index is created from it, so two concurrent first upserts agree on one
//! dimension and metric (the loser reads the winner's item). Entries never change once written
//! (there is no collection drop on this backend yet), so each process caches them briefly.

use crate::store::{Attr, Cond, Item, Key, StoreError, StoreRef, Table, now_secs};
use crate::vectors::{Distance, Namespace, VectorError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, VectorError>;

/// How long a process trusts a cached entry.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// Entries a process caches before it starts over (bounds memory on a long-lived instance).
const CACHE_MAX: usize = 10_000;

/// Where a collection lives and what it accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub bucket: String,
    pub index: String,
    pub dimension: usize,
    pub distance: Distance,
}

/// The registry key of a collection.
pub fn key(ns: &Namespace, collection: &str) -> Key {
    Key::new(format!("VCOLL#{}", ns.as_str()), collection)
}

fn storage(e: StoreError) -> VectorError {
    VectorError::Storage(format!("vector registry: {e}"))
}

fn to_item(k: &Key, e: &Entry) -> Item {
    Item::new(k)
        .with("bucket", e.bucket.as_str())
        .with("index", e.index.as_str())
        .with("dimension", Attr::N(e.dimension as i64))
        .with("distance", e.distance.as_str())
        .with("created_at", Attr::N(now_secs()))
}

fn from_item(item: &Item) -> Result<Entry> {
    let bad = || {
        VectorError::Storage(format!(
            "vector registry item {:?} is malformed",
            item.key()
        ))
    };
    Ok(Entry {
        bucket: item.s("bucket").ok_or_else(bad)?.to_string(),
        index: item.s("index").ok_or_else(bad)?.to_string(),
        dimension: item
            .n("dimension")
            .and_then(|d| usize::try_from(d).ok())
            .ok_or_else(bad)?,
        distance: item
            .s("distance")
            .and_then(Distance::parse)
            .ok_or_else(bad)?,
    })
}

/// Registry reads and writes on the item store, with a per-process cache.
pub struct Registry {
    store: StoreRef,
    cache: Mutex<HashMap<Key, (Instant, Entry)>>,
}

impl Registry {
    pub fn new(store: StoreRef) -> Self {
        Registry {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, k: &Key) -> Option<Entry> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(k)
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, e)| e.clone())
    }

    fn remember(&self, k: Key, e: &Entry) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(k, (Instant::now(), e.clone()));
        }
    }

    /// The entry of a collection, if it was ever created.
    pub async fn get(&self, ns: &Namespace, collection: &str) -> Result<Option<Entry>> {
        let k = key(ns, collection);
        if let Some(e) = self.cached(&k) {
            return Ok(Some(e));
        }
        let Some(item) = self.store.get(Table::Vectors, &k).await.map_err(storage)? else {
            return Ok(None);
        };
        let e = from_item(&item)?;
        self.remember(k, &e);
        Ok(Some(e))
    }

    /// Registers `want` unless the collection exists; returns the entry that holds and whether
    /// this call created it (only the creator creates the index).
    pub async fn create(
        &self,
        ns: &Namespace,
        collection: &str,
        want: Entry,
    ) -> Result<(Entry, bool)> {
        let k = key(ns, collection);
        let put = self
            .store
            .put(Table::Vectors, to_item(&k, &want), Some(Cond::NotExists))
            .await;
        match put {
            Ok(()) => {
                self.remember(k, &want);
                Ok((want, true))
            }
            Err(StoreError::ConditionFailed) => {
                let item = self.store.get(Table::Vectors, &k).await.map_err(storage)?;
                let e = from_item(&item.ok_or_else(|| {
                    VectorError::Storage("vector registry item vanished after a conflict".into())
                })?)?;
                self.remember(k, &e);
                Ok((e, false))
            }
            Err(e) => Err(storage(e)),
        }
    }
}
