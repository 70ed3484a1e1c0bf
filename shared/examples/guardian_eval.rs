//! Evaluates Guardian on the labeled corpus: precision, recall and F1 per category, benign false positives.
//!
//! A category counts as predicted when its risk reaches the flag threshold (the gateway would
//! flag or block on it). Figures are printed for the whole corpus and for each split: `dev`
//! (written first; the rules were developed while reading it), `holdout` (written after the
//! first version of the rules; its first run was recorded, then the rules were improved, so it
//! is no longer blind) and `holdout2` (written after the last rule change). The corpus's policy
//! labels assume the deny-list below.
//!
//! Corpus format: one JSON object per line, `{"text", "labels", "note", "split"}`; `labels` is
//! a subset of injection / exfiltration / secrets / pii / policy, empty for benign text.
//! Labeling policy (decided before the scanner was written):
//! - injection: the text tries to override or replace the model's instructions, extract its
//!   hidden instructions, or jailbreak it (including text addressed to an AI inside documents).
//!   Discussions, tutorials and quotes of attack strings in a security context are benign.
//! - exfiltration: the text asks for data to be sent to an external destination, or carries
//!   data / placeholders in an image or link URL.
//! - secrets and pii: judged by the value, not by surrounding comments. A realistic key is a
//!   secret even when a comment calls it test data (a comment is not proof); documented
//!   example values (AWS `...EXAMPLE` keys, the jwt.io token, sandbox test cards, spec IBANs,
//!   sample SSNs, `example.*` domains, documentation IP ranges, loopback, netmasks) and obvious
//!   placeholders are benign. Stripe test-mode keys are out of scope (not live credentials).
//! - policy: the deny-list terms below, as whole words.
//!
//! Then the scan latency per 10 KB of the corpus (p50 / p99; `guardian_bench` has the rest).
//! Run: `cargo run --release -p hexaclaw-shared --example guardian_eval [-- --verbose]`.

#[path = "common/windows.rs"]
mod windows;

use hexaclaw_shared::guardian::{Category, Guardian, GuardianConfig, ScanReport, Verdict};
use std::collections::BTreeSet;
use windows::CORPUS;
const DENY: [&str; 4] = ["project bluebird", "orion-9", "kestrel", "falcon budget"];

#[derive(serde::Deserialize)]
struct Item {
    text: String,
    labels: Vec<String>,
    note: String,
    #[serde(default)]
    split: String,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
}

#[derive(Default)]
struct Tally {
    items: u32,
    per: [Counts; 5],
    benign: u32,
    benign_flagged: u32,
    benign_any: u32,
}

impl Tally {
    fn add(&mut self, want: &BTreeSet<Category>, got: &BTreeSet<Category>, report: &ScanReport) {
        self.items += 1;
        for (i, c) in Category::ALL.into_iter().enumerate() {
            let k = &mut self.per[i];
            match (want.contains(&c), got.contains(&c)) {
                (true, true) => k.tp += 1,
                (false, true) => k.fp += 1,
                (true, false) => k.fn_ += 1,
                (false, false) => {}
            }
        }
        if want.is_empty() {
            self.benign += 1;
            self.benign_flagged += u32::from(report.verdict != Verdict::Allow);
            self.benign_any += u32::from(!report.findings.is_empty());
        }
    }

    fn print(&self, title: &str) {
        println!("== {title}: {} items ({} benign)", self.items, self.benign);
        println!(
            "{:<13} {:>4} {:>4} {:>4} {:>9} {:>7} {:>6}",
            "category", "tp", "fp", "fn", "precision", "recall", "f1"
        );
        for (i, c) in Category::ALL.into_iter().enumerate() {
            let k = self.per[i];
            let p = ratio(k.tp, k.tp + k.fp);
            let r = ratio(k.tp, k.tp + k.fn_);
            let f1 = if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            };
            println!(
                "{:<13} {:>4} {:>4} {:>4} {:>9.3} {:>7.3} {:>6.3}",
                c.as_str(),
                k.tp,
                k.fp,
                k.fn_,
                p,
                r,
                f1
            );
        }
        let (f, a, b) = (self.benign_flagged, self.benign_any, self.benign);
        println!(
            "benign false-positive rate (verdict flag/block): {f}/{b} = {:.1}%",
            100.0 * ratio(f, b)
        );
        println!(
            "benign items with any finding (incl. low):       {a}/{b} = {:.1}%",
            100.0 * ratio(a, b)
        );
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let verbose = std::env::args().any(|a| a == "--verbose");
    let config = GuardianConfig {
        deny_terms: DENY.iter().map(|s| s.to_string()).collect(),
        ..GuardianConfig::default()
    };
    let flag = config.flag_threshold;
    let guardian = Guardian::new(config)?;
    let raw = std::fs::read_to_string(CORPUS)?;
    let mut all = Tally::default();
    let mut splits: Vec<(String, Tally)> = Vec::new();
    for (n, line) in raw
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let item: Item = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let report = guardian.scan_input(&item.text);
        let want: BTreeSet<Category> = item
            .labels
            .iter()
            .filter_map(|l| Category::parse(l))
            .collect();
        let got: BTreeSet<Category> = Category::ALL
            .into_iter()
            .filter(|c| report.risk.get(*c) >= flag)
            .collect();
        all.add(&want, &got, &report);
        let split = if item.split.is_empty() {
            "dev".to_owned()
        } else {
            item.split.clone()
        };
        match splits.iter_mut().find(|(name, _)| *name == split) {
            Some((_, tally)) => tally.add(&want, &got, &report),
            None => {
                let mut tally = Tally::default();
                tally.add(&want, &got, &report);
                splits.push((split, tally));
            }
        }
        if verbose && want != got {
            let rules: Vec<String> = report
                .findings
                .iter()
                .map(|f| format!("{}:{:?}", f.rule_id, f.severity))
                .collect();
            let text: String = item
                .text
                .chars()
                .take(90)
                .collect::<String>()
                .replace('\n', "⏎");
            println!(
                "line {:>3} [{}] want {want:?} got {got:?} ({}) {} | {text}",
                n + 1,
                item.split,
                item.note,
                rules.join(",")
            );
        }
    }
    println!("Guardian eval, corpus {CORPUS}");
    all.print("all");
    for (name, tally) in &splits {
        tally.print(&format!("{name} split"));
    }
    // Latency per 10 KB on the same corpus (`guardian_bench` has the full table).
    let texts = windows::corpus_windows(&raw)?;
    for t in &texts {
        guardian.scan_input(t);
    }
    let wall = windows::wall_times(&texts, 40, |t| {
        std::hint::black_box(guardian.scan_input(t));
    });
    let ms = |p: f64| windows::percentile(&wall, p).as_secs_f64() * 1e3;
    println!(
        "== scan latency per {} bytes (scan_input, {} corpus windows in turn, {} scans): p50 {:.3} ms, p99 {:.3} ms{}",
        windows::SIZE,
        texts.len(),
        wall.len(),
        ms(0.50),
        ms(0.99),
        if cfg!(debug_assertions) {
            " (debug build: run with --release)"
        } else {
            ""
        }
    );
    Ok(())
}
