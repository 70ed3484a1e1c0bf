//! Speech (`/v1/audio/speech`, written to a file as it streams in) and transcription
//! (`/v1/audio/transcriptions`, a multipart upload); both priced from the catalog, as the API
//! charges them.

use super::Outcome;
use crate::api::Api;
use crate::exit::{self, CliError};
use crate::ui::Spinner;
use anyhow::Context;
use futures_util::StreamExt;
use hexaclaw_shared::catalog::{self, TtsModel};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The voices OpenAI TTS offers.
pub const VOICES: [&str; 6] = ["alloy", "echo", "fable", "onyx", "nova", "shimmer"];

/// `POST /v1/audio/speech`; the audio goes to `out` (default `speech-<time>.mp3` here).
pub async fn speech(
    api: &Api,
    text: &str,
    voice: &str,
    hd: bool,
    out: Option<&Path>,
) -> anyhow::Result<Outcome> {
    if text.trim().is_empty() {
        return exit::fail(
            exit::USAGE,
            "speak what? e.g. /speak \"Hello\" --voice nova",
        );
    }
    if !VOICES.contains(&voice) {
        return exit::fail(
            exit::USAGE,
            format!("unknown voice '{voice}'; use one of {}", VOICES.join(", ")),
        );
    }
    let (model, model_id) = if hd {
        (TtsModel::Hd, "tts-1-hd")
    } else {
        (TtsModel::Standard, "tts-1")
    };
    let path: PathBuf = out.map(Path::to_owned).unwrap_or_else(|| {
        PathBuf::from(format!(
            "speech-{}.mp3",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        ))
    });
    let sp = Spinner::start(&format!("Speaking with {voice}"));
    let rb = api
        .request(reqwest::Method::POST, "/v1/audio/speech")?
        .header("content-type", "application/json")
        .body(
            json!({"input": text, "voice": voice, "model": model_id, "response_format": "mp3"})
                .to_string(),
        );
    let resp = api.send(rb).await?;
    let mut file = tokio::fs::File::create(&path)
        .await
        .with_context(|| format!("creating {}", path.display()))?;
    let mut bytes = 0usize;
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk
            .map_err(|e| CliError::new(exit::ERROR, format!("the audio stream broke off: {e}")))?;
        bytes += chunk.len();
        file.write_all(&chunk)
            .await
            .with_context(|| format!("writing {}", path.display()))?;
    }
    file.flush().await?;
    sp.stop();
    let cost = catalog::tts_cost(model, text.chars().count() as u64);
    Ok(Outcome {
        lines: vec![format!("saved {} ({bytes} bytes)", path.display())],
        cost: Some(cost),
        media: Some(path.display().to_string()),
        data: json!({"file": path.display().to_string(), "bytes": bytes, "voice": voice}),
    })
}

/// `POST /v1/audio/transcriptions` with the file at `path`.
pub async fn transcribe(api: &Api, path: &Path, language: Option<&str>) -> anyhow::Result<Outcome> {
    let data = tokio::fs::read(path)
        .await
        .map_err(|e| CliError::new(exit::USAGE, format!("cannot read {}: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audio".into());
    let mut fields = vec![("model", "whisper-1".to_owned())];
    if let Some(l) = language {
        fields.push(("language", l.to_owned()));
    }
    let (ctype, body) = multipart(&name, &data, &fields);
    let sp = Spinner::start(&format!("Transcribing {name}"));
    let rb = api
        .request(reqwest::Method::POST, "/v1/audio/transcriptions")?
        .header("content-type", ctype)
        .body(body);
    let resp = api.send(rb).await?;
    let ms: Option<u64> = resp
        .headers()
        .get("x-audio-duration-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let v: Value =
        serde_json::from_slice(&resp.bytes().await.unwrap_or_default()).unwrap_or(Value::Null);
    sp.stop();
    let text = v["text"].as_str().unwrap_or_default().to_owned();
    let mut lines = vec![text.clone()];
    if let Some(ms) = ms {
        lines.push(format!("({:.1} s of audio)", ms as f64 / 1000.0));
    }
    Ok(Outcome {
        lines,
        cost: ms.map(catalog::stt_cost),
        media: None,
        data: json!({"text": text, "duration_ms": ms}),
    })
}

/// A multipart/form-data body with one file part and text fields: (content type, body).
pub fn multipart(filename: &str, file: &[u8], fields: &[(&str, String)]) -> (String, Vec<u8>) {
    let boundary = format!("hexaclaw-{}", uuid::Uuid::new_v4().simple());
    let mut b = Vec::with_capacity(file.len() + 512);
    let safe_name: String = filename
        .chars()
        .map(|c| if c == '"' || c.is_control() { '_' } else { c })
        .collect();
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(b"\r\n");
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_carry_the_file_and_fields() {
        let (ct, body) = multipart("a\"b.mp3", b"DATA", &[("model", "whisper-1".into())]);
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let s = String::from_utf8(body).unwrap();
        assert!(s.starts_with(&format!("--{boundary}\r\n")));
        assert!(s.contains("filename=\"a_b.mp3\""));
        assert!(s.contains("\r\n\r\nDATA\r\n"));
        assert!(s.contains("name=\"model\"\r\n\r\nwhisper-1\r\n"));
        assert!(s.ends_with(&format!("--{boundary}--\r\n")));
    }
}
