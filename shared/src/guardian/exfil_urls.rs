//! Data-carrying URLs in rendered markup: markdown images and links, HTML images.

use super::{C, TRIGGERS, push};
use crate::guardian::types::{Finding, Severity};

/// Output scan: only the markup that a client renders (images, links).
pub(crate) fn scan_urls(text: &str, out: &mut Vec<Finding>) {
    if !text.contains("://") {
        return;
    }
    let c = &*C;
    let kinds = [
        (
            c.md_image.as_ref(),
            "exfiltration.markdown_image",
            1u8,
            text.contains("!["),
        ),
        (
            c.html_img.as_ref(),
            "exfiltration.html_image",
            1,
            TRIGGERS.as_ref().is_some_and(|t| t.img.is_match(text)),
        ),
        (
            c.md_link.as_ref(),
            "exfiltration.markdown_link",
            2,
            text.contains("]("),
        ),
    ];
    for (re, rule, min, possible) in kinds {
        let Some(re) = re.filter(|_| possible) else {
            continue;
        };
        let trigger = match rule {
            "exfiltration.markdown_image" => "![",
            "exfiltration.markdown_link" => "](",
            _ => "<",
        };
        for (ws, we) in trigger_lines(text, trigger) {
            for cap in re.captures_iter(&text[ws..we]) {
                let (Some(all), Some(url)) = (cap.get(0), cap.get(1)) else {
                    continue;
                };
                let url = Span {
                    start: ws + url.start(),
                    end: ws + url.end(),
                    text: url.as_str(),
                };
                let mut score = url_suspicion(url.text);
                let tag = all.as_str().to_ascii_lowercase();
                if rule == "exfiltration.html_image"
                    && (tag.contains("width=\"1\"") || tag.contains("height=\"1\""))
                {
                    score += 1;
                }
                if score >= min {
                    let severity = match (rule, score) {
                        ("exfiltration.markdown_link", s) if s < 4 => Severity::Medium,
                        (_, 1) => Severity::Medium,
                        _ => Severity::High,
                    };
                    push(out, rule, severity, url.start, url.end, text);
                }
            }
        }
    }
}

struct Span<'a> {
    start: usize,
    end: usize,
    text: &'a str,
}

/// Lines (at most 2 KB around the trigger) that contain `trigger`, merged.
fn trigger_lines(text: &str, trigger: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, _) in text.match_indices(trigger) {
        let mut s = text[..i]
            .rfind('\n')
            .map_or(0, |n| n + 1)
            .max(i.saturating_sub(1024));
        while !text.is_char_boundary(s) {
            s += 1;
        }
        let mut e = text[i..]
            .find('\n')
            .map_or(text.len(), |n| i + n)
            .min(i + 1024);
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

const SENSITIVE_KEYS: &[&str] = &[
    "data",
    "d",
    "q",
    "c",
    "content",
    "conv",
    "conversation",
    "chat",
    "history",
    "log",
    "logs",
    "msg",
    "message",
    "messages",
    "prompt",
    "secret",
    "secrets",
    "token",
    "t",
    "key",
    "k",
    "apikey",
    "api_key",
    "pass",
    "password",
    "pwd",
    "session",
    "sid",
    "cookie",
    "email",
    "mail",
    "ssn",
    "card",
    "cc",
    "info",
    "payload",
    "leak",
    "exfil",
    "memory",
    "context",
    "summary",
    "acct",
    "account",
    "iban",
    "meta",
    "text",
    "u",
    "user",
    "username",
    "creds",
    "credentials",
    "p",
];

/// How strongly a URL's query looks like it carries data out (0 = not at all).
fn url_suspicion(url: &str) -> u8 {
    let Some((_, query)) = url.split_once('?') else {
        return u8::from(has_placeholder(url)) * 2;
    };
    let mut score = 0u8;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = k.to_ascii_lowercase();
        if SENSITIVE_KEYS.contains(&k.as_str()) {
            score += 1;
        }
        if has_placeholder(v) || looks_encoded(v) || carries_identity(v) {
            score += 2;
        } else if v.len() >= 20 && (v.contains('+') || v.contains("%20")) {
            score += 1;
        }
    }
    if query.ends_with('=') {
        score += 2;
    }
    score
}

fn has_placeholder(v: &str) -> bool {
    let upper_ident = v.len() >= 6
        && v.contains('_')
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit());
    v.contains(['{', '}', '[', '<'])
        || v.contains("%7B")
        || v.contains("%7b")
        || v.starts_with('$')
        || upper_ident
}

fn looks_encoded(v: &str) -> bool {
    v.len() >= 20
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'%' | b'.'))
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes().any(|b| b.is_ascii_uppercase())
}

fn carries_identity(v: &str) -> bool {
    let prefixes = ["sk-", "sk_", "ghp_", "akia", "hx_live_", "xox", "eyj"];
    let lower = v.to_ascii_lowercase();
    lower.contains("%40") || v.contains('@') || prefixes.iter().any(|p| lower.starts_with(p))
}
