//! Discussion context: an attack phrase quoted or cited inside a text about attacks is reported as `Low`.

use crate::guardian::types::Severity;
use aho_corasick::AhoCorasick;
use regex::Regex;
use std::sync::{LazyLock, OnceLock};

static TOPIC: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"prompt\W+injection|jailbreak|red\W?team|attack|payload|guardrail|classifier|\bfilter|detect|mitigat|owasp|adversarial|exploit|security|malicious|injection|template|\btokens?\b|\bexamples?\b|research|\bpapers?\b|\bstud(?:y|ies)\b|appendix|benchmark|dataset|evaluat").ok()
});

/// Whether the text talks about attacks, evaluated once and only when needed (by whichever
/// thread first needs it, when a scan is split).
pub(crate) struct Topic<'a> {
    pub fold: &'a str,
    pub known: &'a OnceLock<bool>,
}

impl Topic<'_> {
    fn get(&self) -> bool {
        *self
            .known
            .get_or_init(|| TOPIC.as_ref().is_some_and(|re| re.is_match(self.fold)))
    }
}

/// Lowers a hit to `Low` when it is quoted or cited as an example inside a text about attacks.
pub(super) fn contextual(
    text: &str,
    s: usize,
    e: usize,
    severity: Severity,
    topic: &Topic<'_>,
) -> Severity {
    if severity > Severity::Low && (quoted(text, s, e) || cited(text, s)) && topic.get() {
        Severity::Low
    } else {
        severity
    }
}

const QUOTES: [char; 8] = [
    '"', '\'', '`', '\u{201C}', '\u{201D}', '\u{2018}', '\u{2019}', '«',
];

/// Whether a byte can be part of a quote mark: the ASCII ones, or the lead byte of the
/// two-byte (`«`, `»`) and three-byte (curly quotes) ones.
fn quote_byte(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`' | 0xC2 | 0xE2)
}

fn quoted(text: &str, s: usize, e: usize) -> bool {
    let line_start = text[..s].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[e..].find('\n').map_or(text.len(), |i| e + i);
    let before = &text[line_start..s];
    // Most lines have no quote mark at all: skip the char-by-char look for an opening one.
    if !before.bytes().any(quote_byte) {
        return false;
    }
    // An apostrophe between letters ("it's") is not an opening quote.
    let opens = before.char_indices().rev().find(|&(i, c)| {
        (QUOTES.contains(&c) || c == '»')
            && !before[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric)
    });
    if opens.is_none() {
        return false;
    }
    let after = &text[e..line_end];
    after
        .char_indices()
        .find(|&(_, c)| QUOTES.contains(&c) || c == '»')
        .is_some_and(|(i, c)| !after[i + c.len_utf8()..].starts_with(char::is_alphanumeric))
}

const CITATIONS: [&str; 14] = [
    "like ",
    "such as",
    "e.g",
    "for example",
    "for instance",
    "variations of",
    "phrases",
    "payloads",
    " says ",
    " say ",
    "saying",
    "called",
    "known as",
    "examples",
];

/// The citation cues, ASCII case-insensitively, in one pass.
static CITATION_CUES: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(CITATIONS)
        .ok()
});

fn cited(text: &str, s: usize) -> bool {
    let mut from = s.saturating_sub(80);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = &text[from..s];
    // The cues are ASCII, and the only characters outside ASCII that lowercase to ASCII are
    // the Kelvin sign (to `k`) and `İ` (to `i` plus a combining dot, which no cue could match
    // across: none ends in `i`). Without a Kelvin sign, then, an ASCII case-insensitive search
    // of the text itself finds what a search of its lowercase copy finds.
    match CITATION_CUES.as_ref() {
        Some(cues) if !window.contains('\u{212A}') => return cues.is_match(window),
        _ => {}
    }
    let window = window.to_lowercase();
    CITATIONS.iter().any(|c| window.contains(c))
}

#[cfg(test)]
mod tests {
    use super::{QUOTES, cited, quote_byte};

    #[test]
    fn the_quote_byte_precheck_knows_every_quote_mark() {
        for q in QUOTES.iter().chain(&['»']) {
            let mut buf = [0u8; 4];
            let first = q.encode_utf8(&mut buf).as_bytes()[0];
            assert!(
                quote_byte(first),
                "{q:?} would be skipped by quoted()'s precheck"
            );
        }
    }

    #[test]
    fn citation_cues_match_as_in_a_lowercase_copy() {
        for (text, want) in [
            ("Attackers use phrases LIKE ignore all", true),
            ("é Ré: payloads such as ignore all", true),
            // The Kelvin sign lowercases to `k`: "li\u{212A}e " reads "like ".
            ("prompts li\u{212A}e ignore all", true),
            // `İ` lowercases to `i` plus a combining dot, which breaks the word.
            ("prompts lİke ignore all", false),
            ("just ignore all", false),
        ] {
            let s = text.find("ignore").unwrap();
            assert_eq!(cited(text, s), want, "{text}");
        }
    }
}
