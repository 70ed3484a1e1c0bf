//! Foundation: models catalog routes, API-key auth and introspection, error shapes, and the
//! `events/` files replayed through the per-group routers as Lambda would deliver them.

use hexaclaw_shared::auth::keys;
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::http::group_router;
use hexaclaw_tests::{TestEnv, call, event_request, req};

#[tokio::test]
async fn models_list_has_every_model_and_50_aliases() {
    let env = TestEnv::embedded().await;
    let r = call(&env.gateway(), req("GET", "/v1/models", None, None)).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["object"], "list");
    let data = v["data"].as_array().expect("data");
    assert!(data.len() >= 31, "{} models", data.len());
    let aliases: usize = data
        .iter()
        .map(|m| m["aliases"].as_array().map_or(0, |a| a.len()))
        .sum();
    assert!(aliases >= 50, "{aliases} aliases");
    let providers: std::collections::BTreeSet<&str> =
        data.iter().filter_map(|m| m["owned_by"].as_str()).collect();
    assert_eq!(providers.len(), 7, "{providers:?}");
    for m in data {
        for f in ["id", "object", "created", "owned_by", "pricing"] {
            assert!(!m[f].is_null(), "model {} lacks {f}", m["id"]);
        }
    }
    let sonnet = data
        .iter()
        .find(|m| m["id"] == "claude-sonnet-4-6")
        .expect("sonnet");
    assert!(
        sonnet["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "claude-sonnet")
    );
}

#[tokio::test]
async fn model_by_id_alias_and_prefixed_alias() {
    let env = TestEnv::embedded().await;
    let g = env.gateway();
    for (path, want) in [
        ("/v1/models/gpt-4.1", "gpt-4.1"),
        ("/v1/models/claude-sonnet", "claude-sonnet-4-6"),
        ("/v1/models/gpt-4o-mini", "gpt-4.1-mini"),
        ("/v1/models/llama", "llama-3.3-70b-versatile"),
        (
            "/v1/models/anthropic/claude-sonnet-4-6",
            "claude-sonnet-4-6",
        ),
    ] {
        let r = call(&g, req("GET", path, None, None)).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.json()["id"], want, "{path}");
    }
    let r = call(&g, req("GET", "/v1/models/gpt-9-ultra", None, None)).await;
    let msg = r.assert_error(404);
    assert!(msg.contains("gpt-9-ultra"));
}

#[tokio::test]
async fn introspection_returns_metadata_never_the_secret() {
    let env = TestEnv::embedded().await;
    let (account, key) = env.account_with_key(Tier::Pro, 10).await;
    let r = call(&env.gateway(), req("GET", "/v1/key", Some(&key), None)).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["account_id"], account.as_str());
    assert_eq!(v["tier"], "pro");
    assert_eq!(v["scopes"], serde_json::json!(["*"]));
    assert_eq!(v["prefix"].as_str().unwrap(), &key[..12]);
    assert!(v["id"].as_str().unwrap().starts_with("key_"));
    assert_eq!(v["effective_rate_limits"]["requests_per_minute"], 60);
    assert!(!String::from_utf8_lossy(&r.body).contains(&key[12..]));
    assert!(r.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn auth_failures_are_401_in_the_error_shape() {
    let env = TestEnv::embedded().await;
    let g = env.gateway();
    let (account, key) = env.account_with_key(Tier::Trial, 0).await;

    // Missing.
    call(&g, req("GET", "/v1/key", None, None))
        .await
        .assert_error(401);
    // Not a bearer header.
    let r = call(
        &g,
        http::Request::builder()
            .uri("/v1/key")
            .header("authorization", format!("Basic {key}"))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    r.assert_error(401);
    // Malformed: wrong prefix, wrong length, bad checksum.
    for bad in [
        "sk-abc".to_owned(),
        key.replace("hx_live_", "hx_test_"),
        key[..47].to_owned(),
        {
            let mut b = key.clone().into_bytes();
            b[20] = if b[20] == b'x' { b'y' } else { b'x' };
            String::from_utf8(b).unwrap()
        },
    ] {
        let r = call(&g, req("GET", "/v1/key", Some(&bad), None)).await;
        let msg = r.assert_error(401);
        assert!(!msg.contains(&bad), "error echoes the token");
    }
    // Well-formed but unknown.
    let unknown = hexaclaw_shared::auth::apikey::generate().secret;
    call(&g, req("GET", "/v1/key", Some(&unknown), None))
        .await
        .assert_error(401);
    // x-api-key is not accepted on ordinary routes.
    let r = call(
        &g,
        http::Request::builder()
            .uri("/v1/key")
            .header("x-api-key", &key)
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    r.assert_error(401);
    // Revoked.
    let rec = keys::list_for_account(&env.state.store, &account)
        .await
        .unwrap();
    assert_eq!(
        call(&g, req("GET", "/v1/key", Some(&key), None))
            .await
            .status,
        200
    );
    keys::revoke(&env.state.store, &rec[0]).await.unwrap();
    let msg = call(&g, req("GET", "/v1/key", Some(&key), None))
        .await
        .assert_error(401);
    assert!(msg.contains("revoked"));
    // A key sent to the public models route must still be valid.
    call(&g, req("GET", "/v1/models", Some(&unknown), None))
        .await
        .assert_error(401);
}

#[tokio::test]
async fn unknown_route_and_wrong_method() {
    let env = TestEnv::embedded().await;
    let g = env.gateway();
    call(&g, req("GET", "/v1/nope", None, None))
        .await
        .assert_error(404);
    call(&g, req("DELETE", "/v1/models", None, None))
        .await
        .assert_error(405);
}

#[tokio::test]
async fn raw_key_never_reaches_the_store() {
    let env = TestEnv::embedded().await;
    let (_, key) = env.account_with_key(Tier::Pro, 1).await;
    let _ = call(&env.gateway(), req("GET", "/v1/key", Some(&key), None)).await;
    let secret_part = &key[8..];
    for entry in std::fs::read_dir(env.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let hay = String::from_utf8_lossy(&bytes);
        assert!(!hay.contains(secret_part), "raw key found in {path:?}");
    }
}

#[tokio::test]
async fn events_replay_through_group_routers() {
    let env = TestEnv::embedded().await;
    let (_, key) = env.account_with_key(Tier::Max, 1).await;
    let models = group_router("models", env.state.clone()).unwrap();
    let keys_r = group_router("keys", env.state.clone()).unwrap();

    let r = call(&models, event_request("models/list-models.json", None)).await;
    assert_eq!(r.status, 200);
    assert!(r.json()["data"].as_array().unwrap().len() >= 31);
    let r = call(
        &models,
        event_request("models/get-model-by-alias.json", None),
    )
    .await;
    assert_eq!(r.json()["id"], "claude-sonnet-4-6");
    let r = call(
        &models,
        event_request("models/get-model-provider-prefixed.json", None),
    )
    .await;
    assert_eq!(r.json()["id"], "claude-sonnet-4-6");
    call(
        &models,
        event_request("models/get-model-unknown.json", None),
    )
    .await
    .assert_error(404);

    let r = call(&keys_r, event_request("keys/introspect.json", Some(&key))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["tier"], "max");
    // The placeholder key in the file is malformed on purpose.
    call(&keys_r, event_request("keys/introspect.json", None))
        .await
        .assert_error(401);
    call(
        &keys_r,
        event_request("keys/introspect-missing-key.json", None),
    )
    .await
    .assert_error(401);
    // The models router does not serve the keys routes (each Lambda owns its group).
    call(&models, event_request("keys/introspect.json", Some(&key)))
        .await
        .assert_error(404);
}

#[tokio::test]
async fn every_event_file_parses_and_routes() {
    let env = TestEnv::embedded().await;
    let g = env.gateway();
    let root = hexaclaw_tests::repo_root().join("events");
    let mut n = 0;
    for group in std::fs::read_dir(&root).unwrap() {
        let group = group.unwrap().path();
        // The maintenance function is invoked by a schedule, not over HTTP.
        if group.ends_with("maintenance") {
            continue;
        }
        for f in std::fs::read_dir(&group).unwrap() {
            let f = f.unwrap().path();
            let rel = f.strip_prefix(&root).unwrap().to_str().unwrap().to_owned();
            let r = call(&g, event_request(&rel, None)).await;
            // Every event reaches a real route: anything but "no route".
            if r.status == 404 {
                let msg = r.json()["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                assert!(!msg.starts_with("No route"), "{rel}: {msg}");
            }
            n += 1;
        }
    }
    assert!(n >= 6);
}

#[tokio::test]
async fn accounts_grants_are_ledgered_and_emails_unique() {
    let env = TestEnv::embedded().await;
    let store = &env.state.store;
    let a = hexaclaw_shared::accounts::create(store, Some("dup@example.com"), Tier::Trial, None)
        .await
        .unwrap();
    let err = hexaclaw_shared::accounts::create(store, Some("DUP@example.com"), Tier::Pro, None)
        .await
        .unwrap_err();
    assert_eq!(err.status.as_u16(), 409);
    use hexaclaw_shared::money::MicroCredits;
    for c in [5, 7] {
        hexaclaw_shared::accounts::grant(
            store,
            &a.id,
            MicroCredits::credits(c),
            "system:purchases",
            None,
            None,
        )
        .await
        .unwrap();
    }
    // A referenced grant applies once.
    hexaclaw_shared::accounts::grant(
        store,
        &a.id,
        MicroCredits::credits(3),
        "system:grants",
        Some("m-2026-12"),
        None,
    )
    .await
    .unwrap();
    let again = hexaclaw_shared::accounts::grant(
        store,
        &a.id,
        MicroCredits::credits(3),
        "system:grants",
        Some("m-2026-12"),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(again.status.as_u16(), 409);
    let (avail, held) = hexaclaw_shared::accounts::verify_ledger(store, &a.id)
        .await
        .unwrap();
    assert_eq!(avail, MicroCredits::credits(15));
    assert_eq!(held, MicroCredits::ZERO);
    // Unknown account.
    let e = hexaclaw_shared::accounts::grant(
        store,
        "acct_nope",
        MicroCredits::credits(1),
        "system:grants",
        None,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status.as_u16(), 404);
}
