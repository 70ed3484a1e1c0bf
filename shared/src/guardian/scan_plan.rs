//! A long input's scan as tasks for [`split::run`](super::split::run): the same work and the
//! same findings, in the same order, as the sequential path in `Guardian::findings`.
//!
//! Task 0 builds the normalised views and finds the gate literals in `canon`; then come the
//! injection patterns over `canon` in chunks, the `squeezed` and ROT13 views, and the scanners
//! that read only the raw text (decode-and-rescan, exfiltration, secrets, PII). The helper
//! takes tasks from the back, so it starts on the raw-text ones while task 0 runs.

use super::injection::{self, CANON, Gates, Match, SQUEEZED, Topic};
use super::normalize::Normalized;
use super::split::{Plan, Stop};
use super::types::Finding;
use super::{exfil, pii, secrets};
use std::sync::{Arc, OnceLock};

/// Chunks the `canon` patterns are cut into (about six patterns each): enough for the two
/// threads to even out, few enough that the per-chunk work stays small.
const CANON_CHUNKS: usize = 16;

const SQUEEZED_TASK: usize = CANON_CHUNKS + 1;
const ROT13_TASK: usize = CANON_CHUNKS + 2;
const DECODED_TASK: usize = CANON_CHUNKS + 3;
const EXFIL_TASK: usize = CANON_CHUNKS + 4;
const SECRETS_TASK: usize = CANON_CHUNKS + 5;
const PII_TASK: usize = CANON_CHUNKS + 6;
const TASKS: usize = CANON_CHUNKS + 7;

pub(crate) struct InputPlan {
    text: Arc<str>,
    views: OnceLock<(Normalized, Gates)>,
    /// Whether the text discusses attacks (see `injection::Topic`).
    topic: OnceLock<bool>,
}

pub(crate) enum Part {
    Views,
    Matches(Vec<Match>),
    Findings(Vec<Finding>),
}

impl Plan for InputPlan {
    type Out = Part;

    fn tasks(&self) -> usize {
        TASKS
    }

    fn run(&self, task: usize, stop: &Stop) -> Part {
        let text = &*self.text;
        let findings = |scan: fn(&str, &mut Vec<Finding>)| {
            let mut out = Vec::new();
            scan(text, &mut out);
            Part::Findings(out)
        };
        match task {
            0 => {
                self.views.get_or_init(|| {
                    let norm = Normalized::new(text);
                    let gates = CANON.gates(&norm.canon);
                    (norm, gates)
                });
                Part::Views
            }
            DECODED_TASK => findings(injection::scan_decoded),
            EXFIL_TASK => findings(exfil::scan),
            SECRETS_TASK => findings(secrets::scan),
            PII_TASK => findings(pii::scan),
            _ => {
                let (norm, gates) = stop.wait_for(|| self.views.get());
                match task {
                    SQUEEZED_TASK => Part::Matches(SQUEEZED.find_all(&norm.squeezed)),
                    ROT13_TASK => Part::Matches(SQUEEZED.find_all(&norm.rot13)),
                    chunk => {
                        let n = CANON.pattern_count();
                        let per = n.div_ceil(CANON_CHUNKS);
                        let from = ((chunk - 1) * per).min(n);
                        let found = CANON.find_some(&norm.canon, gates, from..(from + per).min(n));
                        let mut out = Vec::new();
                        injection::canon_found(text, norm, found, &self.topic(norm), &mut out);
                        Part::Findings(out)
                    }
                }
            }
        }
    }
}

impl InputPlan {
    fn topic<'a>(&'a self, norm: &'a Normalized) -> Topic<'a> {
        Topic {
            fold: &norm.fold,
            known: &self.topic,
        }
    }
}

/// Scans a long input on two threads (see `split`); returns its findings before the
/// deny-list and de-duplication, with the normalised views for the deny-list.
pub(crate) fn input_findings(text: &str) -> (Vec<Finding>, Normalized) {
    let plan = Arc::new(InputPlan {
        text: Arc::from(text),
        views: OnceLock::new(),
        topic: OnceLock::new(),
    });
    let mut out = Vec::new();
    let mut squeezed = [Vec::new(), Vec::new()];
    let mut rest = Vec::new();
    for (task, part) in super::split::run(Arc::clone(&plan)).into_iter().enumerate() {
        match part {
            Part::Views => {}
            Part::Findings(f) if task <= CANON_CHUNKS => out.extend(f),
            Part::Findings(f) => rest.push(f),
            Part::Matches(m) => squeezed[usize::from(task == ROT13_TASK)] = m,
        }
    }
    let (norm, _) = plan.views.get().expect("task 0 ran");
    injection::squeezed_found(text, norm, squeezed, 0, &plan.topic(norm), &mut out);
    out.extend(rest.into_iter().flatten());
    // The helper drops its handle before it replies, so the views can be taken back.
    let norm = Arc::try_unwrap(plan)
        .ok()
        .and_then(|p| p.views.into_inner())
        .map_or_else(|| Normalized::new(text), |(norm, _)| norm);
    (out, norm)
}
