//! Numeric runs: payment cards (Luhn + network), dashed SSNs, IPv4 addresses and phone numbers, classified from one pass over the digit runs.

use super::push;
use crate::guardian::checksums::{self, SAMPLE_SSNS, TEST_CARDS};
use crate::guardian::excerpt;
use crate::guardian::types::Finding;
use std::net::Ipv4Addr;

/// Spans of `[+(]?[0-9][0-9 ().-]*` (digits with spaces, dots, dashes and parentheses between
/// them), leftmost first and non-overlapping like a regex search, found with a byte loop
/// because digit-dense text made the regex restart on every digit.
fn numeric_runs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < b.len() {
            let c = b[at];
            let lead = matches!(c, b'+' | b'(') && b.get(at + 1).is_some_and(u8::is_ascii_digit);
            if !lead && !c.is_ascii_digit() {
                at += 1;
                continue;
            }
            let start = at;
            let mut end = if lead { at + 2 } else { at + 1 };
            while end < b.len() && matches!(b[end], b'0'..=b'9' | b' ' | b'(' | b')' | b'.' | b'-')
            {
                end += 1;
            }
            at = end;
            return Some((start, end));
        }
        None
    })
}

/// A run of digits with single separators, split into digit groups.
struct Run<'a> {
    text: &'a str,
    /// Absolute (start, end) of each digit group.
    groups: Vec<(usize, usize)>,
}

impl Run<'_> {
    fn sep(&self, i: usize) -> &str {
        &self.text[self.groups[i].1..self.groups[i + 1].0]
    }
    fn len(&self, i: usize) -> usize {
        self.groups[i].1 - self.groups[i].0
    }
    fn digits(&self, i: usize, j: usize) -> usize {
        (i..=j).map(|k| self.len(k)).sum()
    }
    fn first_digit(&self, i: usize) -> u8 {
        self.text.as_bytes()[self.groups[i].0]
    }
}

/// Cards, dashed SSNs, IPv4 addresses and phone numbers, from one pass over numeric runs.
pub(super) fn scan(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    for (start, end) in numeric_runs(text) {
        let mut groups = Vec::new();
        let mut i = start;
        while i < end {
            if b[i].is_ascii_digit() {
                let s = i;
                while i < end && b[i].is_ascii_digit() {
                    i += 1;
                }
                groups.push((s, i));
            } else {
                i += 1;
            }
        }
        let run = Run { text, groups };
        let plus = b[start] == b'+';
        let before = text[..start].chars().next_back();
        let glued = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !glued || plus {
            classify(&run, plus, start, out);
        }
    }
}

fn classify(run: &Run<'_>, plus: bool, run_start: usize, out: &mut Vec<Finding>) {
    let n = run.groups.len();
    let text = run.text;
    let mut taken_until = 0;
    for i in 0..n {
        if run.groups[i].0 < taken_until {
            continue;
        }
        if let Some(end) = ipv4_at(run, i, out)
            .or_else(|| ssn_at(run, i, out))
            .or_else(|| card_at(run, i, out))
        {
            taken_until = end;
            continue;
        }
        if let Some((s, e)) = phone_at(run, i, plus && i == 0, run_start) {
            push(out, "pii.phone", s, e, excerpt::digits(&text[s..e], 2));
            taken_until = e;
        }
    }
}

fn ipv4_at(run: &Run<'_>, i: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let n = run.groups.len();
    if i + 3 >= n || (i > 0 && run.sep(i - 1) == ".") || (i + 4 < n && run.sep(i + 3) == ".") {
        return None;
    }
    if !(i..i + 3).all(|k| run.sep(k) == ".") || !(i..=i + 3).all(|k| run.len(k) <= 3) {
        return None;
    }
    let (s, e) = (run.groups[i].0, run.groups[i + 3].1);
    let text = run.text;
    let ip: Ipv4Addr = text[s..e].parse().ok()?;
    let after = &text[e..];
    let cidr = after.starts_with('/') && after[1..].starts_with(|c: char| c.is_ascii_digit());
    let glued = after.starts_with(|c: char| c.is_alphanumeric());
    let mut from = s.saturating_sub(16);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let lead = text[from..s].to_ascii_lowercase();
    let versioned = VERSION_WORDS.iter().any(|w| lead.trim_end().ends_with(w));
    if !cidr && !glued && !versioned && ipv4_personal(ip) {
        let o = ip.octets();
        let shown = format!("{}.{}.{}.***", o[0], o[1], o[2]);
        push(out, "pii.ipv4", s, e, shown);
    }
    // Recognised as an address (or a version/network), so do not read it as another number.
    Some(e)
}

fn ssn_at(run: &Run<'_>, i: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let n = run.groups.len();
    if i + 2 >= n || run.len(i) != 3 || run.len(i + 1) != 2 || run.len(i + 2) != 4 {
        return None;
    }
    if run.sep(i) != "-"
        || run.sep(i + 1) != "-"
        || (i > 0 && run.sep(i - 1) == "-")
        || (i + 3 < n && run.sep(i + 2) == "-")
    {
        return None;
    }
    let (s, e) = (run.groups[i].0, run.groups[i + 2].1);
    let v = &run.text[s..e];
    let area: u16 = v[0..3].parse().ok()?;
    let group: u8 = v[4..6].parse().ok()?;
    let serial: u16 = v[7..11].parse().ok()?;
    if checksums::ssn_valid(area, group, serial) && !SAMPLE_SSNS.contains(&v) {
        push(out, "pii.us_ssn", s, e, format!("***-**-{}", &v[7..11]));
    }
    Some(e)
}

fn card_at(run: &Run<'_>, i: usize, out: &mut Vec<Finding>) -> Option<usize> {
    let n = run.groups.len();
    for j in i..n {
        let digits = run.digits(i, j);
        if digits > 19 {
            break;
        }
        if digits < 13 {
            continue;
        }
        let seps: Vec<&str> = (i..j).map(|k| run.sep(k)).collect();
        if seps.iter().any(|s| *s != " " && *s != "-") || seps.windows(2).any(|w| w[0] != w[1]) {
            return None;
        }
        let lens: Vec<usize> = (i..=j).map(|k| run.len(k)).collect();
        let grouping_ok = lens.len() == 1
            || matches!(
                lens.as_slice(),
                [4, 4, 4, 4]
                    | [4, 4, 4, 4, 3]
                    | [4, 6, 5]
                    | [4, 6, 4]
                    | [4, 4, 4, 2]
                    | [4, 4, 4, 1]
            );
        let (s, e) = (run.groups[i].0, run.groups[j].1);
        let v = &run.text[s..e];
        let ds: Vec<u8> = v.bytes().filter(u8::is_ascii_digit).collect();
        let all_same = ds.iter().all(|&d| d == ds[0]);
        let test = TEST_CARDS.iter().any(|t| t.as_bytes() == ds.as_slice());
        if grouping_ok && checksums::luhn(&ds) && checksums::card_network_ok(&ds) && !all_same {
            if !test {
                push(out, "pii.credit_card", s, e, excerpt::digits(v, 4));
            }
            return Some(e);
        }
    }
    None
}

const NANP_FIRST: [&str; 6] = [" ", "-", ".", ") ", ")", ")-"];

fn phone_at(run: &Run<'_>, i: usize, intl: bool, run_start: usize) -> Option<(usize, usize)> {
    let n = run.groups.len();
    let text = run.text;
    if intl {
        // +CC …: take groups while the total stays a valid E.164 length.
        let mut total = 0;
        let mut last = None;
        for k in 0..n {
            if k > 0 && run.sep(k - 1).len() > 2 {
                break;
            }
            total += run.len(k);
            if total > 15 {
                break;
            }
            last = Some(k);
        }
        let k = last?;
        return (run.digits(0, k) >= 8).then(|| (run_start, run.groups[k].1));
    }
    // North American: (NXX) NXX-XXXX / NXX-NXX-XXXX / NXX.NXX.XXXX.
    if i + 2 < n && run.len(i) == 3 && run.len(i + 1) == 3 && run.len(i + 2) == 4 {
        let (s1, s2) = (run.sep(i), run.sep(i + 1));
        let paren = run.groups[i].0 > 0 && text.as_bytes()[run.groups[i].0 - 1] == b'(';
        let first_ok = NANP_FIRST.contains(&s1) && (s1.starts_with(')') == paren);
        let digits_ok = run.first_digit(i) >= b'2' && run.first_digit(i + 1) >= b'2';
        let joined =
            (i > 0 && run.sep(i - 1) == "-") || (i + 3 < n && matches!(run.sep(i + 2), "-" | "."));
        if first_ok && (s2 == "-" || s2 == ".") && digits_ok && !joined {
            let s = if paren {
                run.groups[i].0 - 1
            } else {
                run.groups[i].0
            };
            return Some((s, run.groups[i + 2].1));
        }
    }
    // National format with a trunk 0: 020 7946 0018, 030-1234-5678.
    if i + 2 < n && (2..=4).contains(&run.len(i)) && run.first_digit(i) == b'0' {
        let lens_ok = (3..=4).contains(&run.len(i + 1)) && (3..=4).contains(&run.len(i + 2));
        let seps_ok = matches!(run.sep(i), " " | "-") && matches!(run.sep(i + 1), " " | "-");
        let longer = i + 3 < n && matches!(run.sep(i + 2), " " | "-");
        let second = text.as_bytes()[run.groups[i].0 + 1];
        if lens_ok
            && seps_ok
            && !longer
            && second != b'0'
            && (10..=11).contains(&run.digits(i, i + 2))
        {
            return Some((run.groups[i].0, run.groups[i + 2].1));
        }
    }
    None
}

const VERSION_WORDS: [&str; 7] = [
    "version", "release", "build", "chrome", "firefox", "ver", "version:",
];

fn ipv4_personal(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    let netmask = bits >= 0xFF00_0000 && bits.leading_ones() + bits.trailing_zeros() == 32;
    let o = ip.octets();
    let doc = matches!(
        (o[0], o[1], o[2]),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
    );
    !(ip.is_loopback() || ip.is_unspecified() || ip.is_broadcast() || netmask || doc)
}
