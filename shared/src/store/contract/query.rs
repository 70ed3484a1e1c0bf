//! Contract checks on queries (ranges, order, pagination, the gsi1 index) and on TTL expiry.

use super::{CheckResult, expect_canceled, expect_condition_failed, ok, scope};
use crate::store::{
    Cond, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, Query, StoreRef, Table, TxOp, Update, now_secs,
};
use std::time::Duration;

/// Every page of a query, following cursors; the item count is bounded to catch loops.
async fn all_pages(s: &StoreRef, q: Query) -> Result<(Vec<Item>, usize), String> {
    let (mut items, mut pages, mut cursor) = (Vec::new(), 0, None);
    loop {
        let page = ok(s.query(q.clone().cursor(cursor)).await, "query page")?;
        pages += 1;
        ensure!(
            page.items.len() <= q.limit,
            "page of {} over limit {}",
            page.items.len(),
            q.limit
        );
        items.extend(page.items);
        ensure!(pages <= 200, "pagination does not end");
        match page.next {
            Some(c) => cursor = Some(c),
            None => return Ok((items, pages)),
        }
    }
}

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| i.s("sk").map(str::to_owned))
        .collect()
}

fn owned(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// Prefix and between ranges, both directions, byte-wise order, partitions kept apart.
pub async fn query_ranges(s: StoreRef) -> CheckResult {
    let p = scope("ranges");
    let all = [
        "a#1", "a#2", "a#3", "a#4", "a#5", "b#1", "b#2", "b#3", "c", "u#Z", "u#z", "u#é",
    ];
    for sk in all.iter().rev() {
        ok(
            s.put(Table::Ledger, Item::new(&Key::new(&p, *sk)), None)
                .await,
            "put",
        )?;
    }
    let other = format!("{p}-other");
    ok(
        s.put(Table::Ledger, Item::new(&Key::new(&other, "a#1")), None)
            .await,
        "put other",
    )?;

    let q = || Query::new(Table::Ledger, &p);
    let cases: Vec<(Query, Vec<String>)> = vec![
        (q(), owned(&all)),
        (q().prefix("a#"), owned(&all[..5])),
        (
            q().prefix("a#").backward(),
            owned(&["a#5", "a#4", "a#3", "a#2", "a#1"]),
        ),
        (q().prefix("u#"), owned(&["u#Z", "u#z", "u#é"])),
        (q().prefix("zz"), Vec::new()),
        (q().between("a#2", "a#4"), owned(&["a#2", "a#3", "a#4"])),
        (
            q().between("a#3", "b#1"),
            owned(&["a#3", "a#4", "a#5", "b#1"]),
        ),
        (
            q().between("a#3", "b#1").backward(),
            owned(&["b#1", "a#5", "a#4", "a#3"]),
        ),
        (q().between("b#9", "bz"), Vec::new()),
    ];
    for (query, want) in cases {
        let desc = format!("{:?} forward={}", query.sk, query.forward);
        let (items, _) = all_pages(&s, query).await?;
        let got = sks(&items);
        ensure!(got == want, "{desc}: got {got:?}, want {want:?}");
        ensure!(
            items.iter().all(|i| i.s("pk") == Some(p.as_str())),
            "{desc}: foreign partition"
        );
    }
    Ok(())
}

/// Pagination across many pages loses nothing and repeats nothing, in both directions.
pub async fn query_pages(s: StoreRef) -> CheckResult {
    let p = scope("pages");
    let want: Vec<String> = (0..25).map(|i| format!("item#{i:02}")).collect();
    for (i, sk) in want.iter().enumerate() {
        let item = Item::new(&Key::new(&p, sk.as_str())).with("i", i as i64);
        ok(s.put(Table::Usage, item, None).await, "put")?;
    }
    let (items, pages) = all_pages(&s, Query::new(Table::Usage, &p).limit(7)).await?;
    ensure!(sks(&items) == want, "forward pages gave {:?}", sks(&items));
    ensure!(pages >= 4, "25 items in pages of 7 came in {pages} pages");

    let (items, _) = all_pages(&s, Query::new(Table::Usage, &p).limit(10).backward()).await?;
    let mut rev = want.clone();
    rev.reverse();
    ensure!(sks(&items) == rev, "backward pages gave {:?}", sks(&items));

    let q = Query::new(Table::Usage, &p).prefix("item#1").limit(3);
    let (items, _) = all_pages(&s, q).await?;
    ensure!(
        sks(&items) == want[10..20],
        "prefix pages gave {:?}",
        sks(&items)
    );

    let first = ok(
        s.query(Query::new(Table::Usage, &p).limit(5)).await,
        "first page",
    )?;
    ensure!(
        first.items.len() == 5 && first.next.is_some(),
        "first page of 5: {first:?}"
    );
    Ok(())
}

/// The gsi1 index: ordered by gsi1sk, only items with both gsi1 attributes, pageable.
pub async fn query_gsi1(s: StoreRef) -> CheckResult {
    let p = scope("gsi1");
    let acct = format!("{p}-acct");
    // Two items share a gsi1sk: pagination must still visit each exactly once.
    let created = ["c#01", "c#02", "c#03", "c#03", "c#04", "c#05"];
    for (i, c) in created.iter().enumerate() {
        let item = Item::new(&Key::new(format!("{p}-key{i}"), "meta"))
            .with(GSI1PK, acct.as_str())
            .with(GSI1SK, *c)
            .with("i", i as i64);
        ok(s.put(Table::Keys, item, None).await, "put")?;
    }
    let foreign = Item::new(&Key::new(format!("{p}-other"), "meta"))
        .with(GSI1PK, format!("{p}-acct2"))
        .with(GSI1SK, "c#01");
    ok(s.put(Table::Keys, foreign, None).await, "put foreign")?;
    let unindexed = Item::new(&Key::new(format!("{p}-half"), "meta")).with(GSI1PK, acct.as_str());
    ok(s.put(Table::Keys, unindexed, None).await, "put unindexed")?;

    // DynamoDB's indexes are eventually consistent: wait (briefly) for all six.
    let q = || Query::new(Table::Keys, &acct).gsi1();
    let mut items = Vec::new();
    for _ in 0..25 {
        items = all_pages(&s, q()).await?.0;
        if items.len() >= created.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let order: Vec<&str> = items.iter().filter_map(|i| i.s(GSI1SK)).collect();
    ensure!(order == created, "gsi1 order {order:?}, want {created:?}");

    let ids = |items: &[Item]| {
        let mut v: Vec<i64> = items.iter().filter_map(|i| i.n("i")).collect();
        v.sort_unstable();
        v
    };
    let want: Vec<i64> = (0..6).collect();
    for limit in [1, 2, 4] {
        let (paged, _) = all_pages(&s, q().limit(limit)).await?;
        ensure!(
            ids(&paged) == want,
            "gsi1 pages of {limit} gave {:?}",
            ids(&paged)
        );
        let (back, _) = all_pages(&s, q().limit(limit).backward()).await?;
        let back_order: Vec<&str> = back.iter().filter_map(|i| i.s(GSI1SK)).collect();
        let mut rev = created.to_vec();
        rev.reverse();
        ensure!(
            back_order == rev,
            "gsi1 backward pages of {limit}: {back_order:?}"
        );
        ensure!(
            ids(&back) == want,
            "gsi1 backward pages of {limit} gave {:?}",
            ids(&back)
        );
    }
    let (between, _) = all_pages(&s, q().between("c#02", "c#03")).await?;
    ensure!(
        between.len() == 3,
        "gsi1 between gave {} items",
        between.len()
    );
    let (prefix, _) = all_pages(&s, q().prefix("c#0")).await?;
    ensure!(prefix.len() == 6, "gsi1 prefix gave {} items", prefix.len());
    Ok(())
}

/// Expired items are invisible to get and query, and absent for `Exists` / `NotExists`.
pub async fn expired_items(s: StoreRef) -> CheckResult {
    let p = scope("expired");
    let t = Table::Idempotency;
    let now = now_secs();
    let (gone, live, forever, gone2) = (
        Key::new(&p, "e#1"),
        Key::new(&p, "e#2"),
        Key::new(&p, "e#3"),
        Key::new(&p, "e#0"),
    );
    ok(
        s.put(t, Item::new(&gone).with(EXPIRES_AT, now - 60), None)
            .await,
        "put expired",
    )?;
    ok(
        s.put(t, Item::new(&gone2).with(EXPIRES_AT, now - 1), None)
            .await,
        "put expired 2",
    )?;
    ok(
        s.put(t, Item::new(&live).with(EXPIRES_AT, now + 3600), None)
            .await,
        "put live",
    )?;
    ok(s.put(t, Item::new(&forever), None).await, "put no ttl")?;

    let got = ok(s.get(t, &gone).await, "get expired")?;
    ensure!(got.is_none(), "expired item visible to get: {got:?}");
    let got = ok(s.get(t, &live).await, "get live")?;
    ensure!(got.is_some(), "unexpired item invisible");
    for limit in [1, 2, 100] {
        let (items, _) = all_pages(&s, Query::new(t, &p).limit(limit)).await?;
        let want = owned(&["e#2", "e#3"]);
        ensure!(
            sks(&items) == want,
            "query (limit {limit}) saw {:?}",
            sks(&items)
        );
    }

    let r = s
        .update(t, &gone, &[Update::set("state", "x")], Some(Cond::Exists))
        .await;
    expect_condition_failed(r, "update-if-exists on expired item")?;
    let r = s.delete(t, &gone, Some(Cond::Exists)).await;
    expect_condition_failed(r, "delete-if-exists on expired item")?;
    let r = s.put(t, Item::new(&live), Some(Cond::NotExists)).await;
    expect_condition_failed(r, "put-if-absent over a live item")?;

    let fresh = Item::new(&gone).with("state", "new");
    ok(
        s.put(t, fresh.clone(), Some(Cond::NotExists)).await,
        "put-if-absent over expired",
    )?;
    let got = ok(s.get(t, &gone).await, "get replaced")?;
    ensure!(
        got.as_ref() == Some(&fresh),
        "expired item not replaced: {got:?}"
    );

    let ops = vec![
        TxOp::Check {
            table: t,
            key: gone2.clone(),
            cond: Cond::NotExists,
        },
        TxOp::Put {
            table: t,
            item: Item::new(&Key::new(&p, "e#4")),
            cond: Some(Cond::NotExists),
        },
    ];
    ok(
        s.transact(ops).await,
        "transaction treating expired as absent",
    )?;
    // A put-if-absent over an expired item inside a transaction replaces it; over a live one
    // it cancels the transaction, and the update beside it is not applied.
    let counter = Key::new(&p, "e#5");
    let bump = || TxOp::Update {
        table: t,
        key: counter.clone(),
        updates: vec![Update::add("n", 1)],
        cond: None,
    };
    let over = |k: &Key| TxOp::Put {
        table: t,
        item: Item::new(k).with("state", "tx"),
        cond: Some(Cond::NotExists),
    };
    ok(
        s.transact(vec![bump(), over(&gone2)]).await,
        "transaction putting over an expired item",
    )?;
    let got = ok(s.get(t, &gone2).await, "get replaced in transaction")?;
    ensure!(
        got.as_ref().and_then(|i| i.s("state")) == Some("tx"),
        "expired item not replaced by the transaction: {got:?}"
    );
    let r = s.transact(vec![bump(), over(&live)]).await;
    expect_canceled(r, &[false, true], "transaction putting over a live item")?;
    let n = ok(s.get(t, &counter).await, "get counter")?.and_then(|i| i.n("n"));
    ensure!(
        n == Some(1),
        "cancelled transaction applied its update: n = {n:?}"
    );
    // The next write starts from the row as it is, not as the cancelled transaction left it.
    ok(
        s.transact(vec![bump()]).await,
        "bump after a cancelled transaction",
    )?;
    let n = ok(s.get(t, &counter).await, "get counter again")?.and_then(|i| i.n("n"));
    ensure!(
        n == Some(2),
        "a write after a cancelled transaction saw n = {n:?}"
    );
    Ok(())
}
