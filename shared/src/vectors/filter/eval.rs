//! Evaluation of a [`Filter`] against one point (id + payload), mirroring Qdrant's checker.

use super::{AnyValues, Condition, FieldCondition, FieldPredicate, Filter, Match, MatchValue};
use crate::vectors::PointId;
use serde_json::{Map, Value};
use std::sync::LazyLock;

static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

impl Filter {
    /// True when the point with this id and payload passes the filter.
    pub fn matches(&self, id: &PointId, payload: Option<&Map<String, Value>>) -> bool {
        filter_ok(self, Some(id), payload.unwrap_or(&EMPTY))
    }
}

/// `id` is `None` inside `nested` filters, where `has_id` cannot appear.
fn filter_ok(f: &Filter, id: Option<&PointId>, p: &Map<String, Value>) -> bool {
    if let Some(should) = &f.should {
        if !should.iter().any(|c| condition_ok(c, id, p)) {
            return false;
        }
    }
    if let Some(ms) = &f.min_should {
        let hits = ms
            .conditions
            .iter()
            .filter(|c| condition_ok(c, id, p))
            .take(ms.min_count)
            .count();
        if hits < ms.min_count {
            return false;
        }
    }
    if let Some(must) = &f.must {
        if !must.iter().all(|c| condition_ok(c, id, p)) {
            return false;
        }
    }
    if let Some(must_not) = &f.must_not {
        if must_not.iter().any(|c| condition_ok(c, id, p)) {
            return false;
        }
    }
    true
}

fn condition_ok(c: &Condition, id: Option<&PointId>, p: &Map<String, Value>) -> bool {
    match c {
        Condition::Field(fc) => field_ok(fc, p),
        Condition::IsEmpty(key) => key
            .values(p)
            .iter()
            .all(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty)),
        Condition::IsNull(key) => key.values(p).iter().any(|v| v.is_null()),
        Condition::HasId(ids) => id.is_some_and(|id| ids.contains(id)),
        Condition::Nested(n) => n
            .key
            .with_wildcard_suffix()
            .values(p)
            .iter()
            .filter_map(|v| v.as_object())
            .any(|element| filter_ok(&n.filter, None, element)),
        Condition::Filter(f) => filter_ok(f, id, p),
    }
}

fn field_ok(fc: &FieldCondition, p: &Map<String, Value>) -> bool {
    let values = fc.key.values(p);
    if values.is_empty() {
        return match &fc.predicate {
            FieldPredicate::ValuesCount(vc) => vc.contains(0),
            FieldPredicate::Match(_) | FieldPredicate::Range(_) => false,
        };
    }
    values.iter().any(|v| match &fc.predicate {
        FieldPredicate::Match(m) => any_element(v, |x| match_one(m, x)),
        FieldPredicate::Range(r) => any_element(v, |x| x.as_f64().is_some_and(|n| r.contains(n))),
        FieldPredicate::ValuesCount(vc) => vc.contains(match v {
            Value::Null => 0,
            Value::Array(a) => a.len(),
            _ => 1,
        }),
    })
}

/// A selected array matches when one of its elements does (one level, as in Qdrant).
fn any_element(v: &Value, check: impl Fn(&Value) -> bool) -> bool {
    match v {
        Value::Array(items) => items.iter().any(check),
        _ => check(v),
    }
}

fn match_one(m: &Match, v: &Value) -> bool {
    match m {
        Match::Value(MatchValue::Str(s)) => v.as_str() == Some(s.as_str()),
        Match::Value(MatchValue::Int(i)) => v.as_i64() == Some(*i),
        Match::Value(MatchValue::Bool(b)) => v.as_bool() == Some(*b),
        Match::Text(t) => v.as_str().is_some_and(|s| s.contains(t.as_str())),
        Match::Any(AnyValues::Strings(list)) => {
            v.as_str().is_some_and(|s| list.iter().any(|x| x == s))
        }
        Match::Any(AnyValues::Integers(list)) => v.as_i64().is_some_and(|n| list.contains(&n)),
        // Qdrant: null never matches `except`; a value of another type always does.
        Match::Except(list) => match (v, list) {
            (Value::Null, _) => false,
            (Value::String(s), AnyValues::Strings(l)) => !l.iter().any(|x| x == s),
            (Value::Number(n), AnyValues::Integers(l)) => {
                n.as_i64().is_none_or(|n| !l.contains(&n))
            }
            _ => true,
        },
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
