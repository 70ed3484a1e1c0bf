//! Contract checks on transactions and on concurrent conditional writes.

use super::{CheckResult, expect_canceled, expect_invalid, ok, scope};
use crate::store::{Cond, Item, Key, Query, StoreError, StoreRef, Table, TxOp, Update};

/// A transaction of every op kind across tables applies all of its writes.
pub async fn transact_applies_all(s: StoreRef) -> CheckResult {
    let p = scope("tx_ok");
    let (acct, hold, key, row) = (
        Key::new(&p, "acct"),
        Key::new(&p, "hold"),
        Key::new(&p, "key"),
        Key::new(&p, "row"),
    );
    ok(
        s.put(Table::Accounts, Item::new(&acct).with("balance", 100), None)
            .await,
        "acct",
    )?;
    ok(
        s.put(Table::Keys, Item::new(&key).with("state", "active"), None)
            .await,
        "key",
    )?;
    ok(
        s.put(Table::Ledger, Item::new(&row).with("state", "open"), None)
            .await,
        "row",
    )?;
    let ops = vec![
        TxOp::Update {
            table: Table::Accounts,
            key: acct.clone(),
            updates: vec![Update::add("balance", -30), Update::add("held", 30)],
            cond: Some(Cond::ge("balance", 30)),
        },
        TxOp::Put {
            table: Table::Holds,
            item: Item::new(&hold).with("amount", 30),
            cond: Some(Cond::NotExists),
        },
        TxOp::Check {
            table: Table::Keys,
            key: key.clone(),
            cond: Cond::eq("state", "active"),
        },
        TxOp::Delete {
            table: Table::Ledger,
            key: row.clone(),
            cond: Some(Cond::Exists),
        },
    ];
    ok(s.transact(ops).await, "transact")?;
    let a = ok(s.get(Table::Accounts, &acct).await, "get acct")?;
    ensure!(
        a.as_ref().and_then(|a| a.n("balance")) == Some(70)
            && a.as_ref().and_then(|a| a.n("held")) == Some(30),
        "account after transaction: {a:?}"
    );
    let h = ok(s.get(Table::Holds, &hold).await, "get hold")?;
    ensure!(
        h.and_then(|h| h.n("amount")) == Some(30),
        "hold not written"
    );
    let r = ok(s.get(Table::Ledger, &row).await, "get row")?;
    ensure!(r.is_none(), "row not deleted: {r:?}");
    let k = ok(s.get(Table::Keys, &key).await, "get key")?;
    ensure!(
        k.and_then(|k| k.s("state").map(str::to_owned)).as_deref() == Some("active"),
        "checked item changed"
    );
    Ok(())
}

/// A transaction with failing conditions applies nothing and flags exactly the failed ops.
pub async fn transact_cancels_all(s: StoreRef) -> CheckResult {
    let p = scope("tx_cancel");
    let (acct, hold, absent, row, dup) = (
        Key::new(&p, "acct"),
        Key::new(&p, "hold"),
        Key::new(&p, "absent"),
        Key::new(&p, "row"),
        Key::new(&p, "dup"),
    );
    let acct_item = Item::new(&acct).with("balance", 10);
    let row_item = Item::new(&row).with("state", "open");
    let dup_item = Item::new(&dup).with("v", 1);
    ok(
        s.put(Table::Accounts, acct_item.clone(), None).await,
        "acct",
    )?;
    ok(s.put(Table::Ledger, row_item.clone(), None).await, "row")?;
    ok(
        s.put(Table::Idempotency, dup_item.clone(), None).await,
        "dup",
    )?;
    let ops = vec![
        TxOp::Update {
            table: Table::Accounts,
            key: acct.clone(),
            updates: vec![Update::add("balance", -30), Update::add("held", 30)],
            cond: Some(Cond::ge("balance", 30)),
        },
        TxOp::Put {
            table: Table::Holds,
            item: Item::new(&hold).with("amount", 30),
            cond: Some(Cond::NotExists),
        },
        TxOp::Check {
            table: Table::Keys,
            key: absent.clone(),
            cond: Cond::Exists,
        },
        TxOp::Delete {
            table: Table::Ledger,
            key: row.clone(),
            cond: Some(Cond::eq("state", "open")),
        },
        TxOp::Put {
            table: Table::Idempotency,
            item: Item::new(&dup).with("v", 2),
            cond: Some(Cond::NotExists),
        },
    ];
    let r = s.transact(ops).await;
    expect_canceled(r, &[true, false, true, false, true], "transaction")?;
    let a = ok(s.get(Table::Accounts, &acct).await, "get acct")?;
    ensure!(a.as_ref() == Some(&acct_item), "account changed: {a:?}");
    let h = ok(s.get(Table::Holds, &hold).await, "get hold")?;
    ensure!(
        h.is_none(),
        "hold written by a cancelled transaction: {h:?}"
    );
    let r = ok(s.get(Table::Ledger, &row).await, "get row")?;
    ensure!(r.as_ref() == Some(&row_item), "row changed: {r:?}");
    let d = ok(s.get(Table::Idempotency, &dup).await, "get dup")?;
    ensure!(d.as_ref() == Some(&dup_item), "dup changed: {d:?}");
    Ok(())
}

/// 100 ops fit in one transaction; 101 are refused as `Invalid` and write nothing.
pub async fn transact_limits(s: StoreRef) -> CheckResult {
    let p = scope("tx_limits");
    let put = |i: usize| TxOp::Put {
        table: Table::Usage,
        item: Item::new(&Key::new(&p, format!("{i:03}"))).with("i", i as i64),
        cond: Some(Cond::NotExists),
    };
    let r = s.transact((0..101).map(put).collect()).await;
    expect_invalid(r, "101-op transaction")?;
    let page = ok(
        s.query(Query::new(Table::Usage, &p).limit(200)).await,
        "query",
    )?;
    ensure!(
        page.items.is_empty(),
        "refused transaction wrote {} items",
        page.items.len()
    );
    ok(
        s.transact((0..100).map(put).collect()).await,
        "100-op transaction",
    )?;
    let page = ok(
        s.query(Query::new(Table::Usage, &p).limit(200)).await,
        "query",
    )?;
    ensure!(
        page.items.len() == 100,
        "100-op transaction wrote {}",
        page.items.len()
    );
    ok(s.transact(Vec::new()).await, "empty transaction")?;
    Ok(())
}

/// 50 concurrent conditional decrements of a balance of 20: exactly 20 win, it ends at 0.
pub async fn concurrent_decrements(s: StoreRef) -> CheckResult {
    let k = Key::new(scope("decrements"), "acct");
    ok(
        s.put(Table::Accounts, Item::new(&k).with("balance", 20), None)
            .await,
        "put",
    )?;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (s, k) = (s.clone(), k.clone());
            tokio::spawn(async move {
                s.update(
                    Table::Accounts,
                    &k,
                    &[Update::add("balance", -1)],
                    Some(Cond::ge("balance", 1)),
                )
                .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await {
            Ok(Ok(_)) => won += 1,
            Ok(Err(StoreError::ConditionFailed)) => {}
            Ok(Err(e)) => return Err(format!("decrement failed unexpectedly: {e}")),
            Err(e) => return Err(format!("decrement task failed: {e}")),
        }
    }
    ensure!(won == 20, "{won} decrements succeeded, want 20");
    let got = ok(s.get(Table::Accounts, &k).await, "get")?;
    let balance = got.and_then(|i| i.n("balance"));
    ensure!(balance == Some(0), "final balance {balance:?}, want 0");
    Ok(())
}

/// 25 concurrent hold transactions on 10 credits: exactly 10 holds, the invariant holds.
pub async fn concurrent_holds(s: StoreRef) -> CheckResult {
    let p = scope("holds");
    let acct = Key::new(&p, "acct");
    let start = Item::new(&acct).with("available", 10).with("held", 0);
    ok(s.put(Table::Accounts, start, None).await, "put")?;
    let tasks: Vec<_> = (0..25)
        .map(|i| {
            let (s, acct, p) = (s.clone(), acct.clone(), p.clone());
            tokio::spawn(async move {
                let hold = Item::new(&Key::new(&p, format!("hold#{i:02}"))).with("amount", 1);
                s.transact(vec![
                    TxOp::Update {
                        table: Table::Accounts,
                        key: acct,
                        updates: vec![Update::add("available", -1), Update::add("held", 1)],
                        cond: Some(Cond::ge("available", 1)),
                    },
                    TxOp::Put {
                        table: Table::Holds,
                        item: hold,
                        cond: Some(Cond::NotExists),
                    },
                ])
                .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await {
            Ok(Ok(())) => won += 1,
            Ok(r @ Err(_)) => expect_canceled(r, &[true, false], "losing hold")?,
            Err(e) => return Err(format!("hold task failed: {e}")),
        }
    }
    ensure!(won == 10, "{won} holds succeeded, want 10");
    let a = ok(s.get(Table::Accounts, &acct).await, "get acct")?;
    let (avail, held) = (
        a.as_ref().and_then(|a| a.n("available")),
        a.as_ref().and_then(|a| a.n("held")),
    );
    ensure!(
        avail == Some(0) && held == Some(10),
        "available {avail:?}, held {held:?}"
    );
    let q = Query::new(Table::Holds, &p).prefix("hold#");
    let holds = ok(s.query(q).await, "query holds")?;
    ensure!(
        holds.items.len() == 10,
        "{} hold items, want 10",
        holds.items.len()
    );
    Ok(())
}

/// A transaction whose only refusal is a `NotExists` put on a key that is taken (the case an
/// engine may discover only while writing) writes nothing either, and flags just that op.
pub async fn transact_taken_key(s: StoreRef) -> CheckResult {
    let p = scope("tx_taken");
    let (acct, h1, h2, dup) = (
        Key::new(&p, "acct"),
        Key::new(&p, "h1"),
        Key::new(&p, "h2"),
        Key::new(&p, "dup"),
    );
    let acct_item = Item::new(&acct).with("balance", 100);
    let dup_item = Item::new(&dup).with("v", 1);
    ok(
        s.put(Table::Accounts, acct_item.clone(), None).await,
        "acct",
    )?;
    ok(s.put(Table::Holds, dup_item.clone(), None).await, "dup")?;
    let ops = vec![
        TxOp::Update {
            table: Table::Accounts,
            key: acct.clone(),
            updates: vec![Update::add("balance", -30)],
            cond: Some(Cond::ge("balance", 30)),
        },
        TxOp::Put {
            table: Table::Holds,
            item: Item::new(&h1).with("amount", 10),
            cond: Some(Cond::NotExists),
        },
        TxOp::Put {
            table: Table::Holds,
            item: Item::new(&h2).with("amount", 20),
            cond: Some(Cond::NotExists),
        },
        TxOp::Put {
            table: Table::Holds,
            item: Item::new(&dup).with("v", 2),
            cond: Some(Cond::NotExists),
        },
    ];
    let r = s.transact(ops).await;
    expect_canceled(r, &[false, false, false, true], "transaction")?;
    let a = ok(s.get(Table::Accounts, &acct).await, "get acct")?;
    ensure!(a.as_ref() == Some(&acct_item), "account changed: {a:?}");
    for k in [&h1, &h2] {
        let h = ok(s.get(Table::Holds, k).await, "get hold")?;
        ensure!(
            h.is_none(),
            "hold written by a cancelled transaction: {h:?}"
        );
    }
    let d = ok(s.get(Table::Holds, &dup).await, "get dup")?;
    ensure!(d.as_ref() == Some(&dup_item), "dup changed: {d:?}");
    Ok(())
}

/// The gsi1 index follows an item through updates: kept when other attributes change, moved
/// when its sort key does, and dropped when a transaction removes its index attributes (a
/// settled hold leaving the "still held" index).
pub async fn index_follows_updates(s: StoreRef) -> CheckResult {
    use crate::store::{GSI1PK, GSI1SK};
    let p = scope("gsi_upd");
    let part = format!("{p}-part");
    let key = Key::new(format!("{p}-item"), "H");
    let item = Item::new(&key)
        .with(GSI1PK, part.as_str())
        .with(GSI1SK, "a")
        .with("state", "HELD");
    ok(
        s.put(Table::Holds, item, Some(Cond::NotExists)).await,
        "put",
    )?;
    // DynamoDB's indexes are eventually consistent: wait (briefly) for the expected view.
    let expect = |want: Option<&'static str>, what: &'static str| {
        let s = s.clone();
        let part = part.clone();
        async move {
            let mut got = Vec::new();
            for _ in 0..25 {
                let page = ok(s.query(Query::new(Table::Holds, &part).gsi1()).await, what)?;
                got = page
                    .items
                    .iter()
                    .map(|i| (i.s(GSI1SK).map(str::to_owned), i.n("n")))
                    .collect::<Vec<_>>();
                let sks: Vec<Option<&str>> = got.iter().map(|(sk, _)| sk.as_deref()).collect();
                if sks == want.map(Some).into_iter().collect::<Vec<_>>() {
                    return Ok(got);
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(format!("{what}: index holds {got:?}, want {want:?}"))
        }
    };
    expect(Some("a"), "after put").await?;
    ok(
        s.update(Table::Holds, &key, &[Update::add("n", 1)], None)
            .await,
        "update other attribute",
    )?;
    let got = expect(Some("a"), "after updating another attribute").await?;
    ensure!(got[0].1 == Some(1), "index shows a stale item: {got:?}");
    ok(
        s.update(Table::Holds, &key, &[Update::set(GSI1SK, "b")], None)
            .await,
        "move in index",
    )?;
    expect(Some("b"), "after moving").await?;
    ok(
        s.transact(vec![TxOp::Update {
            table: Table::Holds,
            key: key.clone(),
            updates: vec![
                Update::set("state", "SETTLED"),
                Update::remove(GSI1PK),
                Update::remove(GSI1SK),
            ],
            cond: Some(Cond::eq("state", "HELD")),
        }])
        .await,
        "settle",
    )?;
    expect(None, "after removing the index attributes").await?;
    let h = ok(s.get(Table::Holds, &key).await, "get")?;
    ensure!(
        h.as_ref().and_then(|h| h.s("state")) == Some("SETTLED")
            && h.as_ref().and_then(|h| h.n("n")) == Some(1),
        "item after settling: {h:?}"
    );
    Ok(())
}
