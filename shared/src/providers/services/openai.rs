//! OpenAI service wire formats: `/v1/embeddings` (request built from ours, response passed
//! through item by item), `/v1/audio/speech` (validated request, audio content types) and
//! `/v1/audio/transcriptions` (validated form fields, multipart body).

use super::multipart::FormBuilder;
use super::{EmbeddingInput, EmbeddingsRequest};
use crate::catalog::TtsModel;
use crate::providers::{ProviderError, ProviderKind, ValidationError};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// Path of the embeddings endpoint.
pub const EMBEDDINGS_PATH: &str = "/v1/embeddings";
/// Path of the text-to-speech endpoint.
pub const SPEECH_PATH: &str = "/v1/audio/speech";
/// Path of the speech-to-text endpoint.
pub const TRANSCRIPTIONS_PATH: &str = "/v1/audio/transcriptions";

/// The embeddings request body for OpenAI.
pub fn embeddings_body(req: &EmbeddingsRequest, upstream_model: &str) -> Vec<u8> {
    let input = match &req.input {
        EmbeddingInput::Texts(t) if t.len() == 1 => json!(t[0]),
        EmbeddingInput::Texts(t) => json!(t),
        EmbeddingInput::Tokens(t) => json!(t),
    };
    let mut body = json!({
        "model": upstream_model,
        "input": input,
        "encoding_format": req.encoding.as_str(),
    });
    if let Some(d) = req.dimensions {
        body["dimensions"] = json!(d);
    }
    if let Some(u) = &req.user {
        body["user"] = json!(u);
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

#[derive(Deserialize)]
struct EmbeddingsWire<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
    usage: Option<UsageWire>,
}

#[derive(Deserialize)]
struct UsageWire {
    prompt_tokens: Option<u64>,
}

/// The embedding objects (verbatim JSON text, vectors untouched) and the reported
/// `usage.prompt_tokens` of a 2xx embeddings answer.
pub fn parse_embeddings(
    body: &[u8],
    expected: usize,
) -> Result<(Vec<String>, Option<u64>), ProviderError> {
    let wire: EmbeddingsWire<'_> = serde_json::from_slice(body)
        .map_err(|e| ProviderError::unreadable(ProviderKind::OpenAi, e))?;
    if wire.data.len() != expected {
        return Err(ProviderError::unreadable(
            ProviderKind::OpenAi,
            format!("{} embeddings for {expected} inputs", wire.data.len()),
        ));
    }
    let items = wire.data.iter().map(|r| r.get().to_owned()).collect();
    Ok((items, wire.usage.and_then(|u| u.prompt_tokens)))
}

/// Voices `tts-1` and `tts-1-hd` speak with.
pub const VOICES: [&str; 6] = ["alloy", "echo", "fable", "onyx", "nova", "shimmer"];
/// Longest input, in characters (Unicode scalar values).
pub const MAX_SPEECH_CHARS: usize = 4_096;

/// An audio format `/v1/audio/speech` can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Mp3,
    Opus,
    Aac,
    Flac,
    Wav,
    Pcm,
}

impl AudioFormat {
    /// Every format, default first.
    pub const ALL: [AudioFormat; 6] = [
        AudioFormat::Mp3,
        AudioFormat::Opus,
        AudioFormat::Aac,
        AudioFormat::Flac,
        AudioFormat::Wav,
        AudioFormat::Pcm,
    ];

    /// The `response_format` value.
    pub fn id(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Opus => "opus",
            AudioFormat::Aac => "aac",
            AudioFormat::Flac => "flac",
            AudioFormat::Wav => "wav",
            AudioFormat::Pcm => "pcm",
        }
    }

    /// The Content-Type we answer with (`pcm` is raw 24 kHz 16-bit little-endian mono).
    pub fn content_type(self) -> &'static str {
        match self {
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Opus => "audio/opus",
            AudioFormat::Aac => "audio/aac",
            AudioFormat::Flac => "audio/flac",
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Pcm => "audio/pcm",
        }
    }
}

/// A validated `POST /v1/audio/speech` body.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechRequest {
    pub model: TtsModel,
    pub input: String,
    pub voice: &'static str,
    pub format: AudioFormat,
    pub speed: Option<f64>,
}

fn bad(message: impl Into<String>, param: &str) -> ValidationError {
    ValidationError::new(message, Some(param))
}

fn opt_str<'a>(
    obj: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, ValidationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("'{key}' must be a string"), key)),
    }
}

impl SpeechRequest {
    /// Parse and validate (defaults: `tts-1`, `alloy`, `mp3`).
    pub fn from_json(body: &[u8]) -> Result<SpeechRequest, ValidationError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ValidationError::new(
                "Request body is empty; expected JSON",
                None,
            ));
        }
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| ValidationError::new(format!("Invalid JSON body: {e}"), None))?;
        let obj = v
            .as_object()
            .ok_or_else(|| ValidationError::new("The body must be a JSON object", None))?;
        let model = match opt_str(obj, "model")? {
            None => TtsModel::DEFAULT,
            Some(m) => m.parse().map_err(|_| {
                bad(
                    format!("Unknown TTS model '{m}'; use 'tts-1' or 'tts-1-hd'"),
                    "model",
                )
            })?,
        };
        let input = opt_str(obj, "input")?.ok_or_else(|| bad("'input' is required", "input"))?;
        if input.is_empty() {
            return Err(bad("'input' must not be empty", "input"));
        }
        let chars = input.chars().count();
        if chars > MAX_SPEECH_CHARS {
            return Err(bad(
                format!("'input' is {chars} characters; the maximum is {MAX_SPEECH_CHARS}"),
                "input",
            ));
        }
        let voice = match opt_str(obj, "voice")? {
            None => VOICES[0],
            Some(name) => VOICES.iter().copied().find(|v| *v == name).ok_or_else(|| {
                bad(
                    format!("Unknown voice '{name}'; use one of {}", VOICES.join(", ")),
                    "voice",
                )
            })?,
        };
        let format = match opt_str(obj, "response_format")? {
            None => AudioFormat::Mp3,
            Some(f) => AudioFormat::ALL
                .into_iter()
                .find(|a| a.id() == f)
                .ok_or_else(|| {
                    bad(
                        format!(
                            "Unknown response_format '{f}'; use mp3, opus, aac, flac, wav or pcm"
                        ),
                        "response_format",
                    )
                })?,
        };
        let speed = match obj.get("speed") {
            None | Some(Value::Null) => None,
            Some(s) => match s.as_f64() {
                Some(x) if (0.25..=4.0).contains(&x) => Some(x),
                _ => return Err(bad("'speed' must be a number from 0.25 to 4.0", "speed")),
            },
        };
        if opt_str(obj, "stream_format")?.is_some_and(|sf| sf != "audio") {
            return Err(bad(
                "tts-1 and tts-1-hd only stream raw audio ('stream_format': 'audio')",
                "stream_format",
            ));
        }
        if obj.get("instructions").is_some_and(|i| !i.is_null()) {
            return Err(bad(
                "'instructions' is not supported by tts-1 or tts-1-hd",
                "instructions",
            ));
        }
        Ok(SpeechRequest {
            model,
            input: input.to_owned(),
            voice,
            format,
            speed,
        })
    }

    /// Characters billed: Unicode scalar values of `input`.
    pub fn chars(&self) -> u64 {
        self.input.chars().count() as u64
    }

    /// The body sent to OpenAI.
    pub fn body(&self) -> Vec<u8> {
        let mut body = json!({
            "model": self.model.id(),
            "input": self.input,
            "voice": self.voice,
            "response_format": self.format.id(),
        });
        if let Some(s) = self.speed {
            body["speed"] = json!(s);
        }
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

/// The transcription model offered.
pub const WHISPER_MODEL: &str = "whisper-1";
/// `response_format` values Whisper accepts.
pub const TRANSCRIPTION_FORMATS: [&str; 5] = ["json", "text", "srt", "verbose_json", "vtt"];

/// The validated text fields of a `POST /v1/audio/transcriptions` form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptionFields {
    pub language: Option<String>,
    pub prompt: Option<String>,
    pub response_format: Option<String>,
    pub temperature: Option<f64>,
    pub timestamp_granularities: Vec<String>,
}

impl TranscriptionFields {
    /// Take one text field of the client's form; unknown fields are ignored (not forwarded).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ValidationError> {
        match name {
            "model" if value != WHISPER_MODEL => {
                return Err(bad(
                    format!("Unknown transcription model '{value}'; use '{WHISPER_MODEL}'"),
                    "model",
                ));
            }
            "language" => {
                let ok =
                    (2..=3).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_lowercase());
                if !ok {
                    return Err(bad(
                        "'language' must be an ISO-639-1 code such as 'en'",
                        "language",
                    ));
                }
                self.language = Some(value.to_owned());
            }
            "prompt" => self.prompt = Some(value.to_owned()),
            "response_format" => {
                if !TRANSCRIPTION_FORMATS.contains(&value) {
                    return Err(bad(
                        format!(
                            "Unknown response_format '{value}'; use {}",
                            TRANSCRIPTION_FORMATS.join(", ")
                        ),
                        "response_format",
                    ));
                }
                self.response_format = Some(value.to_owned());
            }
            "temperature" => match value.trim().parse::<f64>() {
                Ok(t) if (0.0..=1.0).contains(&t) => self.temperature = Some(t),
                _ => {
                    return Err(bad(
                        "'temperature' must be a number from 0 to 1",
                        "temperature",
                    ));
                }
            },
            "timestamp_granularities[]" | "timestamp_granularities" => {
                if value != "word" && value != "segment" {
                    return Err(bad(
                        "'timestamp_granularities' must be 'word' or 'segment'",
                        "timestamp_granularities",
                    ));
                }
                self.timestamp_granularities.push(value.to_owned());
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks across fields, once the form is read.
    pub fn finish(&self) -> Result<(), ValidationError> {
        if !self.timestamp_granularities.is_empty() && self.format() != "verbose_json" {
            return Err(bad(
                "'timestamp_granularities' needs response_format 'verbose_json'",
                "timestamp_granularities",
            ));
        }
        Ok(())
    }

    /// The response format (default `json`).
    pub fn format(&self) -> &str {
        self.response_format.as_deref().unwrap_or("json")
    }

    /// The multipart body for OpenAI and its Content-Type.
    pub fn body(&self, file: &[u8], filename: &str, mime: &str) -> (String, Vec<u8>) {
        let mut f = FormBuilder::new();
        f.file("file", filename, mime, file);
        f.text("model", WHISPER_MODEL);
        f.text("response_format", self.format());
        if let Some(l) = &self.language {
            f.text("language", l);
        }
        if let Some(p) = &self.prompt {
            f.text("prompt", p);
        }
        if let Some(t) = self.temperature {
            f.text("temperature", &t.to_string());
        }
        for g in &self.timestamp_granularities {
            f.text("timestamp_granularities[]", g);
        }
        f.finish()
    }

    /// A canonical rendering of the form for idempotency hashing (multipart boundaries are
    /// random, so the raw body of a retried request differs).
    pub fn canonical(&self, file_sha256: &str, filename: &str) -> Vec<u8> {
        let v = json!({
            "file_sha256": file_sha256,
            "filename": filename,
            "language": self.language,
            "prompt": self.prompt,
            "response_format": self.format(),
            "temperature": self.temperature,
            "timestamp_granularities": self.timestamp_granularities,
        });
        serde_json::to_vec(&v).unwrap_or_default()
    }
}
