//! [`EmbeddedVectors`]: the local vector engine. Namespaces (one per account) hold collections;
//! each collection keeps its vectors in memory for exact search and writes through to SQLite.
//!
//! Locking: a map lock guards the set of collections, a mutex serialises SQLite (and with it
//! every writer), and an `RwLock` per collection guards its points. Locks are taken in the order
//! map → store → collection and never the other way; queries take only a collection read lock,
//! and writers hold a collection write lock just for the in-memory update, not the SQLite write.
//! One process owns a database file: the in-memory copy is the source of truth for reads.

mod collection;
mod kernel;
mod store;

use crate::vectors::request::validate_collection_name;
use crate::vectors::{
    DeleteRequest, DeleteSelector, Distance, MAX_DIMENSION, MAX_TOP_K, Namespace, QueryRequest,
    ScoredPoint, UpsertRequest, VectorError,
};
use collection::Collection;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use store::Store;

type Result<T> = std::result::Result<T, VectorError>;
type Handle = Arc<RwLock<Collection>>;
type Key = (Namespace, String);

/// Dimension, distance and size of a collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CollectionInfo {
    pub dimension: usize,
    pub distance: Distance,
    pub points: usize,
}

/// Exact-search vector storage persisted to one SQLite file.
pub struct EmbeddedVectors {
    collections: RwLock<HashMap<Key, Handle>>,
    store: Mutex<Store>,
}

fn poisoned() -> VectorError {
    VectorError::Storage("a vector lock was poisoned by an earlier panic".into())
}

fn read<T>(l: &RwLock<T>) -> Result<RwLockReadGuard<'_, T>> {
    l.read().map_err(|_| poisoned())
}

fn write<T>(l: &RwLock<T>) -> Result<RwLockWriteGuard<'_, T>> {
    l.write().map_err(|_| poisoned())
}

impl EmbeddedVectors {
    /// Opens (or creates) the database at `path` and loads every vector into memory.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_store(Store::open(path.as_ref())?)
    }

    /// A private in-memory database (tests, ephemeral use).
    pub fn open_in_memory() -> Result<Self> {
        Self::from_store(Store::open_in_memory()?)
    }

    fn from_store(store: Store) -> Result<Self> {
        let loaded = store.load()?;
        let collections = loaded
            .into_iter()
            .map(|(k, c)| (k, Arc::new(RwLock::new(c))))
            .collect();
        Ok(EmbeddedVectors {
            collections: RwLock::new(collections),
            store: Mutex::new(store),
        })
    }

    fn store(&self) -> Result<MutexGuard<'_, Store>> {
        self.store.lock().map_err(|_| poisoned())
    }

    fn lookup(&self, ns: &Namespace, name: &str) -> Result<Option<Handle>> {
        Ok(read(&self.collections)?
            .get(&(ns.clone(), name.to_string()))
            .cloned())
    }

    fn get_or_create(
        &self,
        ns: &Namespace,
        name: &str,
        dim: usize,
        distance: Distance,
    ) -> Result<Handle> {
        if let Some(h) = self.lookup(ns, name)? {
            return Ok(h);
        }
        let mut map = write(&self.collections)?;
        let key = (ns.clone(), name.to_string());
        if let Some(h) = map.get(&key) {
            return Ok(h.clone());
        }
        self.store()?.create_collection(ns, name, dim, distance)?;
        let h = Arc::new(RwLock::new(Collection::new(dim, distance)));
        map.insert(key, h.clone());
        Ok(h)
    }

    /// Inserts or replaces points (same id: replaced; repeated in one request: the last wins),
    /// creating the collection on first use. Returns the number of points written.
    pub fn upsert(&self, ns: &Namespace, req: UpsertRequest) -> Result<usize> {
        validate_collection_name(&req.collection)?;
        let dim = req.dimension();
        if dim == 0 {
            return Err(VectorError::invalid("points must not be empty"));
        }
        if dim > MAX_DIMENSION {
            return Err(VectorError::invalid(format!(
                "points[0].vector has dimension {dim}, the maximum is {MAX_DIMENSION}"
            )));
        }
        for (i, p) in req.points.iter().enumerate() {
            if p.vector.len() != dim {
                return Err(VectorError::invalid(format!(
                    "points[{i}].vector has dimension {}, points[0].vector has dimension {dim}",
                    p.vector.len()
                )));
            }
            if p.vector.iter().any(|x| !x.is_finite()) {
                return Err(VectorError::invalid(format!(
                    "points[{i}].vector has a component that is not a finite number"
                )));
            }
        }
        let name = req.collection.as_str();
        // Check everything before a first upsert creates the collection.
        let existing = self
            .lookup(ns, name)?
            .map(|h| read(&h).map(|c| (c.dim, c.distance)))
            .transpose()?;
        let (want_dim, distance) = existing.unwrap_or((dim, req.distance.unwrap_or_default()));
        check_fit(name, dim, want_dim, req.distance, distance)?;
        if distance == Distance::Cosine {
            if let Some(i) = req
                .points
                .iter()
                .position(|p| p.vector.iter().all(|&x| x == 0.0))
            {
                return Err(VectorError::invalid(format!(
                    "points[{i}].vector has zero length; cosine distance needs a non-zero vector"
                )));
            }
        }
        loop {
            let handle = self.get_or_create(ns, name, dim, distance)?;
            // Holding the store lock freezes the collection's existence and configuration
            // (create and drop need it too) and orders writers; the collection itself is only
            // write-locked for the in-memory update, so queries run during the SQLite write.
            let mut store = self.store()?;
            let config = {
                let c = read(&handle)?;
                (!c.dropped).then_some((c.dim, c.distance))
            };
            let Some((have_dim, have_distance)) = config else {
                continue;
            };
            check_fit(name, dim, have_dim, req.distance, have_distance)?;
            let mut points = req.points;
            if have_distance == Distance::Cosine {
                for (i, p) in points.iter_mut().enumerate() {
                    if !kernel::normalise(&mut p.vector) {
                        return Err(VectorError::invalid(format!(
                            "points[{i}].vector has zero length; cosine distance needs a non-zero vector"
                        )));
                    }
                }
            }
            store.upsert_points(
                ns,
                name,
                points
                    .iter()
                    .map(|p| (&p.id, p.vector.as_slice(), p.payload.as_ref())),
            )?;
            let written = points.len();
            let mut c = write(&handle)?;
            c.reserve(written);
            for p in points {
                c.upsert(p.id, &p.vector, p.payload);
            }
            return Ok(written);
        }
    }

    /// The `top_k` best points, best first (ties by ascending id). A collection that does not
    /// exist yet has no points, so the result is empty.
    pub fn query(&self, ns: &Namespace, req: &QueryRequest) -> Result<Vec<ScoredPoint>> {
        let Some(handle) = self.lookup(ns, &req.collection)? else {
            return Ok(Vec::new());
        };
        let c = read(&handle)?;
        if req.vector.len() != c.dim {
            return Err(VectorError::invalid(format!(
                "vector has dimension {}, collection '{}' has dimension {}",
                req.vector.len(),
                req.collection,
                c.dim
            )));
        }
        if req.vector.iter().any(|x| !x.is_finite()) {
            return Err(VectorError::invalid(
                "vector has a component that is not a finite number",
            ));
        }
        let mut q = req.vector.clone();
        if c.distance == Distance::Cosine && !kernel::normalise(&mut q) {
            return Err(VectorError::invalid(
                "vector has zero length; cosine distance needs a non-zero vector",
            ));
        }
        let hits = c.search(
            &q,
            req.top_k.min(MAX_TOP_K),
            req.filter.as_ref(),
            req.score_threshold,
        );
        Ok(hits
            .into_iter()
            .map(|h| ScoredPoint {
                id: c.id(h.slot).clone(),
                score: h.score,
                payload: if req.with_payload {
                    c.payload(h.slot).cloned()
                } else {
                    None
                },
                vector: req.with_vector.then(|| c.vector(h.slot).to_vec()),
            })
            .collect())
    }

    /// Deletes points by id or by filter; returns how many existed and were removed.
    pub fn delete(&self, ns: &Namespace, req: &DeleteRequest) -> Result<usize> {
        let Some(handle) = self.lookup(ns, &req.collection)? else {
            return Ok(0);
        };
        let mut store = self.store()?;
        let ids: Vec<_> = {
            let c = read(&handle)?;
            if c.dropped {
                return Ok(0);
            }
            match &req.selector {
                DeleteSelector::Ids(ids) => {
                    let mut seen = HashSet::new();
                    ids.iter()
                        .filter(|id| c.contains(id) && seen.insert(*id))
                        .cloned()
                        .collect()
                }
                DeleteSelector::Filter(f) => c.matching_ids(f),
            }
        };
        if ids.is_empty() {
            return Ok(0);
        }
        // No other writer can change the collection while the store lock is held.
        store.delete_points(ns, &req.collection, &ids)?;
        let mut c = write(&handle)?;
        for id in &ids {
            c.remove(id);
        }
        Ok(ids.len())
    }

    /// Dimension, distance and size of one collection of `ns`.
    pub fn collection_info(&self, ns: &Namespace, name: &str) -> Result<Option<CollectionInfo>> {
        let Some(handle) = self.lookup(ns, name)? else {
            return Ok(None);
        };
        let c = read(&handle)?;
        Ok(Some(CollectionInfo {
            dimension: c.dim,
            distance: c.distance,
            points: c.len(),
        }))
    }

    /// The collections of `ns`, sorted by name.
    pub fn collections(&self, ns: &Namespace) -> Result<Vec<(String, CollectionInfo)>> {
        let handles: Vec<(String, Handle)> = read(&self.collections)?
            .iter()
            .filter(|((n, _), _)| n == ns)
            .map(|((_, name), h)| (name.clone(), h.clone()))
            .collect();
        let mut out = Vec::with_capacity(handles.len());
        for (name, h) in handles {
            let c = read(&h)?;
            if !c.dropped {
                out.push((
                    name,
                    CollectionInfo {
                        dimension: c.dim,
                        distance: c.distance,
                        points: c.len(),
                    },
                ));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Deletes a collection of `ns` with its points; false when it did not exist.
    pub fn drop_collection(&self, ns: &Namespace, name: &str) -> Result<bool> {
        Ok(self.drop_where(ns, |n| n == name)? > 0)
    }

    /// Deletes every collection of `ns` (account deletion); returns how many there were.
    pub fn drop_namespace(&self, ns: &Namespace) -> Result<usize> {
        self.drop_where(ns, |_| true)
    }

    fn drop_where(&self, ns: &Namespace, pick: impl Fn(&str) -> bool) -> Result<usize> {
        let mut map = write(&self.collections)?;
        let mut keys: Vec<Key> = map
            .keys()
            .filter(|(n, name)| n == ns && pick(name))
            .cloned()
            .collect();
        keys.sort();
        let handles: Vec<Handle> = keys.iter().filter_map(|k| map.get(k).cloned()).collect();
        let mut store = self.store()?;
        let mut guards = Vec::with_capacity(handles.len());
        for h in &handles {
            guards.push(write(h)?);
        }
        let names: Vec<String> = keys.iter().map(|(_, name)| name.clone()).collect();
        store.drop_collections(ns, &names)?;
        for g in guards.iter_mut() {
            g.dropped = true;
        }
        for k in &keys {
            map.remove(k);
        }
        Ok(keys.len())
    }
}

fn check_fit(
    name: &str,
    dim: usize,
    have_dim: usize,
    asked: Option<Distance>,
    have: Distance,
) -> Result<()> {
    if dim != have_dim {
        return Err(VectorError::invalid(format!(
            "points[0].vector has dimension {dim}, collection '{name}' has dimension {have_dim}"
        )));
    }
    match asked {
        Some(d) if d != have => Err(VectorError::invalid(format!(
            "collection '{name}' uses distance {have}, the request asks for {d}"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod random_tests;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod store_tests;
#[cfg(test)]
mod tests;
