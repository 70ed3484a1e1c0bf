//! Operator deny-list: whole-word, case-insensitive terms matched on the folded view.

use super::normalize::Normalized;
use super::types::{Category, Finding, Severity};
use regex::Regex;

/// A compiled deny-list.
#[derive(Debug, Clone)]
pub(crate) struct DenyList {
    re: Option<Regex>,
    terms: usize,
}

impl DenyList {
    /// Compiles `terms`; blank terms are ignored.
    pub fn new(terms: &[String]) -> Result<DenyList, regex::Error> {
        let alts: Vec<String> = terms
            .iter()
            .map(|t| Normalized::new(t.trim()).fold)
            .filter(|t| !t.is_empty())
            .map(|t| {
                let words: Vec<String> = t.split_whitespace().map(regex::escape).collect();
                let body = words.join(r"\s+");
                let word =
                    |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                let pre = if word(t.chars().next()) {
                    r"(?-u:\b)"
                } else {
                    ""
                };
                let post = if word(t.chars().next_back()) {
                    r"(?-u:\b)"
                } else {
                    ""
                };
                format!("{pre}{body}{post}")
            })
            .collect();
        let terms = alts.len();
        let re = if alts.is_empty() {
            None
        } else {
            Some(Regex::new(&alts.join("|"))?)
        };
        Ok(DenyList { re, terms })
    }

    /// Number of usable terms.
    pub fn len(&self) -> usize {
        self.terms
    }

    /// Reports every deny-listed term in `text`.
    pub fn scan(&self, text: &str, norm: &Normalized, severity: Severity, out: &mut Vec<Finding>) {
        let Some(re) = self.re.as_ref() else { return };
        for m in re.find_iter(&norm.fold) {
            let (s, e) = norm.span_fold(text, m.start(), m.end());
            out.push(Finding {
                category: Category::Policy,
                rule_id: "policy.deny_list",
                severity,
                start: s,
                end: e,
                excerpt: super::excerpt::plain(text, s, e),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(terms: &[&str], text: &str) -> Vec<String> {
        let list = DenyList::new(&terms.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        let mut out = Vec::new();
        list.scan(text, &Normalized::new(text), Severity::High, &mut out);
        out.into_iter()
            .map(|f| text[f.start..f.end].to_string())
            .collect()
    }

    #[test]
    fn case_insensitive_whole_words() {
        assert_eq!(hits(&["kestrel"], "The KESTREL flew"), vec!["KESTREL"]);
        assert!(hits(&["kestrel"], "kestrels hover").is_empty());
        assert!(hits(&["orion-9"], "orion-90 mount").is_empty());
        assert_eq!(hits(&["orion-9"], "the Orion-9 report"), vec!["Orion-9"]);
    }

    #[test]
    fn phrases_span_whitespace_and_survive_invisible_chars() {
        assert_eq!(
            hits(&["project bluebird"], "project  Bluebird"),
            vec!["project  Bluebird"]
        );
        assert_eq!(
            hits(&["project bluebird"], "proj\u{200B}ect bluebird"),
            vec!["proj\u{200B}ect bluebird"]
        );
        assert!(hits(&[], "anything").is_empty());
        assert!(hits(&["  "], "anything").is_empty());
    }
}
