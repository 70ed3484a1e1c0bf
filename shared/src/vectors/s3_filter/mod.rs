//! Translation of a typed Qdrant [`Filter`] into an Amazon S3 Vectors metadata filter
//! (`QueryVectors.filter`), and the layout the AWS engine uses.
//!
//! # AWS layout: one S3 vector index per (account, collection)
//!
//! Chosen over one shared index with a mandatory tenant filter, because:
//! 1. **Dimension and distance are fixed per index** (set at `CreateIndex`, 1–4096 dimensions,
//!    cosine or euclidean). Our collections take their dimension from the first vector, and the
//!    models we sell differ (text-embedding-3-small: 1536, -large and gemini-embedding-001:
//!    3072), so a "shared" index would already have to be one per (dimension, metric) and would
//!    still mix tenants inside each.
//! 2. **Isolation by construction**: the index is derived from the authenticated account, so no
//!    code path can forget the tenant clause; an IAM policy can even be scoped to index ARNs.
//! 3. **Recall**: S3 Vectors applies filters during the approximate search and documents that a
//!    filtered query may return fewer than top-k results when few vectors match. In a shared
//!    index a small tenant is always "few"; in its own index its queries are unfiltered unless
//!    the user filters.
//! 4. **Metadata budget**: filterable metadata is capped at 2 KB and 50 keys per vector; a tenant
//!    key would spend some and could collide with user keys.
//! 5. **Deletes and limits**: dropping a collection or an account is one `DeleteIndex`, not a
//!    scan-and-delete at 500 keys per call; the per-index write limits (1,000 requests/s,
//!    2,500 vectors/s) then apply per tenant instead of to everyone at once.
//!
//! Consequences for the AWS engine: a vector bucket holds at most 10,000 indexes (10,000
//! buckets per region), so indexes are spread over buckets and the mapping
//! (account, collection) → (bucket, index, dimension, distance) lives in DynamoDB, which also
//! answers dimension checks without a `GetIndex` call. Index names must be 3–63 characters of
//! `[a-z0-9.-]`, so they are derived (e.g. `c-` + 32 hex chars of SHA-256 of
//! `account/collection`), never the user's name. S3 Vectors has no dot-product metric: a `dot`
//! collection must be refused on AWS. Vector keys are strings: encode our ids with a type
//! prefix (`n:42`, `s:doc-1`) so `42` and `"42"` stay distinct. The payload goes whole, as JSON,
//! into one non-filterable key declared at `CreateIndex` (so it round-trips exactly), and its
//! filterable leaves (strings, numbers, booleans, lists of them) are written flattened under
//! dotted keys (`country.name`), which is how [`to_s3_filter`] names nested keys; null values
//! and empty lists are left out, since S3 metadata cannot hold them.
//!
//! # Translation
//!
//! S3 Vectors has `$eq $ne $gt $gte $lt $lte $in $nin $exists $and $or` and no `$not`, so
//! `must_not` is pushed down to the leaves (De Morgan). Assumptions about S3 behaviour the docs
//! leave open: comparisons with a missing key are false (we never rely on it: negations carry an
//! explicit `$exists: false` branch and `except` an explicit `$exists: true`), comparisons across
//! types are false, and `$ne`/`$nin` on a list value are the complements of `$eq`/`$in` (no
//! element equal / no element in the list), since `$eq` on a list matches any element.
//!
//! Fidelity, clause by clause:
//! - `must`, `should`, `must_not`, nesting: exact; an empty `should` is [`S3Filter::MatchNone`].
//! - `min_should`: exact, expanded to an OR of ANDs (at most [`MAX_MIN_SHOULD_ALTERNATIVES`]).
//! - `match.value`, `match.any`, and their negations: exact, except that S3 compares numbers by
//!   value, so a stored `3.0` equals the integer `3` (Qdrant's integer match ignores floats;
//!   the same holds for `except`).
//! - `match.except`: exact on scalar values. On a list, Qdrant passes when some element is
//!   outside the list, S3's `$nin` only when none is inside (stricter); negated, looser.
//! - `range`: exact on numbers; negated, a non-numeric value passes in Qdrant but not in S3.
//! - rejected with [`VectorError::Untranslatable`] naming the clause: `match.text`,
//!   `values_count`, `is_empty`, `is_null`, `has_id`, `nested`, keys with `[]` or `[n]`, key
//!   segments containing `.` or starting with `$`.

use crate::vectors::VectorError;
use crate::vectors::filter::{
    AnyValues, Condition, FieldCondition, FieldPredicate, Filter, JsonPath, Match, MatchValue,
    MinShould,
};
use serde_json::{Map, Value, json};

type Result<T> = std::result::Result<T, VectorError>;

/// Most alternatives a `min_should` may expand to.
pub const MAX_MIN_SHOULD_ALTERNATIVES: usize = 64;

/// A translated filter.
#[derive(Clone, Debug, PartialEq)]
pub enum S3Filter {
    /// Every vector passes: send no filter.
    MatchAll,
    /// No vector can pass: answer with no results and do not call S3.
    MatchNone,
    /// The metadata filter document to send.
    Document(Value),
}

/// Translates a Qdrant filter for S3 Vectors `QueryVectors`.
pub fn to_s3_filter(filter: &Filter) -> Result<S3Filter> {
    translate_filter(filter, "filter", false)
}

fn untranslatable<T>(path: String, reason: &str) -> Result<T> {
    Err(VectorError::Untranslatable {
        path,
        reason: reason.to_string(),
    })
}

/// AND of parts, folding constants and flattening nested `$and`.
fn and(parts: Vec<S3Filter>) -> S3Filter {
    combine(parts, "$and", S3Filter::MatchAll, S3Filter::MatchNone)
}

/// OR of parts, folding constants and flattening nested `$or`.
fn or(parts: Vec<S3Filter>) -> S3Filter {
    combine(parts, "$or", S3Filter::MatchNone, S3Filter::MatchAll)
}

fn combine(parts: Vec<S3Filter>, op: &str, identity: S3Filter, absorbing: S3Filter) -> S3Filter {
    let mut docs = Vec::new();
    for part in parts {
        match part {
            p if p == absorbing => return absorbing,
            p if p == identity => {}
            S3Filter::Document(Value::Object(mut m)) if m.len() == 1 && m.contains_key(op) => {
                if let Some(Value::Array(items)) = m.remove(op) {
                    docs.extend(items);
                }
            }
            S3Filter::Document(d) => docs.push(d),
            _ => {}
        }
    }
    match docs.len() {
        0 => identity,
        1 => S3Filter::Document(docs.remove(0)),
        _ => S3Filter::Document(json!({ op: docs })),
    }
}

/// `neg` asks for the translation of NOT(filter).
fn translate_filter(f: &Filter, path: &str, neg: bool) -> Result<S3Filter> {
    let mut parts = Vec::new();
    if let Some(should) = &f.should {
        let items = translate_list(should, &format!("{path}.should"), neg)?;
        parts.push(if neg { and(items) } else { or(items) });
    }
    if let Some(ms) = &f.min_should {
        parts.push(translate_min_should(
            ms,
            &format!("{path}.min_should"),
            neg,
        )?);
    }
    if let Some(must) = &f.must {
        let items = translate_list(must, &format!("{path}.must"), neg)?;
        parts.push(if neg { or(items) } else { and(items) });
    }
    if let Some(must_not) = &f.must_not {
        let items = translate_list(must_not, &format!("{path}.must_not"), !neg)?;
        parts.push(if neg { or(items) } else { and(items) });
    }
    Ok(if neg { or(parts) } else { and(parts) })
}

fn translate_list(conds: &[Condition], path: &str, neg: bool) -> Result<Vec<S3Filter>> {
    conds
        .iter()
        .enumerate()
        .map(|(i, c)| translate_condition(c, &format!("{path}[{i}]"), neg))
        .collect()
}

/// At least `k` of `n` hold; negated: at least `n - k + 1` of the negations hold.
fn translate_min_should(ms: &MinShould, path: &str, neg: bool) -> Result<S3Filter> {
    let items = translate_list(&ms.conditions, &format!("{path}.conditions"), neg)?;
    let n = items.len();
    let k = if neg {
        (n + 1).saturating_sub(ms.min_count)
    } else {
        ms.min_count
    };
    match k {
        0 => Ok(S3Filter::MatchAll),
        k if k > n => Ok(S3Filter::MatchNone),
        1 => Ok(or(items)),
        k if k == n => Ok(and(items)),
        k => {
            if binomial(n, k) > MAX_MIN_SHOULD_ALTERNATIVES {
                return untranslatable(
                    path.to_string(),
                    "too many combinations of conditions to express with $and/$or",
                );
            }
            let mut alternatives = Vec::new();
            for_each_combination(n, k, &mut |picked| {
                alternatives.push(and(picked.iter().map(|&i| items[i].clone()).collect()));
            });
            Ok(or(alternatives))
        }
    }
}

fn binomial(n: usize, k: usize) -> usize {
    (0..k).fold(1usize, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

fn for_each_combination(n: usize, k: usize, f: &mut impl FnMut(&[usize])) {
    fn go(start: usize, n: usize, k: usize, picked: &mut Vec<usize>, f: &mut impl FnMut(&[usize])) {
        if picked.len() == k {
            f(picked);
            return;
        }
        for i in start..n {
            picked.push(i);
            go(i + 1, n, k, picked, f);
            picked.pop();
        }
    }
    go(0, n, k, &mut Vec::with_capacity(k), f);
}

fn translate_condition(c: &Condition, path: &str, neg: bool) -> Result<S3Filter> {
    match c {
        Condition::Field(fc) => translate_field(fc, path, neg),
        Condition::Filter(f) => translate_filter(f, path, neg),
        Condition::IsEmpty(_) => untranslatable(
            format!("{path}.is_empty"),
            "S3 Vectors metadata cannot hold null or empty lists, so is_empty has no equivalent",
        ),
        Condition::IsNull(_) => untranslatable(
            format!("{path}.is_null"),
            "S3 Vectors metadata cannot hold null, so is_null has no equivalent",
        ),
        Condition::HasId(_) => untranslatable(
            format!("{path}.has_id"),
            "S3 Vectors filters apply to metadata only and cannot select vector keys",
        ),
        Condition::Nested(_) => untranslatable(
            format!("{path}.nested"),
            "S3 Vectors cannot filter on the elements of an array of objects",
        ),
    }
}

/// The flattened metadata key for a payload path.
fn s3_key(key: &JsonPath, path: &str) -> Result<String> {
    let Some(segments) = key.plain_segments() else {
        return untranslatable(
            format!("{path}.key"),
            &format!(
                "'{key}' projects into arrays, which S3 Vectors metadata filters cannot express"
            ),
        );
    };
    if let Some(bad) = segments
        .iter()
        .find(|s| s.contains('.') || s.starts_with('$'))
    {
        return untranslatable(
            format!("{path}.key"),
            &format!("the key segment '{bad}' cannot be named in an S3 Vectors filter"),
        );
    }
    Ok(segments.join("."))
}

fn on(key: &str, op: &str, v: Value) -> S3Filter {
    S3Filter::Document(json!({ key: { op: v } }))
}

fn exists(key: &str, present: bool) -> S3Filter {
    on(key, "$exists", Value::Bool(present))
}

fn scalar(v: &MatchValue) -> Value {
    match v {
        MatchValue::Str(s) => json!(s),
        MatchValue::Int(i) => json!(i),
        MatchValue::Bool(b) => json!(b),
    }
}

fn list(l: &AnyValues) -> Value {
    match l {
        AnyValues::Strings(v) => json!(v),
        AnyValues::Integers(v) => json!(v),
    }
}

fn translate_field(fc: &FieldCondition, path: &str, neg: bool) -> Result<S3Filter> {
    let key = s3_key(&fc.key, path)?;
    let k = key.as_str();
    Ok(match (&fc.predicate, neg) {
        (FieldPredicate::Match(Match::Value(v)), false) => on(k, "$eq", scalar(v)),
        (FieldPredicate::Match(Match::Value(v)), true) => {
            or(vec![exists(k, false), on(k, "$ne", scalar(v))])
        }
        (FieldPredicate::Match(Match::Any(l)), false) if l.is_empty() => S3Filter::MatchNone,
        (FieldPredicate::Match(Match::Any(l)), true) if l.is_empty() => S3Filter::MatchAll,
        (FieldPredicate::Match(Match::Any(l)), false) => on(k, "$in", list(l)),
        (FieldPredicate::Match(Match::Any(l)), true) => {
            or(vec![exists(k, false), on(k, "$nin", list(l))])
        }
        (FieldPredicate::Match(Match::Except(l)), false) if l.is_empty() => exists(k, true),
        (FieldPredicate::Match(Match::Except(l)), true) if l.is_empty() => exists(k, false),
        (FieldPredicate::Match(Match::Except(l)), false) => {
            and(vec![exists(k, true), on(k, "$nin", list(l))])
        }
        (FieldPredicate::Match(Match::Except(l)), true) => {
            or(vec![exists(k, false), on(k, "$in", list(l))])
        }
        (FieldPredicate::Match(Match::Text(_)), _) => {
            return untranslatable(
                format!("{path}.match.text"),
                "substring matching has no S3 Vectors operator",
            );
        }
        (FieldPredicate::ValuesCount(_), _) => {
            return untranslatable(
                format!("{path}.values_count"),
                "S3 Vectors filters cannot count the values of a key",
            );
        }
        (FieldPredicate::Range(r), false) => {
            let mut ops = Map::new();
            for (op, b) in [
                ("$gt", r.gt),
                ("$gte", r.gte),
                ("$lt", r.lt),
                ("$lte", r.lte),
            ] {
                if let Some(b) = b {
                    ops.insert(op.into(), json!(b));
                }
            }
            if ops.is_empty() {
                // Qdrant: any number passes; every finite number is >= f64::MIN.
                ops.insert("$gte".into(), json!(f64::MIN));
            }
            S3Filter::Document(json!({ k: ops }))
        }
        (FieldPredicate::Range(r), true) => {
            let mut alternatives = vec![exists(k, false)];
            for (op, b) in [
                ("$lte", r.gt),
                ("$lt", r.gte),
                ("$gte", r.lt),
                ("$gt", r.lte),
            ] {
                if let Some(b) = b {
                    alternatives.push(on(k, op, json!(b)));
                }
            }
            or(alternatives)
        }
    })
}

#[cfg(test)]
mod tests;
