//! Secret scanner: provider key formats, PEM private keys, JWTs, and high-entropy values assigned to secret-looking names.

use super::excerpt;
use super::twin::Twin;
use super::types::{Category, Finding};
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use base64::Engine as _;
use regex::Regex;
use std::sync::LazyLock;

struct KeyRule {
    id: &'static str,
    re: &'static str,
    keep: usize,
    /// Group 1 is the whole regex (apart from `\b`), so the match is the secret and the
    /// capture search is skipped.
    whole: bool,
    /// Literals (case-insensitive) of which one must occur for the rule to run.
    anchors: &'static [&'static str],
}

/// Provider formats; capture group 1 is the secret itself.
static KEY_RULES: &[KeyRule] = &[
    KeyRule {
        id: "secrets.aws_access_key_id",
        re: r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b",
        keep: 4,
        whole: true,
        anchors: &["akia", "asia", "abia", "acca"],
    },
    KeyRule {
        id: "secrets.aws_secret_access_key",
        re: r#"(?i)\baws_?(?:secret_?access_?key|secret_?key|secret)["']?\s*(?::=|=>|[:=])\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)"#,
        keep: 0,
        whole: false,
        anchors: &["aws"],
    },
    KeyRule {
        id: "secrets.anthropic_api_key",
        re: r"\b(sk-ant-[a-z0-9]{2,10}-[A-Za-z0-9_-]{32,})",
        keep: 7,
        whole: true,
        anchors: &["sk-ant-"],
    },
    KeyRule {
        id: "secrets.openai_api_key",
        re: r"\b(sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{40,64}))",
        keep: 8,
        whole: true,
        anchors: &["sk-"],
    },
    KeyRule {
        id: "secrets.github_token",
        re: r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b",
        keep: 4,
        whole: true,
        anchors: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    },
    KeyRule {
        id: "secrets.slack_token",
        re: r"\b(xox[baprse]-[0-9]{6,}-[A-Za-z0-9-]{8,})",
        keep: 5,
        whole: true,
        anchors: &["xox"],
    },
    KeyRule {
        id: "secrets.slack_webhook",
        re: r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,})",
        keep: 24,
        whole: true,
        anchors: &["hooks.slack.com"],
    },
    KeyRule {
        id: "secrets.stripe_live_key",
        re: r"\b((?:sk|rk)_live_[A-Za-z0-9]{20,})",
        keep: 8,
        whole: true,
        anchors: &["_live_"],
    },
    KeyRule {
        id: "secrets.google_api_key",
        re: r"\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        keep: 4,
        whole: false,
        anchors: &["aiza"],
    },
    KeyRule {
        id: "secrets.hexaclaw_api_key",
        re: r"\b(hx_live_[A-Za-z0-9]{40})\b",
        keep: 8,
        whole: true,
        anchors: &["hx_live_"],
    },
    KeyRule {
        id: "secrets.jwt",
        re: r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})",
        keep: 3,
        whole: true,
        anchors: &["eyj"],
    },
    KeyRule {
        id: "secrets.connection_string_password",
        re: r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s/:@]{0,64}:([^\s/]{6,128})@[^\s/@]+(?:[:/]|$|\s)",
        keep: 0,
        whole: false,
        anchors: &["://"],
    },
];

/// Literals that gate the assignment, flag and PEM scans.
const OTHER_ANCHORS: [&str; 7] = [
    "key",
    "secret",
    "token",
    "pass",
    "pwd",
    "credential",
    "-----begin",
];

struct Compiled {
    /// Each rule with the range of its anchors in the Aho-Corasick automaton.
    rules: Vec<(&'static KeyRule, Regex, std::ops::Range<usize>)>,
    anchors: Option<AhoCorasick>,
    anchor_count: usize,
    assignment: Twin,
    flag: Twin,
    pem: Option<Regex>,
    aws_near: Option<Regex>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut literals: Vec<&str> = Vec::new();
    let mut spans = Vec::new();
    for r in KEY_RULES {
        spans.push(literals.len()..literals.len() + r.anchors.len());
        literals.extend_from_slice(r.anchors);
    }
    literals.extend_from_slice(&OTHER_ANCHORS);
    let anchors = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&literals)
        .ok();
    Compiled {
    rules: KEY_RULES
        .iter()
        .zip(spans)
        .filter_map(|(r, span)| Regex::new(&ascii_b(r.re)).ok().map(|re| (r, re, span)))
        .collect(),
    anchors,
    anchor_count: literals.len(),
    assignment: Twin::new(r#"(?i)(?:api[_-]?key|apikey|secret|token|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?|passwd|password|pwd|passphrase)[a-z0-9_.-]*["']?[ \t]*(?::=|=>|[:=])[ \t]*["'`]?([^\s"'`,;()\[\]{}<>]{8,256})"#.to_owned()),
    flag: Twin::new(ascii_b(r#"(?i)--(password|passwd|token|api-key|apikey|secret|client-secret)(?:=|\s+)["']?([^\s"']{6,256})|(?i)\b(password|passwd|passphrase)\s+(?:is|was)\s*:?\s+["']?([^\s"']{8,64})"#)),
    pem: Regex::new(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----").ok(),
    aws_near: Regex::new(r"(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)").ok(),
    }
});

fn ascii_b(re: &str) -> String {
    re.replace(r"\b", r"(?-u:\b)")
}

/// Number of secret rule families, for `status`.
pub(crate) fn rule_count() -> usize {
    KEY_RULES.len() + 4
}

/// Scans `text` for credentials.
pub(crate) fn scan(text: &str, out: &mut Vec<Finding>) {
    let c = &*COMPILED;
    let mut present = vec![false; c.anchor_count];
    let first_keyword = c.anchor_count - OTHER_ANCHORS.len();
    let mut keywords: Vec<(usize, usize)> = Vec::new();
    if let Some(ac) = c.anchors.as_ref() {
        for m in ac.find_overlapping_iter(text) {
            let id = m.pattern().as_usize();
            present[id] = true;
            if (first_keyword..first_keyword + 6).contains(&id) {
                keywords.push((m.start(), m.end()));
            }
        }
    }
    for (rule, re, span) in &c.rules {
        if !present[span.clone()].iter().any(|&p| p) {
            continue;
        }
        // The DFA finds matches fast; the capture engine then runs on the match alone.
        for whole in re.find_iter(text) {
            let (start, end, v) = if rule.whole {
                (whole.start(), whole.end(), whole.as_str())
            } else {
                let Some(m) = re.captures(whole.as_str()).and_then(|cap| cap.get(1)) else {
                    continue;
                };
                (
                    whole.start() + m.start(),
                    whole.start() + m.end(),
                    m.as_str(),
                )
            };
            if placeholder(v) || !valid(rule.id, v) {
                continue;
            }
            push(out, rule.id, start, end, excerpt::secret(v, rule.keep));
            if rule.id == "secrets.aws_access_key_id" {
                aws_secret_near(text, end, out);
            }
        }
    }
    let others = &present[c.anchor_count - OTHER_ANCHORS.len()..];
    if others[6] {
        pem_blocks(text, out);
    }
    if !keywords.is_empty() {
        assignments(text, &keywords, out);
    }
}

fn push(out: &mut Vec<Finding>, id: &'static str, start: usize, end: usize, excerpt: String) {
    out.push(Finding {
        category: Category::Secrets,
        rule_id: id,
        severity: super::rules::severity(id),
        start,
        end,
        excerpt,
    });
}

fn valid(id: &str, v: &str) -> bool {
    match id {
        "secrets.jwt" => {
            jwt_header_ok(v) && !v.ends_with("SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
        }
        "secrets.connection_string_password" => !v.starts_with('$'),
        "secrets.openai_api_key" => v.bytes().any(|b| b.is_ascii_digit()),
        _ => true,
    }
}

fn jwt_header_ok(v: &str) -> bool {
    let header = v.split('.').next().unwrap_or("");
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    engine
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|h| h.starts_with('{') && (h.contains("\"alg\"") || h.contains("\"typ\"")))
}

/// An AWS secret often follows its key id without a name: take a 40-char base64 word close after it.
fn aws_secret_near(text: &str, from: usize, out: &mut Vec<Finding>) {
    let Some(re) = COMPILED.aws_near.as_ref() else {
        return;
    };
    let mut to = (from + 160).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    for cap in re.captures_iter(&text[from..to]) {
        let Some(m) = cap.get(1) else { continue };
        let v = m.as_str();
        let mixed = v.bytes().any(|b| b.is_ascii_uppercase())
            && v.bytes().any(|b| b.is_ascii_lowercase())
            && v.bytes().any(|b| b.is_ascii_digit());
        if mixed && !placeholder(v) {
            let id = "secrets.aws_secret_access_key";
            push(
                out,
                id,
                from + m.start(),
                from + m.end(),
                excerpt::secret(v, 0),
            );
        }
    }
}

fn pem_blocks(text: &str, out: &mut Vec<Finding>) {
    let Some(re) = COMPILED.pem.as_ref() else {
        return;
    };
    for m in re.find_iter(text) {
        let rest = &text[m.end()..];
        let (body, end) = match rest.find("-----END ") {
            Some(i) => {
                let close = rest[i + 9..]
                    .find("-----")
                    .map_or(rest.len(), |j| i + 9 + j + 5);
                (&rest[..i], m.end() + close)
            }
            None => {
                let cut = rest.find("\n\n").unwrap_or(rest.len());
                (&rest[..cut], m.end() + cut)
            }
        };
        let material = body
            .bytes()
            .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
            .count();
        if material >= 40 && !placeholder(body) {
            let shown = format!("{}[{} bytes of key material]", m.as_str(), material);
            push(out, "secrets.private_key", m.start(), end, shown);
        }
    }
}

#[path = "secrets_generic.rs"]
mod generic;
#[cfg(test)]
use generic::entropy;
use generic::{assignments, placeholder};

#[cfg(test)]
#[path = "secrets_tests.rs"]
mod tests;
