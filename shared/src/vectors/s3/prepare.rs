//! Upsert preparation for the S3 engine, before any call: the embedded engine's checks, the fit
//! with the collection's registry entry, and the final points (normalised, one per key).

use super::api::Staged;
use super::layout;
use super::registry::Entry;
use crate::vectors::request::validate_collection_name;
use crate::vectors::{Distance, MAX_DIMENSION, UpsertRequest, VectorError};
use std::collections::HashMap;

type Result<T> = std::result::Result<T, VectorError>;

/// The 400 for a `dot` collection, which S3 Vectors cannot hold.
fn dot_refused() -> VectorError {
    VectorError::invalid(
        "distance 'dot' is not available on this deployment (Amazon S3 Vectors supports 'cosine' and 'euclid')",
    )
}

/// The same checks as the embedded engine, before anything is written.
pub(crate) fn validate_upsert(req: &UpsertRequest) -> Result<usize> {
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
    if req.distance == Some(Distance::Dot) {
        return Err(dot_refused());
    }
    Ok(dim)
}

/// The request's dimension and asked-for distance against the collection's.
pub(crate) fn check_fit(name: &str, dim: usize, e: &Entry, asked: Option<Distance>) -> Result<()> {
    if dim != e.dimension {
        return Err(VectorError::invalid(format!(
            "points[0].vector has dimension {dim}, collection '{name}' has dimension {}",
            e.dimension
        )));
    }
    match asked {
        Some(d) if d != e.distance => Err(VectorError::invalid(format!(
            "collection '{name}' uses distance {}, the request asks for {d}",
            e.distance
        ))),
        _ => Ok(()),
    }
}

/// The 400 for a zero vector in a cosine collection.
pub(crate) fn zero_vector_error(i: usize) -> VectorError {
    VectorError::invalid(format!(
        "points[{i}].vector has zero length; cosine distance needs a non-zero vector"
    ))
}

/// Normalises for cosine; the last occurrence of a key wins, as in one embedded upsert.
pub(crate) fn finish_points(distance: Distance, staged: Vec<Staged>) -> Result<Vec<Staged>> {
    let mut last: HashMap<String, usize> = HashMap::with_capacity(staged.len());
    for (i, (key, _, _)) in staged.iter().enumerate() {
        last.insert(key.clone(), i);
    }
    let mut out = Vec::with_capacity(last.len());
    for (i, (key, mut vector, meta)) in staged.into_iter().enumerate() {
        if distance == Distance::Cosine && !layout::normalise(&mut vector) {
            return Err(zero_vector_error(i));
        }
        if last.get(&key) == Some(&i) {
            out.push((key, vector, meta));
        }
    }
    Ok(out)
}
