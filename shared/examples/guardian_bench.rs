//! Measures Guardian scan latency per 10 KB of text (p50 / p99); run with `--release`.
//!
//! Texts: 10 KB windows cut from the concatenated corpus (attacks, keys, PII and benign text
//! mixed; the first window is nothing but attacks, the worst case), 10 KB of benign prose, and
//! 10 KB of source code. Each is scanned many times after a warm-up (the regexes compile once,
//! on first use), the corpus windows in turn so each scan finds the caches as a mixed workload
//! leaves them. Reported: wall-clock p50 and p99, and the process's CPU time per scan (all
//! threads: an input of 4 KB or more is scanned on two threads when the machine has two CPUs,
//! so CPU per scan can exceed wall time).
//! Allocator: mimalloc, as in the local gateway. `HEXACLAW_GUARDIAN_SPLIT=0` measures one
//! thread.
//! Run: `cargo run --release -p hexaclaw-shared --example guardian_bench`.

#[path = "common/windows.rs"]
mod windows;

use hexaclaw_shared::guardian::{Guardian, GuardianConfig, StreamMode};
use std::time::{Duration, Instant};
use windows::{CORPUS, SIZE, cut, percentile};

fn fill(seed: &str) -> String {
    let mut s = String::with_capacity(SIZE + seed.len());
    while s.len() < SIZE {
        s.push_str(seed);
    }
    cut(&s, 0)
}

/// CPU time of the whole process (every thread: a long input's scan runs on two).
#[cfg(target_os = "linux")]
fn process_cpu() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes into it.
    let rc = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(target_os = "linux"))]
fn process_cpu() -> Option<Duration> {
    None
}

fn run(name: &str, texts: &[String], rounds: usize, mut f: impl FnMut(&str)) {
    for t in texts {
        f(t);
    }
    let cpu_start = process_cpu();
    let wall = windows::wall_times(texts, rounds, f);
    let cpu = match (cpu_start, process_cpu()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) / wall.len() as u32),
        _ => None,
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let cpu_part = cpu.map_or(String::new(), |c| {
        format!(" | cpu {:>7.1} µs per scan", us(c))
    });
    println!(
        "{name:<30} n={:<5} wall p50 {:>7.1} µs p99 {:>7.1} µs{cpu_part}",
        wall.len(),
        us(percentile(&wall, 0.50)),
        us(percentile(&wall, 0.99)),
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let deny = ["project bluebird", "orion-9", "kestrel", "falcon budget"];
    let config = GuardianConfig {
        deny_terms: deny.iter().map(|s| s.to_string()).collect(),
        ..GuardianConfig::default()
    };
    let guardian = Guardian::new(config)?;
    let corpus = windows::corpus_windows(&std::fs::read_to_string(CORPUS)?)?;
    let prose = vec![fill(
        "The quarterly review went well. Revenue grew in every region except the north-east, where two large \
         customers delayed renewals until January. The team shipped the new onboarding flow, cut median support \
         response time to four hours, and hired three engineers. Next quarter we focus on reliability: fewer \
         pages, faster deploys, and a cleaner incident process. Please send comments on the plan by Friday. ",
    )];
    let code = vec![fill(
        "fn handle(req: Request, state: &AppState) -> Result<Response, ApiError> {\n    let key = req.headers().get(\"authorization\").ok_or(ApiError::Unauthorized)?;\n    \
         let account = state.keys.lookup(key.to_str()?).await?;\n    let hold = state.ledger.hold(account.id, estimate(&req)?).await?;\n    \
         tracing::info!(account = %account.id, hold = hold.0, \"held credits\");\n    Ok(Response::new(Body::from(serde_json::to_vec(&account)?)))\n}\n",
    )];
    println!(
        "Guardian bench: latency per {} bytes of text (release build expected)",
        SIZE
    );
    run("scan_input  corpus windows", &corpus, 40, |t| {
        std::hint::black_box(guardian.scan_input(t));
    });
    run("scan_input  benign prose", &prose, 1000, |t| {
        std::hint::black_box(guardian.scan_input(t));
    });
    run("scan_input  source code", &code, 1000, |t| {
        std::hint::black_box(guardian.scan_input(t));
    });
    run("scan_output corpus windows", &corpus, 40, |t| {
        std::hint::black_box(guardian.scan_output(t));
    });
    run("analyze     corpus windows", &corpus, 20, |t| {
        std::hint::black_box(guardian.analyze(t));
    });
    // A stream rescans its sliding window as text arrives (every half window, reading the held
    // window and a window of context again), so 10 KB streamed costs several scans' worth of
    // CPU in all; what a client waits for is one chunk's push.
    let mut pushes = Vec::new();
    run("stream (redact, 64 B chunks)", &corpus, 5, |t| {
        let mut s = guardian.stream(StreamMode::Redact);
        let bytes = t.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let mut end = (at + 64).min(bytes.len());
            while !t.is_char_boundary(end) {
                end += 1;
            }
            let start = Instant::now();
            std::hint::black_box(s.push(&t[at..end]));
            pushes.push(start.elapsed());
            at = end;
        }
        std::hint::black_box(s.finish());
    });
    pushes.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{:<30} n={:<5} wall p50 {:>7.1} µs p99 {:>7.1} µs (the latency a streamed chunk sees)",
        "stream: one 64 B push",
        pushes.len(),
        us(percentile(&pushes, 0.50)),
        us(percentile(&pushes, 0.99)),
    );
    Ok(())
}
