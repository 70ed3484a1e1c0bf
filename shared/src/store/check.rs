//! Request validation shared by both engines, so the embedded engine refuses what DynamoDB
//! would refuse and a protocol that passes locally does not fail in the cloud.

use super::{
    Attr, Cond, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, PK, Query, SK, SkRange, StoreError,
    StoreResult, Table, TxOp, Update,
};
use std::collections::HashSet;

/// DynamoDB's TransactWriteItems limit.
pub(crate) const MAX_TX_OPS: usize = 100;
/// DynamoDB's item size limit.
pub(crate) const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Largest page a query may ask for.
pub(crate) const MAX_QUERY_LIMIT: usize = 1000;
const MAX_PK_BYTES: usize = 2048;
const MAX_SK_BYTES: usize = 1024;

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

/// A primary key: both parts non-empty and within DynamoDB's length limits.
pub(crate) fn key(key: &Key) -> StoreResult<()> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(invalid("pk and sk must be non-empty"));
    }
    if key.pk.len() > MAX_PK_BYTES || key.sk.len() > MAX_SK_BYTES {
        return Err(invalid("key too long"));
    }
    Ok(())
}

/// The type rules for attributes that are keys or the TTL.
fn attr(name: &str, v: &Attr) -> StoreResult<()> {
    if name.is_empty() {
        return Err(invalid("empty attribute name"));
    }
    match (name, v) {
        (PK | SK | GSI1PK | GSI1SK, Attr::S(s)) if s.is_empty() => {
            Err(invalid(format!("{name} must be a non-empty string")))
        }
        (PK | SK | GSI1PK | GSI1SK, Attr::S(_)) => Ok(()),
        (PK | SK | GSI1PK | GSI1SK, _) => Err(invalid(format!("{name} must be a string"))),
        (EXPIRES_AT, Attr::N(_)) => Ok(()),
        (EXPIRES_AT, _) => Err(invalid("expires_at must be a number")),
        _ => Ok(()),
    }
}

/// A whole item as written: key present, key/TTL types right, within the size limit.
pub(crate) fn item(item: &Item) -> StoreResult<Key> {
    let k = item
        .key()
        .ok_or_else(|| invalid("item needs string pk and sk"))?;
    key(&k)?;
    for (name, v) in &item.0 {
        attr(name, v)?;
    }
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(invalid("item larger than 400 KB"));
    }
    Ok(k)
}

/// DynamoDB's size accounting: name bytes plus value bytes; numbers about one byte per two
/// digits plus one.
pub(crate) fn item_size(item: &Item) -> usize {
    item.0
        .iter()
        .map(|(name, v)| {
            name.len()
                + match v {
                    Attr::S(s) => s.len(),
                    Attr::B(b) => b.len(),
                    Attr::N(n) => n.unsigned_abs().checked_ilog10().unwrap_or(0) as usize / 2 + 2,
                    Attr::Bool(_) => 1,
                }
        })
        .sum()
}

/// An update list: non-empty, one action per attribute, never on `pk` / `sk`.
pub(crate) fn updates(updates: &[Update]) -> StoreResult<()> {
    if updates.is_empty() {
        return Err(invalid("update needs at least one action"));
    }
    let mut seen = HashSet::new();
    for u in updates {
        let (name, v) = match u {
            Update::Set(n, v) | Update::SetIfAbsent(n, v) => (n, Some(v)),
            Update::Add(n, _) | Update::Remove(n) => (n, None),
        };
        if name == PK || name == SK {
            return Err(invalid(format!("cannot update key attribute {name}")));
        }
        if !seen.insert(name.as_str()) {
            return Err(invalid(format!("two actions on attribute {name}")));
        }
        match (u, v) {
            (_, Some(v)) => attr(name, v)?,
            (Update::Add(..), _) if matches!(name.as_str(), GSI1PK | GSI1SK) => {
                return Err(invalid(format!("{name} must be a string")));
            }
            _ if name.is_empty() => return Err(invalid("empty attribute name")),
            _ => {}
        }
    }
    Ok(())
}

/// A condition: attribute names non-empty, `And` / `Or` non-empty.
pub(crate) fn cond(c: &Cond) -> StoreResult<()> {
    match c {
        Cond::Exists | Cond::NotExists => Ok(()),
        Cond::Eq(n, _)
        | Cond::Ne(n, _)
        | Cond::Ge(n, _)
        | Cond::Le(n, _)
        | Cond::Lt(n, _)
        | Cond::Gt(n, _)
        | Cond::AttrExists(n)
        | Cond::AttrNotExists(n) => {
            if n.is_empty() {
                Err(invalid("empty attribute name in condition"))
            } else {
                Ok(())
            }
        }
        Cond::And(cs) | Cond::Or(cs) => {
            if cs.is_empty() {
                return Err(invalid("empty And / Or condition"));
            }
            cs.iter().try_for_each(cond)
        }
    }
}

/// An optional condition.
pub(crate) fn opt_cond(c: Option<&Cond>) -> StoreResult<()> {
    c.map_or(Ok(()), cond)
}

/// A transaction: at most 100 ops, each valid, on distinct items.
pub(crate) fn tx(ops: &[TxOp]) -> StoreResult<()> {
    if ops.len() > MAX_TX_OPS {
        return Err(invalid(format!(
            "transaction has {} ops (max 100)",
            ops.len()
        )));
    }
    // At most 100 ops: a scan of those before each is cheaper than hashing every key.
    let mut seen: Vec<(Table, Key)> = Vec::with_capacity(ops.len());
    for op in ops {
        let (table, k) = match op {
            TxOp::Put {
                table,
                item: it,
                cond: c,
            } => {
                opt_cond(c.as_ref())?;
                (*table, item(it)?)
            }
            TxOp::Update {
                table,
                key: k,
                updates: u,
                cond: c,
            } => {
                key(k)?;
                updates(u)?;
                opt_cond(c.as_ref())?;
                (*table, k.clone())
            }
            TxOp::Delete {
                table,
                key: k,
                cond: c,
            } => {
                key(k)?;
                opt_cond(c.as_ref())?;
                (*table, k.clone())
            }
            TxOp::Check {
                table,
                key: k,
                cond: c,
            } => {
                key(k)?;
                cond(c)?;
                (*table, k.clone())
            }
        };
        if seen.iter().any(|(t, key)| *t == table && *key == k) {
            return Err(invalid("transaction names one item twice"));
        }
        seen.push((table, k));
    }
    Ok(())
}

/// A query: sane limit, an index the table has, a well-ordered range.
pub(crate) fn query(q: &Query) -> StoreResult<()> {
    if q.limit == 0 || q.limit > MAX_QUERY_LIMIT {
        return Err(invalid("query limit must be 1..=1000"));
    }
    if q.gsi1 && !q.table.has_gsi1() {
        return Err(invalid(format!("table {} has no gsi1", q.table.name())));
    }
    if q.pk.is_empty() {
        return Err(invalid("query pk must be non-empty"));
    }
    if let SkRange::Between(a, b) = &q.sk
        && (a.is_empty() || a > b)
    {
        return Err(invalid(
            "between needs a non-empty lower bound <= upper bound",
        ));
    }
    Ok(())
}

/// Whether adding `d` to the attribute keeps it an i64 (absent or non-number counts as 0).
#[cfg(feature = "embedded")]
pub(crate) fn add_fits(item: &Item, name: &str, d: i64) -> StoreResult<()> {
    match item.get(name) {
        None => Ok(()),
        Some(Attr::N(cur)) => cur
            .checked_add(d)
            .map(|_| ())
            .ok_or_else(|| invalid(format!("ADD overflows {name}"))),
        Some(_) => Err(invalid(format!("ADD on non-number attribute {name}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Table;

    #[test]
    fn rejects_bad_items() {
        let k = Key::new("p", "s");
        assert!(item(&Item::new(&k)).is_ok());
        assert!(item(&Item::new(&Key::new("", "s"))).is_err());
        assert!(item(&Item::new(&k).with(GSI1PK, 3)).is_err());
        assert!(item(&Item::new(&k).with(GSI1SK, "")).is_err());
        assert!(item(&Item::new(&k).with(EXPIRES_AT, "soon")).is_err());
        assert!(item(&Item::new(&k).with("blob", vec![0u8; MAX_ITEM_BYTES])).is_err());
        assert!(item(&Item::default()).is_err());
    }

    #[test]
    fn rejects_bad_updates() {
        assert!(updates(&[]).is_err());
        assert!(updates(&[Update::set(PK, "x")]).is_err());
        assert!(updates(&[Update::add("a", 1), Update::remove("a")]).is_err());
        assert!(updates(&[Update::add(GSI1PK, 1)]).is_err());
        assert!(updates(&[Update::add("a", 1), Update::set("b", 2)]).is_ok());
    }

    #[test]
    fn rejects_bad_tx_and_queries() {
        let k = Key::new("p", "s");
        let check = |k: &Key| TxOp::Check {
            table: Table::Accounts,
            key: k.clone(),
            cond: Cond::Exists,
        };
        assert!(tx(&[check(&k), check(&k)]).is_err());
        let many: Vec<_> = (0..101)
            .map(|i| check(&Key::new("p", i.to_string())))
            .collect();
        assert!(tx(&many).is_err());
        assert!(tx(&many[..100]).is_ok());
        assert!(query(&Query::new(Table::Ledger, "p").gsi1()).is_err());
        assert!(query(&Query::new(Table::Keys, "p").gsi1()).is_ok());
        assert!(query(&Query::new(Table::Keys, "p").limit(0)).is_err());
        assert!(query(&Query::new(Table::Keys, "p").between("b", "a")).is_err());
    }

    #[test]
    fn add_overflow_is_refused() {
        let it = Item::new(&Key::new("p", "s"))
            .with("n", i64::MAX)
            .with("s", "x");
        assert!(add_fits(&it, "n", 1).is_err());
        assert!(add_fits(&it, "n", -1).is_ok());
        assert!(add_fits(&it, "s", 1).is_err());
        assert!(add_fits(&it, "absent", 1).is_ok());
    }
}
