//! Contract checks on single-item reads and writes: round trips, conditions, updates.

use super::{CheckResult, expect_condition_failed, expect_invalid, ok, scope};
use crate::store::{
    Attr, Cond, EXPIRES_AT, Item, Key, PK, Query, StoreRef, Table, TxOp, Update, now_secs,
};

/// Every attribute kind survives put → get; put replaces the whole item; tables are separate.
pub async fn round_trip(s: StoreRef) -> CheckResult {
    let k = Key::new(scope("round_trip"), "item");
    let got = ok(s.get(Table::Accounts, &k).await, "get absent")?;
    ensure!(got.is_none(), "absent item was found: {got:?}");
    let item = Item::new(&k)
        .with("s", "héllo ☃ \"quoted\"")
        .with("empty", "")
        .with("zero", 0)
        .with("neg", -42)
        .with("max", i64::MAX)
        .with("min", i64::MIN)
        .with("t", true)
        .with("f", false)
        .with("bytes", vec![0u8, 1, 127, 128, 254, 255])
        .with("json", r#"{"a":[1,2],"b":null}"#)
        .with("dotted.name", "x")
        .with(EXPIRES_AT, now_secs() + 3600);
    ok(s.put(Table::Accounts, item.clone(), None).await, "put")?;
    let got = ok(s.get(Table::Accounts, &k).await, "get")?;
    ensure!(
        got.as_ref() == Some(&item),
        "round trip changed the item: {got:?}"
    );

    let smaller = Item::new(&k).with("only", 1);
    ok(
        s.put(Table::Accounts, smaller.clone(), None).await,
        "replace",
    )?;
    let got = ok(s.get(Table::Accounts, &k).await, "get replaced")?;
    ensure!(
        got.as_ref() == Some(&smaller),
        "put did not replace: {got:?}"
    );

    let other = ok(s.get(Table::Keys, &k).await, "get other table")?;
    ensure!(other.is_none(), "item leaked into another table: {other:?}");
    Ok(())
}

/// `put` with `NotExists` creates once and then conflicts; `Exists` needs the item.
pub async fn put_if_absent(s: StoreRef) -> CheckResult {
    let p = scope("put_if_absent");
    let (k, k2) = (Key::new(&p, "a"), Key::new(&p, "b"));
    let first = Item::new(&k).with("v", 1);
    ok(
        s.put(Table::Idempotency, first.clone(), Some(Cond::NotExists))
            .await,
        "first put",
    )?;
    let second = s
        .put(
            Table::Idempotency,
            Item::new(&k).with("v", 2),
            Some(Cond::NotExists),
        )
        .await;
    expect_condition_failed(second, "second put-if-absent")?;
    let got = ok(s.get(Table::Idempotency, &k).await, "get")?;
    ensure!(
        got.as_ref() == Some(&first),
        "losing put changed the item: {got:?}"
    );

    let r = s
        .put(Table::Idempotency, Item::new(&k2), Some(Cond::Exists))
        .await;
    expect_condition_failed(r, "put-if-exists on an absent item")?;
    let got = ok(s.get(Table::Idempotency, &k2).await, "get absent")?;
    ensure!(got.is_none(), "failed put created the item: {got:?}");

    let third = Item::new(&k).with("v", 3);
    ok(
        s.put(Table::Idempotency, third.clone(), Some(Cond::Exists))
            .await,
        "put-if-exists",
    )?;
    let got = ok(
        s.get(Table::Idempotency, &k).await,
        "get after put-if-exists",
    )?;
    ensure!(
        got.as_ref() == Some(&third),
        "put-if-exists did not replace: {got:?}"
    );
    Ok(())
}

/// `update` creates an absent item, `Add` counts from 0, the result is the new item.
pub async fn update_add_creates(s: StoreRef) -> CheckResult {
    let k = Key::new(scope("update_add"), "acct");
    let got = ok(
        s.update(Table::Accounts, &k, &[Update::add("balance", 5)], None)
            .await,
        "first add",
    )?;
    let want = Item::new(&k).with("balance", 5);
    ensure!(got == want, "add on absent item returned {got:?}");
    let got = ok(
        s.update(
            Table::Accounts,
            &k,
            &[Update::add("balance", -7), Update::set("tier", "pro")],
            None,
        )
        .await,
        "second update",
    )?;
    let want = want.with("balance", -2).with("tier", "pro");
    ensure!(got == want, "update returned {got:?}");
    let stored = ok(s.get(Table::Accounts, &k).await, "get")?;
    ensure!(
        stored.as_ref() == Some(&want),
        "stored item differs: {stored:?}"
    );
    Ok(())
}

/// A conditional update whose condition fails writes nothing, and does not create the item.
pub async fn failed_update_changes_nothing(s: StoreRef) -> CheckResult {
    let p = scope("failed_update");
    let k = Key::new(&p, "acct");
    let item = Item::new(&k).with("balance", 10).with("tier", "free");
    ok(s.put(Table::Accounts, item.clone(), None).await, "put")?;
    let r = s
        .update(
            Table::Accounts,
            &k,
            &[Update::add("balance", -20), Update::set("tier", "x")],
            Some(Cond::ge("balance", 20)),
        )
        .await;
    expect_condition_failed(r, "overdraw")?;
    let got = ok(s.get(Table::Accounts, &k).await, "get")?;
    ensure!(
        got.as_ref() == Some(&item),
        "failed update changed the item: {got:?}"
    );

    let absent = Key::new(&p, "absent");
    let r = s
        .update(
            Table::Accounts,
            &absent,
            &[Update::add("n", 1)],
            Some(Cond::Exists),
        )
        .await;
    expect_condition_failed(r, "update-if-exists on absent item")?;
    let got = ok(s.get(Table::Accounts, &absent).await, "get absent")?;
    ensure!(got.is_none(), "failed update created the item: {got:?}");
    Ok(())
}

/// Every condition kind, true and false, on a present item and on an absent one.
pub async fn conditions(s: StoreRef) -> CheckResult {
    let p = scope("conditions");
    let k = Key::new(&p, "item");
    let item = Item::new(&k)
        .with("n", 5)
        .with("s", "a")
        .with("t", true)
        .with("b", vec![1u8, 2]);
    ok(s.put(Table::Accounts, item, None).await, "put")?;
    let s_is = |v: &str| Cond::eq("s", v);
    let present: Vec<(Cond, bool)> = vec![
        (Cond::Exists, true),
        (Cond::NotExists, false),
        (Cond::eq("n", 5), true),
        (Cond::eq("n", 6), false),
        (Cond::eq("n", "5"), false),
        (s_is("a"), true),
        (s_is("b"), false),
        (Cond::eq("t", true), true),
        (Cond::eq("t", false), false),
        (Cond::eq("b", vec![1u8, 2]), true),
        (Cond::eq("b", vec![1u8]), false),
        (Cond::eq("missing", "a"), false),
        (Cond::Ne("s".into(), Attr::from("a")), false),
        (Cond::Ne("s".into(), Attr::from("b")), true),
        (Cond::Ne("missing".into(), Attr::from("a")), true),
        (Cond::ge("n", 5), true),
        (Cond::ge("n", 6), false),
        (Cond::le("n", 5), true),
        (Cond::le("n", 4), false),
        (Cond::lt("n", 6), true),
        (Cond::lt("n", 5), false),
        (Cond::Gt("n".into(), 4), true),
        (Cond::Gt("n".into(), 5), false),
        (Cond::ge("missing", i64::MIN), false),
        (Cond::AttrExists("s".into()), true),
        (Cond::AttrExists("missing".into()), false),
        (Cond::AttrNotExists("missing".into()), true),
        (Cond::AttrNotExists("s".into()), false),
        (Cond::And(vec![Cond::ge("n", 1), s_is("a")]), true),
        (Cond::And(vec![Cond::ge("n", 1), s_is("b")]), false),
        (Cond::Or(vec![s_is("b"), Cond::le("n", 5)]), true),
        (Cond::Or(vec![s_is("b"), Cond::lt("n", 5)]), false),
        (
            Cond::And(vec![
                Cond::Exists,
                Cond::Or(vec![s_is("x"), Cond::AttrNotExists("gone".into())]),
            ]),
            true,
        ),
    ];
    let mut passed = 0;
    for (cond, want) in present {
        let r = s
            .update(
                Table::Accounts,
                &k,
                &[Update::add("probe", 1)],
                Some(cond.clone()),
            )
            .await;
        match (want, r) {
            (true, Ok(_)) => passed += 1,
            (false, r) => expect_condition_failed(r, &format!("{cond:?} on present item"))?,
            (true, Err(e)) => {
                return Err(format!("{cond:?} on present item: expected true, got {e}"));
            }
        }
    }
    let got = ok(s.get(Table::Accounts, &k).await, "get")?;
    let probes = got.as_ref().and_then(|i| i.n("probe"));
    ensure!(
        probes == Some(passed),
        "probe counter {probes:?}, want {passed}"
    );

    let absent: Vec<(Cond, bool)> = vec![
        (Cond::Exists, false),
        (Cond::NotExists, true),
        (Cond::eq("x", 1), false),
        (Cond::Ne("x".into(), Attr::N(1)), true),
        (Cond::ge("x", i64::MIN), false),
        (Cond::AttrExists("x".into()), false),
        (Cond::AttrNotExists("x".into()), true),
        (
            Cond::Or(vec![Cond::Exists, Cond::AttrNotExists(PK.into())]),
            true,
        ),
    ];
    let nothing = Key::new(&p, "absent");
    for (cond, want) in absent {
        let r = s
            .delete(Table::Accounts, &nothing, Some(cond.clone()))
            .await;
        match (want, r) {
            (true, Ok(())) => {}
            (false, r) => expect_condition_failed(r, &format!("{cond:?} on absent item"))?,
            (true, Err(e)) => {
                return Err(format!("{cond:?} on absent item: expected true, got {e}"));
            }
        }
    }
    Ok(())
}

/// `SetIfAbsent` keeps the first value, `Set` overwrites, `Remove` drops (absent is fine).
pub async fn set_if_absent_and_remove(s: StoreRef) -> CheckResult {
    let k = Key::new(scope("set_if_absent"), "item");
    let t = Table::RateLimits;
    let first = [
        Update::set_if_absent("created", 100),
        Update::add("hits", 1),
    ];
    ok(s.update(t, &k, &first, None).await, "first")?;
    let again = [
        Update::set_if_absent("created", 200),
        Update::add("hits", 1),
    ];
    let got = ok(s.update(t, &k, &again, None).await, "second")?;
    ensure!(
        got.n("created") == Some(100),
        "SetIfAbsent overwrote: {got:?}"
    );
    ensure!(got.n("hits") == Some(2), "hits: {got:?}");
    let got = ok(
        s.update(t, &k, &[Update::set("created", 300)], None).await,
        "set",
    )?;
    ensure!(
        got.n("created") == Some(300),
        "Set did not overwrite: {got:?}"
    );
    let got = ok(
        s.update(
            t,
            &k,
            &[Update::remove("created"), Update::remove("never")],
            None,
        )
        .await,
        "remove",
    )?;
    let want = Item::new(&k).with("hits", 2);
    ensure!(got == want, "after remove: {got:?}");
    let stored = ok(s.get(t, &k).await, "get")?;
    ensure!(
        stored.as_ref() == Some(&want),
        "stored after remove: {stored:?}"
    );
    Ok(())
}

/// `delete` honours its condition; deleting an absent item succeeds.
pub async fn delete_if(s: StoreRef) -> CheckResult {
    let p = scope("delete_if");
    let k = Key::new(&p, "hold");
    ok(
        s.put(Table::Holds, Item::new(&k).with("state", "open"), None)
            .await,
        "put",
    )?;
    let r = s
        .delete(Table::Holds, &k, Some(Cond::eq("state", "closed")))
        .await;
    expect_condition_failed(r, "delete with false condition")?;
    let got = ok(s.get(Table::Holds, &k).await, "get")?;
    ensure!(got.is_some(), "failed delete removed the item");
    ok(
        s.delete(Table::Holds, &k, Some(Cond::eq("state", "open")))
            .await,
        "delete",
    )?;
    let got = ok(s.get(Table::Holds, &k).await, "get deleted")?;
    ensure!(got.is_none(), "deleted item still there: {got:?}");
    ok(s.delete(Table::Holds, &k, None).await, "delete absent")?;
    let r = s.delete(Table::Holds, &k, Some(Cond::Exists)).await;
    expect_condition_failed(r, "delete-if-exists on absent item")
}

/// Malformed requests are refused as `Invalid` by every engine, before anything is written.
pub async fn invalid_requests(s: StoreRef) -> CheckResult {
    let p = scope("invalid");
    let k = Key::new(&p, "item");
    let q = Query::new(Table::Ledger, &p);
    expect_invalid(s.query(q.clone().limit(0)).await, "limit 0")?;
    expect_invalid(s.query(q.clone().limit(1001)).await, "limit 1001")?;
    expect_invalid(
        s.query(q.clone().gsi1()).await,
        "gsi1 on a table without it",
    )?;
    let bad = Some("not a cursor".to_owned());
    expect_invalid(s.query(q.clone().cursor(bad)).await, "garbage cursor")?;
    let r = s
        .update(Table::Accounts, &k, &[Update::set(PK, "x")], None)
        .await;
    expect_invalid(r, "update of pk")?;
    expect_invalid(
        s.update(Table::Accounts, &k, &[], None).await,
        "empty update",
    )?;
    let mut no_sk = Item::default();
    no_sk.set(PK, p.as_str());
    expect_invalid(s.put(Table::Accounts, no_sk, None).await, "item without sk")?;
    let r = s
        .put(Table::Keys, Item::new(&k).with("gsi1pk", 7), None)
        .await;
    expect_invalid(r, "numeric gsi1pk")?;
    let check = |sk: &str| TxOp::Check {
        table: Table::Accounts,
        key: Key::new(&p, sk),
        cond: Cond::NotExists,
    };
    expect_invalid(
        s.transact(vec![check("a"), check("a")]).await,
        "same item twice",
    )?;
    let got = ok(s.get(Table::Accounts, &k).await, "get")?;
    ensure!(got.is_none(), "an invalid request wrote: {got:?}");
    Ok(())
}
