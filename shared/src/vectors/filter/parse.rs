//! JSON → [`Filter`], with errors that name the offending clause (`filter.must[1].range: …`).

use super::{
    AnyValues, Condition, FieldCondition, FieldPredicate, Filter, JsonPath, Match, MatchValue,
    MinShould, NestedCondition, Range, ValuesCount,
};
use crate::vectors::{PointId, VectorError, json_type};
use serde_json::{Map, Value};
use std::collections::HashSet;

type Result<T> = std::result::Result<T, VectorError>;

const FILTER_KEYS: [&str; 4] = ["must", "should", "must_not", "min_should"];
const UNSUPPORTED_FIELD_KEYS: [&str; 5] = [
    "geo_radius",
    "geo_bounding_box",
    "geo_polygon",
    "datetime_range",
    "has_vector",
];

impl Filter {
    /// Parses a Qdrant filter; `path` names it in errors (usually `"filter"`).
    pub fn from_json(v: &Value, path: &str) -> Result<Filter> {
        parse_filter(v, path, false)
    }
}

fn err<T>(msg: String) -> Result<T> {
    Err(VectorError::Invalid(msg))
}

fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| {
        VectorError::Invalid(format!("{path} must be an object, got {}", json_type(v)))
    })
}

fn reject_unknown(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<()> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => err(format!("{path}: unknown key '{k}'")),
        None => Ok(()),
    }
}

fn parse_filter(v: &Value, path: &str, nested: bool) -> Result<Filter> {
    let obj = as_object(v, path)?;
    reject_unknown(obj, &FILTER_KEYS, path)?;
    let list = |k: &str| parse_list(obj.get(k), &format!("{path}.{k}"), nested);
    Ok(Filter {
        must: list("must")?,
        should: list("should")?,
        must_not: list("must_not")?,
        min_should: match obj.get("min_should") {
            None | Some(Value::Null) => None,
            Some(ms) => Some(parse_min_should(ms, &format!("{path}.min_should"), nested)?),
        },
    })
}

/// A clause list: an array of conditions, one condition object, or null.
fn parse_list(v: Option<&Value>, path: &str, nested: bool) -> Result<Option<Vec<Condition>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, c)| parse_condition(c, &format!("{path}[{i}]"), nested))
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(c @ Value::Object(_)) => Ok(Some(vec![parse_condition(c, path, nested)?])),
        Some(other) => err(format!(
            "{path} must be an array of conditions, got {}",
            json_type(other)
        )),
    }
}

fn parse_min_should(v: &Value, path: &str, nested: bool) -> Result<MinShould> {
    let obj = as_object(v, path)?;
    reject_unknown(obj, &["conditions", "min_count"], path)?;
    let conditions = match obj.get("conditions") {
        Some(Value::Array(_)) => {
            parse_list(obj.get("conditions"), &format!("{path}.conditions"), nested)?
        }
        _ => return err(format!("{path}.conditions must be an array of conditions")),
    };
    let min_count = obj
        .get("min_count")
        .and_then(Value::as_u64)
        .ok_or_else(|| {
            VectorError::Invalid(format!("{path}.min_count must be a non-negative integer"))
        })?;
    Ok(MinShould {
        conditions: conditions.unwrap_or_default(),
        min_count: usize::try_from(min_count).unwrap_or(usize::MAX),
    })
}

fn parse_condition(v: &Value, path: &str, nested: bool) -> Result<Condition> {
    let obj = as_object(v, path)?;
    if obj.contains_key("key") {
        return parse_field(obj, path).map(Condition::Field);
    }
    let special = ["is_empty", "is_null", "has_id", "nested", "has_vector"];
    if let Some(kind) = special.iter().find(|k| obj.contains_key(**k)) {
        reject_unknown(obj, &[kind], path)?;
        let inner = &obj[*kind];
        let inner_path = format!("{path}.{kind}");
        return match *kind {
            "is_empty" => Ok(Condition::IsEmpty(parse_key_object(inner, &inner_path)?)),
            "is_null" => Ok(Condition::IsNull(parse_key_object(inner, &inner_path)?)),
            "has_id" if nested => err(format!(
                "{path}: has_id is not supported inside a nested filter; put it next to the nested condition"
            )),
            "has_id" => parse_has_id(inner, &inner_path),
            "nested" => parse_nested(inner, &inner_path),
            _ => err(format!("{path}: has_vector conditions are not supported")),
        };
    }
    parse_filter(v, path, nested).map(|f| Condition::Filter(Box::new(f)))
}

fn parse_key(v: Option<&Value>, path: &str) -> Result<JsonPath> {
    let Some(Value::String(s)) = v else {
        return err(format!("{path}.key must be a string"));
    };
    JsonPath::parse(s).ok_or_else(|| {
        VectorError::Invalid(format!(
            "{path}.key: invalid key '{s}' (use dots, [] or [n]; quote other characters)"
        ))
    })
}

fn parse_key_object(v: &Value, path: &str) -> Result<JsonPath> {
    let obj = as_object(v, path)?;
    reject_unknown(obj, &["key"], path)?;
    parse_key(obj.get("key"), path)
}

fn parse_has_id(v: &Value, path: &str) -> Result<Condition> {
    let Value::Array(items) = v else {
        return err(format!(
            "{path} must be an array of point ids, got {}",
            json_type(v)
        ));
    };
    let ids = items
        .iter()
        .enumerate()
        .map(|(i, id)| PointId::from_json(id, &format!("{path}[{i}]")))
        .collect::<Result<HashSet<_>>>()?;
    Ok(Condition::HasId(ids))
}

fn parse_nested(v: &Value, path: &str) -> Result<Condition> {
    let obj = as_object(v, path)?;
    reject_unknown(obj, &["key", "filter"], path)?;
    let key = parse_key(obj.get("key"), path)?;
    let Some(f) = obj.get("filter") else {
        return err(format!("{path}.filter is required"));
    };
    let filter = parse_filter(f, &format!("{path}.filter"), true)?;
    Ok(Condition::Nested(Box::new(NestedCondition { key, filter })))
}

fn parse_field(obj: &Map<String, Value>, path: &str) -> Result<FieldCondition> {
    if let Some(k) = UNSUPPORTED_FIELD_KEYS
        .iter()
        .find(|k| obj.contains_key(**k))
    {
        return err(format!("{path}: '{k}' conditions are not supported"));
    }
    for k in ["is_empty", "is_null"] {
        if obj.contains_key(k) {
            return err(format!(
                "{path}: write {{\"{k}\": {{\"key\": ...}}}} instead of '{k}' next to 'key'"
            ));
        }
    }
    reject_unknown(obj, &["key", "match", "range", "values_count"], path)?;
    let key = parse_key(obj.get("key"), path)?;
    let mut preds = ["match", "range", "values_count"]
        .into_iter()
        .filter(|k| obj.get(*k).is_some_and(|v| !v.is_null()));
    let (Some(kind), None) = (preds.next(), preds.next()) else {
        return err(format!(
            "{path}: a field condition needs exactly one of 'match', 'range', 'values_count'"
        ));
    };
    let inner = &obj[kind];
    let inner_path = format!("{path}.{kind}");
    let predicate = match kind {
        "match" => FieldPredicate::Match(parse_match(inner, &inner_path)?),
        "range" => FieldPredicate::Range(parse_range(inner, &inner_path)?),
        _ => FieldPredicate::ValuesCount(parse_values_count(inner, &inner_path)?),
    };
    Ok(FieldCondition { key, predicate })
}

fn parse_match(v: &Value, path: &str) -> Result<Match> {
    let obj = as_object(v, path)?;
    for k in ["phrase", "text_any"] {
        if obj.contains_key(k) {
            return err(format!(
                "{path}: '{k}' matching is not supported; use 'text'"
            ));
        }
    }
    reject_unknown(obj, &["value", "any", "except", "text"], path)?;
    if obj.len() != 1 {
        return err(format!(
            "{path}: expected exactly one of 'value', 'any', 'except', 'text'"
        ));
    }
    let (kind, inner) = obj
        .iter()
        .next()
        .map(|(k, v)| (k.as_str(), v))
        .unwrap_or(("", v));
    let inner_path = format!("{path}.{kind}");
    match kind {
        "value" => parse_match_value(inner, &inner_path).map(Match::Value),
        "any" => parse_any(inner, &inner_path).map(Match::Any),
        "except" => parse_any(inner, &inner_path).map(Match::Except),
        _ => match inner {
            Value::String(s) => Ok(Match::Text(s.clone())),
            other => err(format!(
                "{inner_path} must be a string, got {}",
                json_type(other)
            )),
        },
    }
}

fn parse_match_value(v: &Value, path: &str) -> Result<MatchValue> {
    match v {
        Value::String(s) => Ok(MatchValue::Str(s.clone())),
        Value::Bool(b) => Ok(MatchValue::Bool(*b)),
        Value::Number(n) => n.as_i64().map(MatchValue::Int).ok_or_else(|| {
            VectorError::Invalid(format!(
                "{path} must be a string, an integer or a boolean, got {n} (use 'range' for decimals)"
            ))
        }),
        other => err(format!(
            "{path} must be a string, an integer or a boolean, got {}",
            json_type(other)
        )),
    }
}

fn parse_any(v: &Value, path: &str) -> Result<AnyValues> {
    let Value::Array(items) = v else {
        return err(format!("{path} must be an array, got {}", json_type(v)));
    };
    if items.iter().all(Value::is_string) {
        let strings = items.iter().filter_map(Value::as_str).map(str::to_string);
        return Ok(AnyValues::Strings(strings.collect()));
    }
    let ints: Option<Vec<i64>> = items.iter().map(Value::as_i64).collect();
    ints.map(AnyValues::Integers).ok_or_else(|| {
        VectorError::Invalid(format!(
            "{path} must be an array of strings or an array of integers"
        ))
    })
}

fn bound_f64(obj: &Map<String, Value>, k: &str, path: &str) -> Result<Option<f64>> {
    match obj.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64().filter(|x| x.is_finite())),
        Some(other) => err(format!(
            "{path}.{k} must be a number, got {}",
            json_type(other)
        )),
    }
}

fn parse_range(v: &Value, path: &str) -> Result<Range> {
    let obj = as_object(v, path)?;
    reject_unknown(obj, &["gt", "gte", "lt", "lte"], path)?;
    Ok(Range {
        gt: bound_f64(obj, "gt", path)?,
        gte: bound_f64(obj, "gte", path)?,
        lt: bound_f64(obj, "lt", path)?,
        lte: bound_f64(obj, "lte", path)?,
    })
}

fn parse_values_count(v: &Value, path: &str) -> Result<ValuesCount> {
    let obj = as_object(v, path)?;
    reject_unknown(obj, &["gt", "gte", "lt", "lte"], path)?;
    let bound = |k: &str| -> Result<Option<usize>> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => {
                Ok(n.as_u64().map(|x| usize::try_from(x).unwrap_or(usize::MAX)))
            }
            Some(other) => err(format!(
                "{path}.{k} must be a non-negative integer, got {other}"
            )),
        }
    };
    Ok(ValuesCount {
        gt: bound("gt")?,
        gte: bound("gte")?,
        lt: bound("lt")?,
        lte: bound("lte")?,
    })
}
