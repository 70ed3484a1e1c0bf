//! `POST /v1/chat/completions` end to end: the gateway router in-process, real HTTP to the fake
//! providers (`hexaclaw_tests::fake`, replaying `tests/fixtures/`), and the money checked on the
//! ledger and the generation record against prices typed in from the API reference.

use hexaclaw_shared::auth::keys::{self, KeyKind, NewKeyParams, RateLimitOverride};
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_shared::providers::ProviderKind;
use hexaclaw_tests::client::{
    self, Streamed, assemble, chat_body, chat_req, header, raw_chat_req, settled,
};
use hexaclaw_tests::fake::{FakeUpstream, platform_key};
use hexaclaw_tests::{TEST_PEPPER, TestEnv, call};
use serde_json::{Value, json};
use std::time::Duration;

/// Credits every test account starts with.
const GRANT: i64 = 10_000;

/// One provider's model, its price (credits per 1M tokens, input/output, from the API
/// reference's table) and what its fixtures say: (text, prompt tokens, completion tokens).
struct Case {
    model: &'static str,
    kind: ProviderKind,
    price: (i64, i64),
    once: (&'static str, u64, u64),
    streamed: (&'static str, u64, u64),
}

const HELLO: &str = "Hello! How can I assist you today?";

/// Where a provider's text and stream fixtures disagree (Anthropic's and DeepSeek's docs show
/// different examples, xAI's stream is an excerpt), each mode is checked against its own.
#[rustfmt::skip]
const CASES: [Case; 7] = [
    Case { model: "gpt-4.1", kind: ProviderKind::OpenAi, price: (260, 1_040),
        once: (HELLO, 19, 10), streamed: (HELLO, 19, 10) },
    Case { model: "claude-sonnet-4-6", kind: ProviderKind::Anthropic, price: (390, 1_950),
        once: ("Hello!", 12, 6), streamed: ("Hello!", 25, 15) },
    Case { model: "gemini-2.5-flash", kind: ProviderKind::Gemini, price: (15, 60),
        once: ("Paris\n", 10, 2), streamed: ("Paris\n", 10, 2) },
    // xAI bills reasoning as output: 9 completion + 94 reasoning tokens.
    Case { model: "grok-3", kind: ProviderKind::Xai, price: (390, 1_950),
        once: ("101 multiplied by 3 is 303.", 32, 103), streamed: ("Ah, the ultimate question!!", 41, 80) },
    Case { model: "deepseek-chat", kind: ProviderKind::DeepSeek, price: (18, 36),
        once: ("Hello! How can I help you today?", 16, 10), streamed: (HELLO, 17, 9) },
    Case { model: "mistral-large-latest", kind: ProviderKind::Mistral, price: (260, 780),
        once: (HELLO, 10, 9), streamed: (HELLO, 10, 9) },
    Case { model: "llama-3.3-70b-versatile", kind: ProviderKind::Groq, price: (78, 103),
        once: ("The answer is 4.", 13, 7), streamed: ("The answer is 4.", 13, 7) },
];

fn case(kind: ProviderKind) -> &'static Case {
    CASES.iter().find(|c| c.kind == kind).expect("case")
}

/// Tokens × price per 1M credits = micro-credits, exactly (prices are whole credits).
fn price(c: &Case, prompt: u64, completion: u64) -> MicroCredits {
    MicroCredits(prompt as i64 * c.price.0 + completion as i64 * c.price.1)
}

async fn setup() -> (FakeUpstream, TestEnv) {
    let fake = FakeUpstream::start().await;
    let env = TestEnv::with_fake(&fake, &[]).await;
    (fake, env)
}

fn assert_rate_headers(h: &http::HeaderMap) {
    for n in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        header(h, n)
            .parse::<u64>()
            .unwrap_or_else(|e| panic!("{n}: {e}"));
    }
}

fn gen_id(h: &http::HeaderMap) -> String {
    let id = header(h, "x-generation-id").to_owned();
    assert!(id.starts_with("gen_"), "{id}");
    id
}

/// Non-streamed, then streamed, through one provider: text, usage, `usage.cost`, the upstream
/// request (path, key, usage requested), the generation record and the ledger.
async fn provider_roundtrip(kind: ProviderKind) {
    let c = case(kind);
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, GRANT).await;

    let r = call(
        &gw,
        chat_req(&key, &chat_body(c.model, "Hello, world!", false), &[]),
    )
    .await;
    assert_eq!(
        r.status,
        200,
        "{}: {}",
        c.model,
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    let (text, p, k) = c.once;
    let cost1 = price(c, p, k);
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], c.model);
    assert_eq!(v["choices"][0]["message"]["content"], text, "{}", c.model);
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        (
            v["usage"]["prompt_tokens"].as_u64(),
            v["usage"]["completion_tokens"].as_u64()
        ),
        (Some(p), Some(k)),
        "{}",
        c.model
    );
    assert_eq!(v["usage"]["cost"], cost1.to_credits_json(), "{}", c.model);
    assert_eq!(header(&r.headers, "x-model-used"), c.model);
    assert_rate_headers(&r.headers);
    let g = client::generation(&gw, &key, &gen_id(&r.headers)).await;
    assert_eq!(
        (g["prompt_tokens"].as_u64(), g["completion_tokens"].as_u64()),
        (Some(p), Some(k))
    );
    assert_eq!(g["cost"], cost1.to_credits_json());
    // The catalog names Gemini's owner `google` (as `GET /v1/models` does).
    let owner = if kind == ProviderKind::Gemini {
        "google"
    } else {
        kind.name()
    };
    assert_eq!(
        (g["model_used"].as_str(), g["provider"].as_str()),
        (Some(c.model), Some(owner))
    );
    assert_eq!(
        (
            g["streamed"].as_bool(),
            g["byok"].as_bool(),
            g["status"].as_str()
        ),
        (Some(false), Some(false), Some("completed"))
    );
    assert_eq!(
        settled(&env, &acct).await.0,
        MicroCredits::credits(GRANT) - cost1
    );

    let mut body = chat_body(c.model, "Hello, world!", true);
    body["stream_options"] = json!({"include_usage": true});
    let s = client::stream(&gw, chat_req(&key, &body, &[])).await;
    assert_eq!(s.status, 200, "{}: {}", c.model, s.text());
    assert_eq!(header(&s.headers, "content-type"), "text/event-stream");
    assert_rate_headers(&s.headers);
    assert_eq!(
        s.data().last().map(String::as_str),
        Some("[DONE]"),
        "{}",
        s.text()
    );
    let chunks = s.chunks();
    assert!(
        chunks
            .iter()
            .all(|ch| ch["object"] == "chat.completion.chunk" && ch["model"] == c.model)
    );
    let a = assemble(&chunks);
    let (text, p, k) = c.streamed;
    let cost2 = price(c, p, k);
    assert_eq!(a.content, text, "{}", c.model);
    assert_eq!(a.finish_reason.as_deref(), Some("stop"));
    let u = a.usage.expect("usage chunk");
    assert_eq!(
        (u["prompt_tokens"].as_u64(), u["completion_tokens"].as_u64()),
        (Some(p), Some(k)),
        "{}",
        c.model
    );
    assert_eq!(u["cost"], cost2.to_credits_json(), "{}", c.model);
    if c.once == c.streamed {
        assert_eq!(cost1, cost2);
    }
    let g = client::generation(&gw, &key, &gen_id(&s.headers)).await;
    assert_eq!(
        (g["streamed"].as_bool(), g["status"].as_str()),
        (Some(true), Some("completed"))
    );
    assert_eq!(g["cost"], cost2.to_credits_json());
    assert_eq!(
        settled(&env, &acct).await.0,
        MicroCredits::credits(GRANT) - cost1 - cost2
    );

    let ups = fake.requests();
    assert_eq!(ups.len(), 2, "one upstream call each");
    for (u, stream) in ups.iter().zip([false, true]) {
        assert_eq!(u.provider, Some(kind), "{}", u.path);
        assert_eq!(
            u.api_key(),
            Some(platform_key(kind)),
            "the platform key goes upstream"
        );
        assert!(
            !String::from_utf8_lossy(&u.body).contains(&key[8..]),
            "our key must not leak upstream"
        );
        let b = u.json();
        match kind {
            ProviderKind::Gemini => {
                let want = if stream {
                    ":streamGenerateContent?alt=sse"
                } else {
                    ":generateContent"
                };
                assert!(u.path.ends_with(want), "{}", u.path);
            }
            ProviderKind::Anthropic => assert_eq!(b["stream"].as_bool().unwrap_or(false), stream),
            // Mistral reports stream usage unasked and refuses unknown fields.
            ProviderKind::Mistral => assert!(b.get("stream_options").is_none(), "{b}"),
            _ if stream => assert_eq!(b["stream_options"]["include_usage"], true, "{b}"),
            _ => assert!(b.get("stream_options").is_none()),
        }
    }
}

#[tokio::test]
async fn openai_roundtrip() {
    provider_roundtrip(ProviderKind::OpenAi).await;
}
#[tokio::test]
async fn anthropic_roundtrip() {
    provider_roundtrip(ProviderKind::Anthropic).await;
}
#[tokio::test]
async fn gemini_roundtrip() {
    provider_roundtrip(ProviderKind::Gemini).await;
}
#[tokio::test]
async fn xai_roundtrip() {
    provider_roundtrip(ProviderKind::Xai).await;
}
#[tokio::test]
async fn deepseek_roundtrip() {
    provider_roundtrip(ProviderKind::DeepSeek).await;
}
#[tokio::test]
async fn mistral_roundtrip() {
    provider_roundtrip(ProviderKind::Mistral).await;
}
#[tokio::test]
async fn groq_roundtrip() {
    provider_roundtrip(ProviderKind::Groq).await;
}

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}])
}

/// Tool calls from every provider, streamed: arguments reassemble to the fixture's JSON, the
/// finish reason is `tool_calls`, and the charge is the tool fixture's usage.
#[tokio::test]
async fn streamed_tool_calls_reassemble_to_valid_json() {
    let (_fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let paris_bogota = vec![
        ("get_weather", json!({"location": "Paris, France"})),
        ("get_weather", json!({"location": "Bogotá, Colombia"})),
    ];
    let mut charged = MicroCredits::ZERO;
    for c in &CASES {
        // (calls, prompt, completion) of the fixture this provider replays.
        let (calls, p, k) = match c.kind {
            ProviderKind::Anthropic => (
                vec![(
                    "get_weather",
                    json!({"location": "San Francisco, CA", "unit": "fahrenheit"}),
                )],
                472,
                89,
            ),
            // Gemini reports thinking separately: 38 candidates + 124 thoughts.
            ProviderKind::Gemini => (paris_bogota.clone(), 96, 162),
            ProviderKind::DeepSeek => {
                (vec![("get_weather", json!({"location": "Tokyo"}))], 161, 25)
            }
            _ => (paris_bogota.clone(), 71, 52),
        };
        let mut body = chat_body(c.model, "Weather in Paris and Bogotá? [tool]", true);
        body["tools"] = weather_tool();
        body["stream_options"] = json!({"include_usage": true});
        let s = client::stream(&gw, chat_req(&key, &body, &[])).await;
        assert_eq!(s.status, 200, "{}: {}", c.model, s.text());
        let a = assemble(&s.chunks());
        assert_eq!(
            a.finish_reason.as_deref(),
            Some("tool_calls"),
            "{}",
            c.model
        );
        assert_eq!(
            a.tool_calls.len(),
            calls.len(),
            "{}: {:?}",
            c.model,
            a.tool_calls
        );
        for ((id, name, args), (want_name, want_args)) in a.tool_calls.iter().zip(&calls) {
            assert!(!id.is_empty(), "{}: every call has an id", c.model);
            assert_eq!(name, want_name);
            let parsed: Value = serde_json::from_str(args)
                .unwrap_or_else(|e| panic!("{}: arguments {args:?}: {e}", c.model));
            assert_eq!(&parsed, want_args, "{}", c.model);
        }
        let cost = price(c, p, k);
        assert_eq!(
            a.usage.as_ref().map(|u| u["cost"].clone()),
            Some(cost.to_credits_json()),
            "{}",
            c.model
        );
        charged += cost;
    }
    assert_eq!(
        settled(&env, &acct).await.0,
        MicroCredits::credits(GRANT) - charged
    );
}

/// Tool calls without streaming: arguments are JSON strings even when the provider sent an
/// object (Anthropic `input`, Gemini `args`, Mistral's documented `"arguments": {}`).
#[tokio::test]
async fn non_streamed_tool_calls_have_string_arguments() {
    let (_fake, env) = setup().await;
    let gw = env.gateway();
    let (_, key) = env.account_with_key(Tier::Pro, GRANT).await;
    for c in &CASES {
        let mut body = chat_body(c.model, "Weather? [tool]", false);
        body["tools"] = weather_tool();
        let r = call(&gw, chat_req(&key, &body, &[])).await;
        assert_eq!(
            r.status,
            200,
            "{}: {}",
            c.model,
            String::from_utf8_lossy(&r.body)
        );
        let v = r.json();
        let calls = v["choices"][0]["message"]["tool_calls"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: {v}", c.model))
            .clone();
        assert!(!calls.is_empty());
        for call in &calls {
            let args = call["function"]["arguments"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: {call}", c.model));
            assert!(
                serde_json::from_str::<Value>(args).is_ok_and(|a| a.is_object()),
                "{}: {args}",
                c.model
            );
            assert_eq!(call["type"], "function");
        }
        match c.kind {
            ProviderKind::Gemini => assert_eq!(calls[0]["function"]["name"], "find_theaters"),
            // Mistral's documented example: placeholder values, `"finish_reason": "stop"`.
            ProviderKind::Mistral => assert_eq!(calls[0]["function"]["arguments"], "{}"),
            _ => assert_eq!(
                v["choices"][0]["finish_reason"], "tool_calls",
                "{}",
                c.model
            ),
        }
        if c.kind == ProviderKind::Anthropic {
            assert_eq!(v["usage"]["prompt_tokens"], 472);
        }
    }
}

/// BYOK: the caller's key goes upstream (ours does not), and the charge is 5% of the list
/// price with a minimum of 1 credit; a key the provider refuses is a 401 naming the header.
#[tokio::test]
async fn byok_sends_the_callers_key_and_charges_the_platform_fee() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let own = "sk-caller-own-openai-key-0001";
    let r = call(
        &gw,
        chat_req(
            &key,
            &chat_body("gpt-4.1", "Hello", false),
            &[("x-provider-key", own)],
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // 5% of 0.01534 credits is below the minimum: 1 credit.
    assert_eq!(r.json()["usage"]["cost"], json!(1));
    let g = client::generation(&gw, &key, &gen_id(&r.headers)).await;
    assert_eq!(
        (g["byok"].as_bool(), g["cost"].clone()),
        (Some(true), json!(1))
    );
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].api_key().as_deref(), Some(own));
    let all_headers = format!("{:?}", sent[0].headers);
    assert!(
        !all_headers.contains(&platform_key(ProviderKind::OpenAi)),
        "{all_headers}"
    );
    assert!(
        sent[0].header("x-provider-key").is_none(),
        "our header is not forwarded"
    );

    // Anthropic's cached-prompt example: 100,298 prompt tokens and 503 output at 390/1,950
    // = 40.09707 credits list; 5% = 2.0048535, rounded up to the micro-credit.
    let body = chat_body(
        "claude-sonnet-4-6",
        "Summarise [fixture:response_cached.json]",
        false,
    );
    let r = call(
        &gw,
        chat_req(&key, &body, &[("x-provider-key", "sk-ant-caller-own-key")]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["usage"]["prompt_tokens"], 100_298);
    let fee = MicroCredits(2_004_854);
    assert_eq!(r.json()["usage"]["cost"], fee.to_credits_json());
    assert_eq!(
        fake.requests()[1].header("x-api-key"),
        Some("sk-ant-caller-own-key")
    );

    let r = call(
        &gw,
        chat_req(
            &key,
            &chat_body("gpt-4.1", "Hello", false),
            &[("x-provider-key", "sk-invalid-key")],
        ),
    )
    .await;
    let msg = r.assert_error(401);
    assert!(
        msg.contains("X-Provider-Key") && msg.contains("Incorrect API key"),
        "{msg}"
    );
    assert_eq!(
        settled(&env, &acct).await.0,
        MicroCredits::credits(GRANT) - MicroCredits::credits(1) - fee
    );
}

/// Bodies we must refuse before anything is taken: the error shape, no upstream request, no
/// money moved.
#[tokio::test]
async fn invalid_bodies_are_refused_before_any_upstream_call() {
    let fake = FakeUpstream::start().await;
    let env = TestEnv::with_fake(&fake, &[("HEXACLAW_MAX_BODY_BYTES", "65536")]).await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let msgs = json!([{"role": "user", "content": "hi"}]);
    let huge =
        json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "x".repeat(70_000)}]});
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "missing model",
            json!({"messages": msgs}).to_string().into_bytes(),
            400,
        ),
        (
            "unknown model",
            json!({"model": "gpt-9-ultra", "messages": msgs})
                .to_string()
                .into_bytes(),
            404,
        ),
        (
            "messages not an array",
            json!({"model": "gpt-4.1", "messages": "hi"})
                .to_string()
                .into_bytes(),
            400,
        ),
        (
            "bad role",
            json!({"model": "gpt-4.1", "messages": [{"role": "wizard", "content": "hi"}]})
                .to_string()
                .into_bytes(),
            400,
        ),
        (
            "temperature out of range",
            json!({"model": "gpt-4.1", "messages": msgs, "temperature": 3.5})
                .to_string()
                .into_bytes(),
            400,
        ),
        (
            "malformed JSON",
            br#"{"model": "gpt-4.1", "messages": ["#.to_vec(),
            400,
        ),
        ("over the size limit", huge.to_string().into_bytes(), 413),
    ];
    for (what, body, status) in cases {
        let r = call(&gw, raw_chat_req(&key, body, &[])).await;
        let msg = r.assert_error(status);
        assert!(!msg.is_empty(), "{what}");
        assert_eq!(fake.count(), 0, "{what}: no upstream request");
    }
    assert_eq!(settled(&env, &acct).await.0, MicroCredits::credits(GRANT));
}

/// Upstream errors keep the provider's message under our status; nothing is charged.
#[tokio::test]
async fn upstream_errors_map_to_our_status_with_the_providers_message() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let cases = [
        (
            "gpt-4.1",
            "[error429]",
            429,
            "Rate limit reached for gpt-4o",
        ),
        (
            "claude-sonnet-4-6",
            "[error400]",
            400,
            "unexpected `tool_use_id`",
        ),
        ("claude-sonnet-4-6", "[error529]", 503, "Overloaded"),
        (
            "gemini-2.5-flash",
            "[error429]",
            429,
            "Resource has been exhausted",
        ),
        (
            "mistral-large-latest",
            "[error422]",
            400,
            "Extra inputs are not permitted",
        ),
    ];
    for (model, tag, status, said) in cases {
        fake.clear();
        let r = call(
            &gw,
            chat_req(&key, &chat_body(model, &format!("hi {tag}"), false), &[]),
        )
        .await;
        let msg = r.assert_error(status);
        assert!(msg.contains(said), "{model} {tag}: {msg}");
        assert_rate_headers(&r.headers);
        // 429 and 529 are retried before giving up; 400s are not.
        let calls = fake.count();
        if status == 400 {
            assert_eq!(calls, 1, "{model} {tag}")
        } else {
            assert!(calls >= 2, "{model} {tag}: {calls}")
        }
    }
    assert_eq!(settled(&env, &acct).await.0, MicroCredits::credits(GRANT));
}

/// A 503 on the first attempt is retried; the answer is charged once.
#[tokio::test]
async fn flaky_upstream_is_retried_and_charged_once() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let r = call(
        &gw,
        chat_req(&key, &chat_body("gpt-4.1", "hi [flaky]", false), &[]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sent = fake.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].body, sent[1].body,
        "the retry sends the same request"
    );
    let cost = price(case(ProviderKind::OpenAi), 19, 10);
    assert_eq!(
        settled(&env, &acct).await.0,
        MicroCredits::credits(GRANT) - cost
    );
}

/// Chunks are relayed as they arrive: the first reaches the client before the provider has
/// finished sending (the fake pauses 300 ms between events).
#[tokio::test]
async fn slow_stream_chunks_are_relayed_as_they_arrive() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (_, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let s = client::stream(
        &gw,
        chat_req(
            &key,
            &chat_body("gemini-2.5-flash", "Capital of France? [slow]", true),
            &[],
        ),
    )
    .await;
    assert_eq!(s.status, 200);
    assert_eq!(assemble(&s.chunks()).content, "Paris\n");
    let first = first_content_frame(&s);
    let last = s.frames.last().expect("frames").0;
    let upstream_done = fake
        .stream_finished_at(0)
        .expect("the fake finished its stream");
    assert!(
        first < upstream_done,
        "first chunk only after the provider finished"
    );
    assert!(
        upstream_done - first >= Duration::from_millis(250),
        "{:?}",
        upstream_done - first
    );
    assert!(
        last - first >= Duration::from_millis(250),
        "{:?}",
        last - first
    );
}

fn first_content_frame(s: &Streamed) -> std::time::Instant {
    s.frames
        .iter()
        .find(|(_, b)| String::from_utf8_lossy(b).contains("Paris"))
        .expect("a frame with text")
        .0
}

/// A client that goes away mid-stream is still billed on the provider's real usage, which
/// only arrives in the last event (1.5 s later: five 300 ms pauses).
#[tokio::test]
async fn client_disconnect_mid_stream_is_settled_on_real_usage() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let req = chat_req(
        &key,
        &chat_body("mistral-large-latest", "Hello [slow]", true),
        &[],
    );
    let resp = tower::ServiceExt::oneshot(gw.clone(), req)
        .await
        .expect("infallible");
    let id = gen_id(resp.headers());
    let mut body = resp.into_body();
    let first = http_body_util::BodyExt::frame(&mut body)
        .await
        .expect("a first frame")
        .expect("frame");
    assert!(first.is_data());
    drop(body);
    let g = client::generation(&gw, &key, &id).await;
    assert_eq!(
        (g["prompt_tokens"].as_u64(), g["completion_tokens"].as_u64()),
        (Some(10), Some(9)),
        "{g}"
    );
    assert_eq!(
        (
            g["cancelled"].as_bool(),
            g["status"].as_str(),
            g["estimated"].as_bool()
        ),
        (Some(true), Some("cancelled"), Some(false)),
        "{g}"
    );
    let cost = price(case(ProviderKind::Mistral), 10, 9);
    assert_eq!(g["cost"], cost.to_credits_json());
    assert_eq!(
        settled(&env, &acct).await.0,
        MicroCredits::credits(GRANT) - cost
    );
    assert!(
        fake.stream_finished_at(0).is_some(),
        "the provider's stream was read to the end"
    );
}

/// Same Idempotency-Key and body: replayed, one upstream call, one charge; other body: 422.
#[tokio::test]
async fn idempotency_key_replays_once_charged() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let body = chat_body("gpt-4.1", "Hello", false);
    let idem = [("idempotency-key", "order-42-attempt")];
    let a = call(&gw, chat_req(&key, &body, &idem)).await;
    assert_eq!(a.status, 200);
    assert!(a.headers.get("x-idempotent-replayed").is_none());
    assert_eq!(header(&a.headers, "idempotency-key"), "order-42-attempt");
    let b = call(&gw, chat_req(&key, &body, &idem)).await;
    assert_eq!(b.status, 200);
    assert_eq!(header(&b.headers, "x-idempotent-replayed"), "true");
    assert_eq!(b.body, a.body);
    assert_eq!(gen_id(&b.headers), gen_id(&a.headers));
    assert_rate_headers(&b.headers);
    let other = call(
        &gw,
        chat_req(&key, &chat_body("gpt-4.1", "Hello again", false), &idem),
    )
    .await;
    other.assert_error(422);

    // A completed stream replays too, byte for byte.
    let sidem = [("idempotency-key", "stream-7")];
    let sbody = chat_body("mistral-large-latest", "Hello", true);
    let s1 = client::stream(&gw, chat_req(&key, &sbody, &sidem)).await;
    settled(&env, &acct).await;
    let s2 = client::stream(&gw, chat_req(&key, &sbody, &sidem)).await;
    assert_eq!(header(&s2.headers, "x-idempotent-replayed"), "true");
    assert_eq!(s2.text(), s1.text());

    assert_eq!(fake.count(), 2, "one upstream call per key");
    let cost =
        price(case(ProviderKind::OpenAi), 19, 10) + price(case(ProviderKind::Mistral), 10, 9);
    assert_eq!(
        settled(&env, &acct).await.0,
        MicroCredits::credits(GRANT) - cost
    );
}

/// 100 concurrent requests with one Idempotency-Key: one upstream call, one charge; the rest
/// are replays or 409 (still in progress).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_idempotency_key_run_once() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, _) = env.account_with_key(Tier::Pro, GRANT).await;
    // Limits wide enough that only idempotency decides.
    let key = keys::create(
        &env.state.store,
        TEST_PEPPER,
        NewKeyParams {
            account_id: &acct,
            name: "burst",
            scopes: vec![],
            rate_limits: RateLimitOverride {
                requests_per_minute: Some(1_000),
                requests_per_day: Some(10_000),
                concurrent: Some(500),
            },
            kind: KeyKind::Api,
        },
    )
    .await
    .expect("key")
    .1;
    let body = chat_body("gpt-4.1", "Hello [slow]", false);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (gw, key, body) = (gw.clone(), key.clone(), body.clone());
            tokio::spawn(async move {
                call(
                    &gw,
                    chat_req(&key, &body, &[("idempotency-key", "burst-1")]),
                )
                .await
            })
        })
        .collect();
    let (mut fresh, mut replayed, mut conflict) = (0, 0, 0);
    for t in tasks {
        let r = t.await.expect("task");
        match (
            r.status.as_u16(),
            r.headers.get("x-idempotent-replayed").is_some(),
        ) {
            (200, false) => fresh += 1,
            (200, true) => replayed += 1,
            (409, _) => {
                r.assert_error(409);
                conflict += 1;
            }
            (s, _) => panic!("unexpected {s}: {}", String::from_utf8_lossy(&r.body)),
        }
    }
    assert_eq!(fresh, 1, "replayed {replayed}, conflict {conflict}");
    assert_eq!(replayed + conflict, 99);
    assert_eq!(fake.count(), 1);
    let cost = price(case(ProviderKind::OpenAi), 19, 10);
    assert_eq!(
        settled(&env, &acct).await.0,
        MicroCredits::credits(GRANT) - cost
    );
}

/// A balance that cannot cover `max_tokens` is a 402 before any upstream call.
#[tokio::test]
async fn insufficient_balance_is_402_without_upstream_call() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, key) = env.account_with_key(Tier::Pro, 1).await;
    let mut body = chat_body("claude-sonnet-4-6", "Write a novel", false);
    body["max_tokens"] = json!(100_000);
    let r = call(&gw, chat_req(&key, &body, &[])).await;
    r.assert_error(402);
    assert_rate_headers(&r.headers);
    assert_eq!(fake.count(), 0);
    assert_eq!(settled(&env, &acct).await.0, MicroCredits::credits(1));
}

/// Our own rate limit: headers on every answer, and the refused request never goes upstream.
#[tokio::test]
async fn rate_limited_request_has_headers_and_no_upstream_call() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, _) = env.account_with_key(Tier::Pro, GRANT).await;
    let key = keys::create(
        &env.state.store,
        TEST_PEPPER,
        NewKeyParams {
            account_id: &acct,
            name: "slow-lane",
            scopes: vec![],
            rate_limits: RateLimitOverride {
                requests_per_minute: Some(2),
                ..Default::default()
            },
            kind: KeyKind::Api,
        },
    )
    .await
    .expect("key")
    .1;
    let body = chat_body("gpt-4.1", "Hello", false);
    for remaining in ["1", "0"] {
        let r = call(&gw, chat_req(&key, &body, &[])).await;
        assert_eq!(r.status, 200);
        assert_eq!(header(&r.headers, "x-ratelimit-limit"), "2");
        assert_eq!(header(&r.headers, "x-ratelimit-remaining"), remaining);
    }
    let r = call(&gw, chat_req(&key, &body, &[])).await;
    r.assert_error(429);
    assert_eq!(header(&r.headers, "x-ratelimit-remaining"), "0");
    assert_rate_headers(&r.headers);
    assert_eq!(fake.count(), 2);
}

/// The key's concurrency limit on the gateway (whose leases live in the process): with two
/// slow calls in flight a third is a 429 that never reaches the upstream, and the slots are
/// free again once the calls end, including one that failed upstream.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_limit_refuses_the_extra_request_and_frees_slots() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (acct, _) = env.account_with_key(Tier::Pro, GRANT).await;
    let (key_id, key) = keys::create(
        &env.state.store,
        TEST_PEPPER,
        NewKeyParams {
            account_id: &acct,
            name: "two-lanes",
            scopes: vec![],
            rate_limits: RateLimitOverride {
                concurrent: Some(2),
                ..Default::default()
            },
            kind: KeyKind::Api,
        },
    )
    .await
    .expect("key");
    let key_id = key_id.id;
    let leases = match &env.state.leases {
        hexaclaw_shared::ratelimit::Leases::Local(t) => t.clone(),
        hexaclaw_shared::ratelimit::Leases::Stored => {
            panic!("the embedded store keeps leases in the process")
        }
    };
    // Streamed, so each call holds its slot for the whole stream (a pause between every
    // event): seconds, where a slow non-streamed answer would leave a loaded machine only
    // 300 ms to send the third request.
    let slow = chat_body("gpt-4.1", "Hello [slow]", true);
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let (gw, key, body) = (gw.clone(), key.clone(), slow.clone());
            tokio::spawn(async move { call(&gw, chat_req(&key, &body, &[])).await })
        })
        .collect();
    // Both are past the pipeline (holding their slots) once the upstream has seen them.
    for _ in 0..200 {
        if fake.count() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(fake.count(), 2, "both slow calls reached the upstream");
    assert_eq!(leases.in_flight(&key_id), 2);
    let r = call(
        &gw,
        chat_req(&key, &chat_body("gpt-4.1", "Hello", false), &[]),
    )
    .await;
    r.assert_error(429);
    assert!(
        String::from_utf8_lossy(&r.body).contains("Too many concurrent requests"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_rate_headers(&r.headers);
    assert_eq!(fake.count(), 2, "the refused request never went upstream");
    for c in calls {
        assert_eq!(c.await.expect("task").status, 200);
    }
    assert_eq!(leases.in_flight(&key_id), 0, "slots freed after the calls");
    // An upstream failure frees its slot too.
    let r = call(
        &gw,
        chat_req(&key, &chat_body("gpt-4.1", "Hello [error400]", false), &[]),
    )
    .await;
    r.assert_error(400);
    assert_eq!(
        leases.in_flight(&key_id),
        0,
        "slot freed after an upstream error"
    );
    for _ in 0..2 {
        let r = call(
            &gw,
            chat_req(&key, &chat_body("gpt-4.1", "Hello", false), &[]),
        )
        .await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(leases.in_flight(&key_id), 0);
}

/// An alias is answered by its model, and both names are in the headers.
#[tokio::test]
async fn alias_is_reported_in_model_headers() {
    let (fake, env) = setup().await;
    let gw = env.gateway();
    let (_, key) = env.account_with_key(Tier::Pro, GRANT).await;
    let r = call(
        &gw,
        chat_req(&key, &chat_body("claude-sonnet", "Hello", false), &[]),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(header(&r.headers, "x-model-requested"), "claude-sonnet");
    assert_eq!(header(&r.headers, "x-model-used"), "claude-sonnet-4-6");
    assert_eq!(r.json()["model"], "claude-sonnet-4-6");
    assert_eq!(fake.requests()[0].provider, Some(ProviderKind::Anthropic));
}
