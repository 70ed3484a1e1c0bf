//! Key management with Firebase ID tokens: token verification (signed with the committed test
//! RSA key, served as a JWK set by a local fake), the `/v1/keys` routes, scopes, cross-account
//! isolation, revocation latency, and the `events/keys/` replays.

mod support;

use axum::Router;
use axum::body::Body;
use hexaclaw_shared::auth::apikey;
use hexaclaw_shared::config::Config;
use hexaclaw_shared::state::AppState;
use hexaclaw_tests::{Resp, TEST_PEPPER, TestEnv, call, req};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::firebase::{self as fb, FakeFirebase};

async fn setup(extra: &[(&str, &str)]) -> (TestEnv, FakeFirebase, Router) {
    let f = FakeFirebase::start(600).await;
    let vars = f.vars();
    let mut all = fb::as_refs(&vars);
    all.extend_from_slice(extra);
    let env = TestEnv::embedded_with(&all).await;
    let router = env.gateway();
    (env, f, router)
}

async fn send(r: &Router, method: &str, path: &str, token: &str, body: Option<Value>) -> Resp {
    call(r, req(method, path, Some(token), body)).await
}

/// Create a key through the API; returns (id, secret, account id).
async fn new_key(r: &Router, token: &str, body: Value) -> (String, String, String) {
    let resp = send(r, "POST", "/v1/keys", token, Some(body)).await;
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    let v = resp.json();
    let secret = v["key"].as_str().expect("secret").to_owned();
    assert!(apikey::is_well_formed(&secret), "{secret}");
    (
        v["id"].as_str().expect("id").to_owned(),
        secret,
        v["account_id"].as_str().expect("account").to_owned(),
    )
}

fn with(sub: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut c = fb::claims(sub);
    edit(&mut c);
    c
}

#[tokio::test]
async fn firebase_tokens_are_verified() {
    let (_env, _f, r) = setup(&[]).await;
    let ok = send(&r, "GET", "/v1/keys", &fb::token("alice"), None).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    assert_eq!(ok.json(), json!({"object": "list", "data": []}));
    let long_sub = "s".repeat(128);
    assert_eq!(
        send(&r, "GET", "/v1/keys", &fb::token(&long_sub), None)
            .await
            .status,
        200
    );

    let now = chrono::Utc::now().timestamp();
    let [none, none_signed] = fb::alg_none(&fb::claims("alice"));
    let cases: Vec<(&str, String, &str)> = vec![
        ("HS256", fb::sign_hs256(&fb::claims("alice")), "RS256"),
        ("alg none", none, "malformed"),
        ("alg none, signature kept", none_signed, "malformed"),
        (
            "unknown kid",
            fb::sign_with(&fb::claims("alice"), "test-key", "nope"),
            "unknown key",
        ),
        (
            "another key under our kid",
            fb::sign_with(&fb::claims("alice"), "other-key", fb::KID),
            "bad signature",
        ),
        (
            "wrong iss",
            fb::sign(&with("alice", |c| {
                c["iss"] = json!("https://securetoken.google.com/other")
            })),
            "issuer",
        ),
        (
            "wrong aud",
            fb::sign(&with("alice", |c| c["aud"] = json!("other"))),
            "audience",
        ),
        (
            "expired",
            fb::sign(&with("alice", |c| {
                c["exp"] = json!(now - 3600);
                c["iat"] = json!(now - 7200);
            })),
            "expired",
        ),
        (
            "future iat",
            fb::sign(&with("alice", |c| c["iat"] = json!(now + 3600))),
            "iat",
        ),
        (
            "future auth_time",
            fb::sign(&with("alice", |c| c["auth_time"] = json!(now + 3600))),
            "auth_time",
        ),
        (
            "no auth_time",
            fb::sign(&with("alice", |c| {
                c.as_object_mut().unwrap().remove("auth_time");
            })),
            "claims",
        ),
        ("empty sub", fb::token(""), "sub"),
        ("sub over 128", fb::token(&"s".repeat(129)), "sub"),
        ("garbage", "not.a.jwt".into(), "malformed"),
    ];
    for (what, token, expect) in cases {
        let resp = send(&r, "GET", "/v1/keys", &token, None).await;
        let msg = resp.assert_error(401);
        assert!(msg.contains(expect), "{what}: {msg}");
    }
    call(&r, req("GET", "/v1/keys", None, None))
        .await
        .assert_error(401);
}

#[tokio::test]
async fn without_a_project_id_key_management_answers_503() {
    let env = TestEnv::embedded().await;
    let resp = send(&env.gateway(), "GET", "/v1/keys", &fb::token("alice"), None).await;
    let msg = resp.assert_error(503);
    assert!(msg.contains("HEXACLAW_FIREBASE_PROJECT_ID"), "{msg}");
}

#[tokio::test]
async fn signing_keys_are_cached_for_their_max_age() {
    let f = FakeFirebase::start(1).await;
    let vars = f.vars();
    let env = TestEnv::embedded_with(&fb::as_refs(&vars)).await;
    let r = env.gateway();
    for _ in 0..4 {
        assert_eq!(
            send(&r, "GET", "/v1/keys", &fb::token("alice"), None)
                .await
                .status,
            200
        );
    }
    assert_eq!(f.fetches(), 1);
    // An unknown kid does not make a fresh key set be fetched again.
    let odd = fb::sign_with(&fb::claims("alice"), "test-key", "rotated-away");
    send(&r, "GET", "/v1/keys", &odd, None)
        .await
        .assert_error(401);
    assert_eq!(f.fetches(), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        send(&r, "GET", "/v1/keys", &fb::token("alice"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        f.fetches(),
        2,
        "max-age=1 has passed: the keys are fetched again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sign_in_creates_exactly_one_trial_account() {
    let (env, _f, r) = setup(&[]).await;
    let token = fb::token("carol");
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let (r, token) = (r.clone(), token.clone());
            tokio::spawn(async move { new_key(&r, &token, json!({"name": format!("k{i}")})).await })
        })
        .collect();
    let mut accounts = Vec::new();
    for t in tasks {
        accounts.push(t.await.expect("task").2);
    }
    accounts.dedup();
    assert_eq!(
        accounts.len(),
        1,
        "concurrent first requests made {accounts:?}"
    );
    let acct = hexaclaw_shared::accounts::get(&env.state.store, &accounts[0])
        .await
        .unwrap()
        .expect("account");
    assert_eq!(acct.tier.id(), "trial");
    assert_eq!(acct.email.as_deref(), Some("carol@example.com"));
    let listed = send(&r, "GET", "/v1/keys", &token, None).await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 6);
    // An unverified email is not recorded.
    let unverified = fb::sign(&with("dave", |c| c["email_verified"] = json!(false)));
    let (_, _, dave) = new_key(&r, &unverified, json!({})).await;
    let acct = hexaclaw_shared::accounts::get(&env.state.store, &dave)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acct.email, None);
    assert_ne!(dave, accounts[0]);
}

/// Create, list, update and delete a key; shared by both store engines.
async fn key_lifecycle(r: &Router) {
    let alice = fb::token("alice");
    let body = json!({"name": "ci", "scopes": ["chat", "usage"], "rate_limits": {"requests_per_minute": 7}});
    let (id, secret, account) = new_key(r, &alice, body).await;
    let me = send(r, "GET", "/v1/key", &secret, None).await.json();
    assert_eq!(me["id"], id);
    assert_eq!(me["account_id"], account);
    assert_eq!(me["type"], "api");
    assert_eq!(me["scopes"], json!(["chat", "usage"]));
    assert_eq!(me["effective_rate_limits"]["requests_per_minute"], 7);

    let list = send(r, "GET", "/v1/keys", &alice, None).await;
    assert_eq!(list.status, 200);
    let text = String::from_utf8_lossy(&list.body).to_string();
    assert!(!text.contains(&secret[8..]), "a list never shows secrets");
    let data = list.json()["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], id);
    assert!(data[0].get("key").is_none());

    let path = format!("/v1/keys/{id}");
    let patched = send(
        r,
        "PATCH",
        &path,
        &alice,
        Some(json!({"name": "ci-2", "scopes": ["usage"], "rate_limits": null})),
    )
    .await;
    assert_eq!(
        patched.status,
        200,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    assert_eq!(patched.json()["name"], "ci-2");
    let me = send(r, "GET", "/v1/key", &secret, None).await.json();
    assert_eq!(me["scopes"], json!(["usage"]));
    assert_eq!(me["rate_limits"], json!({}));
    for bad in [
        json!({"scopes": ["root"]}),
        json!({"rate_limits": {"requests_per_minute": 0}}),
        json!({"rate_limits": {"requests_per_minute": 100_000_000}}),
        json!({"rate_limits": {"rpm": 5}}),
        json!({"owner": "someone"}),
    ] {
        send(r, "PATCH", &path, &alice, Some(bad))
            .await
            .assert_error(400);
    }
    send(
        r,
        "POST",
        "/v1/keys",
        &alice,
        Some(json!({"scopes": ["nope"]})),
    )
    .await
    .assert_error(400);

    let del = send(r, "DELETE", &path, &alice, None).await;
    assert_eq!(del.status, 200);
    assert_eq!(del.json()["deleted"], true);
    send(r, "GET", "/v1/key", &secret, None)
        .await
        .assert_error(401);
    let list = send(r, "GET", "/v1/keys", &alice, None).await.json();
    assert_eq!(list["data"], json!([]));
    send(r, "DELETE", &path, &alice, None)
        .await
        .assert_error(404);
    send(r, "PATCH", &path, &alice, Some(json!({"name": "back"})))
        .await
        .assert_error(404);
}

#[tokio::test]
async fn keys_are_created_listed_updated_and_deleted() {
    let (_env, _f, r) = setup(&[]).await;
    key_lifecycle(&r).await;
}

#[tokio::test]
async fn keys_lifecycle_on_dynamodb() {
    let Some(endpoint) = hexaclaw_tests::dynamo_endpoint() else {
        return;
    };
    let f = FakeFirebase::start(600).await;
    let state = dynamo_state(&endpoint, &f).await;
    key_lifecycle(&hexaclaw_shared::http::gateway_router(state)).await;
}

/// A gateway state on fresh DynamoDB tables, pointed at the fake Firebase.
pub async fn dynamo_state(endpoint: &str, f: &FakeFirebase) -> AppState {
    let store = hexaclaw_tests::dynamo_store(endpoint).await;
    let mut map: HashMap<String, String> = [
        ("HEXACLAW_STORE", "dynamodb"),
        ("HEXACLAW_KEY_PEPPER", TEST_PEPPER),
        ("HEXACLAW_KEY_CACHE_TTL_SECS", "0"),
        ("HEXACLAW_DEVICE_POLL_INTERVAL_SECS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    map.extend(f.vars());
    let config = Config::from_sources(&|k| map.get(k).cloned()).expect("config");
    AppState::new(config, store)
}

#[tokio::test]
async fn a_key_without_the_route_scope_gets_403() {
    let (_env, _f, r) = setup(&[]).await;
    let alice = fb::token("alice");
    let (_, chat_only, _) = new_key(&r, &alice, json!({"scopes": ["chat"]})).await;
    let (_, usage_only, _) = new_key(&r, &alice, json!({"scopes": ["usage"]})).await;
    let (_, all, _) = new_key(&r, &alice, json!({"scopes": ["*"]})).await;
    let msg = send(&r, "GET", "/v1/usage", &chat_only, None)
        .await
        .assert_error(403);
    assert!(msg.contains("usage"), "{msg}");
    assert_eq!(
        send(&r, "GET", "/v1/usage", &usage_only, None).await.status,
        200
    );
    assert_eq!(send(&r, "GET", "/v1/usage", &all, None).await.status, 200);
    // Introspection needs no scope.
    assert_eq!(
        send(&r, "GET", "/v1/key", &chat_only, None).await.status,
        200
    );
}

#[tokio::test]
async fn nobody_sees_or_changes_another_accounts_keys() {
    let (_env, _f, r) = setup(&[]).await;
    let (alice, bob) = (fb::token("alice"), fb::token("bob"));
    let (id, secret, alice_acct) = new_key(&r, &alice, json!({"name": "alice's"})).await;
    let (bob_id, _, bob_acct) = new_key(&r, &bob, json!({"name": "bob's"})).await;
    assert_ne!(alice_acct, bob_acct);
    let path = format!("/v1/keys/{id}");

    let bobs = send(&r, "GET", "/v1/keys", &bob, None).await.json();
    let ids: Vec<&str> = bobs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![bob_id.as_str()]);
    send(
        &r,
        "PATCH",
        &path,
        &bob,
        Some(json!({"name": "mine now", "scopes": ["*"]})),
    )
    .await
    .assert_error(404);
    send(&r, "DELETE", &path, &bob, None)
        .await
        .assert_error(404);
    // No way to aim a new key at another account.
    send(
        &r,
        "POST",
        "/v1/keys",
        &bob,
        Some(json!({"account_id": alice_acct})),
    )
    .await
    .assert_error(400);
    // Alice's key is untouched.
    let me = send(&r, "GET", "/v1/key", &secret, None).await.json();
    assert_eq!(
        (me["name"].as_str(), me["active"].as_bool()),
        (Some("alice's"), Some(true))
    );
    // Key management refuses API keys outright, even the account's own.
    for (m, p, b) in [
        ("GET", "/v1/keys".to_owned(), None),
        ("POST", "/v1/keys".to_owned(), Some(json!({}))),
        ("PATCH", path.clone(), Some(json!({"name": "x"}))),
        ("DELETE", path.clone(), None),
        (
            "POST",
            "/v1/device/link".to_owned(),
            Some(json!({"user_code": "BCDF-GHJK"})),
        ),
    ] {
        send(&r, m, &p, &secret, b).await.assert_error(401);
    }
    // A Firebase token is not an API key either.
    send(&r, "GET", "/v1/key", &bob, None)
        .await
        .assert_error(401);
}

#[tokio::test]
async fn revocation_reaches_other_processes_within_the_cache_ttl() {
    let (env, f, a) = setup(&[("HEXACLAW_KEY_CACHE_TTL_SECS", "2")]).await;
    // A second "process" on the same store, with its own key cache.
    let mut map: HashMap<String, String> = f.vars().into_iter().collect();
    for (k, v) in [
        ("HEXACLAW_STORE", "embedded"),
        ("HEXACLAW_KEY_PEPPER", TEST_PEPPER),
        ("HEXACLAW_KEY_CACHE_TTL_SECS", "2"),
    ] {
        map.insert(k.into(), v.into());
    }
    map.insert(
        "HEXACLAW_DATA_DIR".into(),
        env.dir.path().display().to_string(),
    );
    let config = Config::from_sources(&|k| map.get(k).cloned()).unwrap();
    let b = hexaclaw_shared::http::gateway_router(AppState::from_config(config).await.unwrap());

    let alice = fb::token("alice");
    let (id, secret, _) = new_key(&a, &alice, json!({})).await;
    assert_eq!(send(&a, "GET", "/v1/key", &secret, None).await.status, 200);
    assert_eq!(send(&b, "GET", "/v1/key", &secret, None).await.status, 200);
    let revoked_at = Instant::now();
    assert_eq!(
        send(&a, "DELETE", &format!("/v1/keys/{id}"), &alice, None)
            .await
            .status,
        200
    );
    send(&a, "GET", "/v1/key", &secret, None)
        .await
        .assert_error(401);
    // The other process still has it cached (the documented latency)…
    assert_eq!(send(&b, "GET", "/v1/key", &secret, None).await.status, 200);
    // …but not for longer than the TTL.
    loop {
        let s = send(&b, "GET", "/v1/key", &secret, None).await.status;
        if s == 401 {
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_millis(2600),
            "still {s} after the TTL"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An `events/keys/` file as Lambda delivers it, with placeholders replaced.
fn event(rel: &str, subs: &[(&str, &str)]) -> http::Request<Body> {
    let path = hexaclaw_tests::repo_root().join("events/keys").join(rel);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    for (from, to) in subs {
        text = text.replace(from, to);
    }
    let lreq = lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let (parts, body) = hexaclaw_shared::host::strip_stage(lreq).into_parts();
    let bytes = match body {
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    http::Request::from_parts(parts, Body::from(bytes))
}

#[tokio::test]
async fn events_replay_through_the_keys_router() {
    let (env, _f, _) = setup(&[]).await;
    let r = hexaclaw_shared::http::keys::router(env.state.clone());
    let tok = fb::token("erin");
    let fbt = ("REPLACE_WITH_A_FIREBASE_ID_TOKEN", tok.as_str());

    let created = call(&r, event("create-key.json", &[fbt])).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let list = call(&r, event("list-keys.json", &[fbt])).await;
    assert_eq!(list.json()["data"][0]["id"], id);
    let upd = call(
        &r,
        event("update-key.json", &[fbt, ("REPLACE_WITH_A_KEY_ID", &id)]),
    )
    .await;
    assert_eq!(upd.status, 200, "{}", String::from_utf8_lossy(&upd.body));
    assert_eq!(upd.json()["scopes"], json!(["chat"]));

    let prov = call(&r, event("device-provision.json", &[])).await.json();
    let (dc, uc) = (
        prov["device_code"].as_str().unwrap(),
        prov["user_code"].as_str().unwrap(),
    );
    let linked = call(
        &r,
        event("device-link.json", &[fbt, ("REPLACE_WITH_A_USER_CODE", uc)]),
    )
    .await;
    assert_eq!(
        linked.status,
        200,
        "{}",
        String::from_utf8_lossy(&linked.body)
    );
    let token = call(
        &r,
        event("device-token.json", &[("REPLACE_WITH_A_DEVICE_CODE", dc)]),
    )
    .await;
    assert_eq!(
        token.status,
        200,
        "{}",
        String::from_utf8_lossy(&token.body)
    );
    assert_eq!(token.json()["name"], "hexaclaw CLI on laptop");

    let del = call(
        &r,
        event("delete-key.json", &[fbt, ("REPLACE_WITH_A_KEY_ID", &id)]),
    )
    .await;
    assert_eq!(del.status, 200);
    call(&r, event("list-keys.json", &[]))
        .await
        .assert_error(401);
}
