//! Video and music generations as jobs on fal's queue: submit answers 202 at once with a job id
//! and holds the price; each poll asks fal where the request stands and, once it completed,
//! fetches the result and settles the hold exactly once (a FAILED request voids it).
//!
//! Job records live in the holds table under their own partition (`MEDIAJOB#<id>`, sort key
//! `J`), so no new table is needed; pending jobs are indexed on `gsi1`
//! (`MEDIAJOB_PENDING#<shard>`, sorted by creation time) for the maintenance sweep.

use crate::auth::Principal;
use crate::config::Upstream;
use crate::error::ApiError;
use crate::http::pipeline::{self, RouteSpec};
use crate::http::tools::metered::{self, Meta, Started};
use crate::metering::{self, Hold, SettleOutcome, Settlement};
use crate::money::MicroCredits;
use crate::providers::fal::{self, Fal, MediaFile, Outcome, QueueState};
use crate::state::AppState;
use crate::store::{Cond, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, StoreError, Table, Update};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use serde_json::{Value, json};

/// A price held for a job stays HELD this long before the hold sweeper may void it.
pub const JOB_HOLD_SECS: i64 = 6 * 3600;
/// A job fal has not finished after this long is given up (hold voided, no charge).
pub const JOB_GIVE_UP_SECS: i64 = 3 * 3600;
/// Job records are kept this long.
pub const JOB_RECORD_TTL_SECS: i64 = 30 * 86_400;
const PENDING_SHARDS: u32 = 4;

/// Which kind of media a job makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Video,
    Music,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Video => "video",
            Kind::Music => "music",
        }
    }

    /// The route spec (scope `images`; service = usage name).
    pub fn spec(self) -> RouteSpec {
        RouteSpec {
            scope: "images",
            service: self.name(),
            key_headers: crate::auth::KeyHeaders::Bearer,
        }
    }

    fn media_field(self) -> &'static str {
        match self {
            Kind::Video => "video",
            Kind::Music => "audio",
        }
    }
}

/// A validated generation to submit.
pub struct NewJob {
    pub kind: Kind,
    /// Our model id (`wan-2.1-turbo`, `stable-audio`).
    pub model: String,
    pub fal_endpoint: &'static str,
    pub input: Value,
    pub price: MicroCredits,
}

fn job_key(id: &str) -> Key {
    Key::new(format!("MEDIAJOB#{id}"), "J")
}

/// A job as stored.
#[derive(Clone, Debug)]
struct Job {
    item: Item,
}

impl Job {
    fn s(&self, k: &str) -> &str {
        self.item.s(k).unwrap_or_default()
    }
    fn id(&self) -> &str {
        self.s("job_id")
    }
    fn state(&self) -> &str {
        self.s("state")
    }
    fn hold(&self) -> Hold {
        Hold {
            id: self.s("hold_id").to_owned(),
            account_id: self.s("account_id").to_owned(),
            amount: MicroCredits(self.item.n("hold_amount").unwrap_or(0)),
        }
    }
    fn kind(&self) -> Kind {
        if self.s("kind") == "music" {
            Kind::Music
        } else {
            Kind::Video
        }
    }
}

fn fal_client(state: &AppState) -> Result<Fal<'_>, ApiError> {
    let key = state.config.provider_key(Upstream::Fal).ok_or_else(|| {
        ApiError::unavailable("fal is not configured on this gateway (FAL_KEY is not set)")
    })?;
    Ok(Fal {
        http: &state.http,
        run_origin: state.config.upstream_origin(Upstream::Fal),
        queue_origin: state.config.upstream_origin(Upstream::FalQueue),
        key: key.expose(),
    })
}

/// Submit a validated job: hold its price, queue it at fal, record it, answer 202.
pub async fn submit(
    state: &AppState,
    principal: Principal,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    job: NewJob,
) -> Result<Response<Body>, ApiError> {
    let fal = fal_client(state)?;
    let ticket =
        match metered::start(state, job.kind.spec(), principal, headers, path, body, None).await? {
            Started::Go(t) => t,
            Started::Answer(r) => return Ok(r),
        };
    let store = &state.store;
    let now = crate::store::now_secs();
    // The ticket lives for this request only; the job's hold outlives it.
    let hold = match metering::hold(
        store,
        ticket.account_id(),
        job.price,
        &ticket.generation_id,
        JOB_HOLD_SECS,
        now,
    )
    .await
    {
        Ok(h) => h,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let submitted = match fal.submit(job.fal_endpoint, &job.input).await {
        Ok(s) => s,
        Err(e) => {
            void_logged(state, &hold).await;
            return Ok(ticket.fail(e).await);
        }
    };
    let id = format!(
        "{}_{}",
        &job.kind.name()[..3],
        uuid::Uuid::now_v7().simple()
    );
    let shard = rand::random::<u32>() % PENDING_SHARDS;
    let item = Item::new(&job_key(&id))
        .with("job_id", id.as_str())
        .with("kind", job.kind.name())
        .with("account_id", ticket.account_id())
        .with("key_id", ticket.principal.key.id.as_str())
        .with("model", job.model.as_str())
        .with("fal_endpoint", job.fal_endpoint)
        .with("request_id", submitted.request_id.as_str())
        .with("status_url", submitted.status_url.as_str())
        .with("response_url", submitted.response_url.as_str())
        .with("hold_id", hold.id.as_str())
        .with("hold_amount", hold.amount.0)
        .with("generation_id", ticket.generation_id.as_str())
        .with("state", "pending")
        .with("created_at", now)
        .with(GSI1PK, format!("MEDIAJOB_PENDING#{shard}"))
        .with(GSI1SK, crate::store::timed_sk(now, &id))
        .with(EXPIRES_AT, now + JOB_RECORD_TTL_SECS);
    if let Err(e) = store
        .put(Table::Holds, item.clone(), Some(Cond::NotExists))
        .await
    {
        void_logged(state, &hold).await;
        return Ok(ticket
            .fail(ApiError::internal(format!("storing job {id}: {e}")))
            .await);
    }
    let job_rec = Job { item };
    let body = view(&job_rec, "queued", None);
    let meta = Meta {
        service: job.kind.name(),
        model_requested: Some(job.model.clone()),
        model_used: Some(job.model),
        provider: fal::PROVIDER,
        units: 1,
    };
    let mut resp = metered::json_response(&ticket, StatusCode::ACCEPTED, &body, &meta);
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/{}/jobs/{id}", job.kind.name())) {
        resp.headers_mut().insert("location", v);
    }
    let replay = metered::stored(&resp, &body);
    ticket.finish_free(Some(&replay)).await;
    Ok(resp)
}

async fn void_logged(state: &AppState, hold: &Hold) {
    if let Err(e) = metering::void(&state.store, hold).await {
        tracing::error!(hold = %hold.id, error = %e, "void failed; the hold sweeper will void it");
    }
}

/// `GET /v1/{video,music}/jobs/{id}`: the job as it stands, asking fal when still pending.
pub async fn poll(
    state: &AppState,
    headers: &HeaderMap,
    kind: Kind,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    let principal = pipeline::authenticate(state, kind.spec(), headers).await?;
    let not_found = || ApiError::not_found(format!("No {} job '{id}'", kind.name()));
    let item = state
        .store
        .get(Table::Holds, &job_key(id))
        .await?
        .ok_or_else(not_found)?;
    let job = Job { item };
    if job.s("account_id") != principal.account_id() || job.kind() != kind {
        return Err(not_found());
    }
    let (job, progress, position) = if job.state() == "pending" {
        refresh(state, job).await?
    } else {
        (job, "", None)
    };
    let status = match job.state() {
        "pending" => progress,
        s => s,
    };
    let body = view(&job, status, position);
    let mut resp = Response::new(Body::from(serde_json::to_vec(&body).unwrap_or_default()));
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(job.s("generation_id")) {
        h.insert("x-generation-id", v);
    }
    Ok(resp)
}

/// Ask fal about a pending job and finalize it when fal is done. Returns the job, and for a
/// job still running, its progress word and queue position.
async fn refresh(state: &AppState, job: Job) -> Result<(Job, &'static str, Option<u64>), ApiError> {
    let fal = fal_client(state)?;
    match fal.status(job.s("status_url")).await? {
        QueueState::Queued { position } => Ok((job, "queued", position)),
        QueueState::Running => Ok((job, "in_progress", None)),
        QueueState::Failed(why) => Ok((fail(state, job, &why).await?, "", None)),
        QueueState::Completed => match fal.result(job.s("response_url")).await? {
            Outcome::Output(v) => match fal::media_file(&v) {
                Some(f) => Ok((complete(state, job, &f).await?, "", None)),
                None => Ok((
                    fail(state, job, "fal returned no media file").await?,
                    "",
                    None,
                )),
            },
            Outcome::Failed(why) => Ok((fail(state, job, &why).await?, "", None)),
        },
    }
}

/// Settle the hold (exactly once: the hold flips HELD → SETTLED under a condition) and mark
/// the job completed.
async fn complete(state: &AppState, job: Job, file: &MediaFile) -> Result<Job, ApiError> {
    let hold = job.hold();
    let created = job.item.n("created_at").unwrap_or(0);
    let meta = Meta {
        service: job.kind().name(),
        model_requested: Some(job.s("model").to_owned()),
        model_used: Some(job.s("model").to_owned()),
        provider: fal::PROVIDER,
        units: 1,
    };
    let latency = (crate::store::now_secs() - created).max(0) as u64 * 1000;
    let record = metered::generation(
        job.s("generation_id"),
        &hold.account_id,
        job.s("key_id"),
        &meta,
        latency,
        "completed",
    );
    let usage = metered::usage(&meta);
    let settlement = Settlement {
        actual: hold.amount,
        generation: Some(&record),
        usage: Some(&usage),
        idempotency: None,
    };
    let charged = match metering::settle(&state.store, &hold, settlement).await? {
        SettleOutcome::Charged(c) => c,
        SettleOutcome::AlreadySettled => metering::hold_state(&state.store, &hold.id)
            .await?
            .map_or(MicroCredits::ZERO, |(_, c)| c),
    };
    let mut updates = vec![
        Update::set("state", "completed"),
        Update::set("media_url", file.url.as_str()),
        Update::set("charged", charged.0),
        Update::set("completed_at", crate::store::now_secs()),
        Update::remove(GSI1PK),
        Update::remove(GSI1SK),
    ];
    if let Some(ct) = &file.content_type {
        updates.push(Update::set("media_content_type", ct.as_str()));
    }
    finalize(state, job, updates).await
}

/// Void the hold (no charge) and mark the job failed.
async fn fail(state: &AppState, job: Job, why: &str) -> Result<Job, ApiError> {
    tracing::info!(job = job.id(), why, "media job failed");
    metering::void(&state.store, &job.hold()).await?;
    let updates = vec![
        Update::set("state", "failed"),
        Update::set("error", why),
        Update::set("charged", 0),
        Update::set("completed_at", crate::store::now_secs()),
        Update::remove(GSI1PK),
        Update::remove(GSI1SK),
    ];
    finalize(state, job, updates).await
}

/// Apply a final state once; a concurrent poll that got there first wins and is returned.
async fn finalize(state: &AppState, job: Job, updates: Vec<Update>) -> Result<Job, ApiError> {
    let key = job_key(job.id());
    match state
        .store
        .update(
            Table::Holds,
            &key,
            &updates,
            Some(Cond::eq("state", "pending")),
        )
        .await
    {
        Ok(item) => Ok(Job { item }),
        Err(StoreError::ConditionFailed) => Ok(Job {
            item: state
                .store
                .get(Table::Holds, &key)
                .await?
                .unwrap_or(job.item),
        }),
        Err(e) => Err(e.into()),
    }
}

/// The client's view of a job.
fn view(job: &Job, status: &str, position: Option<u64>) -> Value {
    let kind = job.kind();
    let held = MicroCredits(job.item.n("hold_amount").unwrap_or(0));
    let mut v = json!({
        "id": job.id(),
        "object": format!("{}.generation", kind.name()),
        "status": status,
        "model": job.s("model"),
        "created_at": job.item.n("created_at").unwrap_or(0),
        "max_cost": held.to_credits_json(),
    });
    if let Some(p) = position {
        v["queue_position"] = json!(p);
    }
    if let Some(url) = job.item.s("media_url") {
        let mut f = json!({"url": url});
        if let Some(ct) = job.item.s("media_content_type") {
            f["content_type"] = json!(ct);
        }
        v[kind.media_field()] = f;
    }
    if let Some(c) = job.item.n("charged") {
        v["cost"] = MicroCredits(c).to_credits_json();
    }
    if let Some(e) = job.item.s("error") {
        v["error"] = json!({"message": e});
    }
    if let Some(t) = job.item.n("completed_at") {
        v["completed_at"] = json!(t);
    }
    v
}

/// Maintenance: finalize pending jobs fal has finished (or give up on those older than
/// `JOB_GIVE_UP_SECS`, voiding their holds), so a job nobody polls still settles. Returns how
/// many jobs reached a final state.
pub async fn sweep_media_jobs(state: &AppState, now: i64) -> Result<usize, ApiError> {
    crate::store::sweep_due(
        &state.store,
        Table::Holds,
        "MEDIAJOB_PENDING",
        PENDING_SHARDS,
        now,
        100,
        |item| async move {
            let job = Job { item };
            let age = now - job.item.n("created_at").unwrap_or(now);
            let result = if age > JOB_GIVE_UP_SECS {
                fail(state, job, "the generation did not finish in time").await
            } else {
                refresh(state, job).await.map(|(j, _, _)| j)
            };
            match result {
                Ok(j) => Ok(j.state() != "pending"),
                Err(e) => {
                    tracing::warn!(error = %e, "media job sweep: will retry next run");
                    Ok(false)
                }
            }
        },
    )
    .await
}
