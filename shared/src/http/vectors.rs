//! `vectors` group: `POST /v1/vectors/upsert` (1 credit per 1K vectors, exact), `POST
//! /v1/vectors/query` and `DELETE /v1/vectors/delete` (free). Every account works in its own
//! namespace; ids and collection names are only ever resolved inside it. Points live in whichever
//! [`VectorBackend`] the state holds: the embedded engine locally, Amazon S3 Vectors in AWS.

use super::chat::stored_headers;
use super::pipeline::{self, Begin, RouteSpec, Ticket};
use crate::auth::KeyHeaders;
use crate::catalog;
use crate::error::ApiError;
use crate::idempotency::StoredResponse;
use crate::metering::{Generation, UsageDelta};
use crate::state::AppState;
use crate::vectors::{
    DeleteRequest, Namespace, QueryRequest, UpsertRequest, VectorBackend, VectorError,
};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Response};
use axum::response::IntoResponse;
use axum::routing::{delete, post};
use serde_json::{Value, json};
use std::sync::Arc;

const SPEC: RouteSpec = RouteSpec {
    scope: "vectors",
    service: "vectors",
    key_headers: KeyHeaders::Bearer,
};

/// The `vectors` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/vectors/upsert", post(upsert))
        .route("/v1/vectors/query", post(query))
        .route("/v1/vectors/delete", delete(remove).post(remove))
        .with_state(state)
}

impl From<VectorError> for ApiError {
    fn from(e: VectorError) -> Self {
        if e.is_client_error() {
            ApiError::bad_request(e.to_string())
        } else {
            ApiError::internal(e)
        }
    }
}

fn engine(state: &AppState) -> Result<Arc<dyn VectorBackend>, ApiError> {
    state
        .vectors
        .clone()
        .ok_or_else(|| ApiError::unavailable("Vector storage is not configured on this deployment"))
}

struct Parsed {
    ticket: Box<Ticket>,
}

/// Authenticate, parse JSON, then the rest of the pipeline.
async fn enter(
    state: &AppState,
    req: Request,
    path: &str,
    method: &str,
    validate: impl FnOnce(&Value) -> Result<(), ApiError>,
) -> Result<Result<Parsed, Response<Body>>, ApiError> {
    let headers = req.headers().clone();
    let bytes = super::extract::read_body(req, state.config.max_body_bytes).await?;
    let principal = pipeline::authenticate(state, SPEC, &headers).await?;
    let body: Value = super::extract::parse_json(&bytes)?;
    validate(&body)?;
    match pipeline::begin(state, SPEC, principal, &headers, method, path, &bytes).await? {
        Begin::Replay(r) => Ok(Err(r)),
        Begin::Proceed(ticket) => Ok(Ok(Parsed { ticket })),
    }
}

fn json_response(ticket: &Ticket, v: &Value) -> (Response<Body>, StoredResponse) {
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    let mut r = Response::new(Body::from(bytes.clone()));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    ticket.apply_headers(r.headers_mut());
    let stored = StoredResponse {
        status: 200,
        headers: stored_headers(r.headers()),
        body: bytes,
    };
    (r, stored)
}

async fn upsert(State(state): State<AppState>, req: Request) -> Response<Body> {
    run(state, req, "/v1/vectors/upsert", "POST", Op::Upsert).await
}

async fn query(State(state): State<AppState>, req: Request) -> Response<Body> {
    run(state, req, "/v1/vectors/query", "POST", Op::Query).await
}

async fn remove(State(state): State<AppState>, req: Request) -> Response<Body> {
    let method = req.method().as_str().to_owned();
    run(state, req, "/v1/vectors/delete", &method, Op::Delete).await
}

#[derive(Clone, Copy)]
enum Op {
    Upsert,
    Query,
    Delete,
}

async fn run(state: AppState, req: Request, path: &str, method: &str, op: Op) -> Response<Body> {
    match run_inner(state, req, path, method, op).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run_inner(
    state: AppState,
    req: Request,
    path: &str,
    method: &str,
    op: Op,
) -> Result<Response<Body>, ApiError> {
    let eng = engine(&state)?;
    // Parse the typed request before any pipeline write, so bad input costs nothing.
    let mut parsed_upsert: Option<UpsertRequest> = None;
    let mut parsed_query: Option<QueryRequest> = None;
    let mut parsed_delete: Option<DeleteRequest> = None;
    let entered = enter(&state, req, path, method, |body| {
        match op {
            Op::Upsert => parsed_upsert = Some(UpsertRequest::from_json(body)?),
            Op::Query => parsed_query = Some(QueryRequest::from_json(body)?),
            Op::Delete => parsed_delete = Some(DeleteRequest::from_json(body)?),
        }
        Ok(())
    })
    .await?;
    let Parsed { mut ticket } = match entered {
        Ok(p) => p,
        Err(replay) => return Ok(replay),
    };
    let ns = Namespace::for_account(ticket.account_id());
    match op {
        Op::Upsert => {
            let Some(up) = parsed_upsert else {
                return Ok(ticket.fail(ApiError::internal("upsert not parsed")).await);
            };
            let count = up.points.len() as u64;
            let collection = up.collection.clone();
            let price = catalog::vectors_upsert_cost(count);
            if let Err(e) = ticket.hold(price, 600).await {
                return Ok(ticket.fail(e).await);
            }
            let written = match eng.upsert(&ns, up).await {
                Ok(n) => n as u64,
                Err(e) => return Ok(ticket.fail(e.into()).await),
            };
            let cost = catalog::vectors_upsert_cost(written);
            let v = json!({
                "object": "vectors.upsert",
                "collection": collection,
                "upserted": written,
                "status": "completed",
                "cost": cost.to_credits_json(),
            });
            let (resp, stored) = json_response(&ticket, &v);
            let generation = Generation {
                id: ticket.generation_id.clone(),
                account_id: ticket.account_id().to_owned(),
                key_id: ticket.principal.key.id.clone(),
                service: "vectors.upsert".into(),
                units: Some(written),
                latency_ms: ticket.started.elapsed().as_millis() as u64,
                status: "completed".into(),
                created_at: crate::store::now_secs(),
                ..Default::default()
            };
            let delta = UsageDelta {
                model: None,
                service: "vectors".into(),
                units: written,
                ..Default::default()
            };
            ticket
                .settle(cost, &generation, &delta, Some(&stored))
                .await?;
            Ok(resp)
        }
        Op::Query => {
            let Some(q) = parsed_query else {
                return Ok(ticket.fail(ApiError::internal("query not parsed")).await);
            };
            let collection = q.collection.clone();
            let results = match eng.query(&ns, &q).await {
                Ok(r) => r,
                Err(e) => return Ok(ticket.fail(e.into()).await),
            };
            let v = json!({
                "object": "vectors.query",
                "collection": collection,
                "results": results,
            });
            let (resp, stored) = json_response(&ticket, &v);
            ticket.finish_free(Some(&stored)).await;
            Ok(resp)
        }
        Op::Delete => {
            let Some(d) = parsed_delete else {
                return Ok(ticket.fail(ApiError::internal("delete not parsed")).await);
            };
            let collection = d.collection.clone();
            let deleted = match eng.delete(&ns, &d).await {
                Ok(n) => n,
                Err(e) => return Ok(ticket.fail(e.into()).await),
            };
            let v = json!({
                "object": "vectors.delete",
                "collection": collection,
                "deleted": deleted,
            });
            let (resp, stored) = json_response(&ticket, &v);
            ticket.finish_free(Some(&stored)).await;
            Ok(resp)
        }
    }
}
