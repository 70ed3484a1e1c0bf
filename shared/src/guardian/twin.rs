//! A regex in two builds, each compiled on first use: the Unicode original, and a byte-level
//! build without Unicode for ASCII haystacks (the usual case).
//!
//! On ASCII text the two match alike: `(?i)`, `\s`, `\w`, `.` and negated classes differ only
//! on non-ASCII characters (and the Unicode case partners of `k` and `s`, the Kelvin and long-s
//! signs, are not ASCII either). The Unicode build of a bounded class repetition such as
//! `[^\]\n]{0,300}` or `[^\s"']{8,256}` is a large automaton, slow to compile, to run and to
//! capture with; the byte build of the same pattern is a fraction of it.

use regex::Regex;
use std::ops::Range;
use std::sync::OnceLock;

pub(crate) struct Twin {
    source: String,
    ascii: OnceLock<Option<regex::bytes::Regex>>,
    unicode: OnceLock<Option<Regex>>,
}

impl Twin {
    pub fn new(source: impl Into<String>) -> Twin {
        Twin {
            source: source.into(),
            ascii: OnceLock::new(),
            unicode: OnceLock::new(),
        }
    }

    fn ascii(&self) -> Option<&regex::bytes::Regex> {
        self.ascii
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.source)
                    .unicode(false)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// The Unicode build (what non-ASCII haystacks use).
    pub fn unicode(&self) -> Option<&Regex> {
        self.unicode
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
    }

    /// Whether either build fails to compile (never; unit tests check it).
    #[cfg(test)]
    pub fn failed(&self) -> bool {
        self.ascii().is_none() || self.unicode().is_none()
    }

    pub fn is_match(&self, hay: &str) -> bool {
        if hay.is_ascii() {
            self.ascii().is_some_and(|re| re.is_match(hay.as_bytes()))
        } else {
            self.unicode().is_some_and(|re| re.is_match(hay))
        }
    }

    /// Every match span, in order.
    pub fn find_spans(&self, hay: &str) -> Vec<Range<usize>> {
        if hay.is_ascii() {
            self.ascii().map_or_else(Vec::new, |re| {
                re.find_iter(hay.as_bytes()).map(|m| m.range()).collect()
            })
        } else {
            self.unicode().map_or_else(Vec::new, |re| {
                re.find_iter(hay).map(|m| m.range()).collect()
            })
        }
    }

    /// Calls `each` for every match with a lookup of its group spans.
    pub fn captures_each(
        &self,
        hay: &str,
        mut each: impl FnMut(&dyn Fn(usize) -> Option<Range<usize>>),
    ) {
        if hay.is_ascii() {
            for cap in self
                .ascii()
                .iter()
                .flat_map(|re| re.captures_iter(hay.as_bytes()))
            {
                each(&|i| cap.get(i).map(|m| m.range()));
            }
        } else {
            for cap in self.unicode().iter().flat_map(|re| re.captures_iter(hay)) {
                each(&|i| cap.get(i).map(|m| m.range()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_unicode_builds_agree_on_ascii_text() {
        let twin = Twin::new(r"(?i)\b(?:send|key)\W+(\w+)\s+[^\]\n]{0,20}\]");
        assert!(!twin.failed());
        let hay = "Please SEND   data to  x] and key: v w] then Key zz  q]";
        let unicode: Vec<Range<usize>> = twin
            .unicode()
            .unwrap()
            .find_iter(hay)
            .map(|m| m.range())
            .collect();
        assert_eq!(twin.find_spans(hay), unicode);
        assert_eq!(unicode.len(), 3);
        let mut groups = Vec::new();
        twin.captures_each(hay, |get| groups.push(get(1)));
        assert_eq!(groups.len(), 3);
        // Non-ASCII text takes the Unicode build: the Kelvin sign folds to `k`.
        assert!(twin.is_match("\u{212A}ey: é x]"));
    }
}
