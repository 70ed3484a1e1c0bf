//! Exfiltration scanner: data-carrying image/link URLs, "send X to <destination>" requests, uploading shell commands.

use super::excerpt;
use super::twin::Twin;
use super::types::{Category, Finding, Severity};
use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

/// Each regex compiles on first use, in the build the haystack needs (ASCII or Unicode).
fn re(s: &str) -> Twin {
    Twin::new(s.replace(r"\b", r"(?-u:\b)"))
}

struct Compiled {
    md_image: Twin,
    md_link: Twin,
    html_img: Twin,
    send_verb: Twin,
    sensitive: Twin,
    strong: Twin,
    shell_file: Twin,
    shell_copy: Twin,
    shell_env: Twin,
    collector: Twin,
}

static C: LazyLock<Compiled> = LazyLock::new(|| Compiled {
    md_image: re(r"!\[[^\]\n]{0,300}\]\(\s*<?(https?://[^\s)>]+)"),
    md_link: re(r"(?:^|[^!])\[[^\]\n]{0,300}\]\(\s*<?(https?://[^\s)>]+)"),
    html_img: re(r#"(?i)<img\b[^>]*?\bsrc\s*=\s*["']?(https?://[^"'\s>]+)[^>]*>?"#),
    send_verb: re(
        r"(?i)\b(?:send|sending|post|posting|upload|uploading|forward|forwarding|email|e-mail|mail|transmit|exfiltrate|leak|submit|copy|transfer|append|beacon|sync|pipe|dump|share|make\s+a\s+(?:get|post)\s+request|fetch|visit|open|load|ping)\b",
    ),
    sensitive: re(
        r"(?i)\b(?:conversation|chat\s+(?:history|log)|history|(?:all|every|each|previous|last|our|this|these|your)\s+(?:\w+\s+)?messages?|thread|inbox|system\s+prompt|context\s+window|memory|api\s+keys?|credentials?|secrets?|passwords?|access\s+tokens?|env(?:ironment)?\s+var(?:iable)?s|environment|\.env|cookies?|session\s+(?:tokens?|cookies?|ids?)|ssh|private\s+keys?|credit\s+cards?|card\s+(?:details|numbers?)|personal\s+(?:data|information|details)|user'?s?\s+(?:data|information|details|messages|emails?|files|address|last|inbox|conversation)|contents\s+of|database|customer'?s?\s+(?:data|records|details|address|information)|phone\s+numbers?|[a-z_]*(?:api_key|_token|_secret|password)[a-z_]*)\b|\{[^}\n]{1,40}\}",
    ),
    strong: re(
        r"(?i)\b(?:inbox|credentials?|passwords?|api\s+keys?|secrets?|private\s+keys?|user'?s?\s+inbox)\b",
    ),
    shell_file: re(
        r#"(?i)\b(?:curl|wget|nc|ncat|netcat|scp|rsync|invoke-webrequest|iwr|http)\b[^\n]{0,200}?(?:-d\s*@|--data(?:-binary|-raw)?[ =]@|--post-file[ =]|-F\s*\S*=@|-T\s+|--upload-file[ =]|<\s*)\s*["']?[~/\w.$-]*(?:\.ssh|id_rsa|id_ed25519|id_ecdsa|\.aws|credentials|\.env\b|/etc/passwd|/etc/shadow|\.netrc|\.npmrc|\.pypirc|\.git-credentials|\.kube|\.docker/config|\.bash_history|\.pgpass)[\w./-]*"#,
    ),
    shell_copy: re(
        r#"(?i)\b(?:scp|rsync)\b[^\n]{0,100}?[~/\w.$-]*(?:\.ssh|id_rsa|id_ed25519|id_ecdsa|\.aws|credentials|\.env\b|/etc/passwd|/etc/shadow|\.netrc|\.npmrc|\.pypirc|\.git-credentials|\.kube|\.docker/config|\.pgpass)[\w./-]*\s+\S*[@:]\S*"#,
    ),
    shell_env: re(
        r#"(?i)https?://[^\s"']*[?&][\w-]+=\$\{?[A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASS|PASSWORD|CREDENTIALS?)\b"#,
    ),
    collector: re(
        r#"(?i)https?://(?:[0-9a-z_-]+\.)*(?:webhook\.site|requestbin\.(?:com|net)|pipedream\.net|ngrok(?:-free)?\.(?:io|app|dev)|burpcollaborator\.net|oast\.(?:fun|live|me|online|pro|site)|interact\.sh|hookbin\.com|beeceptor\.com|requestcatcher\.com|canarytokens\.com|postb\.in)\b[^\s"'<>)]*|https?://[^\s"'<>)]*[?&][0-9a-z_-]+=(?:\{[^}\s]*\}?|\$\{?[A-Z_]{3,}\}?)?(?:$|[\s"'<>)])"#,
    ),
});

/// Number of exfiltration rules, for `status`.
pub(crate) const RULES: usize = 6;

/// Full scan (inputs): URLs, send requests, shell commands, collectors.
pub(crate) fn scan(text: &str, out: &mut Vec<Finding>) {
    scan_urls(text, out);
    let found = Found::in_text(text);
    let url = text.contains("://");
    if url || text.contains('@') || !found.destinations.is_empty() {
        send_requests(text, url, &found.destinations, out);
    }
    if found.shell && (found.path || text.contains('$')) {
        shell(text, out);
    }
}

/// What a trigger word announces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// "webhook", "to me", "to us": a place to send data to.
    Destination,
    /// A command-line tool that can upload.
    Shell,
    /// A credential file or directory.
    Path,
}

const TRIGGER_WORDS: [(&str, Trigger); 29] = [
    ("webhook", Trigger::Destination),
    ("to me", Trigger::Destination),
    ("to us", Trigger::Destination),
    ("curl", Trigger::Shell),
    ("wget", Trigger::Shell),
    ("scp", Trigger::Shell),
    ("rsync", Trigger::Shell),
    ("netcat", Trigger::Shell),
    ("ncat", Trigger::Shell),
    ("nc ", Trigger::Shell),
    ("iwr", Trigger::Shell),
    ("invoke-webrequest", Trigger::Shell),
    (".ssh", Trigger::Path),
    ("id_rsa", Trigger::Path),
    ("id_ed25519", Trigger::Path),
    ("id_ecdsa", Trigger::Path),
    (".aws", Trigger::Path),
    ("credentials", Trigger::Path),
    (".env", Trigger::Path),
    ("/etc/passwd", Trigger::Path),
    ("/etc/shadow", Trigger::Path),
    (".netrc", Trigger::Path),
    (".npmrc", Trigger::Path),
    (".pypirc", Trigger::Path),
    (".git-credentials", Trigger::Path),
    (".kube", Trigger::Path),
    (".docker", Trigger::Path),
    (".bash_history", Trigger::Path),
    (".pgpass", Trigger::Path),
];

/// Case-insensitive literals that must occur before the costlier regexes run: the trigger
/// words share one automaton, so a text is searched for all of them at once.
struct Triggers {
    words: AhoCorasick,
    img: AhoCorasick,
}

static TRIGGERS: LazyLock<Option<Triggers>> = LazyLock::new(|| {
    let ci = |words: &[&str]| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .ok()
    };
    let words: Vec<&str> = TRIGGER_WORDS.iter().map(|(w, _)| *w).collect();
    Some(Triggers {
        words: ci(&words)?,
        img: ci(&["<img"])?,
    })
});

/// The trigger words of one text.
struct Found {
    /// Spans of the destination words. They cannot overlap one another, so the overlapping
    /// search lists exactly the spans a left-to-right search would.
    destinations: Vec<(usize, usize)>,
    shell: bool,
    path: bool,
}

impl Found {
    fn in_text(text: &str) -> Found {
        let mut found = Found {
            destinations: Vec::new(),
            shell: false,
            path: false,
        };
        let Some(t) = TRIGGERS.as_ref() else {
            return found;
        };
        for m in t.words.find_overlapping_iter(text) {
            match TRIGGER_WORDS[m.pattern().as_usize()].1 {
                Trigger::Destination => found.destinations.push((m.start(), m.end())),
                Trigger::Shell => found.shell = true,
                Trigger::Path => found.path = true,
            }
        }
        found
    }
}

fn push(
    out: &mut Vec<Finding>,
    rule: &'static str,
    severity: Severity,
    s: usize,
    e: usize,
    text: &str,
) {
    out.push(Finding {
        category: Category::Exfiltration,
        rule_id: rule,
        severity,
        start: s,
        end: e,
        excerpt: excerpt::plain(text, s, e),
    });
}

fn line_window(text: &str, at: usize, max: usize) -> &str {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut from = at.saturating_sub(max).max(line_start);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..at]
}

/// Where data could be sent: URLs, email addresses, "webhook", "to me"/"to us" (`words`).
fn destinations(text: &str, url: bool, words: &[(usize, usize)]) -> Vec<(usize, usize, bool)> {
    let b = text.as_bytes();
    let stop =
        |c: u8| c.is_ascii_whitespace() || matches!(c, b'<' | b'>' | b'"' | b'\'' | b')' | b']');
    let mut out = Vec::new();
    if url {
        for (i, _) in text.match_indices("://") {
            let scheme = text[..i]
                .bytes()
                .rev()
                .take_while(u8::is_ascii_alphabetic)
                .count();
            let start = i - scheme;
            if !text[start..i].eq_ignore_ascii_case("http")
                && !text[start..i].eq_ignore_ascii_case("https")
            {
                continue;
            }
            let end = i + 3 + b[i + 3..].iter().take_while(|&&c| !stop(c)).count();
            out.push((start, end, false));
        }
    }
    for (i, _) in text.match_indices('@') {
        let local = b[..i]
            .iter()
            .rev()
            .take_while(|&&c| {
                c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
            })
            .count();
        let domain = b[i + 1..]
            .iter()
            .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-'))
            .count();
        if local > 0 && text[i + 1..i + 1 + domain].contains('.') {
            out.push((i - local, i + 1 + domain, false));
        }
    }
    for &(start, end) in words {
        let to_me = end - start == 5;
        out.push((start, end, to_me));
    }
    out.sort_unstable();
    out
}

fn send_requests(text: &str, url: bool, words: &[(usize, usize)], out: &mut Vec<Finding>) {
    let c = &*C;
    let (verb, sens, strong) = (&c.send_verb, &c.sensitive, &c.strong);
    for (start, end, to_me) in destinations(text, url, words) {
        let window = line_window(text, start, 250);
        let object = if to_me { strong } else { sens };
        if verb.is_match(window) && object.is_match(window) {
            let from = start - window.len();
            push(
                out,
                "exfiltration.send_to_destination",
                Severity::High,
                from,
                end,
                text,
            );
        }
    }
    if url {
        for m in c.collector.find_spans(text) {
            let url = text[m.clone()].trim_end_matches([' ', '"', '\'', '<', '>', ')', '\n', '\t']);
            push(
                out,
                "exfiltration.collector_endpoint",
                Severity::Medium,
                m.start,
                m.start + url.len(),
                text,
            );
        }
    }
}

fn shell(text: &str, out: &mut Vec<Finding>) {
    for re in [&C.shell_file, &C.shell_copy, &C.shell_env] {
        for m in re.find_spans(text) {
            push(
                out,
                "exfiltration.shell_command",
                Severity::High,
                m.start,
                m.end,
                text,
            );
        }
    }
}

#[path = "exfil_urls.rs"]
mod urls;
pub(crate) use urls::scan_urls;

#[cfg(test)]
#[path = "exfil_tests.rs"]
mod tests;
