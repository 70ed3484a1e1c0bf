//! Generic secrets: high-entropy values and passwords assigned to secret-looking names, plus the placeholder filter.

use super::{COMPILED, push};
use crate::guardian::types::Finding;

/// Byte ranges around the assignment keywords, where the assignment regexes can match.
fn keyword_windows(text: &str, keywords: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &(ks, ke) in keywords {
        // Keywords sit inside names ("client_secret", "--api-key"): start a little before.
        let mut s = ks.saturating_sub(24);
        while !text.is_char_boundary(s) {
            s += 1;
        }
        let mut e = (ke + 320).min(text.len());
        while !text.is_char_boundary(e) {
            e -= 1;
        }
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

pub(super) fn assignments(text: &str, keywords: &[(usize, usize)], out: &mut Vec<Finding>) {
    let c = &*COMPILED;
    let mut seen: Vec<usize> = Vec::new();
    let mut spans = Vec::new();
    for (ws, we) in keyword_windows(text, keywords) {
        let window = &text[ws..we];
        spans.clear();
        for re in [&c.assignment, &c.flag] {
            // The whole match and the value: group 2 or 4 of `flag`, else group 1.
            re.captures_each(window, |get| {
                spans.extend(get(0).zip(get(2).or(get(4)).or(get(1))));
            });
        }
        for (w, v) in spans.drain(..) {
            if !seen.contains(&(ws + v.start)) {
                seen.push(ws + v.start);
                assignment(text, ws + w.start, ws + v.start, ws + v.end, out);
            }
        }
    }
}

/// Judges one `name = value` hit: `start` is where the match began (at the keyword).
fn assignment(
    text: &str,
    start: usize,
    value_start: usize,
    value_end: usize,
    out: &mut Vec<Finding>,
) {
    let name_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    // The regex starts at the keyword; extend back and forward over the rest of the name.
    let back = text[..start]
        .bytes()
        .rev()
        .take_while(|&b| name_char(b))
        .count();
    let fwd = text[start..].bytes().take_while(|&b| name_char(b)).count();
    let name = &text[start - back..start + fwd];
    let n = name.to_ascii_lowercase();
    let v = text[value_start..value_end].trim_end_matches(['.', '!', '?']);
    let password = n.contains("pass") || n.contains("pwd");
    let ok = if password {
        password_like(v)
    } else {
        token_like(v)
    };
    if ok && !placeholder(v) {
        let id = if password {
            "secrets.password_assignment"
        } else {
            "secrets.generic_assignment"
        };
        let shown = format!(
            "{}=****({} chars)",
            name.trim_start_matches('-'),
            v.chars().count()
        );
        push(out, id, value_start, value_start + v.len(), shown);
    }
}

fn password_like(v: &str) -> bool {
    let classes = [
        v.bytes().any(|b| b.is_ascii_lowercase()),
        v.bytes().any(|b| b.is_ascii_uppercase()),
        v.bytes().any(|b| b.is_ascii_digit()),
        v.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ];
    let n = classes.iter().filter(|&&c| c).count();
    v.len() >= 8 && !code_reference(v) && (n >= 3 || (n == 2 && v.len() >= 12))
}

fn token_like(v: &str) -> bool {
    v.len() >= 16
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes().any(|b| b.is_ascii_alphabetic())
        && !code_reference(v)
        && entropy(v) >= 3.0
}

/// Prefixes of keys that are public by design or only work in test mode.
const NOT_SECRET_PREFIXES: [&str; 5] = ["pk_live_", "pk_test_", "sk_test_", "rk_test_", "hx_test_"];

/// `os.environ`, `process.env.X`, `$VAR`, `${VAR}`, `%VAR%`, dotted identifiers, public keys: not secret values.
fn code_reference(v: &str) -> bool {
    if v.starts_with('$') || (v.starts_with('%') && v.ends_with('%')) {
        return true;
    }
    if NOT_SECRET_PREFIXES.iter().any(|p| v.starts_with(p)) {
        return true;
    }
    let ident = |p: &str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !p.as_bytes()[0].is_ascii_digit()
    };
    v.contains('.') && v.split('.').all(ident)
}

/// Shannon entropy in bits per byte.
pub(super) fn entropy(v: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in v.bytes() {
        counts[b as usize] += 1;
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

const PLACEHOLDER_WORDS: [&str; 20] = [
    "example",
    "xxxx",
    "your",
    "placeholder",
    "changeme",
    "change_me",
    "dummy",
    "sample",
    "redacted",
    "insert",
    "replace",
    "here",
    "todo",
    "fake",
    "...",
    "…",
    "****",
    "${",
    "{{",
    "<",
];

/// Documentation examples, masks and obviously synthetic values are not secrets.
pub(super) fn placeholder(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
        || lower.contains("12345678")
        || lower.contains("abcdefgh")
    {
        return true;
    }
    let mut seen = [false; 256];
    for b in lower.bytes() {
        seen[b as usize] = true;
    }
    seen.iter().filter(|&&s| s).count() < 6
}
