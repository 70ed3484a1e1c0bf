//! Distance kernels: plain loops over fixed-width lanes with independent accumulators, so the
//! compiler can vectorise them without `unsafe` or target-specific code.

use crate::vectors::Distance;

/// Independent partial sums; floating-point addition is not associative, so a single
/// accumulator would force a sequential loop.
const LANES: usize = 16;

/// Dot product of two equally long slices.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        let (Ok(x), Ok(y)) = (<&[f32; LANES]>::try_from(x), <&[f32; LANES]>::try_from(y)) else {
            continue;
        };
        for ((s, a), b) in acc.iter_mut().zip(x).zip(y) {
            *s += a * b;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    reduce(acc) + tail
}

/// Squared Euclidean distance of two equally long slices.
pub(crate) fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let ca = a.chunks_exact(LANES);
    let cb = b.chunks_exact(LANES);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        let (Ok(x), Ok(y)) = (<&[f32; LANES]>::try_from(x), <&[f32; LANES]>::try_from(y)) else {
            continue;
        };
        for ((s, a), b) in acc.iter_mut().zip(x).zip(y) {
            let d = a - b;
            *s += d * d;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| (x - y) * (x - y)).sum();
    reduce(acc) + tail
}

fn reduce(acc: [f32; LANES]) -> f32 {
    // Pairwise, which keeps rounding error lower than a left fold.
    let mut v = acc;
    let mut width = LANES / 2;
    while width > 0 {
        let (lo, hi) = v.split_at_mut(width);
        for (a, b) in lo.iter_mut().zip(hi.iter()) {
            *a += *b;
        }
        width /= 2;
    }
    v[0]
}

/// Scales `v` to unit length in place; false (and `v` untouched) when its norm is zero.
pub(crate) fn normalise(v: &mut [f32]) -> bool {
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return false;
    }
    for x in v.iter_mut() {
        *x = (f64::from(*x) / norm) as f32;
    }
    true
}

/// The score of a stored vector for a query (both already normalised for cosine).
#[inline]
pub(crate) fn score(distance: Distance, query: &[f32], stored: &[f32]) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => dot(query, stored),
        Distance::Euclid => squared_distance(query, stored).sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_naive_sums() {
        for n in [1usize, 7, 16, 17, 33, 1536] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7 % 13) as f32 - 6.0) / 3.0).collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 4.0).collect();
            let naive_dot: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            let naive_sq: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
                .sum();
            assert!(
                (f64::from(dot(&a, &b)) - naive_dot).abs() < 1e-3,
                "dot n={n}"
            );
            assert!(
                (f64::from(squared_distance(&a, &b)) - naive_sq).abs() < 1e-3,
                "sq n={n}"
            );
        }
    }

    #[test]
    fn normalise_rejects_zero() {
        let mut v = vec![3.0, 4.0];
        assert!(normalise(&mut v));
        assert_eq!(v, vec![0.6, 0.8]);
        let mut z = vec![0.0, 0.0];
        assert!(!normalise(&mut z));
        assert_eq!(z, vec![0.0, 0.0]);
        assert_eq!(score(Distance::Euclid, &[0.0, 0.0], &[3.0, 4.0]), 5.0);
    }
}
