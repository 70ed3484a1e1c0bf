//! Personal-data scanner: emails, phone numbers, payment cards (Luhn), IBANs (mod-97), US SSNs, IP addresses.

use super::checksums::{self, EXAMPLE_IBANS, SAMPLE_SSNS};
use super::excerpt;
use super::types::{Category, Finding};
use aho_corasick::AhoCorasick;
use regex::Regex;
use std::net::Ipv6Addr;
use std::sync::LazyLock;

fn re(s: &str) -> Option<Regex> {
    Regex::new(&s.replace(r"\b", r"(?-u:\b)")).ok()
}

struct Compiled {
    phone_label: Option<Regex>,
    iban: Option<Regex>,
    ssn_label: Option<Regex>,
    ipv6: Option<Regex>,
}

static C: LazyLock<Compiled> = LazyLock::new(|| Compiled {
    phone_label: re(
        r"(?i)\b(?:phone|tel|telephone|mobile|cell|fax|whatsapp|telefon|telefone|telefono)\b[^0-9\n+]{0,20}(\+?[0-9][0-9 ().-]{6,18}[0-9])",
    ),
    iban: re(r"^[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,32}"),
    ssn_label: re(
        r"(?i)\b(?:ssn|social\s+security(?:\s+(?:number|no\.?|#))?)[^0-9A-Za-z]{0,5}(?:is\s+)?([0-9]{3})[ -]?([0-9]{2})[ -]?([0-9]{4})\b",
    ),
    ipv6: re(r"(?i)(?:^|[^0-9a-z_:.])((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4})"),
});

/// Words that must occur before the labeled-phone and labeled-SSN regexes run.
static LABELS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    let words = [
        "phone", "tel", "mobile", "cell", "fax", "whatsapp", "ssn", "social",
    ];
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(words)
        .ok()
});

/// Number of PII rules, for `status`.
pub(crate) const RULES: usize = 7;

/// Scans `text` for personal data.
pub(crate) fn scan(text: &str, out: &mut Vec<Finding>) {
    if text.contains('@') || text.contains("%40") {
        emails(text, out);
    }
    if text.bytes().any(|b| b.is_ascii_digit()) {
        numbers::scan(text, out);
        ibans(text, out);
        if LABELS.as_ref().is_some_and(|l| l.is_match(text)) {
            labeled(text, out);
        }
        let colons = text.bytes().filter(|&b| b == b':').count();
        if (colons >= 5 || text.contains("::")) && hex_group_between_colons(text) {
            ipv6(text, out);
        }
    }
}

fn push(out: &mut Vec<Finding>, id: &'static str, start: usize, end: usize, excerpt: String) {
    out.push(Finding {
        category: Category::Pii,
        rule_id: id,
        severity: super::rules::severity(id),
        start,
        end,
        excerpt,
    });
}

const RESERVED_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];
const RESERVED_TLDS: [&str; 5] = [".example", ".test", ".invalid", ".localhost", ".local"];
const FILE_TLDS: [&str; 14] = [
    "png", "jpg", "jpeg", "gif", "svg", "webp", "js", "css", "ts", "rs", "py", "json", "md", "txt",
];

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// Emails, found from each `@` (or URL-encoded `%40`) outwards rather than by a full-text regex.
fn emails(text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut last_end = 0;
    let mut i = 0;
    while i < b.len() {
        let at_len = if b[i] == b'@' {
            1
        } else if b[i] == b'%' && b.get(i + 1..i + 3) == Some(b"40") {
            3
        } else {
            i += 1;
            continue;
        };
        let mut s = i;
        while s > 0 && i - s < 64 && is_local(b[s - 1]) {
            s -= 1;
        }
        while s < i && !b[s].is_ascii_alphanumeric() {
            s += 1;
        }
        let d = i + at_len;
        let mut e = d;
        while e < b.len() && is_domain(b[e]) {
            e += 1;
        }
        while e > d && matches!(b[e - 1], b'.' | b'-') {
            e -= 1;
        }
        i += at_len;
        if s == i - at_len || s < last_end || e == d {
            continue;
        }
        let domain = text[d..e].to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let tld = labels.last().copied().unwrap_or("");
        let shaped = labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty())
            && (2..=24).contains(&tld.len())
            && tld.bytes().all(|c| c.is_ascii_alphabetic());
        if !shaped {
            continue;
        }
        let before = &text[..s];
        // userinfo in a URL (https://token@host) and scp-style git remotes are not mailboxes.
        if before.ends_with("://") || before.ends_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        if text[e..].starts_with(':') && text[e + 1..].starts_with(|c: char| !c.is_whitespace()) {
            continue;
        }
        let reserved = RESERVED_DOMAINS
            .iter()
            .any(|r| domain == *r || domain.ends_with(&format!(".{r}")))
            || RESERVED_TLDS.iter().any(|t| domain.ends_with(t));
        if reserved || FILE_TLDS.contains(&tld) {
            continue;
        }
        push(out, "pii.email", s, e, excerpt::email(&text[s..e]));
        last_end = e;
        i = e;
    }
}

fn ibans(text: &str, out: &mut Vec<Finding>) {
    let Some(re) = C.iban.as_ref() else { return };
    let b = text.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        let candidate = b[i].is_ascii_uppercase()
            && b[i + 1].is_ascii_uppercase()
            && b[i + 2].is_ascii_digit()
            && b[i + 3].is_ascii_digit()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if !candidate {
            i += 1;
            continue;
        }
        let Some(m) = re.find(&text[i..]) else {
            i += 1;
            continue;
        };
        let v = m.as_str();
        let mut next = i + 1;
        if let Some(want) = checksums::iban_expected_len(&v[..2]) {
            // Take exactly the country's length of characters, so trailing words are not swallowed.
            let mut compact = String::with_capacity(want);
            let mut end = i;
            for (k, c) in v.char_indices() {
                if c != ' ' {
                    compact.push(c);
                    end = i + k + 1;
                    if compact.len() == want {
                        break;
                    }
                }
            }
            if compact.len() == want && checksums::iban_valid(&compact) {
                if !EXAMPLE_IBANS.contains(&compact.as_str()) {
                    push(out, "pii.iban", i, end, excerpt::head(&compact, 4));
                }
                next = end;
            }
        }
        i = next;
    }
}

/// Phones after a label and SSNs after an "SSN" label (any digit grouping).
fn labeled(text: &str, out: &mut Vec<Finding>) {
    if let Some(re) = C.phone_label.as_ref() {
        for cap in re.captures_iter(text) {
            let Some(m) = cap.get(1) else { continue };
            let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
            let followed_by_digit = text[m.end()..].starts_with(|c: char| c.is_ascii_digit());
            if (8..=15).contains(&digits) && !followed_by_digit && !m.as_str().contains("  ") {
                push(
                    out,
                    "pii.phone",
                    m.start(),
                    m.end(),
                    excerpt::digits(m.as_str(), 2),
                );
            }
        }
    }
    if let Some(re) = C.ssn_label.as_ref() {
        for cap in re.captures_iter(text) {
            let (Some(a), Some(g), Some(s)) = (cap.get(1), cap.get(2), cap.get(3)) else {
                continue;
            };
            let (Ok(area), Ok(group), Ok(serial)) = (
                a.as_str().parse::<u16>(),
                g.as_str().parse::<u8>(),
                s.as_str().parse::<u16>(),
            ) else {
                continue;
            };
            let dashed = format!("{}-{}-{}", a.as_str(), g.as_str(), s.as_str());
            if checksums::ssn_valid(area, group, serial) && !SAMPLE_SSNS.contains(&dashed.as_str())
            {
                push(
                    out,
                    "pii.us_ssn",
                    a.start(),
                    s.end(),
                    format!("***-**-{}", s.as_str()),
                );
            }
        }
    }
}

/// Whether two colons have at most four hex digits between them, which every IPv6 match
/// needs; it spares the regex on prose and code with colons but no addresses.
fn hex_group_between_colons(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b':' && {
            let digits = b[i + 1..]
                .iter()
                .take(5)
                .take_while(|d| d.is_ascii_hexdigit())
                .count();
            digits <= 4 && b.get(i + 1 + digits) == Some(&b':')
        }
    })
}

fn ipv6(text: &str, out: &mut Vec<Finding>) {
    let Some(re) = C.ipv6.as_ref() else { return };
    for cap in re.captures_iter(text) {
        let Some(m) = cap.get(1) else { continue };
        let v = m.as_str();
        let groups: Vec<&str> = v.split(':').filter(|g| !g.is_empty()).collect();
        let after = &text[m.end()..];
        // Certificate fingerprints and MAC addresses: runs of two-digit hex pairs.
        let pairs = groups.len() >= 6 && groups.iter().all(|g| g.len() == 2);
        if groups.len() < 3
            || pairs
            || after.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
        {
            continue;
        }
        let Ok(ip) = v.parse::<Ipv6Addr>() else {
            continue;
        };
        let doc = ip.segments()[0] == 0x2001 && ip.segments()[1] == 0x0db8;
        if !(ip.is_loopback() || ip.is_unspecified() || doc) {
            push(out, "pii.ipv6", m.start(), m.end(), excerpt::head(v, 9));
        }
    }
}

#[path = "pii_numbers.rs"]
mod numbers;

#[cfg(test)]
#[path = "pii_tests.rs"]
mod tests;
