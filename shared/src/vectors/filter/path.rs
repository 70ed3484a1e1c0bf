//! Payload key paths (`country.cities[].population`, `a[0]`, `"dotted.key".x`): parsing with
//! Qdrant's grammar and value selection.

use serde_json::{Map, Value};
use std::fmt;

/// A parsed key path: a first key, then keys, indexes and `[]` projections.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JsonPath {
    pub first_key: String,
    pub rest: Vec<PathItem>,
}

/// One step after the first key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathItem {
    /// `.key` (or `."quoted key"`)
    Key(String),
    /// `[n]`
    Index(usize),
    /// `[]`: every element of an array.
    Wildcard,
}

impl JsonPath {
    /// Parses a key; raw segments are letters, digits, `_` and `-`, anything else must be quoted.
    pub fn parse(s: &str) -> Option<JsonPath> {
        let mut p = Parser {
            s: s.as_bytes(),
            i: 0,
            src: s,
        };
        let first_key = p.segment()?;
        let mut rest = Vec::new();
        while p.i < p.s.len() {
            match p.s[p.i] {
                b'.' => {
                    p.i += 1;
                    rest.push(PathItem::Key(p.segment()?));
                }
                b'[' => {
                    p.i += 1;
                    let start = p.i;
                    while p.i < p.s.len() && p.s[p.i].is_ascii_digit() {
                        p.i += 1;
                    }
                    let digits = &p.src[start..p.i];
                    if p.s.get(p.i) != Some(&b']') {
                        return None;
                    }
                    p.i += 1;
                    rest.push(if digits.is_empty() {
                        PathItem::Wildcard
                    } else {
                        PathItem::Index(digits.parse().ok()?)
                    });
                }
                _ => return None,
            }
        }
        Some(JsonPath { first_key, rest })
    }

    /// Appends the values this path selects in `payload` to `out`.
    pub fn select<'a>(&self, payload: &'a Map<String, Value>, out: &mut Vec<&'a Value>) {
        if let Some(v) = payload.get(&self.first_key) {
            select(&self.rest, v, out);
        }
    }

    /// The values this path selects in `payload`.
    pub fn values<'a>(&self, payload: &'a Map<String, Value>) -> Vec<&'a Value> {
        let mut out = Vec::new();
        self.select(payload, &mut out);
        out
    }

    /// This path with a trailing `[]` (unless it already ends with one), as `nested` uses it.
    pub fn with_wildcard_suffix(&self) -> JsonPath {
        let mut p = self.clone();
        if p.rest.last() != Some(&PathItem::Wildcard) {
            p.rest.push(PathItem::Wildcard);
        }
        p
    }

    /// The key segments when the path has no index or `[]` step, else `None`.
    pub fn plain_segments(&self) -> Option<Vec<&str>> {
        let mut out = vec![self.first_key.as_str()];
        for item in &self.rest {
            match item {
                PathItem::Key(k) => out.push(k),
                PathItem::Index(_) | PathItem::Wildcard => return None,
            }
        }
        Some(out)
    }
}

fn select<'a>(path: &[PathItem], v: &'a Value, out: &mut Vec<&'a Value>) {
    let Some((head, tail)) = path.split_first() else {
        out.push(v);
        return;
    };
    match (head, v) {
        (PathItem::Key(k), Value::Object(m)) => {
            if let Some(next) = m.get(k) {
                select(tail, next, out);
            }
        }
        (PathItem::Index(i), Value::Array(a)) => {
            if let Some(next) = a.get(*i) {
                select(tail, next, out);
            }
        }
        (PathItem::Wildcard, Value::Array(a)) => {
            for next in a {
                select(tail, next, out);
            }
        }
        _ => {}
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    src: &'a str,
}

impl Parser<'_> {
    fn segment(&mut self) -> Option<String> {
        if self.s.get(self.i) == Some(&b'"') {
            let start = self.i + 1;
            let mut j = start;
            while j < self.s.len() && self.s[j] != b'"' {
                if self.s[j] == b'\\' {
                    return None;
                }
                j += 1;
            }
            if j >= self.s.len() {
                return None;
            }
            self.i = j + 1;
            return Some(self.src[start..j].to_string());
        }
        let rest = &self.src[self.i..];
        let len: usize = rest
            .chars()
            .take_while(|c| is_raw_char(*c))
            .map(char::len_utf8)
            .sum();
        if len == 0 {
            return None;
        }
        self.i += len;
        Some(rest[..len].to_string())
    }
}

fn is_raw_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn write_segment(f: &mut fmt::Formatter<'_>, k: &str) -> fmt::Result {
    if !k.is_empty() && k.chars().all(is_raw_char) {
        f.write_str(k)
    } else {
        write!(f, "\"{k}\"")
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_segment(f, &self.first_key)?;
        for item in &self.rest {
            match item {
                PathItem::Key(k) => {
                    f.write_str(".")?;
                    write_segment(f, k)?;
                }
                PathItem::Index(i) => write!(f, "[{i}]")?,
                PathItem::Wildcard => f.write_str("[]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> JsonPath {
        JsonPath::parse(s).unwrap()
    }

    #[test]
    fn parses_qdrant_grammar() {
        let path = p("foo[1][50].bar-baz[].\"qux[.]quux\"");
        assert_eq!(path.first_key, "foo");
        assert_eq!(
            path.rest,
            vec![
                PathItem::Index(1),
                PathItem::Index(50),
                PathItem::Key("bar-baz".into()),
                PathItem::Wildcard,
                PathItem::Key("qux[.]quux".into()),
            ]
        );
        assert_eq!(path.to_string(), "foo[1][50].bar-baz[].\"qux[.]quux\"");
        assert_eq!(p("städte.größe").rest, vec![PathItem::Key("größe".into())]);
        for bad in [
            "",
            "a..b",
            ".a",
            "a.",
            "a[",
            "a[x]",
            "a b",
            "a[]x",
            "\"a",
            "a.\"b\\\"\"",
        ] {
            assert!(JsonPath::parse(bad).is_none(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn selects_values_like_qdrant() {
        let payload = json!({
            "country": {"name": "Japan", "cities": [
                {"name": "Tokyo", "population": 9.3, "tags": ["a", "b"]},
                {"name": "Osaka", "population": 2.7},
                {"name": "Kyoto"},
                "not an object"
            ]},
            "arr": [[1, 2], 3],
            "n": null
        });
        let m = payload.as_object().unwrap();
        assert_eq!(p("country.name").values(m), vec![&json!("Japan")]);
        assert_eq!(
            p("country.cities[].population").values(m),
            vec![&json!(9.3), &json!(2.7)]
        );
        // A plain key does not look inside arrays.
        assert!(p("country.cities.population").values(m).is_empty());
        // The leaf array is kept whole; `[]` flattens one level.
        assert_eq!(
            p("country.cities[].tags").values(m),
            vec![&json!(["a", "b"])]
        );
        assert_eq!(p("arr[]").values(m), vec![&json!([1, 2]), &json!(3)]);
        assert_eq!(p("arr[0][1]").values(m), vec![&json!(2)]);
        assert!(p("arr[9]").values(m).is_empty());
        assert_eq!(p("n").values(m), vec![&Value::Null]);
        assert!(p("missing").values(m).is_empty());
        assert!(p("country[]").values(m).is_empty());
    }

    #[test]
    fn plain_segments_and_wildcard_suffix() {
        assert_eq!(p("a.b").plain_segments(), Some(vec!["a", "b"]));
        assert_eq!(p("a[].b").plain_segments(), None);
        assert_eq!(p("a").with_wildcard_suffix().to_string(), "a[]");
        assert_eq!(p("a[]").with_wildcard_suffix().to_string(), "a[]");
    }
}
