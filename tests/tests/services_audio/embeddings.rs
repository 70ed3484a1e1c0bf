//! `/v1/embeddings`: OpenAI pass-through settled on reported usage, Gemini translated and
//! settled on an estimate, bad requests free, upstream errors voided.

use super::fake::{self, Twist, fixture};
use super::{ok, setup};
use axum::body::Body;
use base64::Engine;
use hexaclaw_shared::catalog;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_tests::client::{generation, header};
use hexaclaw_tests::{call, req};
use http::Request;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_embeddings_settle_on_reported_usage() {
    let s = setup().await;
    let r = s.post("/v1/embeddings", json!({"model": "text-embedding-3-small", "input": "The food was delicious", "dimensions": 3, "user": "u-1"})).await;
    ok(&r);
    let v = r.json();
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], "text-embedding-3-small");
    assert_eq!(
        v["data"][0]["embedding"],
        json!([0.0023064255, -0.009327292, -0.0028842222])
    );
    assert_eq!(v["usage"]["prompt_tokens"], 8);
    // 8 tokens × 2 credits / 1M = 16 µcr.
    let price = catalog::embedding_cost(
        catalog::resolve_embedding("text-embedding-3-small").unwrap(),
        8,
    );
    assert_eq!(price, MicroCredits(16));
    assert_eq!(v["usage"]["cost"], price.to_credits_json());
    assert_eq!(s.charged().await, price);
    let seen = s.fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/embeddings");
    assert_eq!(
        header(&seen[0].headers, "authorization"),
        format!("Bearer {}", fake::OPENAI_KEY)
    );
    assert_eq!(
        seen[0].json(),
        json!({"model": "text-embedding-3-small", "input": "The food was delicious", "encoding_format": "float", "dimensions": 3, "user": "u-1"})
    );
    let g = generation(
        &s.env.gateway(),
        &s.key,
        header(&r.headers, "x-generation-id"),
    )
    .await;
    assert_eq!(
        (
            g["service"].clone(),
            g["prompt_tokens"].clone(),
            g["estimated"].clone()
        ),
        (json!("embeddings"), json!(8), json!(false))
    );

    // Three inputs, base64, the large model: the fake counts 2 + 3 + 1 = 6 tokens, × 13
    // credits / 1M = 78 µcr.
    let r = s.post("/v1/embeddings", json!({"model": "openai/text-embedding-3-large", "input": ["alpha be", "gamma delta", "e"], "encoding_format": "base64"})).await;
    ok(&r);
    let v = r.json();
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    let b64 = v["data"][2]["embedding"].as_str().unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(
        f32::from_le_bytes(raw[4..8].try_into().unwrap()),
        -0.009327292f32
    );
    assert_eq!(header(&r.headers, "x-model-used"), "text-embedding-3-large");
    assert_eq!(s.charged().await, MicroCredits(16 + 78));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_embeddings_are_translated_and_estimated() {
    let s = setup().await;
    // "abcdefgh" = 8 bytes → 2 tokens, "xyz" → 1: 3 tokens × 1 credit / 1M = 3 µcr.
    let r = s
        .post(
            "/v1/embeddings",
            json!({"model": "gemini-embedding-001", "input": ["abcdefgh", "xyz"]}),
        )
        .await;
    ok(&r);
    let v = r.json();
    assert_eq!(v["model"], "gemini-embedding-001");
    assert_eq!(
        v["data"][1],
        json!({"object": "embedding", "index": 1, "embedding": [-0.0074934093, 0.007946479, 0.0053508296]})
    );
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 3, "total_tokens": 3, "cost": MicroCredits(3).to_credits_json()})
    );
    assert_eq!(header(&r.headers, "x-usage-estimated"), "true");
    assert_eq!(s.charged().await, MicroCredits(3));
    let seen = &s.fake.seen()[0];
    assert_eq!(
        seen.path,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    assert_eq!(header(&seen.headers, "x-goog-api-key"), fake::GEMINI_KEY);
    assert_eq!(
        seen.json()["requests"][0],
        json!({"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "abcdefgh"}]}})
    );
    let g = generation(
        &s.env.gateway(),
        &s.key,
        header(&r.headers, "x-generation-id"),
    )
    .await;
    assert_eq!(g["estimated"], true);

    // 150 inputs go out as 100 + 50, come back as one list; base64 and dimensions honoured.
    let inputs: Vec<String> = (0..150).map(|i| format!("doc {i:03}")).collect();
    let r = s.post("/v1/embeddings", json!({"model": "google/gemini-embedding-001", "input": inputs, "dimensions": 128, "encoding_format": "base64"})).await;
    ok(&r);
    let data = r.json()["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 150);
    assert_eq!(data[149]["index"], 149);
    let raw = base64::engine::general_purpose::STANDARD
        .decode(data[120]["embedding"].as_str().unwrap())
        .unwrap();
    assert_eq!(raw.len(), 128 * 4);
    // Item 20 of the second batch: first value (20 × 10) / 64.
    assert_eq!(
        f32::from_le_bytes(raw[0..4].try_into().unwrap()),
        200.0 / 64.0
    );
    let seen = s.fake.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].json()["requests"].as_array().unwrap().len(), 100);
    assert_eq!(seen[2].json()["requests"][0]["outputDimensionality"], 128);
    // "doc NNN" = 7 bytes → 2 tokens each: 300 tokens → 300 µcr.
    assert_eq!(s.charged().await, MicroCredits(3 + 300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_embedding_requests_cost_nothing_and_call_nobody() {
    let s = setup().await;
    let cases = [
        (json!({"model": "text-embedding-3-small"}), 400),
        (json!({"model": "text-embedding-3-small", "input": ""}), 400),
        (json!({"model": "text-embedding-3-small", "input": []}), 400),
        (
            json!({"model": "text-embedding-3-small", "input": ["x", ""]}),
            400,
        ),
        (json!({"model": "text-embedding-9", "input": "x"}), 404),
        (json!({"model": "gpt-4.1", "input": "x"}), 404),
        (
            json!({"model": "text-embedding-3-small", "input": "x", "dimensions": 1537}),
            400,
        ),
        (
            json!({"model": "text-embedding-3-large", "input": "x", "dimensions": 0}),
            400,
        ),
        (
            json!({"model": "gemini-embedding-001", "input": "x", "dimensions": 64}),
            400,
        ),
        (
            json!({"model": "gemini-embedding-001", "input": [[1, 2, 3]]}),
            400,
        ),
        (
            json!({"model": "text-embedding-3-small", "input": "x", "encoding_format": "int8"}),
            400,
        ),
    ];
    for (body, status) in cases {
        let r = s.post("/v1/embeddings", body.clone()).await;
        r.assert_error(status);
        if status == 404 {
            assert_eq!(r.json()["error"]["type"], "model_not_found", "{body}");
        }
    }
    let r = call(
        &s.router,
        Request::post("/v1/embeddings")
            .header("authorization", format!("Bearer {}", s.key))
            .body(Body::from("{nope"))
            .unwrap(),
    )
    .await;
    r.assert_error(400);
    assert!(s.fake.seen().is_empty());
    assert_eq!(s.charged().await, MicroCredits::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedding_upstream_errors_void_and_retries_charge_once() {
    let s = setup().await;
    s.fake.twist(Twist::Fail(
        400,
        fixture("openai/embeddings_error_400.json"),
    ));
    let r = s
        .post(
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": "long"}),
        )
        .await;
    assert!(r.assert_error(400).contains("maximum context length"));
    assert_eq!(s.charged().await, MicroCredits::ZERO);
    // A 429 is retried; the request succeeds and is charged once.
    s.fake
        .twist(Twist::Fail(429, fixture("openai/error_429.json")));
    let r = s
        .post(
            "/v1/embeddings",
            json!({"model": "text-embedding-3-small", "input": "the same request, again"}),
        )
        .await;
    ok(&r);
    assert_eq!(s.fake.seen().len(), 3);
    assert_eq!(s.charged().await, MicroCredits(16));
    // BYOK: the caller's key goes upstream and the platform fee (1 credit minimum) is charged.
    let r = call(
        &s.router,
        Request::post("/v1/embeddings")
            .header("authorization", format!("Bearer {}", s.key))
            .header("x-provider-key", "sk-callers-own")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"model": "text-embedding-3-small", "input": "bring your own key"})
                    .to_string(),
            ))
            .unwrap(),
    )
    .await;
    ok(&r);
    assert_eq!(
        header(&s.fake.seen()[3].headers, "authorization"),
        "Bearer sk-callers-own"
    );
    assert_eq!(
        s.charged().await,
        MicroCredits(16) + MicroCredits::credits(1)
    );
    // A key without the scope is refused before anything happens.
    let chat_only = s.env.key_for(&s.acct, &["chat"]).await;
    let r = call(
        &s.router,
        req(
            "POST",
            "/v1/embeddings",
            Some(&chat_only),
            Some(json!({"model": "text-embedding-3-small", "input": "x"})),
        ),
    )
    .await;
    r.assert_error(403);
    assert_eq!(s.fake.seen().len(), 4);
}
