//! Prompt-injection and jailbreak scanner: pattern sets over normalised views, discussion
//! context, obfuscation and decode-and-rescan.

use super::decode::{self, Encoding};
use super::excerpt;
use super::normalize::Normalized;
use super::patterns_en::{CORE, EN, Pat};
use super::patterns_intl::INTL;
use super::types::{Category, Finding, Severity};
use aho_corasick::Anchored;
use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use regex::Regex;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

/// A compiled group of patterns. Latin-script patterns run with ASCII word classes (the views
/// are lowercase and diacritic-free, and Unicode `\w`/`\b` make the automata large and slow);
/// patterns written in other scripts keep Unicode classes and run only on non-ASCII text.
/// One Aho-Corasick pass finds which gate literals occur, and only patterns whose every gate
/// group is present run at all, which keeps benign text to about one pass.
pub(crate) struct Compiled {
    res: Vec<Entry>,
    /// The gate literals as a bare DFA, walked byte by byte (`Hits::new`).
    anchors: Option<DFA>,
    anchor_count: usize,
    /// Distinct gate groups, as literal indices into `anchors`.
    groups: Vec<Vec<usize>>,
    /// For each literal, the groups that contain it.
    literal_groups: Vec<Vec<usize>>,
    /// Whether the gate automaton failed to build (never; a unit test checks it).
    anchors_failed: bool,
}

/// Latin-script patterns compile to byte automata (one byte class per `[^…]`, far smaller
/// than its UTF-8 expansion); the others stay Unicode.
enum Matcher {
    Bytes(regex::bytes::Regex),
    Unicode(Regex),
}

impl Matcher {
    /// Appends every match in `hay` to `out`, offset by `base`.
    fn push_matches(&self, hay: &str, pat: &'static Pat, base: usize, out: &mut Vec<Match>) {
        match self {
            Matcher::Bytes(re) => out.extend(
                re.find_iter(hay.as_bytes())
                    .map(|m| (pat, base + m.start(), base + m.end())),
            ),
            Matcher::Unicode(re) => out.extend(
                re.find_iter(hay)
                    .map(|m| (pat, base + m.start(), base + m.end())),
            ),
        }
    }
}

struct Entry {
    /// Compiled on first use: a cold process (a Lambda's first request) compiles only the
    /// patterns its text gets past the gates to, not all of them (~35 ms up front).
    re: OnceLock<Option<Matcher>>,
    source: String,
    pat: &'static Pat,
    unicode: bool,
    /// `(?m)^` needs true line starts, so its windows begin at one.
    multiline: bool,
    /// Indices into `Compiled::groups`; every group needs a literal in the view.
    gate: Vec<usize>,
}

impl Compiled {
    /// Number of patterns.
    pub fn pattern_count(&self) -> usize {
        self.res.len()
    }

    /// Patterns (and the gate automaton) that fail to compile: always zero, checked by a unit
    /// test. Compiles every pattern not compiled yet.
    pub fn failed(&self) -> usize {
        let bad = self.res.iter().filter(|e| e.matcher().is_none()).count();
        bad + usize::from(self.anchors_failed)
    }

    /// Every match in `view` as (pattern, start, end), in pattern order. A gated pattern runs
    /// only on windows around the occurrences of its rarest gate group, so attack-dense text
    /// stays cheap too.
    pub fn find_all(&self, view: &str) -> Vec<Match> {
        let gates = self.gates(view);
        self.find_some(view, &gates, 0..self.res.len())
    }

    /// Where the gate literals occur in `view` (the first step of a search).
    pub fn gates(&self, view: &str) -> Gates {
        let hits = Hits::new(self.anchors.as_ref(), view, self.anchor_count);
        // Occurrences per gate group, from the literals that occur at all (few in short views).
        let mut group_hits = vec![0usize; self.groups.len()];
        for (lit, groups) in self.literal_groups.iter().enumerate() {
            let n = hits.of(lit).len();
            if n > 0 {
                for &g in groups {
                    group_hits[g] += n;
                }
            }
        }
        Gates {
            ascii: view.is_ascii(),
            hits,
            group_hits,
            sorted: (0..self.groups.len()).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The matches of the patterns `which` (indices in pattern order) in `view`, whose gates
    /// are `gates`. `find_all` is this over every pattern; disjoint ranges, concatenated in
    /// order, give the same list.
    pub fn find_some(&self, view: &str, gates: &Gates, which: Range<usize>) -> Vec<Match> {
        let Gates {
            ascii,
            ref hits,
            ref group_hits,
            ref sorted,
        } = *gates;
        let mut out = Vec::new();
        for e in &self.res[which] {
            if ascii && e.unicode {
                continue;
            }
            if e.gate.iter().any(|&g| group_hits[g] == 0) {
                continue;
            }
            // The rarest group (the first of equals) places the windows.
            let rare = (0..e.gate.len()).min_by_key(|&gi| group_hits[e.gate[gi]]);
            let windows = match rare {
                Some(rare) => {
                    for &g in &e.gate {
                        sorted[g].get_or_init(|| {
                            // Sized up front and copied slice by slice, not grown hit by hit.
                            let literals = &self.groups[g];
                            let total = literals.iter().map(|&lit| hits.of(lit).len()).sum();
                            let mut v = Vec::with_capacity(total);
                            for &lit in literals {
                                v.extend_from_slice(hits.of(lit));
                            }
                            v.sort_unstable();
                            v
                        });
                    }
                    let group = |gi: usize| sorted[e.gate[gi]].get().map_or(&[][..], Vec::as_slice);
                    // Keep only anchor positions near which every other gate group also occurs.
                    let positions: Vec<usize> = group(rare)
                        .iter()
                        .copied()
                        .filter(|&p| (0..e.gate.len()).all(|gi| gi == rare || near(group(gi), p)))
                        .collect();
                    if positions.is_empty() {
                        continue;
                    }
                    windows(view, &positions, e.multiline)
                }
                None => vec![(0, view.len())],
            };
            let Some(re) = e.matcher() else { continue };
            for (ws, we) in windows {
                re.push_matches(&view[ws..we], e.pat, ws, &mut out);
            }
        }
        out
    }
}

impl Entry {
    fn matcher(&self) -> Option<&Matcher> {
        self.re
            .get_or_init(|| {
                if self.unicode {
                    Regex::new(&self.source).map(Matcher::Unicode).ok()
                } else {
                    regex::bytes::RegexBuilder::new(&self.source)
                        .unicode(false)
                        .build()
                        .map(Matcher::Bytes)
                        .ok()
                }
            })
            .as_ref()
    }
}

/// A pattern match: (pattern, start, end) in a view.
pub(crate) type Match = (&'static Pat, usize, usize);

/// The gate literals found in one view.
pub(crate) struct Gates {
    ascii: bool,
    hits: Hits,
    group_hits: Vec<usize>,
    /// Each gate group's positions, sorted, built when a pattern first needs them (many
    /// patterns share groups; with a split scan, by whichever thread needs them first).
    sorted: Vec<OnceLock<Vec<usize>>>,
}

/// Start offsets of every gate literal in a view, grouped by literal (one allocation).
struct Hits {
    /// `pos[bounds[lit]..bounds[lit + 1]]` are the starts of literal `lit`, ascending.
    bounds: Vec<usize>,
    pos: Vec<usize>,
}

impl Hits {
    fn new(dfa: Option<&DFA>, view: &str, literals: usize) -> Hits {
        let mut found: Vec<(usize, usize)> = Vec::new();
        // Every occurrence of every literal, overlapping ones included, by walking the DFA
        // byte by byte (what the overlapping-search API does, without its per-hit return to
        // the caller; thousands of hits per attack-dense view). The hits come out in the same
        // order: by end, then by the state's match index.
        if let Some((dfa, Ok(mut sid))) = dfa.map(|d| (d, d.start_state(Anchored::No))) {
            for (at, &byte) in view.as_bytes().iter().enumerate() {
                sid = dfa.next_state(Anchored::No, sid, byte);
                if dfa.is_special(sid) && dfa.is_match(sid) {
                    for i in 0..dfa.match_len(sid) {
                        let lit = dfa.match_pattern(sid, i);
                        found.push((lit.as_usize(), at + 1 - dfa.pattern_len(lit)));
                    }
                }
            }
        }
        let mut bounds = vec![0usize; literals + 1];
        for &(lit, _) in &found {
            bounds[lit + 1] += 1;
        }
        for i in 1..bounds.len() {
            bounds[i] += bounds[i - 1];
        }
        let mut next = bounds.clone();
        let mut pos = vec![0usize; found.len()];
        for (lit, start) in found {
            pos[next[lit]] = start;
            next[lit] += 1;
        }
        Hits { bounds, pos }
    }

    fn of(&self, lit: usize) -> &[usize] {
        &self.pos[self.bounds[lit]..self.bounds[lit + 1]]
    }
}

/// True when some sorted position lies within `RADIUS` of `p`.
fn near(sorted: &[usize], p: usize) -> bool {
    let i = sorted.partition_point(|&q| q + RADIUS < p);
    sorted.get(i).is_some_and(|&q| q <= p + RADIUS)
}

/// How far around an anchor a pattern may match (patterns are phrase-sized).
const RADIUS: usize = 120;

/// Merged byte ranges around `positions`, widened to whitespace so word boundaries stay true
/// (and, for `(?m)^` patterns, to line starts so `^` stays true).
fn windows(view: &str, positions: &[usize], line_start: bool) -> Vec<(usize, usize)> {
    let b = view.as_bytes();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &p in positions {
        let mut s = p.saturating_sub(RADIUS);
        while !view.is_char_boundary(s) {
            s -= 1;
        }
        if line_start {
            s = view[..s].rfind('\n').map_or(0, |i| i + 1);
        }
        while s > 0 && !b[s - 1].is_ascii_whitespace() && p - s < RADIUS + 64 {
            s -= 1;
        }
        while !view.is_char_boundary(s) {
            s -= 1;
        }
        let mut e = (p + RADIUS).min(b.len());
        while e < b.len() && !b[e].is_ascii_whitespace() && e - p < RADIUS + 64 {
            e += 1;
        }
        while !view.is_char_boundary(e) {
            e += 1;
        }
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn ascii_classes(re: &str) -> String {
    re.replace(r"\b", r"(?-u:\b)")
        .replace(r"\w", "[0-9a-z_]")
        .replace(r"\W", "[^0-9a-z_]")
}

fn compile(groups: &[&'static [Pat]]) -> Compiled {
    let mut res = Vec::new();
    let mut anchors: Vec<&'static str> = Vec::new();
    let mut gate_groups: Vec<Vec<usize>> = Vec::new();
    for p in groups.iter().flat_map(|g| g.iter()) {
        let unicode = !p.re.is_ascii();
        let source = if unicode {
            p.re.to_owned()
        } else {
            ascii_classes(p.re)
        };
        let gate = p
            .gate
            .iter()
            .map(|group| {
                let literals: Vec<usize> = group
                    .iter()
                    .map(|a| match anchors.iter().position(|x| x == a) {
                        Some(i) => i,
                        None => {
                            anchors.push(a);
                            anchors.len() - 1
                        }
                    })
                    .collect();
                match gate_groups.iter().position(|g| *g == literals) {
                    Some(i) => i,
                    None => {
                        gate_groups.push(literals);
                        gate_groups.len() - 1
                    }
                }
            })
            .collect();
        res.push(Entry {
            re: OnceLock::new(),
            source,
            pat: p,
            unicode,
            multiline: p.re.contains("(?m)"),
            gate,
        });
    }
    let anchor_count = anchors.len();
    let mut literal_groups = vec![Vec::new(); anchor_count];
    for (g, literals) in gate_groups.iter().enumerate() {
        for &lit in literals {
            literal_groups[lit].push(g);
        }
    }
    // A full DFA: a few hundred short literals fit easily and scan several times faster than the NFA.
    // No prefilter: with short, common gate words ("your", "must", "not") the automaton is back
    // in its start state every few bytes, and calling the prefilter there each time costs more
    // than the plain DFA loop.
    let anchors = DFA::builder().prefilter(false).build(&anchors).ok();
    Compiled {
        res,
        anchors_failed: anchors.is_none(),
        anchors,
        anchor_count,
        groups: gate_groups,
        literal_groups,
    }
}

pub(crate) static CANON: LazyLock<Compiled> = LazyLock::new(|| compile(&[EN, INTL]));
pub(crate) static SQUEEZED: LazyLock<Compiled> = LazyLock::new(|| compile(&[CORE]));

/// Deepest nesting of encodings that is decoded (base64 inside base64 is common).
const MAX_DEPTH: u8 = 2;

/// Scans `text` (with its normalised views) for injection and jailbreak attempts.
pub(crate) fn scan(text: &str, norm: &Normalized, out: &mut Vec<Finding>) {
    scan_with(text, norm, 0, out);
}

/// The part of [`scan`] that decodes encoded segments of `text` and rescans them; it needs
/// no normalised view. `scan` = `views`, then this.
pub(crate) fn scan_decoded(text: &str, out: &mut Vec<Finding>) {
    decoded(text, 0, out);
}

fn scan_with(text: &str, norm: &Normalized, depth: u8, out: &mut Vec<Finding>) {
    views(text, norm, out);
    decoded(text, depth, out);
}

/// The findings of the normalised views: `CANON` over `norm.canon`, then `SQUEEZED` over
/// `norm.squeezed` and `norm.rot13` (a split scan finds the same matches in its own tasks and
/// calls the same two functions).
fn views(text: &str, norm: &Normalized, out: &mut Vec<Finding>) {
    let first = out.len();
    let known = OnceLock::new();
    let topic = Topic {
        fold: &norm.fold,
        known: &known,
    };
    canon_found(text, norm, CANON.find_all(&norm.canon), &topic, out);
    let squeezed = [
        SQUEEZED.find_all(&norm.squeezed),
        SQUEEZED.find_all(&norm.rot13),
    ];
    squeezed_found(text, norm, squeezed, first, &topic, out);
}

/// The findings of `CANON`'s matches over `norm.canon` (in their order).
pub(crate) fn canon_found(
    text: &str,
    norm: &Normalized,
    canon: Vec<Match>,
    topic: &Topic<'_>,
    out: &mut Vec<Finding>,
) {
    for (pat, ms, me) in canon {
        if vetoed(&norm.canon[me..], pat.veto_next) {
            continue;
        }
        let (s, e) = norm.span_fold(text, ms, me);
        let severity = contextual(text, s, e, pat.severity, topic);
        out.push(finding(text, pat.rule, severity, s, e));
        if norm.obfuscated_within(s, e) {
            out.push(finding(
                text,
                "injection.obfuscated",
                severity.max(Severity::High),
                s,
                e,
            ));
        }
    }
}

/// The findings of `SQUEEZED`'s matches over `norm.squeezed` and `norm.rot13`, except where
/// a finding of `out[first..]` (the canon findings) already covers them.
pub(crate) fn squeezed_found(
    text: &str,
    norm: &Normalized,
    squeezed: [Vec<Match>; 2],
    first: usize,
    topic: &Topic<'_>,
    out: &mut Vec<Finding>,
) {
    for (found, rule) in squeezed
        .into_iter()
        .zip(["injection.obfuscated", "injection.encoded_rot13"])
    {
        for (_, ms, me) in found {
            let (s, e) = norm.span_squeezed(text, ms, me);
            if out[first..].iter().any(|f| f.start < e && s < f.end) {
                continue;
            }
            let severity = contextual(text, s, e, Severity::High, topic);
            out.push(finding(text, rule, severity, s, e));
        }
    }
}

fn decoded(text: &str, depth: u8, out: &mut Vec<Finding>) {
    if depth < MAX_DEPTH {
        for seg in decode::segments(text) {
            let mut inner = Vec::new();
            scan_with(
                &seg.decoded,
                &Normalized::new(&seg.decoded),
                depth + 1,
                &mut inner,
            );
            let worst = inner.iter().map(|f| f.severity).max();
            let rule = match seg.kind {
                Encoding::Base64 => "injection.encoded_base64",
                Encoding::Hex => "injection.encoded_hex",
                Encoding::Percent => "injection.encoded_percent",
                Encoding::UnicodeTags => "injection.unicode_tags",
            };
            let severity = match (seg.kind, worst) {
                (_, Some(w)) if w >= Severity::Medium => w.max(Severity::High),
                (Encoding::UnicodeTags, _) => Severity::Medium,
                _ => continue,
            };
            let shown = excerpt::plain(&seg.decoded, 0, seg.decoded.len());
            out.push(Finding {
                category: Category::Injection,
                rule_id: rule,
                severity,
                start: seg.start,
                end: seg.end,
                excerpt: format!("decoded: {shown}"),
            });
        }
    }
}

fn finding(text: &str, rule: &'static str, severity: Severity, s: usize, e: usize) -> Finding {
    Finding {
        category: Category::Injection,
        rule_id: rule,
        severity,
        start: s,
        end: e,
        excerpt: excerpt::plain(text, s, e),
    }
}

fn vetoed(after: &str, veto: &[&str]) -> bool {
    if veto.is_empty() {
        return false;
    }
    let next = after
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .next()
        .unwrap_or("");
    let next = next.trim_end_matches("'s");
    veto.contains(&next)
}

#[path = "injection_context.rs"]
mod context;
pub(crate) use context::Topic;
use context::contextual;

#[cfg(test)]
#[path = "injection_tests.rs"]
mod tests;
