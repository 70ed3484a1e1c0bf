//! CLI device login (RFC 8628 shape) end to end: provision → poll → link → token → use →
//! revoke, plus single use, expiry, denial and rate-limited linking.

mod support;

use axum::Router;
use hexaclaw_shared::auth::apikey;
use hexaclaw_shared::store::{Key, Table, Update};
use hexaclaw_tests::{Resp, TEST_PEPPER, TestEnv, call, req};
use serde_json::{Value, json};
use support::firebase::{self as fb, FakeFirebase};

async fn setup() -> (TestEnv, FakeFirebase, Router) {
    let f = FakeFirebase::start(600).await;
    let vars = f.vars();
    let mut all = fb::as_refs(&vars);
    all.push(("HEXACLAW_DEVICE_POLL_INTERVAL_SECS", "1"));
    let env = TestEnv::embedded_with(&all).await;
    let router = env.gateway();
    (env, f, router)
}

async fn provision(r: &Router) -> (String, String) {
    let resp = call(r, req("POST", "/v1/device/provision", None, None)).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let v = resp.json();
    (
        v["device_code"].as_str().unwrap().to_owned(),
        v["user_code"].as_str().unwrap().to_owned(),
    )
}

async fn poll(r: &Router, device_code: &str) -> Resp {
    call(
        r,
        req(
            "POST",
            "/v1/device/token",
            None,
            Some(json!({"device_code": device_code})),
        ),
    )
    .await
}

/// Assert an RFC 8628 error; returns the error object.
fn grant_error(resp: &Resp, code: &str) -> Value {
    resp.assert_error(400);
    let v = resp.json();
    assert_eq!(v["error"]["type"], code, "{v}");
    v["error"].clone()
}

async fn link(r: &Router, sub: &str, body: Value) -> Resp {
    call(
        r,
        req("POST", "/v1/device/link", Some(&fb::token(sub)), Some(body)),
    )
    .await
}

/// The whole flow; shared by both store engines.
async fn device_flow(r: &Router) {
    let resp = call(
        r,
        req(
            "POST",
            "/v1/device/provision",
            None,
            Some(json!({"client_name": "test laptop"})),
        ),
    )
    .await;
    assert_eq!(resp.status, 200);
    let p = resp.json();
    let (dc, uc) = (
        p["device_code"].as_str().unwrap(),
        p["user_code"].as_str().unwrap(),
    );
    assert_eq!(dc.len(), 43);
    assert!(dc.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(uc.len(), 9, "{uc}");
    assert!(
        uc.chars().enumerate().all(|(i, c)| if i == 4 {
            c == '-'
        } else {
            "BCDFGHJKLMNPQRSTVWXZ".contains(c)
        }),
        "{uc}"
    );
    assert_eq!(
        (p["expires_in"].as_i64(), p["interval"].as_i64()),
        (Some(600), Some(1))
    );
    assert!(
        p["verification_uri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );

    grant_error(&poll(r, dc).await, "authorization_pending");
    let slow = grant_error(&poll(r, dc).await, "slow_down");
    assert_eq!(slow["interval"], 6, "RFC 8628: +5 s per slow_down");

    // Typed sloppily: lower case, no dash.
    let typed = uc.replace('-', "").to_lowercase();
    let linked = link(r, "bob", json!({"user_code": typed})).await;
    assert_eq!(
        linked.status,
        200,
        "{}",
        String::from_utf8_lossy(&linked.body)
    );
    let bob_acct = linked.json()["account_id"].as_str().unwrap().to_owned();
    assert_eq!(linked.json()["name"], "test laptop");

    let tok = poll(r, dc).await;
    assert_eq!(tok.status, 200, "{}", String::from_utf8_lossy(&tok.body));
    let t = tok.json();
    let token = t["access_token"].as_str().unwrap().to_owned();
    assert!(apikey::is_well_formed(&token));
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["account_id"], bob_acct);

    // Exactly once: neither the device code nor the user code works again.
    grant_error(&poll(r, dc).await, "invalid_grant");
    link(r, "bob", json!({"user_code": uc}))
        .await
        .assert_error(400);

    let me = call(r, req("GET", "/v1/key", Some(&token), None)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["type"], "device");
    assert_eq!(me.json()["account_id"], bob_acct);
    let listed = call(r, req("GET", "/v1/keys", Some(&fb::token("bob")), None))
        .await
        .json();
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == t["key_id"] && k["type"] == "device")
    );

    let del = call(
        r,
        req(
            "DELETE",
            &format!("/v1/keys/{}", t["key_id"].as_str().unwrap()),
            Some(&fb::token("bob")),
            None,
        ),
    )
    .await;
    assert_eq!(del.status, 200);
    call(r, req("GET", "/v1/key", Some(&token), None))
        .await
        .assert_error(401);
}

#[tokio::test]
async fn device_flow_end_to_end() {
    let (_env, _f, r) = setup().await;
    device_flow(&r).await;
}

#[tokio::test]
async fn device_flow_on_dynamodb() {
    let Some(endpoint) = hexaclaw_tests::dynamo_endpoint() else {
        return;
    };
    let f = FakeFirebase::start(600).await;
    let store = hexaclaw_tests::dynamo_store(&endpoint).await;
    let mut map: std::collections::HashMap<String, String> = f.vars().into_iter().collect();
    for (k, v) in [
        ("HEXACLAW_STORE", "dynamodb"),
        ("HEXACLAW_KEY_PEPPER", TEST_PEPPER),
        ("HEXACLAW_KEY_CACHE_TTL_SECS", "0"),
        ("HEXACLAW_DEVICE_POLL_INTERVAL_SECS", "1"),
    ] {
        map.insert(k.into(), v.into());
    }
    let config = hexaclaw_shared::config::Config::from_sources(&|k| map.get(k).cloned()).unwrap();
    let state = hexaclaw_shared::state::AppState::new(config, store);
    device_flow(&hexaclaw_shared::http::gateway_router(state)).await;
}

#[tokio::test]
async fn expired_denied_and_unknown_codes_fail() {
    let (env, _f, r) = setup().await;
    // Expire a pending pair in place, as ten minutes would.
    let (dc, uc) = provision(&r).await;
    let past = chrono::Utc::now().timestamp() - 1;
    let hash = apikey::hash(TEST_PEPPER, &dc);
    let store = &env.state.store;
    store
        .update(
            Table::Devices,
            &Key::new(format!("DEV#{hash}"), "D"),
            &[Update::set("code_expires_at", past)],
            None,
        )
        .await
        .unwrap();
    grant_error(&poll(&r, &dc).await, "expired_token");
    link(&r, "bob", json!({"user_code": uc}))
        .await
        .assert_error(400);
    let code = uc.replace('-', "");
    store
        .update(
            Table::Devices,
            &Key::new(format!("UC#{code}"), "U"),
            &[Update::set("expires_at", past)],
            None,
        )
        .await
        .unwrap();
    link(&r, "bob", json!({"user_code": uc}))
        .await
        .assert_error(400);

    // Denied by the user.
    let (dc, uc) = provision(&r).await;
    let denied = link(&r, "bob", json!({"user_code": uc, "approve": false})).await;
    assert_eq!(denied.json()["status"], "denied");
    grant_error(&poll(&r, &dc).await, "access_denied");
    link(&r, "bob", json!({"user_code": uc}))
        .await
        .assert_error(400);

    // Unknown and malformed codes.
    grant_error(&poll(&r, &apikey::random_base62(43)).await, "invalid_grant");
    grant_error(&poll(&r, "short").await, "invalid_grant");
    link(&r, "bob", json!({"user_code": "hello"}))
        .await
        .assert_error(400);
    link(
        &r,
        "bob",
        json!({"user_code": "BCDF-GHJK", "scopes": ["root"]}),
    )
    .await
    .assert_error(400);
    let unauth = call(
        &r,
        req(
            "POST",
            "/v1/device/link",
            None,
            Some(json!({"user_code": uc})),
        ),
    )
    .await;
    unauth.assert_error(401);
}

#[tokio::test]
async fn linking_narrows_scopes_when_asked() {
    let (_env, _f, r) = setup().await;
    let (dc, uc) = provision(&r).await;
    let linked = link(&r, "bob", json!({"user_code": uc, "scopes": ["chat"]})).await;
    assert_eq!(linked.json()["scopes"], json!(["chat"]));
    let token = poll(&r, &dc).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    call(&r, req("GET", "/v1/usage", Some(&token), None))
        .await
        .assert_error(403);
}

#[tokio::test]
async fn link_attempts_are_rate_limited_per_account() {
    let (_env, _f, r) = setup().await;
    let minute = || chrono::Utc::now().timestamp() / 60;
    let start = minute();
    let mut refused_at = None;
    for i in 1..=21 {
        // Valid-looking codes that name no device: a guesser's attempts.
        let resp = link(&r, "mallory", json!({"user_code": "ZZZZ-ZZZZ"})).await;
        if resp.status == 429 {
            refused_at = Some(i);
            break;
        }
        resp.assert_error(400);
    }
    let at = refused_at.expect("guessing was never refused");
    if minute() == start {
        assert_eq!(at, 11, "10 attempts a minute");
    } else {
        assert!(at > 10, "refused after {at}");
    }
    // While refused, even a real code is not looked at; other accounts are unaffected.
    let (_, uc) = provision(&r).await;
    let again_minute = minute();
    let resp = link(&r, "mallory", json!({"user_code": uc})).await;
    if minute() == again_minute && again_minute == start {
        resp.assert_error(429);
        assert!(resp.headers.contains_key("retry-after"));
    }
    if resp.status != 200 {
        let ok = link(&r, "trent", json!({"user_code": uc})).await;
        assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    }
}
