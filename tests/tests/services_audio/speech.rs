//! `/v1/audio/speech`: audio streamed through, charged per character when the stream ends,
//! nothing charged for a broken stream or a bad request.

use super::fake::{self, Twist, fixture};
use super::{ok, setup};
use fake::AUDIO_CHUNKS;
use hexaclaw_shared::accounts;
use hexaclaw_shared::catalog::{self, Tier, TtsModel};
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_tests::client::{generation, header, settled};
use hexaclaw_tests::{call, req};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_streams_audio_and_charges_per_character() {
    let s = setup().await;
    let input = "é".repeat(1_234);
    s.fake.twist(Twist::HoldStream);
    let body = json!({"model": "tts-1-hd", "input": input, "voice": "nova", "response_format": "flac", "speed": 1.5});
    let resp = s
        .router
        .clone()
        .oneshot(req("POST", "/v1/audio/speech", Some(&s.key), Some(body)))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(header(resp.headers(), "content-type"), "audio/flac");
    let gen_id = header(resp.headers(), "x-generation-id").to_owned();
    let mut body = resp.into_body();
    // The first chunk arrives while the fake still holds the rest: nothing is buffered.
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&first[..], AUDIO_CHUNKS[0]);
    let held = accounts::get(&s.env.state.store, &s.acct)
        .await
        .unwrap()
        .unwrap()
        .held;
    // 1,234 characters (not bytes) of tts-1-hd at 2 credits / 1K = 2.468 credits.
    let price = catalog::tts_cost(TtsModel::Hd, 1_234);
    assert_eq!(price, MicroCredits(2_468_000));
    assert_eq!(held, price);
    s.fake.gate.notify_one();
    let rest = body.collect().await.unwrap().to_bytes();
    assert_eq!([&first[..], &rest[..]].concat(), AUDIO_CHUNKS.concat());
    assert_eq!(s.charged().await, price);
    let sent = s.fake.seen()[0].json();
    assert_eq!(
        sent,
        json!({"model": "tts-1-hd", "input": input, "voice": "nova", "response_format": "flac", "speed": 1.5})
    );
    let g = generation(&s.env.gateway(), &s.key, &gen_id).await;
    assert_eq!(
        (
            g["service"].clone(),
            g["units"].clone(),
            g["streamed"].clone()
        ),
        (json!("audio.speech"), json!(1234), json!(true))
    );

    // Defaults: tts-1, alloy, mp3 → audio/mpeg; 5 characters = 5,000 µcr.
    let r = s.post("/v1/audio/speech", json!({"input": "Hello"})).await;
    ok(&r);
    assert_eq!(header(&r.headers, "content-type"), "audio/mpeg");
    assert_eq!(&r.body[..], AUDIO_CHUNKS.concat());
    assert_eq!(s.fake.seen()[1].json()["voice"], "alloy");
    assert_eq!(s.charged().await, price + MicroCredits(5_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_speech_stream_is_not_charged() {
    let s = setup().await;
    s.fake.twist(Twist::BreakStream);
    let resp = s
        .router
        .clone()
        .oneshot(req(
            "POST",
            "/v1/audio/speech",
            Some(&s.key),
            Some(json!({"input": "This will break"})),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let got = resp.into_body().collect().await;
    assert!(
        got.is_err(),
        "a broken upstream must abort the client's body, not end it cleanly"
    );
    assert_eq!(s.charged().await, MicroCredits::ZERO);
    // Upstream errors before any audio: the error passes through, nothing charged.
    s.fake
        .twist(Twist::Fail(400, fixture("openai/error_400.json")));
    let r = s.post("/v1/audio/speech", json!({"input": "x"})).await;
    r.assert_error(400);
    assert_eq!(s.charged().await, MicroCredits::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_speech_requests_cost_nothing_and_call_nobody() {
    let s = setup().await;
    for body in [
        json!({"input": ""}),
        json!({"voice": "alloy"}),
        json!({"input": "x".repeat(4_097)}),
        json!({"input": "x", "voice": "ash"}),
        json!({"input": "x", "model": "tts-2"}),
        json!({"input": "x", "response_format": "ogg"}),
        json!({"input": "x", "speed": 4.5}),
        json!({"input": "x", "speed": 0.1}),
    ] {
        s.post("/v1/audio/speech", body).await.assert_error(400);
    }
    // No credits: 402 before the call.
    let (poor_acct, poor) = s.env.account_with_key(Tier::Pro, 0).await;
    let r = call(
        &s.router,
        req(
            "POST",
            "/v1/audio/speech",
            Some(&poor),
            Some(json!({"input": "hi"})),
        ),
    )
    .await;
    r.assert_error(402);
    assert!(s.fake.seen().is_empty());
    assert_eq!(s.charged().await, MicroCredits::ZERO);
    assert_eq!(settled(&s.env, &poor_acct).await.0, MicroCredits::ZERO);
}
