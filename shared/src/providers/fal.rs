//! fal.ai adapter: synchronous Flux image generation on `fal.run`, and the queue API on
//! `queue.fal.run` (submit → status → result) for video and music, where a generation can take
//! minutes and must not hold a request open.
//!
//! Auth is `Authorization: Key <FAL_KEY>`. Status and result URLs are the ones the submit
//! answer returns (fal's docs: "Do not build these URLs yourself"), accepted only on the
//! configured queue origin so our key is never sent anywhere else.

use super::service_http::{self, Answer, Retry};
use crate::error::ApiError;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Name used in messages and generation records.
pub const PROVIDER: &str = "fal";
/// Longest wait for a synchronous image generation.
pub const IMAGE_TIMEOUT: Duration = Duration::from_secs(180);
const QUEUE_TIMEOUT: Duration = Duration::from_secs(30);
/// Custom image sides accepted (pixels, inclusive), in steps of `SIDE_STEP`.
pub const MIN_SIDE: u32 = 256;
/// Largest custom image side.
pub const MAX_SIDE: u32 = 2048;
const SIDE_STEP: u32 = 16;

/// fal's named sizes and the `WxH` each stands for.
const PRESETS: [(&str, &str); 6] = [
    ("1024x1024", "square_hd"),
    ("512x512", "square"),
    ("768x1024", "portrait_4_3"),
    ("576x1024", "portrait_16_9"),
    ("1024x768", "landscape_4_3"),
    ("1024x576", "landscape_16_9"),
];

/// An image size as fal's `image_size` takes it: a named preset or explicit sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageSize {
    Preset(&'static str),
    Custom { width: u32, height: u32 },
}

impl ImageSize {
    /// Parse `WxH` (OpenAI style) or one of fal's preset names.
    pub fn parse(s: &str) -> Result<ImageSize, String> {
        let s = s.trim();
        if let Some((_, name)) = PRESETS.iter().find(|(wh, name)| *wh == s || *name == s) {
            return Ok(ImageSize::Preset(name));
        }
        let bad = || {
            format!(
                "size must be WIDTHxHEIGHT with sides {MIN_SIDE}–{MAX_SIDE} in steps of {SIDE_STEP} (e.g. 1024x1024), or one of fal's presets"
            )
        };
        let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
        let (width, height): (u32, u32) =
            (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
        // SIDE_STEP is a power of two, so the low bits tell divisibility.
        let ok = |v: u32| (MIN_SIDE..=MAX_SIDE).contains(&v) && v & (SIDE_STEP - 1) == 0;
        if ok(width) && ok(height) {
            Ok(ImageSize::Custom { width, height })
        } else {
            Err(bad())
        }
    }

    /// The `image_size` value fal expects.
    pub fn to_json(&self) -> Value {
        match self {
            ImageSize::Preset(name) => json!(name),
            ImageSize::Custom { width, height } => json!({"width": width, "height": height}),
        }
    }
}

/// One generated image as fal describes it.
#[derive(Clone, Debug, Deserialize)]
pub struct FalImage {
    pub url: String,
    #[serde(default)]
    pub width: Option<u64>,
    #[serde(default)]
    pub height: Option<u64>,
    #[serde(default)]
    pub content_type: Option<String>,
}

/// A Flux answer: the images plus fal's metadata, passed on as-is.
#[derive(Clone, Debug, Deserialize)]
pub struct ImageOutput {
    pub images: Vec<FalImage>,
    #[serde(default)]
    pub seed: Option<Value>,
    #[serde(default)]
    pub timings: Option<Value>,
    #[serde(default)]
    pub has_nsfw_concepts: Option<Value>,
    #[serde(default)]
    pub prompt: Option<String>,
}

/// A request accepted by the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub request_id: String,
    pub status_url: String,
    pub response_url: String,
}

/// Where a queued request stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueState {
    Queued {
        position: Option<u64>,
    },
    Running,
    Completed,
    /// Finished without a result; the reason, for the caller.
    Failed(String),
}

/// A finished request's result: the model output, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Output(Value),
    Failed(String),
}

/// A generated media file (video, audio).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaFile {
    pub url: String,
    pub content_type: Option<String>,
}

/// The fal client for one call site.
pub struct Fal<'a> {
    pub http: &'a reqwest::Client,
    /// `https://fal.run` (or the test override).
    pub run_origin: &'a str,
    /// `https://queue.fal.run` (or the test override).
    pub queue_origin: &'a str,
    pub key: &'a str,
}

impl Fal<'_> {
    fn auth(&self) -> Vec<(String, String)> {
        vec![("authorization".into(), format!("Key {}", self.key))]
    }

    /// Generate `n` images synchronously on `endpoint` (e.g. `fal-ai/flux/schnell`).
    pub async fn generate_images(
        &self,
        endpoint: &str,
        prompt: &str,
        size: &ImageSize,
        n: u32,
    ) -> Result<ImageOutput, ApiError> {
        let body = json!({
            "prompt": prompt,
            "image_size": size.to_json(),
            "num_images": n,
            "enable_safety_checker": true,
        });
        let url = format!("{}/{endpoint}", self.run_origin);
        let a = service_http::post_json(
            self.http,
            &url,
            &self.auth(),
            &body,
            IMAGE_TIMEOUT,
            Retry::Never,
        )
        .await?;
        if !a.ok() {
            return Err(service_http::map_error(PROVIDER, a.status, &a.body));
        }
        let out: ImageOutput = serde_json::from_slice(&a.body).map_err(|e| {
            ApiError::bad_gateway(format!(
                "fal returned an image answer HexaClaw could not read: {e}"
            ))
        })?;
        if out.images.is_empty() {
            return Err(ApiError::bad_gateway("fal returned no image"));
        }
        Ok(out)
    }

    /// Put a request for `endpoint` on the queue.
    pub async fn submit(&self, endpoint: &str, input: &Value) -> Result<Submitted, ApiError> {
        let url = format!("{}/{endpoint}", self.queue_origin);
        let a = service_http::post_json(
            self.http,
            &url,
            &self.auth(),
            input,
            QUEUE_TIMEOUT,
            Retry::Never,
        )
        .await?;
        if !a.ok() {
            return Err(service_http::map_error(PROVIDER, a.status, &a.body));
        }
        let v = a.json(PROVIDER)?;
        let request_id = v["request_id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::bad_gateway("fal accepted the request but returned no request_id")
            })?
            .to_owned();
        let base = format!(
            "{}/{}/requests/{request_id}",
            self.queue_origin,
            owner_app(endpoint)
        );
        Ok(Submitted {
            status_url: self.trusted(v["status_url"].as_str(), format!("{base}/status")),
            response_url: self.trusted(v["response_url"].as_str(), base),
            request_id,
        })
    }

    /// The queue URL fal gave, if it is on our queue origin; otherwise the documented layout.
    fn trusted(&self, given: Option<&str>, fallback: String) -> String {
        let prefix = format!("{}/", self.queue_origin);
        match given {
            Some(u) if u.starts_with(&prefix) && !u.contains("..") => u.to_owned(),
            _ => fallback,
        }
    }

    /// Where a queued request stands. fal answers 202 while queued or running, 200 when done.
    pub async fn status(&self, status_url: &str) -> Result<QueueState, ApiError> {
        let a = service_http::get(self.http, status_url, &self.auth(), QUEUE_TIMEOUT).await?;
        if a.status == 404 {
            return Ok(QueueState::Failed(
                "fal no longer knows this request".into(),
            ));
        }
        if !a.ok() {
            return Err(service_http::map_error(PROVIDER, a.status, &a.body));
        }
        Ok(parse_status(&a.json(PROVIDER)?))
    }

    /// The result of a completed request. fal answers with the model's own status and body, so
    /// a model error comes back here as a non-2xx answer.
    pub async fn result(&self, response_url: &str) -> Result<Outcome, ApiError> {
        let a = service_http::get(self.http, response_url, &self.auth(), QUEUE_TIMEOUT).await?;
        result_outcome(&a)
    }
}

/// `owner/app` of an endpoint id (`fal-ai/wan/v2.1/1.3b/text-to-video` → `fal-ai/wan`): status
/// and result URLs use only these two segments.
pub fn owner_app(endpoint: &str) -> String {
    endpoint.split('/').take(2).collect::<Vec<_>>().join("/")
}

/// Read a status document.
pub fn parse_status(v: &Value) -> QueueState {
    let error = v.get("error").and_then(|e| {
        e.as_str()
            .map(str::to_owned)
            .or_else(|| e.get("message")?.as_str().map(str::to_owned))
    });
    match v["status"].as_str().unwrap_or_default() {
        "IN_QUEUE" => QueueState::Queued {
            position: v["queue_position"].as_u64(),
        },
        "IN_PROGRESS" => QueueState::Running,
        "COMPLETED" => match error {
            Some(e) => QueueState::Failed(e),
            None => QueueState::Completed,
        },
        other @ ("FAILED" | "CANCELED" | "CANCELLED" | "ERROR") => QueueState::Failed(
            error.unwrap_or_else(|| format!("fal reported the request as {other}")),
        ),
        // Unknown word: treat as still running rather than guessing an outcome.
        _ => QueueState::Running,
    }
}

/// Classify a result answer: output, a final model failure, or an error worth retrying later.
pub fn result_outcome(a: &Answer) -> Result<Outcome, ApiError> {
    if a.ok() {
        return Ok(Outcome::Output(a.json(PROVIDER)?));
    }
    let fal_error = serde_json::from_slice::<Value>(&a.body)
        .ok()
        .is_some_and(|v| v.get("error_type").is_some() || v.get("detail").is_some());
    let transient =
        matches!(a.status, 401 | 403 | 429) || (!fal_error && matches!(a.status, 502..=504));
    if transient {
        return Err(service_http::map_error(PROVIDER, a.status, &a.body));
    }
    let why = service_http::error_message(&a.body).unwrap_or_else(|| format!("HTTP {}", a.status));
    Ok(Outcome::Failed(format!("fal: {why}")))
}

/// The generated file in a video or audio output (`video`, `audio_file` or `audio`).
pub fn media_file(output: &Value) -> Option<MediaFile> {
    ["video", "audio_file", "audio"].iter().find_map(|k| {
        let f = output.get(*k)?;
        Some(MediaFile {
            url: f.get("url")?.as_str()?.to_owned(),
            content_type: f
                .get("content_type")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn sizes_map_to_presets_or_explicit_sides() {
        assert_eq!(
            ImageSize::parse("1024x1024"),
            Ok(ImageSize::Preset("square_hd"))
        );
        assert_eq!(
            ImageSize::parse("landscape_16_9"),
            Ok(ImageSize::Preset("landscape_16_9"))
        );
        assert_eq!(
            ImageSize::parse("1792x1024").map(|s| s.to_json()),
            Ok(json!({"width": 1792, "height": 1024}))
        );
        for bad in [
            "",
            "1024",
            "1024x",
            "0x0",
            "100x100",
            "4096x4096",
            "1000x1000",
            "axb",
            "1024x1024x1",
        ] {
            assert!(ImageSize::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_words() {
        assert_eq!(
            parse_status(&json!({"status": "IN_QUEUE", "queue_position": 3})),
            QueueState::Queued { position: Some(3) }
        );
        assert_eq!(
            parse_status(&json!({"status": "IN_PROGRESS", "logs": []})),
            QueueState::Running
        );
        assert_eq!(
            parse_status(&json!({"status": "COMPLETED"})),
            QueueState::Completed
        );
        assert_eq!(
            parse_status(&json!({"status": "COMPLETED", "error": "Request timed out"})),
            QueueState::Failed("Request timed out".into())
        );
        assert!(matches!(
            parse_status(&json!({"status": "FAILED"})),
            QueueState::Failed(_)
        ));
    }

    #[test]
    fn result_errors_are_final_unless_transient() {
        let a = |status, body: &str| Answer {
            status,
            body: Bytes::from(body.to_owned()),
        };
        let timed_out = r#"{"detail": "Request timed out", "error_type": "request_timeout"}"#;
        assert_eq!(
            result_outcome(&a(504, timed_out)).ok(),
            Some(Outcome::Failed("fal: Request timed out".into()))
        );
        assert!(result_outcome(&a(503, "Service Unavailable")).is_err());
        assert!(result_outcome(&a(429, "{}")).is_err());
        assert!(matches!(
            result_outcome(&a(422, "{}")),
            Ok(Outcome::Failed(_))
        ));
        assert!(matches!(
            result_outcome(&a(200, r#"{"video":{"url":"https://v3.fal.media/x.mp4"}}"#)),
            Ok(Outcome::Output(_))
        ));
    }

    #[test]
    fn media_files_and_owner_app() {
        assert_eq!(
            owner_app("fal-ai/wan/v2.1/1.3b/text-to-video"),
            "fal-ai/wan"
        );
        assert_eq!(owner_app("fal-ai/stable-audio"), "fal-ai/stable-audio");
        let v =
            json!({"audio_file": {"url": "https://fal.media/a.wav", "content_type": "audio/wav"}});
        assert_eq!(
            media_file(&v).map(|f| f.url),
            Some("https://fal.media/a.wav".into())
        );
        assert!(media_file(&json!({"images": []})).is_none());
    }

    #[test]
    fn foreign_queue_urls_are_replaced() {
        let http = reqwest::Client::new();
        let fal = Fal {
            http: &http,
            run_origin: "https://fal.run",
            queue_origin: "https://queue.fal.run",
            key: "k",
        };
        assert_eq!(
            fal.trusted(Some("https://evil.example/x"), "fb".into()),
            "fb"
        );
        assert_eq!(
            fal.trusted(Some("https://queue.fal.run.evil.example/x"), "fb".into()),
            "fb"
        );
        assert_eq!(
            fal.trusted(
                Some("https://queue.fal.run/fal-ai/wan/requests/1/status"),
                "fb".into()
            ),
            "https://queue.fal.run/fal-ai/wan/requests/1/status"
        );
    }
}
