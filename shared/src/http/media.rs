//! `media` group, all on fal.ai and the `images` scope: `POST /v1/images/generate` (Flux
//! schnell/dev/pro, synchronous, 1/3/6 credits per image), and video (5–20 credits by model)
//! and music (3 credits) as queued jobs: `POST /v1/{video,music}/generate` answers 202 with a
//! job id, `GET /v1/{video,music}/jobs/{id}` polls it (see `jobs`).

pub mod jobs;

use self::jobs::{Kind, NewJob};
use super::pipeline::{self, RouteSpec};
use super::tools::metered::{self, Meta, Started};
use super::tools::{parts, respond};
use crate::auth::KeyHeaders;
use crate::catalog::services::MUSIC_FAL_ENDPOINT;
use crate::catalog::{
    DEFAULT_VIDEO_MODEL, ImageQuality, image_cost, music_cost, video_cost, video_model,
};
use crate::config::Upstream;
use crate::error::ApiError;
use crate::providers::fal::{self, Fal, ImageSize};
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Response, StatusCode};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

const IMAGES: RouteSpec = RouteSpec {
    scope: "images",
    service: "images",
    key_headers: KeyHeaders::Bearer,
};

/// Longest prompt accepted (characters).
pub const MAX_PROMPT_CHARS: usize = 10_000;
/// Most images per request.
pub const MAX_IMAGES: u32 = 4;
/// Music length bounds (seconds): Stable Audio Open generates at most 47 s.
pub const MUSIC_SECONDS: std::ops::RangeInclusive<u32> = 1..=47;
/// Music length when the request names none.
pub const DEFAULT_MUSIC_SECONDS: u32 = 10;
/// Our model id for the music endpoint.
pub const MUSIC_MODEL: &str = "stable-audio";

/// The `media` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/images/generate", post(images))
        .route("/v1/video/generate", post(video))
        .route("/v1/video/jobs/{id}", get(video_job))
        .route("/v1/music/generate", post(music))
        .route("/v1/music/jobs/{id}", get(music_job))
        .with_state(state)
}

fn prompt_of(p: Option<String>) -> Result<String, ApiError> {
    let p = p.unwrap_or_default();
    if p.trim().is_empty() {
        return Err(ApiError::bad_request("prompt is required"));
    }
    if p.chars().count() > MAX_PROMPT_CHARS {
        return Err(ApiError::bad_request(format!(
            "prompt must be at most {MAX_PROMPT_CHARS} characters"
        )));
    }
    Ok(p)
}

#[derive(Deserialize)]
struct ImageReq {
    prompt: Option<String>,
    model: Option<String>,
    size: Option<String>,
    n: Option<u32>,
}

async fn images(State(state): State<AppState>, req: Request) -> Response<Body> {
    respond(run_images(state, req).await)
}

async fn run_images(state: AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let (headers, body) = parts(&state, req).await?;
    let principal = pipeline::authenticate(&state, IMAGES, &headers).await?;
    let r: ImageReq = super::extract::parse_json(&body)?;
    let prompt = prompt_of(r.prompt)?;
    let model = r
        .model
        .unwrap_or_else(|| ImageQuality::DEFAULT.id().to_owned());
    let quality: ImageQuality = model.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "Unknown image model '{model}'; use schnell, dev or pro"
        ))
    })?;
    let size = ImageSize::parse(r.size.as_deref().unwrap_or("1024x1024"))
        .map_err(ApiError::bad_request)?;
    let n = r.n.unwrap_or(1);
    if !(1..=MAX_IMAGES).contains(&n) {
        return Err(ApiError::bad_request(format!(
            "n must be between 1 and {MAX_IMAGES}"
        )));
    }
    let key = metered::platform_key(&state, Upstream::Fal, fal::PROVIDER)?;
    let price = image_cost(quality, n as u64);
    let ticket = match metered::start(
        &state,
        IMAGES,
        principal,
        &headers,
        "/v1/images/generate",
        &body,
        Some(price),
    )
    .await?
    {
        Started::Go(t) => t,
        Started::Answer(r) => return Ok(r),
    };
    let client = Fal {
        http: &state.http,
        run_origin: state.config.upstream_origin(Upstream::Fal),
        queue_origin: state.config.upstream_origin(Upstream::FalQueue),
        key: &key,
    };
    let out = match client
        .generate_images(quality.fal_endpoint(), &prompt, &size, n)
        .await
    {
        Ok(o) => o,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    // Charged per image delivered, never above what was asked (and held).
    let delivered = out.images.len().min(n as usize) as u64;
    let cost = image_cost(quality, delivered);
    let revised = out.prompt.as_deref().filter(|p| *p != prompt);
    let data: Vec<_> = out
        .images
        .iter()
        .take(delivered as usize)
        .map(|i| {
            let mut d = json!({"url": i.url});
            if let Some(rp) = revised {
                d["revised_prompt"] = json!(rp);
            }
            d
        })
        .collect();
    let body = json!({
        "created": crate::store::now_secs(),
        "model": quality.id(),
        "data": data,
        "metadata": {
            "provider": fal::PROVIDER,
            "endpoint": quality.fal_endpoint(),
            "seed": out.seed,
            "timings": out.timings,
            "has_nsfw_concepts": out.has_nsfw_concepts,
            "images": out.images.iter().take(delivered as usize)
                .map(|i| json!({"width": i.width, "height": i.height, "content_type": i.content_type}))
                .collect::<Vec<_>>(),
        },
        "cost": cost.to_credits_json(),
    });
    let meta = Meta {
        service: "images",
        model_requested: Some(model),
        model_used: Some(quality.id().to_owned()),
        provider: fal::PROVIDER,
        units: delivered,
    };
    Ok(metered::finish(ticket, StatusCode::OK, body, cost, meta).await)
}

#[derive(Deserialize)]
struct VideoReq {
    prompt: Option<String>,
    model: Option<String>,
}

async fn video(State(state): State<AppState>, req: Request) -> Response<Body> {
    respond(run_video(state, req).await)
}

async fn run_video(state: AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let (headers, body) = parts(&state, req).await?;
    let principal = pipeline::authenticate(&state, Kind::Video.spec(), &headers).await?;
    let r: VideoReq = super::extract::parse_json(&body)?;
    let prompt = prompt_of(r.prompt)?;
    let id = r.model.unwrap_or_else(|| DEFAULT_VIDEO_MODEL.to_owned());
    let model = video_model(&id).ok_or_else(|| {
        let known: Vec<&str> = crate::catalog::VIDEO_MODELS.iter().map(|m| m.id).collect();
        ApiError::bad_request(format!(
            "Unknown video model '{id}'; use one of: {}",
            known.join(", ")
        ))
    })?;
    let job = NewJob {
        kind: Kind::Video,
        model: model.id.to_owned(),
        fal_endpoint: model.fal_endpoint,
        // fal's defaults are each model's shortest standard clip, which the flat price assumes.
        input: json!({"prompt": prompt}),
        price: video_cost(model, 1),
    };
    jobs::submit(
        &state,
        principal,
        &headers,
        "/v1/video/generate",
        &body,
        job,
    )
    .await
}

#[derive(Deserialize)]
struct MusicReq {
    prompt: Option<String>,
    duration: Option<u32>,
}

async fn music(State(state): State<AppState>, req: Request) -> Response<Body> {
    respond(run_music(state, req).await)
}

async fn run_music(state: AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let (headers, body) = parts(&state, req).await?;
    let principal = pipeline::authenticate(&state, Kind::Music.spec(), &headers).await?;
    let r: MusicReq = super::extract::parse_json(&body)?;
    let prompt = prompt_of(r.prompt)?;
    let seconds = r.duration.unwrap_or(DEFAULT_MUSIC_SECONDS);
    if !MUSIC_SECONDS.contains(&seconds) {
        return Err(ApiError::bad_request(format!(
            "duration must be between {} and {} seconds",
            MUSIC_SECONDS.start(),
            MUSIC_SECONDS.end()
        )));
    }
    let job = NewJob {
        kind: Kind::Music,
        model: MUSIC_MODEL.to_owned(),
        fal_endpoint: MUSIC_FAL_ENDPOINT,
        input: json!({"prompt": prompt, "seconds_total": seconds}),
        price: music_cost(1),
    };
    jobs::submit(
        &state,
        principal,
        &headers,
        "/v1/music/generate",
        &body,
        job,
    )
    .await
}

async fn video_job(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response<Body> {
    respond(jobs::poll(&state, &headers, Kind::Video, &id).await)
}

async fn music_job(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response<Body> {
    respond(jobs::poll(&state, &headers, Kind::Music, &id).await)
}
