//! The request pipeline every billable route runs, in one place and in this order:
//! authenticate → scope → (rate limits ‖ concurrency lease ‖ idempotency claim) → hold →
//! handler → settle (+ usage, generation, idempotency COMPLETED, in one transaction) →
//! release lease → headers.
//!
//! The three pre-call writes are independent, so they run concurrently: one store round trip.
//! On the embedded store, for a request alone in flight, their commit runs in the background,
//! overlapping the upstream call.
//! A `Ticket` owns everything taken on the way; if it is dropped without being settled or
//! failed (panic, client gone before a non-streamed answer), its Drop voids the hold and frees
//! the lease and the idempotency claim in a background task, so nothing stays held.

use crate::auth::{self, KeyHeaders, Principal};
use crate::error::ApiError;
use crate::idempotency::{self, Claim, ClaimToken, StoredResponse};
use crate::metering::{self, Generation, Hold, SettleOutcome, Settlement, UsageDelta};
use crate::money::MicroCredits;
use crate::ratelimit::{self, Leases, Limits, RateInfo, Slot};
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// How a route enters the pipeline.
#[derive(Clone, Copy, Debug)]
pub struct RouteSpec {
    /// Scope the key needs.
    pub scope: &'static str,
    /// Service name for usage and generations.
    pub service: &'static str,
    pub key_headers: KeyHeaders,
}

/// Either proceed with a ticket, or answer with a replayed response.
pub enum Begin {
    Proceed(Box<Ticket>),
    Replay(Response<Body>),
}

/// The hold `begin_with_hold` takes alongside the other pre-call writes.
#[derive(Clone, Copy, Debug)]
pub struct HoldSpec {
    pub amount: MicroCredits,
    /// Seconds until the sweeper may void the hold.
    pub deadline_secs: i64,
    /// On 402, proceed without a hold and report it in `Ticket::hold_refused`, so the handler
    /// can try a smaller hold (chat without `max_tokens`); otherwise 402 ends the request.
    pub keep_on_402: bool,
}

/// Everything a request holds while it runs.
pub struct Ticket {
    state: AppState,
    pub principal: Principal,
    pub rate: RateInfo,
    pub spec: RouteSpec,
    lease: Option<Slot>,
    idem: Option<ClaimToken>,
    hold: Option<Hold>,
    /// Why the hold requested with `keep_on_402` was refused; the handler must deal with it.
    pub hold_refused: Option<ApiError>,
    pub generation_id: String,
    pub started: Instant,
    done: bool,
    _in_flight: InFlight,
}

/// Requests of this process between `begin` and the end of their ticket.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// One request counted in `IN_FLIGHT` while this lives.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether this is the only request in flight: then a wave of writes commits at once,
/// otherwise it lets other requests' writes gather into the same commit (`store::wave`).
fn alone() -> bool {
    IN_FLIGHT.load(Ordering::Relaxed) <= 1
}

/// Seconds a concurrency lease lives if its holder dies (longest request + margin).
pub fn lease_ttl_secs() -> i64 {
    std::env::var("HEXACLAW_LEASE_TTL_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(900)
}

/// Authenticate and check the route's scope (401 / 403). Handlers validate the body after
/// this and before `begin`, so invalid requests cost no rate-limit slot and no store write.
pub async fn authenticate(
    state: &AppState,
    spec: RouteSpec,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let principal = auth::authenticate(state, headers, spec.key_headers).await?;
    principal.require_scope(spec.scope)?;
    Ok(principal)
}

/// Run the rest of the pre-call half: rate limits, lease and idempotency claim.
pub async fn begin(
    state: &AppState,
    spec: RouteSpec,
    principal: Principal,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Begin, ApiError> {
    begin_with_hold(state, spec, principal, headers, method, path, body, None).await
}

/// `begin`, plus the credit hold in the same concurrent wave when the handler already knows
/// the amount: rate window, concurrency lease, idempotency claim and hold are independent
/// writes, so a warm request makes ONE sequential store round trip before the upstream call.
/// Whatever one step took is given back if another refused (402, 409, 422, 429, replay).
#[allow(clippy::too_many_arguments)]
pub async fn begin_with_hold(
    state: &AppState,
    spec: RouteSpec,
    principal: Principal,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    hold: Option<HoldSpec>,
) -> Result<Begin, ApiError> {
    let idem_key = match headers.get("idempotency-key") {
        Some(v) => {
            let k = v
                .to_str()
                .map_err(|_| ApiError::bad_request("Idempotency-Key must be printable ASCII"))?;
            idempotency::validate_key(k)?;
            Some(k.to_owned())
        }
        None => None,
    };
    let limits = Limits::for_principal(&principal);
    let now = crate::store::now_secs();
    let store = &state.store;
    let key_id = principal.key.id.clone();
    let account = principal.account_id().to_owned();
    let lease_ttl = lease_ttl_secs();
    let generation_id = format!("gen_{}", uuid::Uuid::now_v7().simple());
    // Alone in flight, these writes are one wave (`store::wave`) whose commit overlaps the
    // upstream call (`store::commit_later`); the settlement, which must commit before the
    // answer leaves, commits after them. Otherwise they share group commits with others'.
    let in_flight = InFlight::enter();
    let alone = alone();
    let (rate, lease, claim, held) = crate::store::commit_later(
        alone,
        crate::store::wave(alone, async {
            tokio::join!(
                ratelimit::admit(store, &key_id, limits, now),
                state
                    .leases
                    .acquire(store, &key_id, limits.concurrent, lease_ttl, now),
                async {
                    match &idem_key {
                        Some(k) => {
                            // What makes a retry "the same request"; only needed with a key.
                            let hash = idempotency::request_hash(method, path, body);
                            idempotency::claim(store, &account, k, &hash, lease_ttl, now)
                                .await
                                .map(Some)
                        }
                        None => Ok(None),
                    }
                },
                async {
                    match hold {
                        Some(HoldSpec {
                            amount,
                            deadline_secs,
                            ..
                        }) => metering::hold(
                            store,
                            &account,
                            amount,
                            &generation_id,
                            deadline_secs,
                            now,
                        )
                        .await
                        .map(Some),
                        None => Ok(None),
                    }
                }
            )
        }),
    )
    .await;
    let owned = match &claim {
        Ok(Some(Claim::Owned(t))) => Some(t.clone()),
        _ => None,
    };
    // A 402 the handler asked to see (to retry a smaller hold) does not undo the rest.
    let soft_402 = hold.is_some_and(|h| h.keep_on_402)
        && matches!(&held, Err(e) if e.status == axum::http::StatusCode::PAYMENT_REQUIRED);
    let (mut lease, lease_refused) = match lease {
        Ok(slot) => (Some(slot), None),
        Err(e) => (None, Some(e)),
    };
    let hold_taken = held.as_ref().ok().cloned().flatten();
    // The first refusal wins, in pipeline order: rate, idempotency, concurrency, credits.
    let refusal: Option<ApiError> = match (&rate, &claim, &lease_refused, &held) {
        (Err(e), _, _, _) => Some(e.clone()),
        (Ok(_), Err(e), _, _) => Some(e.clone()),
        (Ok(_), Ok(Some(Claim::Replay(_))), _, _) => None,
        (Ok(_), Ok(_), Some(e), _) => Some(e.clone()),
        (Ok(_), Ok(_), None, Err(e)) if !soft_402 => Some(e.clone()),
        _ => None,
    };
    let replay = matches!(&claim, Ok(Some(Claim::Replay(_))));
    if refusal.is_some() || replay {
        let store = store.clone();
        let keep_claim = replay; // a replay never owned the key
        let (l, t, h) = (
            lease.take(),
            if keep_claim { None } else { owned },
            hold_taken,
        );
        let give_back = async move {
            if let Some(h) = h {
                let _ = metering::void(&store, &h).await;
            }
            if let Some(l) = l {
                Leases::release(&store, l).await;
            }
            if let Some(t) = t {
                idempotency::release(&store, &t).await;
            }
        };
        give_back.await;
    }
    let rate = match rate {
        Ok(r) => r,
        Err(e) => return Err(e),
    };
    if let Some(e) = refusal {
        return Err(ratelimit::with_rate_headers(e, rate));
    }
    if let Ok(Some(Claim::Replay(stored))) = claim {
        return Ok(Begin::Replay(replay_response(
            stored,
            rate,
            idem_key.as_deref(),
        )));
    }
    let idem = match claim {
        Ok(Some(Claim::Owned(t))) => Some(t),
        _ => None,
    };
    let (hold, hold_refused) = match held {
        Ok(h) => (h, None),
        Err(e) => (None, Some(e)),
    };
    Ok(Begin::Proceed(Box::new(Ticket {
        state: state.clone(),
        principal,
        rate,
        spec,
        lease,
        idem,
        hold,
        hold_refused,
        generation_id,
        started: Instant::now(),
        done: false,
        _in_flight: in_flight,
    })))
}

fn replay_response(
    stored: StoredResponse,
    rate: RateInfo,
    idem_key: Option<&str>,
) -> Response<Body> {
    let mut resp = Response::new(Body::from(stored.body));
    *resp.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let h = resp.headers_mut();
    for (k, v) in &stored.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.insert(k, v);
        }
    }
    h.insert("x-idempotent-replayed", HeaderValue::from_static("true"));
    apply_rate_headers(h, rate);
    if let Some(k) = idem_key.and_then(|k| HeaderValue::from_str(k).ok()) {
        h.insert("idempotency-key", k);
    }
    resp
}

fn apply_rate_headers(h: &mut HeaderMap, rate: RateInfo) {
    for (name, v) in [
        ("x-ratelimit-limit", rate.limit as u64),
        ("x-ratelimit-remaining", rate.remaining as u64),
        ("x-ratelimit-reset", rate.reset_secs),
    ] {
        h.insert(name, HeaderValue::from(v));
    }
}

impl Ticket {
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn account_id(&self) -> &str {
        self.principal.account_id()
    }

    /// Whether the request carries an Idempotency-Key we own.
    pub fn has_idempotency(&self) -> bool {
        self.idem.is_some()
    }

    /// A 200 answer (`headers`, `body`) as stored for idempotent replay, or `None` when the
    /// request carries no Idempotency-Key (then nothing is copied).
    pub fn replay_copy(&self, headers: &HeaderMap, body: &[u8]) -> Option<StoredResponse> {
        self.has_idempotency().then(|| StoredResponse {
            status: 200,
            headers: super::chat::stored_headers(headers),
            body: body.to_vec(),
        })
    }

    /// Hold `amount` (402 if the balance cannot cover it).
    pub async fn hold(&mut self, amount: MicroCredits, deadline_secs: i64) -> Result<(), ApiError> {
        let h = metering::hold(
            &self.state.store,
            self.principal.account_id(),
            amount,
            &self.generation_id,
            deadline_secs,
            crate::store::now_secs(),
        )
        .await?;
        self.hold = Some(h);
        Ok(())
    }

    /// The amount held.
    pub fn held(&self) -> MicroCredits {
        self.hold.as_ref().map_or(MicroCredits::ZERO, |h| h.amount)
    }

    /// Headers every response of this request carries.
    pub fn apply_headers(&self, h: &mut HeaderMap) {
        apply_rate_headers(h, self.rate);
        if let Ok(v) = HeaderValue::from_str(&self.generation_id) {
            h.insert("x-generation-id", v);
        }
        if let Some(t) = &self.idem {
            if let Ok(v) = HeaderValue::from_str(&t.client_key) {
                h.insert("idempotency-key", v);
            }
        }
    }

    /// Settle the hold on `actual`, record usage and the generation, store the response for
    /// idempotent replay, and free the lease. Returns what was charged.
    pub async fn settle(
        mut self,
        actual: MicroCredits,
        generation: &Generation,
        usage: &UsageDelta,
        response: Option<&StoredResponse>,
    ) -> Result<MicroCredits, ApiError> {
        self.done = true;
        let state = self.state.clone();
        let hold = self.hold.take();
        let lease = self.lease.take();
        let idem = self.idem.clone();
        // Settlement and lease release are independent: one round trip after the call.
        let settle_fut = async {
            match hold {
                Some(h) => {
                    let idem = match (&idem, response) {
                        (Some(t), Some(r)) => Some((t, r)),
                        _ => None,
                    };
                    metering::settle(
                        &state.store,
                        &h,
                        Settlement {
                            actual,
                            generation: Some(generation),
                            usage: Some(usage),
                            idempotency: idem,
                        },
                    )
                    .await
                }
                None => Err(ApiError::internal("settle without a hold")),
            }
        };
        let release_fut = async {
            if let Some(l) = lease {
                Leases::release(&state.store, l).await;
            }
        };
        let (result, ()) =
            crate::store::wave(alone(), async { tokio::join!(settle_fut, release_fut) }).await;
        match result {
            Ok(SettleOutcome::Charged(c)) => {
                self.idem = None;
                Ok(c)
            }
            Ok(SettleOutcome::AlreadySettled) => {
                self.idem = None;
                Ok(MicroCredits::ZERO)
            }
            Err(e) => {
                if let Some(t) = self.idem.take() {
                    idempotency::release(&state.store, &t).await;
                }
                Err(e)
            }
        }
    }

    /// End a request that costs nothing (free routes): free the lease and store the response
    /// for idempotent replay. Must not be called with a hold taken.
    pub async fn finish_free(mut self, response: Option<&StoredResponse>) {
        self.done = true;
        let store = self.state.store.clone();
        if let Some(h) = self.hold.take() {
            // A free route never holds; if one did, give the money back rather than keep it.
            let _ = metering::void(&store, &h).await;
        }
        if let Some(l) = self.lease.take() {
            Leases::release(&store, l).await;
        }
        if let Some(t) = self.idem.take() {
            match response {
                Some(r) => {
                    if let Err(e) = idempotency::complete(&store, &t, r).await {
                        tracing::warn!(error = %e, "idempotency completion failed");
                        idempotency::release(&store, &t).await;
                    }
                }
                None => idempotency::release(&store, &t).await,
            }
        }
    }

    /// End the request with an error: void the hold, free the lease, give the idempotency
    /// key back (errors are not replayed), and answer with the rate headers.
    pub async fn fail(mut self, err: ApiError) -> Response<Body> {
        self.done = true;
        self.cleanup().await;
        let mut resp = err.into_response();
        self.apply_headers(resp.headers_mut());
        resp
    }

    async fn cleanup(&mut self) {
        let store = self.state.store.clone();
        if let Some(h) = self.hold.take() {
            if let Err(e) = metering::void(&store, &h).await {
                tracing::error!(hold = %h.id, error = %e, "void failed; the sweeper will void it");
            }
        }
        if let Some(l) = self.lease.take() {
            Leases::release(&store, l).await;
        }
        if let Some(t) = self.idem.take() {
            idempotency::release(&store, &t).await;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.done || (self.hold.is_none() && self.lease.is_none() && self.idem.is_none()) {
            return;
        }
        let mut rest = Ticket {
            state: self.state.clone(),
            principal: self.principal.clone(),
            rate: self.rate,
            spec: self.spec,
            lease: self.lease.take(),
            idem: self.idem.take(),
            hold: self.hold.take(),
            hold_refused: None,
            generation_id: std::mem::take(&mut self.generation_id),
            started: self.started,
            done: true,
            _in_flight: InFlight::enter(),
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { rest.cleanup().await });
        }
    }
}

/// Turn an error from `begin` into a response (no ticket yet).
pub fn error_response(e: ApiError) -> Response<Body> {
    e.into_response()
}
