//! Shared by the Guardian examples (`guardian_bench`, `guardian_eval`): the corpus cut into
//! 10 KB windows, a latency loop and percentiles.

use std::time::{Duration, Instant};

/// The local gateway's allocator (`cli/src/main.rs`), where long scans run on two threads; the
/// Lambda functions use the system allocator and, at their default memory, one thread.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/guardian/corpus.jsonl"
);

/// Bytes per window.
pub const SIZE: usize = 10 * 1024;

/// `SIZE` bytes of `s` from `from`, both ends moved onto char boundaries.
pub fn cut(s: &str, from: usize) -> String {
    let mut a = from.min(s.len());
    while !s.is_char_boundary(a) {
        a += 1;
    }
    let mut b = (a + SIZE).min(s.len());
    while !s.is_char_boundary(b) {
        b -= 1;
    }
    s[a..b].to_owned()
}

/// The corpus's texts joined, cut into 24 evenly spaced windows (the first is nothing but
/// attacks, the worst case).
pub fn corpus_windows(jsonl: &str) -> Result<Vec<String>, serde_json::Error> {
    let mut joined = String::new();
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        joined.push_str(v["text"].as_str().unwrap_or_default());
        joined.push_str("\n\n");
    }
    let step = (joined.len().saturating_sub(SIZE) / 24).max(1);
    Ok((0..24)
        .map(|i| cut(&joined, i * step))
        .filter(|t| t.len() > SIZE / 2)
        .collect())
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Runs `f` `rounds` times over all of `texts` in turn (so each call finds the caches as the
/// others left them); returns the sorted wall times. Warm up first: regexes compile on first
/// use.
pub fn wall_times(texts: &[String], rounds: usize, mut f: impl FnMut(&str)) -> Vec<Duration> {
    let mut wall = Vec::with_capacity(texts.len() * rounds);
    for _ in 0..rounds {
        for t in texts {
            let start = Instant::now();
            f(t);
            wall.push(start.elapsed());
        }
    }
    wall.sort_unstable();
    wall
}
