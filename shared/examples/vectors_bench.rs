//! Query latency and memory of the embedded vector engine at 10k and 100k points of dimension
//! 1536 (random data, top_k 10, with and without a filter).
//!
//! Run: `cargo run --release --example vectors_bench` (both sizes, each in a fresh process so
//! the RSS figures do not mix), or `-- 25000` for one size.

use hexaclaw_shared::vectors::{
    EmbeddedVectors, Filter, Namespace, Point, PointId, QueryRequest, UpsertRequest,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use std::error::Error;
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const DIM: usize = 1536;
const BATCH: usize = 10_000;
const QUERIES: usize = 100;
const WARMUP: usize = 5;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        let exe = std::env::current_exe()?;
        for n in ["10000", "100000"] {
            let status = std::process::Command::new(&exe).arg(n).status()?;
            if !status.success() {
                return Err(format!("bench for {n} points failed").into());
            }
        }
        return Ok(());
    }
    for a in args {
        run(a.parse()?)?;
    }
    Ok(())
}

/// (VmRSS, VmHWM) in MiB, from /proc/self/status.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn random_unit(rng: &mut StdRng) -> Vec<f32> {
    (0..DIM).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn payload(i: usize) -> Map<String, Value> {
    let v = json!({
        "category": format!("c{}", i % 10),
        "n": i % 100,
        "tags": [format!("t{}", i % 7), format!("t{}", i % 11)],
        "doc": { "source": if i % 2 == 0 { "web" } else { "pdf" }, "chunk": i % 50 },
        "text": format!("chunk {i} of a document about topic {}", i % 97),
    });
    v.as_object().cloned().unwrap_or_default()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

fn run(n: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("hexaclaw-vectors-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("vectors.sqlite");
    let ns = Namespace::for_account("bench-account");
    let mut rng = StdRng::seed_from_u64(42);

    println!("== {n} points x {DIM} dims (cosine) ==");
    let engine = EmbeddedVectors::open(&path)?;
    let started = Instant::now();
    for start in (0..n).step_by(BATCH) {
        let points = (start..(start + BATCH).min(n))
            .map(|i| Point {
                id: PointId::Num(i as u64),
                vector: random_unit(&mut rng),
                payload: Some(payload(i)),
            })
            .collect();
        let req = UpsertRequest {
            collection: "default".into(),
            distance: None,
            points,
        };
        engine.upsert(&ns, req)?;
    }
    let upsert = started.elapsed();
    println!(
        "upsert: {:.1} s ({:.0} points/s, batches of {BATCH}, SQLite WAL)",
        upsert.as_secs_f64(),
        n as f64 / upsert.as_secs_f64()
    );
    drop(engine);

    let started = Instant::now();
    let engine = EmbeddedVectors::open(&path)?;
    let load = started.elapsed();
    let (rss, hwm) = memory_mib();
    let raw = (n * DIM * 4) as f64 / (1024.0 * 1024.0);
    println!("reopen (load into memory): {:.2} s", load.as_secs_f64());
    println!(
        "memory after reopen: RSS {rss:.0} MiB (peak {hwm:.0} MiB); raw f32 vectors {raw:.0} MiB"
    );

    let filters = [
        ("no filter", None),
        (
            "category = c3 (10%)",
            Some(json!({ "must": [{ "key": "category", "match": { "value": "c3" } }] })),
        ),
        (
            "n < 1 (1%)",
            Some(json!({ "must": [{ "key": "n", "range": { "lt": 1 } }] })),
        ),
        (
            "should tags / must_not pdf (~13%)",
            Some(json!({
                "should": [{ "key": "tags", "match": { "any": ["t1", "t2"] } }],
                "must_not": [{ "key": "doc.source", "match": { "value": "pdf" } }]
            })),
        ),
    ];
    let queries: Vec<Vec<f32>> = (0..QUERIES + WARMUP)
        .map(|_| random_unit(&mut rng))
        .collect();
    for (label, filter) in filters {
        let filter = filter
            .map(|f| Filter::from_json(&f, "filter"))
            .transpose()?;
        let mut times = Vec::with_capacity(QUERIES);
        let mut returned = 0;
        for (qi, q) in queries.iter().enumerate() {
            let req = QueryRequest {
                collection: "default".into(),
                vector: q.clone(),
                top_k: 10,
                filter: filter.clone(),
                with_payload: true,
                with_vector: false,
                score_threshold: None,
            };
            let started = Instant::now();
            let hits = engine.query(&ns, &req)?;
            let took = started.elapsed();
            if qi >= WARMUP {
                times.push(took);
                returned += hits.len();
            }
        }
        times.sort();
        println!(
            "query top_k=10, {label}: p50 {:.2} ms, p99 {:.2} ms ({:.1} hits/query)",
            percentile(&times, 0.50),
            percentile(&times, 0.99),
            returned as f64 / QUERIES as f64
        );
    }
    let (rss, hwm) = memory_mib();
    println!("memory after queries: RSS {rss:.0} MiB (peak {hwm:.0} MiB)");
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
