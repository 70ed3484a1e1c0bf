//! Translation of typed conditions and updates into DynamoDB expressions. Every attribute
//! name and value goes through a placeholder; nothing is interpolated into the text.

use crate::store::{Attr, Cond, EXPIRES_AT, Item, PK, StoreError, StoreResult, Update};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub(super) type AttrMap = HashMap<String, AttributeValue>;

pub(super) fn to_av(a: &Attr) -> AttributeValue {
    match a {
        Attr::S(s) => AttributeValue::S(s.clone()),
        Attr::N(n) => AttributeValue::N(n.to_string()),
        Attr::Bool(b) => AttributeValue::Bool(*b),
        Attr::B(b) => AttributeValue::B(Blob::new(b.clone())),
    }
}

fn from_av(name: &str, av: AttributeValue) -> StoreResult<Attr> {
    Ok(match av {
        AttributeValue::S(s) => Attr::S(s),
        AttributeValue::N(n) => Attr::N(n.parse().map_err(|_| {
            StoreError::Backend(format!("attribute {name} is not a 64-bit integer"))
        })?),
        AttributeValue::Bool(b) => Attr::Bool(b),
        AttributeValue::B(b) => Attr::B(b.into_inner()),
        _ => {
            return Err(StoreError::Backend(format!(
                "attribute {name} has a type this store does not use"
            )));
        }
    })
}

pub(super) fn to_map(item: &Item) -> AttrMap {
    item.0.iter().map(|(k, v)| (k.clone(), to_av(v))).collect()
}

pub(super) fn from_map(map: AttrMap) -> StoreResult<Item> {
    let mut item = Item::default();
    for (k, v) in map {
        let a = from_av(&k, v)?;
        item.0.insert(k, a);
    }
    Ok(item)
}

/// Placeholders collected while building one request's expressions.
#[derive(Default)]
pub(super) struct Expr {
    names: HashMap<String, String>,
    values: AttrMap,
}

impl Expr {
    /// The `#nN` placeholder for an attribute name (one per distinct name).
    pub(super) fn name(&mut self, attr: &str) -> String {
        if let Some((ph, _)) = self.names.iter().find(|(_, a)| a.as_str() == attr) {
            return ph.clone();
        }
        let ph = format!("#n{}", self.names.len());
        self.names.insert(ph.clone(), attr.to_owned());
        ph
    }

    /// A fresh `:vN` placeholder for a value.
    pub(super) fn value(&mut self, v: AttributeValue) -> String {
        let ph = format!(":v{}", self.values.len());
        self.values.insert(ph.clone(), v);
        ph
    }

    /// A ConditionExpression; `now` decides which items count as expired.
    pub(super) fn cond(&mut self, c: &Cond, now: i64) -> String {
        match c {
            Cond::Exists => {
                let (pk, exp) = (self.name(PK), self.name(EXPIRES_AT));
                let now = self.value(AttributeValue::N(now.to_string()));
                format!(
                    "(attribute_exists({pk}) AND (attribute_not_exists({exp}) OR {exp} > {now}))"
                )
            }
            Cond::NotExists => {
                let (pk, exp) = (self.name(PK), self.name(EXPIRES_AT));
                let now = self.value(AttributeValue::N(now.to_string()));
                format!(
                    "(attribute_not_exists({pk}) OR (attribute_exists({exp}) AND {exp} <= {now}))"
                )
            }
            Cond::Eq(n, v) => self.compare(n, "=", to_av(v)),
            Cond::Ne(n, v) => {
                // Spelled out so "absent counts as different" does not hinge on how the
                // service compares a missing attribute.
                let ph = self.name(n);
                let v = self.value(to_av(v));
                format!("(attribute_not_exists({ph}) OR {ph} <> {v})")
            }
            Cond::Ge(n, v) => self.compare(n, ">=", AttributeValue::N(v.to_string())),
            Cond::Le(n, v) => self.compare(n, "<=", AttributeValue::N(v.to_string())),
            Cond::Lt(n, v) => self.compare(n, "<", AttributeValue::N(v.to_string())),
            Cond::Gt(n, v) => self.compare(n, ">", AttributeValue::N(v.to_string())),
            Cond::AttrExists(n) => format!("attribute_exists({})", self.name(n)),
            Cond::AttrNotExists(n) => format!("attribute_not_exists({})", self.name(n)),
            Cond::And(cs) => self.join(cs, " AND ", now),
            Cond::Or(cs) => self.join(cs, " OR ", now),
        }
    }

    fn compare(&mut self, n: &str, op: &str, v: AttributeValue) -> String {
        let ph = self.name(n);
        let v = self.value(v);
        format!("{ph} {op} {v}")
    }

    fn join(&mut self, cs: &[Cond], sep: &str, now: i64) -> String {
        let parts: Vec<String> = cs.iter().map(|c| self.cond(c, now)).collect();
        format!("({})", parts.join(sep))
    }

    /// An UpdateExpression: `SET … ADD … REMOVE …`.
    pub(super) fn update(&mut self, updates: &[Update]) -> String {
        let (mut set, mut add, mut remove) = (Vec::new(), Vec::new(), Vec::new());
        for u in updates {
            match u {
                Update::Set(n, v) => {
                    let (ph, v) = (self.name(n), self.value(to_av(v)));
                    set.push(format!("{ph} = {v}"));
                }
                Update::SetIfAbsent(n, v) => {
                    let (ph, v) = (self.name(n), self.value(to_av(v)));
                    set.push(format!("{ph} = if_not_exists({ph}, {v})"));
                }
                Update::Add(n, d) => {
                    let (ph, v) = (self.name(n), self.value(AttributeValue::N(d.to_string())));
                    add.push(format!("{ph} {v}"));
                }
                Update::Remove(n) => remove.push(self.name(n)),
            }
        }
        let mut out = Vec::new();
        for (kw, parts) in [("SET", set), ("ADD", add), ("REMOVE", remove)] {
            if !parts.is_empty() {
                out.push(format!("{kw} {}", parts.join(", ")));
            }
        }
        out.join(" ")
    }

    /// The placeholder maps, `None` when empty (DynamoDB refuses empty maps).
    pub(super) fn finish(self) -> (Option<HashMap<String, String>>, Option<AttrMap>) {
        let names = (!self.names.is_empty()).then_some(self.names);
        let values = (!self.values.is_empty()).then_some(self.values);
        (names, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_use_placeholders_only() {
        let mut e = Expr::default();
        let c = Cond::And(vec![
            Cond::Exists,
            Cond::ge("balance", 5),
            Cond::Ne("state".into(), Attr::S("x') OR 1=1".into())),
        ]);
        let text = e.cond(&c, 100);
        assert!(!text.contains("balance") && !text.contains("1=1"), "{text}");
        assert!(text.contains("attribute_exists(#n0)"), "{text}");
        let (names, values) = e.finish();
        let names = names.unwrap_or_default();
        assert_eq!(names.get("#n0").map(String::as_str), Some(PK));
        assert_eq!(names.len(), 4);
        assert_eq!(values.map(|v| v.len()), Some(3));
    }

    #[test]
    fn update_groups_clauses_and_reuses_names() {
        let mut e = Expr::default();
        let text = e.update(&[
            Update::add("n", -1),
            Update::set("a", "x"),
            Update::set_if_absent("b", 1),
            Update::remove("c"),
        ]);
        assert_eq!(
            text,
            "SET #n1 = :v1, #n2 = if_not_exists(#n2, :v2) ADD #n0 :v0 REMOVE #n3"
        );
        let cond = e.cond(&Cond::ge("n", 1), 0);
        assert_eq!(cond, "#n0 >= :v3");
    }

    #[test]
    fn attribute_values_round_trip() {
        let item = Item::default()
            .with("s", "x")
            .with("n", i64::MIN)
            .with("t", true)
            .with("b", vec![0u8, 255]);
        assert_eq!(from_map(to_map(&item)).ok(), Some(item));
        let bad: AttrMap = [("n".to_owned(), AttributeValue::N("1.5".into()))].into();
        assert!(from_map(bad).is_err());
    }
}
