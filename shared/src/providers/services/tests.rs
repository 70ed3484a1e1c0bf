//! Request validation and wire translation of the service adapters.

use super::openai::{AudioFormat, SpeechRequest, TranscriptionFields};
use super::*;
use crate::catalog::TtsModel;
use serde_json::json;

fn embed(v: serde_json::Value) -> Result<EmbeddingsRequest, ValidationError> {
    EmbeddingsRequest::from_json(v.to_string().as_bytes())
}

#[test]
fn embeddings_inputs_of_every_documented_shape() {
    let r = embed(json!({"model": "m", "input": "héllo"})).unwrap();
    assert_eq!(r.input, EmbeddingInput::Texts(vec!["héllo".into()]));
    assert_eq!(r.encoding, EncodingFormat::Float);
    // "héllo" is 6 UTF-8 bytes: bound 6, estimate ceil(6/4) = 2.
    assert_eq!((r.token_upper_bound(), r.token_estimate()), (6, 2));
    let r = embed(json!({"model": "m", "input": ["a", "bcdefghij"], "encoding_format": "base64", "dimensions": 256, "user": "u1"})).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!((r.token_upper_bound(), r.token_estimate()), (10, 1 + 3));
    assert_eq!(
        (r.encoding, r.dimensions, r.user.as_deref()),
        (EncodingFormat::Base64, Some(256), Some("u1"))
    );
    let r = embed(json!({"model": "m", "input": [1, 2, 3]})).unwrap();
    assert_eq!(r.input, EmbeddingInput::Tokens(vec![vec![1, 2, 3]]));
    let r = embed(json!({"model": "m", "input": [[1, 2], [3]]})).unwrap();
    assert_eq!(
        (r.len(), r.token_upper_bound(), r.token_estimate()),
        (2, 3, 3)
    );
}

#[test]
fn embeddings_rejects_what_openai_rejects() {
    let cases = [
        (json!({"input": "x"}), "model"),
        (json!({"model": "m"}), "input"),
        (json!({"model": "m", "input": ""}), "input"),
        (json!({"model": "m", "input": []}), "input"),
        (json!({"model": "m", "input": ["ok", ""]}), "input"),
        (json!({"model": "m", "input": ["ok", 3]}), "input"),
        (json!({"model": "m", "input": [[]]}), "input"),
        (json!({"model": "m", "input": [-1]}), "input"),
        (json!({"model": "m", "input": {"a": 1}}), "input"),
        (
            json!({"model": "m", "input": "x", "encoding_format": "int8"}),
            "encoding_format",
        ),
        (
            json!({"model": "m", "input": "x", "dimensions": 0}),
            "dimensions",
        ),
        (
            json!({"model": "m", "input": "x", "dimensions": 1.5}),
            "dimensions",
        ),
        (json!({"model": "m", "input": "x", "user": 7}), "user"),
    ];
    for (body, param) in cases {
        let e = embed(body.clone()).expect_err(&body.to_string());
        assert_eq!(e.param.as_deref(), Some(param), "{body}");
    }
    let too_many: Vec<String> = (0..=MAX_EMBEDDING_INPUTS).map(|i| i.to_string()).collect();
    assert!(embed(json!({"model": "m", "input": too_many})).is_err());
    assert!(EmbeddingsRequest::from_json(b"  ").is_err());
    assert!(EmbeddingsRequest::from_json(b"[1]").is_err());
}

#[test]
fn openai_embeddings_body_and_passthrough() {
    let r =
        embed(json!({"model": "text-embedding-3-small", "input": "hi", "dimensions": 8})).unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&openai::embeddings_body(&r, "text-embedding-3-small")).unwrap();
    assert_eq!(
        body,
        json!({"model": "text-embedding-3-small", "input": "hi", "encoding_format": "float", "dimensions": 8})
    );
    let answer = br#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;
    let (items, tokens) = openai::parse_embeddings(answer, 1).unwrap();
    assert_eq!(tokens, Some(8));
    assert_eq!(
        items[0],
        r#"{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292]}"#
    );
    let out = embeddings_response(&items, "text-embedding-3-small", 8, &json!("0.000016"));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 8, "total_tokens": 8, "cost": "0.000016"})
    );
    assert_eq!(v["data"][0]["embedding"][1], json!(-0.009327292));
    assert_eq!(openai::parse_embeddings(answer, 2).unwrap_err().status, 502);
    assert_eq!(
        openai::parse_embeddings(b"<html>", 1).unwrap_err().status,
        502
    );
}

#[test]
fn gemini_batch_translation() {
    let texts = vec!["a".to_string(), "b".to_string()];
    let body: serde_json::Value = serde_json::from_slice(&gemini::batch_embed_body(
        &texts,
        "gemini-embedding-001",
        Some(768),
    ))
    .unwrap();
    assert_eq!(
        body["requests"][1],
        json!({"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]}, "outputDimensionality": 768})
    );
    assert_eq!(
        gemini::batch_embed_path("gemini-embedding-001"),
        "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    let answer = br#"{"embeddings": [{"values": [0.5, -1.0]}, {"values": [0.25, 2.0]}]}"#;
    let items = gemini::parse_batch_embed(answer, 2, 100, EncodingFormat::Float).unwrap();
    assert_eq!(
        items[1],
        r#"{"object":"embedding","index":101,"embedding":[0.25, 2.0]}"#
    );
    let b64 = gemini::parse_batch_embed(answer, 2, 0, EncodingFormat::Base64).unwrap();
    // 0.5f32 = 00 00 00 3f, -1.0f32 = 00 00 80 bf (little-endian).
    assert_eq!(
        b64[0],
        r#"{"object":"embedding","index":0,"embedding":"AAAAPwAAgL8="}"#
    );
    assert_eq!(
        gemini::parse_batch_embed(answer, 3, 0, EncodingFormat::Float)
            .unwrap_err()
            .status,
        502
    );
    assert!(
        gemini::parse_batch_embed(
            br#"{"embeddings":[{"values":[]}]}"#,
            1,
            0,
            EncodingFormat::Float
        )
        .is_err()
    );
}

#[test]
fn speech_defaults_limits_and_body() {
    let r = SpeechRequest::from_json(br#"{"input":"Hello"}"#).unwrap();
    assert_eq!(
        (r.model, r.voice, r.format, r.speed),
        (TtsModel::Standard, "alloy", AudioFormat::Mp3, None)
    );
    let r = SpeechRequest::from_json(json!({"model": "tts-1-hd", "input": "日本語", "voice": "nova", "response_format": "flac", "speed": 0.25}).to_string().as_bytes()).unwrap();
    assert_eq!(r.chars(), 3);
    assert_eq!(r.format.content_type(), "audio/flac");
    let body: serde_json::Value = serde_json::from_slice(&r.body()).unwrap();
    assert_eq!(
        body,
        json!({"model": "tts-1-hd", "input": "日本語", "voice": "nova", "response_format": "flac", "speed": 0.25})
    );
    // 4,096 multi-byte characters pass; 4,097 do not.
    assert!(
        SpeechRequest::from_json(json!({"input": "é".repeat(4096)}).to_string().as_bytes()).is_ok()
    );
    let bad = [
        json!({"input": "é".repeat(4097)}),
        json!({"input": ""}),
        json!({"voice": "alloy"}),
        json!({"input": "x", "voice": "ash"}),
        json!({"input": "x", "model": "gpt-4o-mini-tts"}),
        json!({"input": "x", "response_format": "ogg"}),
        json!({"input": "x", "speed": 4.01}),
        json!({"input": "x", "speed": 0.2}),
        json!({"input": "x", "speed": "fast"}),
        json!({"input": "x", "stream_format": "sse"}),
        json!({"input": "x", "instructions": "whisper"}),
    ];
    for b in bad {
        assert!(
            SpeechRequest::from_json(b.to_string().as_bytes()).is_err(),
            "{b}"
        );
    }
}

#[test]
fn transcription_fields_and_form() {
    let mut f = TranscriptionFields::default();
    for (k, v) in [
        ("model", "whisper-1"),
        ("language", "en"),
        ("prompt", "Hexa\"Claw"),
        ("temperature", "0.2"),
        ("unknown", "x"),
    ] {
        f.set(k, v).unwrap();
    }
    f.set("response_format", "verbose_json").unwrap();
    f.set("timestamp_granularities[]", "word").unwrap();
    f.finish().unwrap();
    for (k, v) in [
        ("model", "gpt-4o-transcribe"),
        ("language", "English"),
        ("response_format", "xml"),
        ("temperature", "2"),
        ("timestamp_granularities[]", "char"),
    ] {
        assert!(TranscriptionFields::default().set(k, v).is_err(), "{k}={v}");
    }
    let mut g = TranscriptionFields::default();
    g.set("timestamp_granularities[]", "word").unwrap();
    assert!(g.finish().is_err(), "granularities need verbose_json");
    let (ct, body) = f.body(b"RIFFdata", "a\"b.wav", "audio/wav");
    let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.starts_with(&format!("--{boundary}\r\n")));
    assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    assert!(text.contains("Content-Disposition: form-data; name=\"file\"; filename=\"a_b.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFFdata\r\n"));
    assert!(text.contains("name=\"model\"\r\n\r\nwhisper-1\r\n"));
    assert!(text.contains("name=\"prompt\"\r\n\r\nHexa\"Claw\r\n"));
    assert!(text.contains("name=\"timestamp_granularities[]\"\r\n\r\nword\r\n"));
    assert!(!text.contains("unknown"));
    // Same upload, same canonical bytes, whatever the boundary.
    assert_eq!(
        f.canonical("ab", "x.wav"),
        f.clone().canonical("ab", "x.wav")
    );
    assert_ne!(f.canonical("ab", "x.wav"), f.canonical("cd", "x.wav"));
}
