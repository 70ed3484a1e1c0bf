//! A fake Firebase for tests: the committed test RSA keys (tests/fixtures/firebase/) served as a
//! JWK set on a loopback port, counting fetches, and ID tokens signed with them.

#![allow(dead_code)]

use axum::Router;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The Firebase project the tests configure.
pub const PROJECT: &str = "hexaclaw-test";
/// `kid` of the served test key.
pub const KID: &str = "hexaclaw-test-key-1";
/// `base64url({"alg":"none","typ":"JWT","kid":"hexaclaw-test-key-1"})`.
pub const NONE_HEADER: &str =
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiaGV4YWNsYXctdGVzdC1rZXktMSJ9";

fn fixture(name: &str) -> Vec<u8> {
    let p = hexaclaw_tests::repo_root()
        .join("tests/fixtures/firebase")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

/// Google's key endpoint, faked: serves test-key.jwks.json with `max-age`.
pub struct FakeFirebase {
    pub url: String,
    fetches: Arc<AtomicUsize>,
}

impl FakeFirebase {
    /// Start serving on 127.0.0.1:0 with `Cache-Control: public, max-age=<max_age>`.
    pub async fn start(max_age: u64) -> FakeFirebase {
        let jwks = String::from_utf8(fixture("test-key.jwks.json")).expect("utf8");
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        let app = Router::new().route(
            "/jwks",
            get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let jwks = jwks.clone();
                async move {
                    (
                        [
                            (
                                "cache-control",
                                format!("public, max-age={max_age}, must-revalidate, no-transform"),
                            ),
                            ("content-type", "application/json; charset=UTF-8".to_owned()),
                        ],
                        jwks,
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeFirebase {
            url: format!("http://{addr}/jwks"),
            fetches,
        }
    }

    /// How many times the key set was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Config variables pointing a gateway at this fake and the test project.
    pub fn vars(&self) -> Vec<(String, String)> {
        vec![
            ("HEXACLAW_FIREBASE_PROJECT_ID".into(), PROJECT.into()),
            ("HEXACLAW_FIREBASE_JWKS_URL".into(), self.url.clone()),
        ]
    }
}

/// `vars` as the `&[(&str, &str)]` that `TestEnv::embedded_with` takes.
pub fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid claims of a Firebase ID token for `sub` (verified email `<sub>@example.com`).
pub fn claims(sub: &str) -> Value {
    let now = now();
    json!({
        "iss": format!("https://securetoken.google.com/{PROJECT}"),
        "aud": PROJECT,
        "sub": sub,
        "user_id": sub,
        "auth_time": now - 120,
        "iat": now - 10,
        "exp": now + 3600,
        "email": format!("{sub}@example.com"),
        "email_verified": true,
        "firebase": {"identities": {}, "sign_in_provider": "password"},
    })
}

/// Sign `claims` with a key fixture (`test-key` or `other-key`) under `kid`.
pub fn sign_with(claims: &Value, pem: &str, kid: &str) -> String {
    let key = EncodingKey::from_rsa_pem(&fixture(&format!("{pem}.pem"))).expect("pem");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

/// Sign `claims` with the served test key.
pub fn sign(claims: &Value) -> String {
    sign_with(claims, "test-key", KID)
}

/// A valid ID token for `sub`.
pub fn token(sub: &str) -> String {
    sign(&claims(sub))
}

/// The same claims MACed with HS256 (alg confusion).
pub fn sign_hs256(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(b"not-a-google-key").expect("hmac key"),
    )
    .expect("sign")
}

/// The claims of a valid token under an `alg: none` header, without and with a signature.
pub fn alg_none(claims: &Value) -> [String; 2] {
    let valid = sign(claims);
    let mut parts = valid.split('.');
    let (_, payload, sig) = (
        parts.next(),
        parts.next().expect("payload"),
        parts.next().expect("sig"),
    );
    [
        format!("{NONE_HEADER}.{payload}."),
        format!("{NONE_HEADER}.{payload}.{sig}"),
    ]
}
