//! Streaming output scanner: holds back a sliding window so secrets split across chunks are caught once.
//!
//! A push that brings at least half a window of new text (and at least 32 bytes; in block mode
//! 32 bytes) rescans `context + held text`; smaller pushes only accumulate. A finding is reported only once it is *stable*:
//! it ends before the held tail (the last `window` bytes, extended back to the start of the
//! token in progress and of any match that reaches into the tail), so a key that is still
//! arriving is never reported half-way nor twice. Text before the tail is released: verbatim in
//! monitor mode (which in fact releases everything at once), with findings replaced by
//! `[REDACTED:<rule>]` in redact mode, and in block mode until the first finding that makes
//! the verdict `block`, after which nothing more is released.

use super::types::{Finding, ScanReport, Verdict};
use super::{Guardian, redact};
use serde::{Deserialize, Serialize};

/// What the stream scanner does with findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamMode {
    /// Release text as it arrives; only report.
    Monitor,
    /// Release text with findings replaced by `[REDACTED:<rule>]`.
    Redact,
    /// Stop releasing text once the verdict is `block`.
    Block,
}

/// What one push (or the final flush) produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamChunk {
    /// Text that is safe to send to the client now.
    pub emit: String,
    /// Findings that became stable during this call (offsets into the whole stream).
    pub findings: Vec<Finding>,
    /// True once the stream is blocked; the caller should end it.
    pub blocked: bool,
}

/// Fewest new bytes that trigger a rescan (smaller pushes just accumulate).
const RESCAN_EVERY: usize = 32;

/// Longest run without whitespace that is held back whole (longer tokens are released in pieces).
const MAX_TOKEN: usize = 8192;

/// Sliding-window scanner for streamed model output.
#[derive(Debug)]
pub struct StreamScanner {
    guardian: Guardian,
    mode: StreamMode,
    window: usize,
    /// New bytes that trigger a rescan: half the window (at least `RESCAN_EVERY`), except in
    /// block mode.
    rescan_every: usize,
    buf: String,
    /// Absolute stream offset of `buf[0]`.
    base: usize,
    /// Absolute offset up to which text has been released.
    released: usize,
    /// Absolute offset before which matches were final at the previous step.
    settled: usize,
    /// Absolute stream length at the last rescan.
    scanned: usize,
    findings: Vec<Finding>,
    blocked: bool,
}

impl StreamScanner {
    /// A scanner with the Guardian's configured window.
    pub fn new(guardian: Guardian, mode: StreamMode) -> StreamScanner {
        let window = guardian.config().stream_window.max(64);
        StreamScanner {
            guardian,
            mode,
            window,
            // Block mode keeps the short step: where it cuts the stream depends on which findings
            // are known at each step (text with a finding that does not block yet is released).
            rescan_every: match mode {
                StreamMode::Block => RESCAN_EVERY,
                _ => (window / 2).max(RESCAN_EVERY),
            },
            buf: String::new(),
            base: 0,
            released: 0,
            settled: 0,
            scanned: 0,
            findings: Vec::new(),
            blocked: false,
        }
    }

    /// Adds a chunk; returns the text that may be released now.
    pub fn push(&mut self, chunk: &str) -> StreamChunk {
        self.step(chunk, false)
    }

    /// Ends the stream; releases (or withholds) whatever is still held.
    pub fn finish(&mut self) -> StreamChunk {
        self.step("", true)
    }

    /// Bytes received but not yet released.
    pub fn held_bytes(&self) -> usize {
        self.base + self.buf.len() - self.released
    }

    /// Everything found so far, with offsets into the whole stream.
    pub fn report(&self) -> ScanReport {
        self.guardian.report(self.findings.clone())
    }

    fn step(&mut self, chunk: &str, last: bool) -> StreamChunk {
        let mut result = StreamChunk {
            blocked: self.blocked,
            ..StreamChunk::default()
        };
        if self.blocked {
            return result;
        }
        self.buf.push_str(chunk);
        // Token-sized chunks arrive far faster than they need checking. Each rescan reads the
        // context and the held window again (about two windows), so rescanning every half
        // window reads each byte about five times (every 32 bytes read it some thirty times);
        // text waits at most half a window longer before it is released.
        if !last && self.base + self.buf.len() < self.scanned + self.rescan_every {
            return result;
        }
        self.scanned = self.base + self.buf.len();
        let found = self.guardian.output_findings(&self.buf);
        let stable = if last {
            self.buf.len()
        } else {
            self.stable_limit(&found)
        };
        let rel_released = self.released - self.base;
        for f in found.iter().filter(|f| f.end <= stable) {
            let abs = Finding {
                start: f.start + self.base,
                end: f.end + self.base,
                ..f.clone()
            };
            let seen = self
                .findings
                .iter()
                .any(|k| k.category == abs.category && k.start < abs.end && abs.start < k.end);
            // A match wholly inside text that was already settled, and not reported then, is an
            // artefact of trimming the context, not new text.
            if !seen && abs.end > self.settled {
                self.findings.push(abs.clone());
                result.findings.push(abs);
            }
        }
        self.settled = self.settled.max(self.base + stable);
        let until = match self.mode {
            StreamMode::Monitor => self.buf.len(),
            _ => stable,
        };
        if until > rel_released {
            let local: Vec<Finding> = self
                .findings
                .iter()
                .filter(|f| f.end > self.released && f.start < self.base + until)
                .map(|f| Finding {
                    start: f.start.saturating_sub(self.base).max(rel_released) - rel_released,
                    end: (f.end - self.base).min(until) - rel_released,
                    ..f.clone()
                })
                .collect();
            let slice = self.buf[rel_released..until].to_owned();
            result.emit = match self.mode {
                StreamMode::Monitor => slice,
                StreamMode::Redact => redact(&slice, &local),
                StreamMode::Block => self.release_until_block(&slice, rel_released),
            };
            if !self.blocked {
                self.released = self.base + until;
            }
        }
        result.blocked = self.blocked;
        self.trim();
        result
    }

    /// In block mode, releases `slice` unless the findings so far block; then releases only the
    /// text before the first finding and stops.
    fn release_until_block(&mut self, slice: &str, rel_start: usize) -> String {
        let report = self.report();
        if report.verdict != Verdict::Block {
            return slice.to_owned();
        }
        self.blocked = true;
        let first = self
            .findings
            .iter()
            .map(|f| f.start)
            .min()
            .unwrap_or(self.released);
        let cut = first.saturating_sub(self.base + rel_start).min(slice.len());
        let mut cut = cut;
        while !slice.is_char_boundary(cut) {
            cut -= 1;
        }
        slice[..cut].to_owned()
    }

    /// Offset in `buf` before which matches are final.
    fn stable_limit(&self, found: &[Finding]) -> usize {
        let b = &self.buf;
        let mut limit = b.len().saturating_sub(self.window);
        while !b.is_char_boundary(limit) {
            limit -= 1;
        }
        // Do not cut a token in half: a key may continue in the held part.
        let token_start = b[..limit]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8());
        if limit - token_start <= MAX_TOKEN && !b[limit..].starts_with(char::is_whitespace) {
            limit = token_start;
        }
        loop {
            let straddling = found
                .iter()
                .filter(|f| f.start < limit && f.end > limit)
                .map(|f| f.start)
                .min();
            match straddling {
                Some(s) => limit = s,
                None => return limit,
            }
        }
    }

    /// Drops text that is both released and settled, beyond one window of context.
    fn trim(&mut self) {
        let done = self.released.min(self.settled) - self.base;
        let Some(mut cut) = done.checked_sub(self.window) else {
            return;
        };
        while !self.buf.is_char_boundary(cut) {
            cut += 1;
        }
        // Cut after whitespace so the kept context starts at a token boundary.
        if let Some(i) = self.buf[cut..done].find(char::is_whitespace) {
            cut += i + 1;
        }
        while !self.buf.is_char_boundary(cut) {
            cut += 1;
        }
        if cut > 0 {
            self.buf.drain(..cut);
            self.base += cut;
        }
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
