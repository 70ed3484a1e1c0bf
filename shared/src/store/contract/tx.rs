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
