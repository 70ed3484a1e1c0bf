//! Slow media as jobs (video and music: submit, then poll with a spinner until the job is done)
//! and browser sessions (open, look, close — billed per started minute on close).

use super::Outcome;
use crate::api::Api;
use crate::exit::{self, CliError};
use crate::ui::{self, Spinner};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Longest a job is waited for before the CLI gives up (the job itself goes on).
const JOB_WAIT: Duration = Duration::from_secs(30 * 60);

/// Time between polls: `HEXACLAW_JOB_POLL_MS` (tests), else 2 s.
fn poll_interval() -> Duration {
    std::env::var("HEXACLAW_JOB_POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(2), Duration::from_millis)
}

/// Which kind of job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    Video,
    Music,
}

impl Media {
    fn name(self) -> &'static str {
        match self {
            Media::Video => "video",
            Media::Music => "music",
        }
    }
    fn field(self) -> &'static str {
        match self {
            Media::Video => "video",
            Media::Music => "audio",
        }
    }
}

/// Submit a video or music job and wait for it.
pub async fn generate(api: &Api, kind: Media, body: Value) -> anyhow::Result<Outcome> {
    if body["prompt"].as_str().is_none_or(|p| p.trim().is_empty()) {
        return exit::fail(exit::USAGE, format!("describe the {} to make", kind.name()));
    }
    let sp = Spinner::start(&format!("Submitting the {} job", kind.name()));
    let r = api
        .post(&format!("/v1/{}/generate", kind.name()), &body)
        .await?;
    let Some(id) = r.json["id"].as_str().map(str::to_owned) else {
        return Err(CliError::new(exit::ERROR, "the API returned no job id").into());
    };
    let started = Instant::now();
    let mut job = r.json;
    loop {
        match job["status"].as_str().unwrap_or_default() {
            "completed" => break,
            "failed" => {
                let why = job["error"]["message"]
                    .as_str()
                    .unwrap_or("no reason given");
                return Err(CliError::new(
                    exit::ERROR,
                    format!("{} job {id} failed: {why} (not charged)", kind.name()),
                )
                .into());
            }
            s => {
                let pos = job["queue_position"]
                    .as_u64()
                    .map_or_else(String::new, |p| format!(", position {p}"));
                sp.set(&format!("Generating {} — {s}{pos} (job {id})", kind.name()));
            }
        }
        if started.elapsed() > JOB_WAIT {
            return Err(CliError::new(
                exit::TIMEOUT,
                format!(
                    "stopped waiting for {} job {id}; check it later with GET /v1/{}/jobs/{id}",
                    kind.name(),
                    kind.name()
                ),
            )
            .into());
        }
        tokio::time::sleep(poll_interval()).await;
        job = api.get(&format!("/v1/{}/jobs/{id}", kind.name())).await?;
    }
    sp.stop();
    let url = job[kind.field()]["url"].as_str().map(str::to_owned);
    Ok(Outcome {
        lines: vec![format!(
            "{}: {}",
            kind.name(),
            url.as_deref().unwrap_or("(no file returned)")
        )],
        cost: ui::micros_of(&job["cost"]),
        media: url.clone(),
        data: json!({"id": id, "url": url, "model": job["model"]}),
    })
}

/// Open a browser session.
pub async fn browse_open(api: &Api) -> anyhow::Result<Outcome> {
    let r = api.post("/v1/browser/sessions", &json!({})).await?;
    let v = r.json;
    let id = v["id"].as_str().unwrap_or("?");
    Ok(Outcome {
        lines: vec![
            format!(
                "browser session {id} ({})",
                v["status"].as_str().unwrap_or("?")
            ),
            format!("connect: {}", v["connect_url"].as_str().unwrap_or("?")),
            format!(
                "billed 2 credits per started minute (at most {}); close it with /browse close {id}",
                ui::credits(&v["max_cost"])
            ),
        ],
        cost: None,
        media: None,
        data: v,
    })
}

/// Look at a session.
pub async fn browse_status(api: &Api, id: &str) -> anyhow::Result<Outcome> {
    let v = api.get(&format!("/v1/browser/sessions/{id}")).await?;
    Ok(Outcome {
        lines: vec![format!(
            "browser session {id}: {}",
            v["status"].as_str().unwrap_or("?")
        )],
        cost: ui::micros_of(&v["cost"]),
        media: None,
        data: v,
    })
}

/// Close a session; its cost is known then.
pub async fn browse_close(api: &Api, id: &str) -> anyhow::Result<Outcome> {
    let v = api
        .delete(&format!("/v1/browser/sessions/{id}"), None)
        .await?;
    Ok(Outcome {
        lines: vec![format!(
            "closed browser session {id} after {} billed minute(s)",
            v["billed_minutes"].as_u64().unwrap_or(0)
        )],
        cost: ui::micros_of(&v["cost"]),
        media: None,
        data: v,
    })
}
