//! One collection in memory: vectors in a single contiguous `f32` buffer (slot-major), ids and
//! payloads alongside, and the exact top-k scan over them.

use super::kernel;
use crate::vectors::{Distance, Filter, Payload, PointId};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;

/// Below this many stored floats one thread scans faster than spawning more.
const PARALLEL_MIN_FLOATS: usize = 1 << 21;
/// Scanning is memory-bound; more threads than this only add contention.
const MAX_SCAN_THREADS: usize = 4;

/// A collection's points.
pub(crate) struct Collection {
    pub(crate) dim: usize,
    pub(crate) distance: Distance,
    /// Set when the collection is dropped, so a writer holding a stale handle retries.
    pub(crate) dropped: bool,
    ids: Vec<PointId>,
    vectors: Vec<f32>,
    payloads: Vec<Option<Payload>>,
    slots: HashMap<PointId, usize>,
}

/// A search hit: the slot of a point and its score.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    pub(crate) slot: usize,
    pub(crate) score: f32,
}

impl Collection {
    pub(crate) fn new(dim: usize, distance: Distance) -> Self {
        Collection {
            dim,
            distance,
            dropped: false,
            ids: Vec::new(),
            vectors: Vec::new(),
            payloads: Vec::new(),
            slots: HashMap::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        self.ids.reserve(additional);
        self.vectors.reserve(additional * self.dim);
        self.payloads.reserve(additional);
        self.slots.reserve(additional);
    }

    /// Inserts or replaces a point; `vector` must already be prepared (normalised for cosine).
    pub(crate) fn upsert(&mut self, id: PointId, vector: &[f32], payload: Option<Payload>) {
        let dim = self.dim;
        if let Some(&slot) = self.slots.get(&id) {
            self.vectors[slot * dim..(slot + 1) * dim].copy_from_slice(vector);
            self.payloads[slot] = payload;
            return;
        }
        self.slots.insert(id.clone(), self.ids.len());
        self.ids.push(id);
        self.vectors.extend_from_slice(vector);
        self.payloads.push(payload);
    }

    /// Removes a point (the last slot moves into its place); false when absent.
    pub(crate) fn remove(&mut self, id: &PointId) -> bool {
        let Some(slot) = self.slots.remove(id) else {
            return false;
        };
        let last = self.ids.len() - 1;
        let dim = self.dim;
        if slot != last {
            self.vectors
                .copy_within(last * dim..(last + 1) * dim, slot * dim);
            self.slots.insert(self.ids[last].clone(), slot);
        }
        self.ids.swap_remove(slot);
        self.payloads.swap_remove(slot);
        self.vectors.truncate(last * dim);
        true
    }

    pub(crate) fn contains(&self, id: &PointId) -> bool {
        self.slots.contains_key(id)
    }

    /// Ids of every point that passes `filter`.
    pub(crate) fn matching_ids(&self, filter: &Filter) -> Vec<PointId> {
        self.ids
            .iter()
            .zip(&self.payloads)
            .filter(|(id, p)| filter.matches(id, p.as_ref()))
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub(crate) fn id(&self, slot: usize) -> &PointId {
        &self.ids[slot]
    }

    pub(crate) fn vector(&self, slot: usize) -> &[f32] {
        &self.vectors[slot * self.dim..(slot + 1) * self.dim]
    }

    pub(crate) fn payload(&self, slot: usize) -> Option<&Payload> {
        self.payloads[slot].as_ref()
    }

    /// The best `top_k` points for a prepared query, best first, ties by ascending id.
    pub(crate) fn search(
        &self,
        query: &[f32],
        top_k: usize,
        filter: Option<&Filter>,
        threshold: Option<f32>,
    ) -> Vec<Hit> {
        let n = self.len();
        let threads = if n * self.dim >= PARALLEL_MIN_FLOATS {
            std::thread::available_parallelism()
                .map_or(1, |p| p.get())
                .min(MAX_SCAN_THREADS)
        } else {
            1
        };
        let scan = |range: Range<usize>| self.scan(range, query, top_k, filter, threshold);
        let mut entries = if threads <= 1 {
            scan(0..n)
        } else {
            let chunk = n.div_ceil(threads);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                        s.spawn(move || scan(range))
                    })
                    .collect();
                // A scan cannot panic short of a bug; a lost chunk would only drop candidates.
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        };
        entries.sort_unstable();
        entries.truncate(top_k);
        entries
            .into_iter()
            .map(|e| Hit {
                slot: e.slot,
                score: e.score,
            })
            .collect()
    }

    fn scan(
        &self,
        range: Range<usize>,
        query: &[f32],
        top_k: usize,
        filter: Option<&Filter>,
        threshold: Option<f32>,
    ) -> Vec<Entry<'_>> {
        let higher_is_better = self.distance.higher_is_better();
        let mut heap: BinaryHeap<Entry<'_>> = BinaryHeap::with_capacity(top_k + 1);
        for slot in range {
            let score = kernel::score(self.distance, query, self.vector(slot));
            if score.is_nan() {
                continue;
            }
            if let Some(t) = threshold {
                let keep = if higher_is_better {
                    score >= t
                } else {
                    score <= t
                };
                if !keep {
                    continue;
                }
            }
            let rank = if higher_is_better { score } else { -score };
            // -0.0 and 0.0 must tie, and total_cmp tells them apart.
            let rank = if rank == 0.0 { 0.0 } else { rank };
            let entry = Entry {
                rank,
                id: &self.ids[slot],
                slot,
                score,
            };
            // Score first, filter only for points that would enter the top k.
            if heap.len() >= top_k && heap.peek().is_none_or(|worst| entry >= *worst) {
                continue;
            }
            if let Some(f) = filter {
                if !f.matches(entry.id, self.payloads[slot].as_ref()) {
                    continue;
                }
            }
            heap.push(entry);
            if heap.len() > top_k {
                heap.pop();
            }
        }
        heap.into_vec()
    }
}

/// A candidate ordered best-first: higher rank, then lower id. In a `BinaryHeap` the top is the
/// worst candidate, the one to evict.
struct Entry<'a> {
    rank: f32,
    id: &'a PointId,
    slot: usize,
    score: f32,
}

impl Ord for Entry<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .rank
            .total_cmp(&self.rank)
            .then_with(|| self.id.cmp(other.id))
    }
}

impl PartialOrd for Entry<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry<'_> {}
