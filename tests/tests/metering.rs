//! The metering core under concurrency, on both engines: holds never overdraw, settlements
//! apply at most once, the sweeper voids what was left HELD, rate windows and concurrency
//! slots are exact, and one Idempotency-Key admits exactly one owner.

use hexaclaw_shared::accounts;
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::idempotency::{self, Claim, StoredResponse};
use hexaclaw_shared::metering::{self, Generation, SettleOutcome, Settlement, UsageDelta};
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_shared::ratelimit::{self, Limits};
use hexaclaw_shared::store::StoreRef;
use hexaclaw_tests::TestEnv;

async fn envs() -> Vec<(&'static str, TestEnv)> {
    let mut v = vec![("embedded", TestEnv::embedded().await)];
    if let Some(d) = TestEnv::dynamo().await {
        v.push(("dynamo", d));
    }
    v
}

async fn funded_account(store: &StoreRef, credits: i64) -> String {
    let a = accounts::create(store, None, Tier::Pro, None)
        .await
        .unwrap();
    if credits > 0 {
        accounts::grant(
            store,
            &a.id,
            MicroCredits::credits(credits),
            "system:purchases",
            None,
            None,
        )
        .await
        .unwrap();
    }
    a.id
}

/// 500 concurrent holds against a balance that covers exactly N: exactly N succeed.
async fn holds_never_overdraw(name: &str, store: StoreRef, total: usize, n: i64) {
    let each = MicroCredits::credits(2);
    let acct = funded_account(&store, 2 * n).await;
    let tasks: Vec<_> = (0..total)
        .map(|i| {
            let store = store.clone();
            let acct = acct.clone();
            tokio::spawn(async move {
                let h = metering::hold(
                    &store,
                    &acct,
                    each,
                    &format!("r{i}"),
                    600,
                    hexaclaw_shared::store::now_secs(),
                )
                .await;
                match h {
                    Ok(h) => {
                        // Settle a varying amount, sometimes above the hold (capped).
                        let actual = MicroCredits((i as i64 * 37_777) % 3_000_000);
                        let out = metering::settle(
                            &store,
                            &h,
                            Settlement {
                                actual,
                                generation: None,
                                usage: None,
                                idempotency: None,
                            },
                        )
                        .await
                        .unwrap();
                        let SettleOutcome::Charged(c) = out else {
                            panic!("double settle")
                        };
                        assert_eq!(c, actual.min(each));
                        Some(c)
                    }
                    Err(e) => {
                        assert_eq!(e.status.as_u16(), 402, "{e}");
                        assert_eq!(e.message, "Insufficient credits");
                        None
                    }
                }
            })
        })
        .collect();
    let mut ok = 0;
    let mut charged = MicroCredits::ZERO;
    for t in tasks {
        if let Some(c) = t.await.unwrap() {
            ok += 1;
            charged += c;
        }
    }
    // Every hold that got in was settled, so later ones may have reused refunds: at least N
    // succeed, and the final balance is exactly the grant minus what was charged.
    assert!(ok >= n as usize, "{name}: only {ok} of {n} holds succeeded");
    let (avail, held) = accounts::verify_ledger(&store, &acct)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(held, MicroCredits::ZERO, "{name}");
    assert_eq!(avail, MicroCredits::credits(2 * n) - charged, "{name}");
    assert!(avail.0 >= 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_holds_never_overdraw() {
    for (name, env) in envs().await {
        let total = if name == "dynamo" { 200 } else { 500 };
        holds_never_overdraw(name, env.state.store.clone(), total, 40).await;
    }
}

/// Holds without settlement: exactly N of 500 succeed against a balance for N.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_n_holds_fit_the_balance() {
    for (name, env) in envs().await {
        let store = env.state.store.clone();
        let n = 37;
        let total = if name == "dynamo" { 150 } else { 500 };
        let acct = funded_account(&store, n).await;
        let tasks: Vec<_> = (0..total)
            .map(|i| {
                let store = store.clone();
                let acct = acct.clone();
                tokio::spawn(async move {
                    metering::hold(
                        &store,
                        &acct,
                        MicroCredits::credits(1),
                        &format!("r{i}"),
                        600,
                        hexaclaw_shared::store::now_secs(),
                    )
                    .await
                    .is_ok()
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += t.await.unwrap() as i64;
        }
        assert_eq!(ok, n, "{name}");
        let (avail, held) = accounts::verify_ledger(&store, &acct).await.unwrap();
        assert_eq!(
            (avail, held),
            (MicroCredits::ZERO, MicroCredits::credits(n)),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hold_settles_at_most_once_and_sweeper_voids_leftovers() {
    for (name, env) in envs().await {
        let store = env.state.store.clone();
        let acct = funded_account(&store, 10).await;
        let now = hexaclaw_shared::store::now_secs();
        let h = metering::hold(&store, &acct, MicroCredits::credits(3), "g1", 600, now)
            .await
            .unwrap();
        let generation = Generation {
            id: "gen_x1".into(),
            account_id: acct.clone(),
            status: "completed".into(),
            created_at: now,
            ..Default::default()
        };
        let usage = UsageDelta {
            model: Some("gpt-4.1".into()),
            service: "chat".into(),
            input_tokens: 10,
            output_tokens: 5,
            units: 0,
        };
        // Ten racing settlements of one hold: exactly one applies.
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let (store, h, generation, usage) =
                    (store.clone(), h.clone(), generation.clone(), usage.clone());
                tokio::spawn(async move {
                    let mut g = generation.clone();
                    g.id = format!("gen_race_{i}");
                    metering::settle(
                        &store,
                        &h,
                        Settlement {
                            actual: MicroCredits(1_234_567),
                            generation: Some(&g),
                            usage: Some(&usage),
                            idempotency: None,
                        },
                    )
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut applied = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), SettleOutcome::Charged(_)) {
                applied += 1;
            }
        }
        assert_eq!(applied, 1, "{name}");
        let (avail, _) = accounts::verify_ledger(&store, &acct).await.unwrap();
        assert_eq!(
            avail,
            MicroCredits::credits(10) - MicroCredits(1_234_567),
            "{name}"
        );

        // A hold whose deadline passed (the process "crashed" before settling) is voided by
        // the sweeper, and a late settlement afterwards changes nothing.
        let h2 = metering::hold(&store, &acct, MicroCredits::credits(2), "g2", 1, now - 10)
            .await
            .unwrap();
        let h3 = metering::hold(&store, &acct, MicroCredits::credits(1), "g3", 600, now)
            .await
            .unwrap();
        let voided = metering::sweep_expired_holds(&store, now).await.unwrap();
        assert!(voided >= 1, "{name}");
        assert_eq!(
            metering::hold_state(&store, &h2.id)
                .await
                .unwrap()
                .unwrap()
                .0,
            "VOIDED"
        );
        assert_eq!(
            metering::hold_state(&store, &h3.id)
                .await
                .unwrap()
                .unwrap()
                .0,
            "HELD"
        );
        let late = metering::settle(
            &store,
            &h2,
            Settlement {
                actual: MicroCredits(5),
                generation: None,
                usage: None,
                idempotency: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(late, SettleOutcome::AlreadySettled);
        // A hold that was never written (its write lost in a crash) is an error, not a free
        // answer: settling it changes nothing.
        let ghost = metering::Hold {
            id: "hold_never_written".into(),
            account_id: acct.clone(),
            amount: MicroCredits(7),
        };
        let r = metering::settle(
            &store,
            &ghost,
            Settlement {
                actual: MicroCredits(5),
                generation: None,
                usage: None,
                idempotency: None,
            },
        )
        .await;
        let e = r.expect_err("settling a missing hold must fail");
        assert_eq!(e.status.as_u16(), 500, "{name}");
        metering::void(&store, &h3).await.unwrap();
        let (avail, held) = accounts::verify_ledger(&store, &acct).await.unwrap();
        assert_eq!(held, MicroCredits::ZERO, "{name}");
        assert_eq!(
            avail,
            MicroCredits::credits(10) - MicroCredits(1_234_567),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_windows_are_exact_under_10x_overload() {
    for (name, env) in envs().await {
        let store = env.state.store.clone();
        let limits = Limits {
            per_minute: 30,
            per_day: 45,
            concurrent: 3,
        };
        let now = 1_796_400_000; // fixed instant: the test never straddles a window edge
        let key = format!("key_{}", uuid::Uuid::new_v4().simple());
        let run = |at: i64, count: usize| {
            let tasks: Vec<_> = (0..count)
                .map(|_| {
                    let (store, key) = (store.clone(), key.clone());
                    tokio::spawn(async move { ratelimit::admit(&store, &key, limits, at).await })
                })
                .collect();
            async move {
                let mut ok = 0;
                for t in tasks {
                    match t.await.unwrap() {
                        Ok(_) => ok += 1,
                        Err(e) => {
                            assert_eq!(e.status.as_u16(), 429);
                            assert!(e.retry_after.unwrap() >= 1);
                        }
                    }
                }
                ok
            }
        };
        assert_eq!(run(now, 300).await, 30, "{name}: minute window");
        // Next minute: only 15 left in the day.
        assert_eq!(run(now + 60, 300).await, 15, "{name}: day window");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_slots_are_never_exceeded_and_recover_after_expiry() {
    for (name, env) in envs().await {
        let store = env.state.store.clone();
        let key = format!("key_{}", uuid::Uuid::new_v4().simple());
        let now = hexaclaw_shared::store::now_secs();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(
                    async move { ratelimit::acquire_lease(&store, &key, 3, 120, now).await },
                )
            })
            .collect();
        let mut leases = Vec::new();
        for t in tasks {
            if let Ok(l) = t.await.unwrap() {
                leases.push(l);
            }
        }
        assert_eq!(leases.len(), 3, "{name}");
        assert!(
            ratelimit::acquire_lease(&store, &key, 3, 120, now)
                .await
                .is_err()
        );
        // Release one: exactly one slot frees.
        ratelimit::release_lease(&store, &leases.pop().unwrap()).await;
        ratelimit::acquire_lease(&store, &key, 3, 120, now)
            .await
            .unwrap();
        assert!(
            ratelimit::acquire_lease(&store, &key, 3, 120, now)
                .await
                .is_err()
        );

        // Holders that "die" never release: once their leases expire (on the store's own
        // clock) every slot is free again. The TTL leaves room for a slow emulator.
        let key2 = format!("key_{}", uuid::Uuid::new_v4().simple());
        let t0 = std::time::Instant::now();
        let ttl = 4;
        let mut dead = Vec::new();
        for _ in 0..3 {
            let now = hexaclaw_shared::store::now_secs();
            dead.push(
                ratelimit::acquire_lease(&store, &key2, 3, ttl, now)
                    .await
                    .unwrap(),
            );
        }
        let full =
            ratelimit::acquire_lease(&store, &key2, 3, ttl, hexaclaw_shared::store::now_secs())
                .await;
        if t0.elapsed() < std::time::Duration::from_secs(ttl as u64 - 1) {
            assert!(full.is_err(), "{name}: a fourth slot while three are held");
        }
        tokio::time::sleep(std::time::Duration::from_secs(ttl as u64 + 1)).await;
        let later = hexaclaw_shared::store::now_secs();
        let mut fresh = 0;
        for _ in 0..5 {
            if ratelimit::acquire_lease(&store, &key2, 3, 120, later)
                .await
                .is_ok()
            {
                fresh += 1;
            }
        }
        assert_eq!(fresh, 3, "{name}");
        // A dead holder's late release must not free the new holder's slot.
        for l in &dead {
            ratelimit::release_lease(&store, l).await;
        }
        assert!(
            ratelimit::acquire_lease(&store, &key2, 3, 120, later)
                .await
                .is_err(),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_one_owner() {
    for (name, env) in envs().await {
        let store = env.state.store.clone();
        let now = hexaclaw_shared::store::now_secs();
        let hash = idempotency::request_hash("POST", "/v1/chat/completions", b"{}");
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (store, hash) = (store.clone(), hash.clone());
                tokio::spawn(async move {
                    idempotency::claim(&store, "acct_a", "same-key", &hash, 60, now).await
                })
            })
            .collect();
        let (mut owners, mut conflicts) = (Vec::new(), 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(Claim::Owned(tok)) => owners.push(tok),
                Ok(Claim::Replay(_)) => panic!("nothing completed yet"),
                Err(e) => {
                    assert_eq!(e.status.as_u16(), 409, "{name}: {e}");
                    conflicts += 1;
                }
            }
        }
        assert_eq!(owners.len(), 1, "{name}");
        assert_eq!(conflicts, 99);
        // Another account's identical key is independent.
        assert!(matches!(
            idempotency::claim(&store, "acct_b", "same-key", &hash, 60, now).await,
            Ok(Claim::Owned(_))
        ));
        // Completion makes it replayable; a different body is 422.
        let resp = StoredResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"{\"ok\":1}".to_vec(),
        };
        idempotency::complete(&store, &owners[0], &resp)
            .await
            .unwrap();
        match idempotency::claim(&store, "acct_a", "same-key", &hash, 60, now).await {
            Ok(Claim::Replay(r)) => assert_eq!(r.body, resp.body),
            _ => panic!("{name}: expected replay"),
        }
        let other = idempotency::request_hash("POST", "/v1/chat/completions", b"{\"x\":1}");
        let e = idempotency::claim(&store, "acct_a", "same-key", &other, 60, now)
            .await
            .err()
            .unwrap();
        assert_eq!(e.status.as_u16(), 422);
        // An abandoned in-progress claim can be taken over once its window passed.
        let _t = match idempotency::claim(&store, "acct_a", "abandoned", &hash, 5, now).await {
            Ok(Claim::Owned(t)) => t,
            _ => panic!(),
        };
        assert!(
            idempotency::claim(&store, "acct_a", "abandoned", &hash, 5, now + 1)
                .await
                .is_err()
        );
        assert!(matches!(
            idempotency::claim(&store, "acct_a", "abandoned", &hash, 5, now + 10).await,
            Ok(Claim::Owned(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_grants_monthly_credits_once() {
    for (name, env) in envs().await {
        let store = env.state.store.clone();
        let a = accounts::create(&store, None, Tier::Max, None)
            .await
            .unwrap();
        let t = chrono::Utc::now();
        let r1 = hexaclaw_shared::maintenance::run(&env.state, t)
            .await
            .unwrap();
        assert!(r1.grants_applied >= 1, "{name}");
        assert!(
            r1.full_grant_pass,
            "{name}: a month's first run reads the registry"
        );
        // An item whose TTL passed is physically removed by the embedded store's sweep.
        let k = hexaclaw_shared::store::Key::new("RL#expired-probe", "W");
        let item = hexaclaw_shared::store::Item::new(&k).with("expires_at", 1_i64);
        store
            .put(hexaclaw_shared::store::Table::RateLimits, item, None)
            .await
            .unwrap();
        let r2 = hexaclaw_shared::maintenance::run(&env.state, t)
            .await
            .unwrap();
        assert_eq!(r2.grants_applied, 0, "{name}");
        assert!(
            !r2.full_grant_pass,
            "{name}: the month's pass is recorded as done"
        );
        assert_eq!(
            r2.accounts, 0,
            "{name}: nothing queued, no account read: {r2:?}"
        );
        if name == "embedded" {
            assert!(r2.expired_items_purged >= 1, "{r2:?}");
        }
        let (avail, _) = accounts::verify_ledger(&store, &a.id).await.unwrap();
        assert_eq!(avail, MicroCredits::credits(5_000), "{name}");
    }
}

/// After a month's full pass, an account created later that month is granted from the grant
/// queue (without a registry read), exactly once; the next month starts with a full pass that
/// grants every account again, including one that was never queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_grants_accounts_created_after_the_months_pass() {
    use hexaclaw_shared::store::{Key, Table};
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-10T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    for (name, env) in envs().await {
        let store = env.state.store.clone();
        let early = accounts::create(&store, None, Tier::Pro, None)
            .await
            .unwrap();
        let r1 = hexaclaw_shared::maintenance::run(&env.state, t)
            .await
            .unwrap();
        assert!(
            r1.full_grant_pass && r1.grants_applied == 1,
            "{name}: {r1:?}"
        );
        let late = accounts::create(&store, None, Tier::Max, None)
            .await
            .unwrap();
        // One registered the way accounts were before the queue existed: only a full pass finds it.
        let legacy = accounts::create(&store, None, Tier::Trial, None)
            .await
            .unwrap();
        store
            .delete(
                Table::Accounts,
                &accounts::grant_queue_key(&legacy.id),
                None,
            )
            .await
            .unwrap();
        let r2 = hexaclaw_shared::maintenance::run(&env.state, t + chrono::Duration::hours(1))
            .await
            .unwrap();
        assert!(!r2.full_grant_pass, "{name}: {r2:?}");
        assert_eq!((r2.accounts, r2.grants_applied), (1, 1), "{name}: {r2:?}");
        let queue = Key::new(accounts::GRANT_QUEUE_PK, late.id.as_str());
        assert!(
            store.get(Table::Accounts, &queue).await.unwrap().is_none(),
            "{name}: dequeued"
        );
        let r3 = hexaclaw_shared::maintenance::run(&env.state, t + chrono::Duration::hours(2))
            .await
            .unwrap();
        assert_eq!((r3.accounts, r3.grants_applied), (0, 0), "{name}: {r3:?}");
        let balance = |id: String| {
            let store = store.clone();
            async move { accounts::verify_ledger(&store, &id).await.unwrap().0 }
        };
        assert_eq!(
            balance(early.id.clone()).await,
            MicroCredits::credits(2_000),
            "{name}"
        );
        assert_eq!(
            balance(late.id.clone()).await,
            MicroCredits::credits(5_000),
            "{name}"
        );
        assert_eq!(
            balance(legacy.id.clone()).await,
            MicroCredits::ZERO,
            "{name}"
        );
        // December: a full pass again, which also reaches the never-queued account.
        let r4 = hexaclaw_shared::maintenance::run(&env.state, t + chrono::Duration::days(30))
            .await
            .unwrap();
        assert!(r4.full_grant_pass, "{name}: {r4:?}");
        assert_eq!((r4.accounts, r4.grants_applied), (3, 3), "{name}: {r4:?}");
        assert_eq!(
            balance(early.id).await,
            MicroCredits::credits(4_000),
            "{name}"
        );
        assert_eq!(
            balance(late.id).await,
            MicroCredits::credits(10_000),
            "{name}"
        );
        assert_eq!(
            balance(legacy.id).await,
            MicroCredits::credits(200),
            "{name}"
        );
    }
}
