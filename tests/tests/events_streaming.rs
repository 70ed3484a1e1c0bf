//! The streaming functions' events (REST API v1 and Function URL v2 shapes) replayed through
//! the `chat` and `messages` Lambda routers against the fake providers: the streamed SSE comes
//! back whole, as `sam local invoke` or API Gateway would deliver the event.

use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::http::group_router;
use hexaclaw_tests::fake::FakeUpstream;
use hexaclaw_tests::{TestEnv, call, event_request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_events_replay_through_their_routers() {
    let fake = FakeUpstream::start().await;
    let env = TestEnv::with_fake(&fake, &[]).await;
    let (_, key) = env.account_with_key(Tier::Pro, 100).await;
    let chat = group_router("chat", env.state.clone()).unwrap();
    let messages = group_router("messages", env.state.clone()).unwrap();

    for ev in [
        "chat/completion-stream.json",
        "chat/completion-stream-function-url.json",
    ] {
        let r = call(&chat, event_request(ev, Some(&key))).await;
        assert_eq!(r.status, 200, "{ev}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.headers["content-type"], "text/event-stream");
        let body = String::from_utf8_lossy(&r.body);
        assert!(body.trim_end().ends_with("data: [DONE]"), "{ev}: {body}");
        assert!(body.matches("chat.completion.chunk").count() >= 3, "{ev}");
    }
    let r = call(&chat, event_request("chat/completion.json", Some(&key))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["object"], "chat.completion");

    let r = call(
        &messages,
        event_request("messages/message-stream-function-url.json", Some(&key)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.starts_with("event: message_start"), "{body}");
    assert!(body.contains("event: message_stop"), "{body}");
    let r = call(
        &messages,
        event_request("messages/message.json", Some(&key)),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["type"], "message");
}
