//! `tools` group: `POST /v1/search` (Brave, 1 credit), `POST /v1/scrape` (Firecrawl, 2
//! credits), `POST /v1/email` (Resend, 1 credit; only from the account's verified senders).
//! Each runs the metering pipeline: validate, hold the price, call, settle.

pub mod metered;
pub mod senders;

use self::metered::{Meta, Started};
use super::pipeline::{self, RouteSpec};
use crate::auth::KeyHeaders;
use crate::catalog::{email_cost, scrape_cost, web_search_cost};
use crate::config::Upstream;
use crate::error::ApiError;
use crate::providers::{brave, firecrawl, resend};
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

const SEARCH: RouteSpec = RouteSpec {
    scope: "tools",
    service: "web_search",
    key_headers: KeyHeaders::Bearer,
};
const SCRAPE: RouteSpec = RouteSpec {
    scope: "tools",
    service: "scrape",
    key_headers: KeyHeaders::Bearer,
};
const EMAIL: RouteSpec = RouteSpec {
    scope: "tools",
    service: "email",
    key_headers: KeyHeaders::Bearer,
};

/// Results per search when the request names no `count`.
pub const DEFAULT_SEARCH_COUNT: u32 = 10;
/// Longest email subject accepted (RFC 5322 line length).
pub const MAX_SUBJECT_CHARS: usize = 998;

/// The `tools` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/search", post(search))
        .route("/v1/scrape", post(scrape))
        .route("/v1/email", post(email))
        .with_state(state)
}

/// Answer with the response, or the error in the documented shape.
pub(crate) fn respond(r: Result<Response<Body>, ApiError>) -> Response<Body> {
    r.unwrap_or_else(IntoResponse::into_response)
}

async fn search(State(state): State<AppState>, req: Request) -> Response<Body> {
    respond(run_search(state, req).await)
}

async fn scrape(State(state): State<AppState>, req: Request) -> Response<Body> {
    respond(run_scrape(state, req).await)
}

async fn email(State(state): State<AppState>, req: Request) -> Response<Body> {
    respond(run_email(state, req).await)
}

/// Split a request into headers and its (size-limited) body.
pub(crate) async fn parts(
    state: &AppState,
    req: Request,
) -> Result<(HeaderMap, bytes::Bytes), ApiError> {
    let headers = req.headers().clone();
    let body = super::extract::read_body(req, state.config.max_body_bytes).await?;
    Ok((headers, body))
}

#[derive(Deserialize)]
struct SearchReq {
    query: Option<String>,
    q: Option<String>,
    count: Option<u32>,
}

async fn run_search(state: AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let (headers, body) = parts(&state, req).await?;
    let principal = pipeline::authenticate(&state, SEARCH, &headers).await?;
    let r: SearchReq = super::extract::parse_json(&body)?;
    let query = r.query.or(r.q).unwrap_or_default();
    brave::validate_query(&query).map_err(ApiError::bad_request)?;
    let count = r.count.unwrap_or(DEFAULT_SEARCH_COUNT);
    if !(1..=brave::MAX_COUNT).contains(&count) {
        return Err(ApiError::bad_request(format!(
            "count must be between 1 and {}",
            brave::MAX_COUNT
        )));
    }
    let key = metered::platform_key(&state, Upstream::Brave, brave::PROVIDER)?;
    let price = web_search_cost(1);
    let ticket = match metered::start(
        &state,
        SEARCH,
        principal,
        &headers,
        "/v1/search",
        &body,
        Some(price),
    )
    .await?
    {
        Started::Go(t) => t,
        Started::Answer(r) => return Ok(r),
    };
    let origin = state.config.upstream_origin(Upstream::Brave);
    let (results, more) = match brave::search(&state.http, origin, &key, query.trim(), count).await
    {
        Ok(r) => r,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let mut out = json!({"object": "search", "query": query.trim(), "results": results});
    if let Some(m) = more {
        out["more_results_available"] = json!(m);
    }
    out["cost"] = price.to_credits_json();
    let meta = Meta {
        service: "web_search",
        provider: "brave",
        units: 1,
        ..Meta::default()
    };
    Ok(metered::finish(ticket, StatusCode::OK, out, price, meta).await)
}

#[derive(Deserialize)]
struct ScrapeReq {
    url: Option<String>,
    only_main_content: Option<bool>,
}

async fn run_scrape(state: AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let (headers, body) = parts(&state, req).await?;
    let principal = pipeline::authenticate(&state, SCRAPE, &headers).await?;
    let r: ScrapeReq = super::extract::parse_json(&body)?;
    let raw = r
        .url
        .ok_or_else(|| ApiError::bad_request("url is required"))?;
    let url = firecrawl::validate_url(&raw).map_err(ApiError::bad_request)?;
    let key = metered::platform_key(&state, Upstream::Firecrawl, firecrawl::PROVIDER)?;
    let price = scrape_cost(1);
    let ticket = match metered::start(
        &state,
        SCRAPE,
        principal,
        &headers,
        "/v1/scrape",
        &body,
        Some(price),
    )
    .await?
    {
        Started::Go(t) => t,
        Started::Answer(r) => return Ok(r),
    };
    let origin = state.config.upstream_origin(Upstream::Firecrawl);
    let only_main = r.only_main_content.unwrap_or(true);
    let page = match firecrawl::scrape(&state.http, origin, &key, url.as_str(), only_main).await {
        Ok(p) => p,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let out = json!({
        "object": "scrape",
        "url": url.as_str(),
        "markdown": page.markdown,
        "metadata": page.metadata,
        "cost": price.to_credits_json(),
    });
    let meta = Meta {
        service: "scrape",
        provider: "firecrawl",
        units: 1,
        ..Meta::default()
    };
    Ok(metered::finish(ticket, StatusCode::OK, out, price, meta).await)
}

/// One address or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
struct EmailReq {
    from: Option<String>,
    to: Option<OneOrMany>,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
    reply_to: Option<OneOrMany>,
}

/// Check an email request fully (400s); returns it and the bare sender address.
fn validate_email(r: EmailReq) -> Result<(resend::Email, String), ApiError> {
    let from = r
        .from
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("from is required"))?;
    let sender = resend::address_of(&from)
        .ok_or_else(|| ApiError::bad_request("from must be an address or 'Name <address>'"))?;
    let addresses = |list: Vec<String>, field: &str| -> Result<Vec<String>, ApiError> {
        list.into_iter()
            .map(|a| {
                resend::address_of(&a)
                    .map(|_| a.trim().to_owned())
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("{field}: '{a}' is not an email address"))
                    })
            })
            .collect()
    };
    let to = addresses(r.to.map(OneOrMany::into_vec).unwrap_or_default(), "to")?;
    if to.is_empty() || to.len() > resend::MAX_RECIPIENTS {
        return Err(ApiError::bad_request(format!(
            "to must name 1 to {} recipients",
            resend::MAX_RECIPIENTS
        )));
    }
    let reply_to = addresses(
        r.reply_to.map(OneOrMany::into_vec).unwrap_or_default(),
        "reply_to",
    )?;
    let subject = r.subject.unwrap_or_default();
    if subject.trim().is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(ApiError::bad_request(format!(
            "subject is required (at most {MAX_SUBJECT_CHARS} characters)"
        )));
    }
    let text = r.text.filter(|t| !t.is_empty());
    let html = r.html.filter(|t| !t.is_empty());
    if text.is_none() && html.is_none() {
        return Err(ApiError::bad_request("text or html is required"));
    }
    Ok((
        resend::Email {
            from: from.trim().to_owned(),
            to,
            subject,
            text,
            html,
            reply_to,
        },
        sender,
    ))
}

async fn run_email(state: AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let (headers, body) = parts(&state, req).await?;
    let principal = pipeline::authenticate(&state, EMAIL, &headers).await?;
    let (email, sender) = validate_email(super::extract::parse_json(&body)?)?;
    if !senders::is_verified(&state.store, principal.account_id(), &sender).await? {
        return Err(ApiError::forbidden(format!(
            "'{sender}' is not a verified sender for this account; ask the operator to add it (hexaclaw admin email-sender add)"
        )));
    }
    let key = metered::platform_key(&state, Upstream::Resend, resend::PROVIDER)?;
    let price = email_cost(1);
    let ticket = match metered::start(
        &state,
        EMAIL,
        principal,
        &headers,
        "/v1/email",
        &body,
        Some(price),
    )
    .await?
    {
        Started::Go(t) => t,
        Started::Answer(r) => return Ok(r),
    };
    let origin = state.config.upstream_origin(Upstream::Resend);
    // Our generation id doubles as Resend's idempotency key, so a retried POST sends once.
    let id = match resend::send(&state.http, origin, &key, &email, &ticket.generation_id).await {
        Ok(id) => id,
        Err(e) => return Ok(ticket.fail(e).await),
    };
    let out = json!({
        "id": id,
        "object": "email",
        "from": email.from,
        "to": email.to,
        "subject": email.subject,
        "created_at": crate::store::now_secs(),
        "cost": price.to_credits_json(),
    });
    let meta = Meta {
        service: "email",
        provider: "resend",
        units: 1,
        ..Meta::default()
    };
    Ok(metered::finish(ticket, StatusCode::OK, out, price, meta).await)
}
