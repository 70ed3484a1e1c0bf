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
            &c.md_image,
            "exfiltration.markdown_image",
            1u8,
            text.contains("!["),
        ),
        (
            &c.html_img,
            "exfiltration.html_image",
            1,
            TRIGGERS.as_ref().is_some_and(|t| t.img.is_match(text)),
        ),
        (
            &c.md_link,
            "exfiltration.markdown_link",
            2,
            text.contains("]("),
        ),
    ];
    for (re, rule, min, possible) in kinds {
        if !possible {
            continue;
        }
        let trigger = match rule {
            "exfiltration.markdown_image" => "![",
            "exfiltration.markdown_link" => "](",
            _ => "<",
        };
        let html = rule == "exfiltration.html_image";
        for (ws, we) in trigger_lines(text, trigger) {
            let window = &text[ws..we];
            // Markdown URLs end their match, so the match alone locates them; the capture
            // engine (slow on the 300-char bracket class) is needed only for HTML tags.
            let hits: Vec<(&str, usize, usize)> = if html {
                let mut hits = Vec::new();
                re.captures_each(window, |get| {
                    if let (Some(all), Some(url)) = (get(0), get(1)) {
                        hits.push((&window[all], url.start, url.end));
                    }
                });
                hits
            } else {
                re.find_spans(window)
                    .into_iter()
                    .filter_map(|m| {
                        let at = markdown_url(&window[m.clone()])?;
                        Some((&window[m.clone()], m.start + at, m.end))
                    })
                    .collect()
            };
            for (all, url_start, url_end) in hits {
                let url = Span {
                    start: ws + url_start,
                    end: ws + url_end,
                    text: &window[url_start..url_end],
                };
                let mut score = url_suspicion(url.text);
                if html {
                    let tag = all.to_ascii_lowercase();
                    if tag.contains("width=\"1\"") || tag.contains("height=\"1\"") {
                        score += 1;
                    }
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

/// Where the URL starts in a markdown image or link match (`[text](<url` ending the match):
/// after the first `](` (the bracket text holds no `]`; the match's first char is skipped as
/// it may be the char before `[`), then whitespace and an optional `<`.
fn markdown_url(m: &str) -> Option<usize> {
    let first = m.chars().next()?.len_utf8();
    let close = first + m[first..].find("](")? + 2;
    let rest = &m[close..];
    let trimmed = rest.trim_start_matches(char::is_whitespace);
    let trimmed = trimmed.strip_prefix('<').unwrap_or(trimmed);
    Some(m.len() - trimmed.len())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_url_agrees_with_the_capture_group() {
        let samples = [
            "![a](https://x.example/p.png?d=1)",
            "x[a](  <https://e.example/p?q=1>) and ![b](http://z.example)",
            "][t](https://a.example/c) é[t](https://a.example/d)",
            "[[t](https://a.example/c) [x](\u{00A0}https://b.example)",
            "[a]( https://a.example ) [b](https://b.example)[c](http://c.example)",
        ];
        let c = &*C;
        let mut compared = 0;
        for re in [c.md_image.unicode(), c.md_link.unicode()]
            .into_iter()
            .flatten()
        {
            for s in samples {
                let by_capture: Vec<(usize, usize)> = re
                    .captures_iter(s)
                    .filter_map(|cap| cap.get(1).map(|m| (m.start(), m.end())))
                    .collect();
                let by_match: Vec<(usize, usize)> = re
                    .find_iter(s)
                    .filter_map(|m| Some((m.start() + markdown_url(m.as_str())?, m.end())))
                    .collect();
                assert_eq!(by_capture, by_match, "{s}");
                compared += by_capture.len();
            }
        }
        assert!(compared >= 10);
    }
}
