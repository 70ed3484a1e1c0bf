//! `/v1/audio/transcriptions`: every container measured, billed per started minute, the file
//! forwarded as multipart; replays and bad uploads cost nothing extra.

use super::fake;
use super::{audio_fixture, form, ok, setup, upload, wav};
use axum::body::Body;
use hexaclaw_shared::catalog;
use hexaclaw_shared::http::audio;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_tests::client::{generation, header};
use hexaclaw_tests::{call, req};
use http::Request;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcriptions_bill_each_started_minute_of_measured_audio() {
    let s = setup().await;
    let files: Vec<(&str, Vec<u8>, u64, &str)> = vec![
        ("a.wav", wav(59_500), 1, "a.wav"),
        ("b.wav", wav(60_000), 1, "b.wav"),
        ("c.wav", wav(61_000), 2, "c.wav"),
        // The client's name and type lie; the content decides (and the name sent upstream).
        ("notes.txt", wav(1_000), 1, "notes.wav"),
        (
            "speech.m4a",
            audio_fixture("silence_61s.m4a"),
            2,
            "speech.m4a",
        ),
        (
            "speech.ogg",
            audio_fixture("silence_59_5s.ogg"),
            1,
            "speech.ogg",
        ),
        (
            "speech.mp3",
            audio_fixture("silence_5s.mp3"),
            1,
            "speech.mp3",
        ),
        (
            "speech.flac",
            audio_fixture("silence_5s.flac"),
            1,
            "speech.flac",
        ),
        (
            "speech.webm",
            audio_fixture("silence_5s.webm"),
            1,
            "speech.webm",
        ),
    ];
    let mut expected = MicroCredits::ZERO;
    for (i, (name, data, minutes, sent_name)) in files.iter().enumerate() {
        let r = call(
            &s.router,
            upload(
                &s.key,
                "XyZ",
                form(
                    "XyZ",
                    &[("model", "whisper-1"), ("language", "en")],
                    Some((name, "text/plain", data)),
                ),
                &[],
            ),
        )
        .await;
        ok(&r);
        assert_eq!(r.json(), json!({"text": "Silence, transcribed."}), "{name}");
        expected += catalog::stt_cost(minutes * 60_000);
        assert_eq!(
            s.charged().await,
            expected,
            "{name}: {} ms",
            header(&r.headers, "x-audio-duration-ms")
        );
        let seen = &s.fake.seen()[i];
        let file = seen.part("file").unwrap();
        assert_eq!(
            (file.1.as_deref(), &file.3[..]),
            (Some(*sent_name), &data[..]),
            "{name}"
        );
        assert_eq!(&seen.part("model").unwrap().3[..], b"whisper-1");
        assert_eq!(&seen.part("language").unwrap().3[..], b"en");
        assert_eq!(
            header(&seen.headers, "authorization"),
            format!("Bearer {}", fake::OPENAI_KEY)
        );
    }
    assert_eq!(expected, MicroCredits::credits(11));

    // Plain-text formats pass through with their content type.
    let r = call(
        &s.router,
        upload(
            &s.key,
            "b",
            form(
                "b",
                &[("response_format", "srt")],
                Some(("x.wav", "audio/wav", &wav(2_000))),
            ),
            &[],
        ),
    )
    .await;
    ok(&r);
    assert!(header(&r.headers, "content-type").starts_with("text/plain"));
    assert_eq!(String::from_utf8_lossy(&r.body), "Silence, transcribed.\n");
    let g = generation(
        &s.env.gateway(),
        &s.key,
        header(&r.headers, "x-generation-id"),
    )
    .await;
    assert_eq!(
        (g["service"].clone(), g["units"].clone()),
        (json!("audio.transcriptions"), json!(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_upload_with_a_new_boundary_is_replayed_not_recharged() {
    let s = setup().await;
    let data = wav(3_000);
    let idem = [("idempotency-key", "upload-42")];
    let a = call(
        &s.router,
        upload(
            &s.key,
            "first",
            form("first", &[], Some(("a.wav", "audio/wav", &data))),
            &idem,
        ),
    )
    .await;
    ok(&a);
    let b = call(
        &s.router,
        upload(
            &s.key,
            "second",
            form("second", &[], Some(("a.wav", "audio/wav", &data))),
            &idem,
        ),
    )
    .await;
    ok(&b);
    assert_eq!(header(&b.headers, "x-idempotent-replayed"), "true");
    assert_eq!(a.body, b.body);
    assert_eq!(s.fake.seen().len(), 1);
    assert_eq!(s.charged().await, MicroCredits::credits(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_cost_nothing_and_call_nobody() {
    let s = setup().await;
    let w = wav(1_000);
    let cases: Vec<(Request<Body>, u16)> = vec![
        (
            req(
                "POST",
                "/v1/audio/transcriptions",
                Some(&s.key),
                Some(json!({"file": "x"})),
            ),
            400,
        ),
        (
            upload(&s.key, "q", form("q", &[("model", "whisper-1")], None), &[]),
            400,
        ),
        (
            upload(
                &s.key,
                "q",
                form("q", &[], Some(("e.wav", "audio/wav", b""))),
                &[],
            ),
            400,
        ),
        (
            upload(
                &s.key,
                "q",
                form(
                    "q",
                    &[],
                    Some(("n.mp3", "audio/mpeg", b"this is not audio at all")),
                ),
                &[],
            ),
            400,
        ),
        (
            upload(
                &s.key,
                "q",
                form(
                    "q",
                    &[],
                    Some(("ls", "audio/mpeg", b"\x7fELF\x02\x01\x01\0\0\0")),
                ),
                &[],
            ),
            400,
        ),
        (
            upload(
                &s.key,
                "q",
                form(
                    "q",
                    &[("response_format", "xml")],
                    Some(("a.wav", "audio/wav", &w)),
                ),
                &[],
            ),
            400,
        ),
        (
            upload(
                &s.key,
                "q",
                form(
                    "q",
                    &[("model", "gpt-4o-transcribe")],
                    Some(("a.wav", "audio/wav", &w)),
                ),
                &[],
            ),
            400,
        ),
        (
            upload(
                &s.key,
                "q",
                form(
                    "q",
                    &[("temperature", "3")],
                    Some(("a.wav", "audio/wav", &w)),
                ),
                &[],
            ),
            400,
        ),
        (upload(&s.key, "q", b"--q\r\nnot a part".to_vec(), &[]), 400),
        // 25 MB + 1 byte of file: 413 in the error shape.
        (
            upload(
                &s.key,
                "q",
                form(
                    "q",
                    &[],
                    Some((
                        "big.wav",
                        "audio/wav",
                        &vec![0u8; audio::MAX_AUDIO_BYTES + 1],
                    )),
                ),
                &[],
            ),
            413,
        ),
    ];
    for (i, (r, status)) in cases.into_iter().enumerate() {
        let resp = call(&s.router, r).await;
        let msg = resp.assert_error(status);
        assert!(!msg.is_empty(), "case {i}");
    }
    assert!(s.fake.seen().is_empty());
    assert_eq!(s.charged().await, MicroCredits::ZERO);
}
