//! The typed Qdrant filter: parsed once from JSON ([`Filter::from_json`]), then evaluated per
//! candidate ([`Filter::matches`]) or translated for S3 Vectors.
//!
//! Semantics follow Qdrant's own checker (lib/segment query_checker.rs / condition_checker.rs):
//! - `must`: all conditions hold (empty or absent: true);
//! - `should`: at least one holds; absent: true; **present but empty: false** (Qdrant keeps this,
//!   see qdrant/qdrant#554);
//! - `must_not`: none holds; `min_should`: at least `min_count` of `conditions` hold;
//! - a condition may itself be a filter, nested arbitrarily.
//!
//! A key (`a.b[].c`, `a[0]`, `"quoted.key"`) selects zero or more values; `[]` fans out over an
//! array, a plain key never looks inside arrays. Field conditions (`match`, `range`) hold when
//! any selected value matches, and a selected array matches when any element does (one level).
//! No selected value: `match` / `range` are false, `values_count` sees a count of 0 (Qdrant's
//! documented intent; its current checker returns false there, qdrant/qdrant#9065).
//! `is_empty`: every selected value is null or `[]` (true when nothing is selected);
//! `is_null`: some selected value is null (`[null]` is not null). `has_id`: the point id is listed.

mod eval;
mod parse;
pub mod path;

pub use path::{JsonPath, PathItem};

use crate::vectors::PointId;
use std::collections::HashSet;

/// A boolean combination of conditions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub must: Option<Vec<Condition>>,
    pub should: Option<Vec<Condition>>,
    pub must_not: Option<Vec<Condition>>,
    pub min_should: Option<MinShould>,
}

/// At least `min_count` of `conditions` must hold.
#[derive(Clone, Debug, PartialEq)]
pub struct MinShould {
    pub conditions: Vec<Condition>,
    pub min_count: usize,
}

/// One clause of a filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `{"key": .., "match" | "range" | "values_count": ..}`
    Field(FieldCondition),
    /// `{"is_empty": {"key": ..}}`
    IsEmpty(JsonPath),
    /// `{"is_null": {"key": ..}}`
    IsNull(JsonPath),
    /// `{"has_id": [..]}`
    HasId(HashSet<PointId>),
    /// `{"nested": {"key": .., "filter": ..}}`: the filter must hold for one array element.
    Nested(Box<NestedCondition>),
    /// A filter used as a condition.
    Filter(Box<Filter>),
}

/// A predicate on the values found at `key`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldCondition {
    pub key: JsonPath,
    pub predicate: FieldPredicate,
}

/// What a field condition checks.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldPredicate {
    Match(Match),
    Range(Range),
    ValuesCount(ValuesCount),
}

/// The `match` variants.
#[derive(Clone, Debug, PartialEq)]
pub enum Match {
    /// Equality with a keyword, integer or boolean.
    Value(MatchValue),
    /// The value is one of these (`IN`).
    Any(AnyValues),
    /// The value is none of these (`NOT IN`); null and missing values do not match.
    Except(AnyValues),
    /// The string contains this substring.
    Text(String),
}

/// A scalar to compare with.
#[derive(Clone, Debug, PartialEq)]
pub enum MatchValue {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// The list of `any` / `except`: all strings or all integers.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyValues {
    Strings(Vec<String>),
    Integers(Vec<i64>),
}

impl AnyValues {
    /// True when the list has no values.
    pub fn is_empty(&self) -> bool {
        match self {
            AnyValues::Strings(v) => v.is_empty(),
            AnyValues::Integers(v) => v.is_empty(),
        }
    }
}

/// Numeric bounds; absent bounds do not constrain.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
}

impl Range {
    /// True when `x` is within every bound.
    pub fn contains(&self, x: f64) -> bool {
        self.gt.is_none_or(|b| x > b)
            && self.gte.is_none_or(|b| x >= b)
            && self.lt.is_none_or(|b| x < b)
            && self.lte.is_none_or(|b| x <= b)
    }
}

/// Bounds on the number of values (an array counts its elements, null 0, a scalar 1).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ValuesCount {
    pub gt: Option<usize>,
    pub gte: Option<usize>,
    pub lt: Option<usize>,
    pub lte: Option<usize>,
}

impl ValuesCount {
    /// True when `n` is within every bound.
    pub fn contains(&self, n: usize) -> bool {
        self.gt.is_none_or(|b| n > b)
            && self.gte.is_none_or(|b| n >= b)
            && self.lt.is_none_or(|b| n < b)
            && self.lte.is_none_or(|b| n <= b)
    }
}

/// A filter applied to each object of the array at `key`.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedCondition {
    pub key: JsonPath,
    pub filter: Filter,
}
