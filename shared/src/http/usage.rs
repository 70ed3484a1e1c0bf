//! `usage` group: balance and limits, usage history and breakdowns, the credit ledger, and
//! generation records. Read-only; needs the `usage` scope; never billed.

use crate::accounts;
use crate::auth::{self, KeyHeaders, Principal};
use crate::error::ApiError;
use crate::metering::records::{self, UsageRow};
use crate::money::MicroCredits;
use crate::ratelimit::Limits;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The `usage` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/usage", get(usage))
        .route("/v1/usage/history", get(history))
        .route("/v1/usage/summary", get(summary))
        .route("/v1/usage/by-model", get(by_model))
        .route("/v1/usage/by-service", get(by_service))
        .route("/v1/credits/ledger", get(ledger))
        .route("/v1/generation", get(generation))
        .with_state(state)
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let p = auth::authenticate(state, headers, KeyHeaders::Bearer).await?;
    p.require_scope("usage")?;
    Ok(p)
}

#[derive(Deserialize)]
struct Range {
    from: Option<String>,
    to: Option<String>,
}

fn parse_date(s: &str, name: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("'{name}' must be a date like 2026-12-04")))
}

/// Resolve `from`/`to` (default: this month so far); `to` must not precede `from`.
fn range(r: &Range, default_days: Option<i64>) -> Result<(String, String), ApiError> {
    let today = Utc::now().date_naive();
    let to = match &r.to {
        Some(t) => parse_date(t, "to")?,
        None => today,
    };
    let from = match (&r.from, default_days) {
        (Some(f), _) => parse_date(f, "from")?,
        (None, Some(d)) => to - chrono::Duration::days(d - 1),
        (None, None) => today.with_day(1).unwrap_or(today),
    };
    if from > to {
        return Err(ApiError::bad_request("'from' must not be after 'to'"));
    }
    Ok((
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
    ))
}

fn totals(rows: &[UsageRow]) -> Value {
    let cost: MicroCredits = rows.iter().fold(MicroCredits::ZERO, |a, r| a + r.cost);
    json!({
        "requests": rows.iter().map(|r| r.requests).sum::<i64>(),
        "input_tokens": rows.iter().map(|r| r.input_tokens).sum::<i64>(),
        "output_tokens": rows.iter().map(|r| r.output_tokens).sum::<i64>(),
        "cost": cost.to_credits_json(),
    })
}

async fn usage(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let p = caller(&state, &headers).await?;
    let acct = accounts::get(&state.store, p.account_id())
        .await?
        .ok_or_else(|| ApiError::not_found("Account not found"))?;
    let (from, to) = range(
        &Range {
            from: None,
            to: None,
        },
        None,
    )?;
    let rows = records::usage_rows(&state.store, p.account_id(), false, &from, &to).await?;
    let limits = Limits::for_principal(&p);
    Ok(Json(json!({
        "object": "usage",
        "account_id": acct.id,
        "tier": acct.tier.id(),
        "balance": {
            "available": acct.available.to_credits_json(),
            "held": acct.held.to_credits_json(),
            "unit": "credits",
        },
        "month_to_date": totals(&rows),
        "limits": {
            "requests_per_minute": limits.per_minute,
            "requests_per_day": limits.per_day,
            "concurrent": limits.concurrent,
            "monthly_credits": acct.tier.limits().monthly_credits.to_credits_json(),
        },
    })))
}

async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(r): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    let p = caller(&state, &headers).await?;
    let (from, to) = range(&r, Some(30))?;
    let rows = records::usage_rows(&state.store, p.account_id(), false, &from, &to).await?;
    let mut days: BTreeMap<String, Vec<&UsageRow>> = BTreeMap::new();
    for row in &rows {
        days.entry(row.date.clone()).or_default().push(row);
    }
    let data: Vec<Value> = days
        .iter()
        .map(|(date, rs)| {
            let cost = rs.iter().fold(MicroCredits::ZERO, |a, r| a + r.cost);
            json!({
                "date": date,
                "requests": rs.iter().map(|r| r.requests).sum::<i64>(),
                "cost": cost.to_credits_json(),
                "services": rs.iter().map(|r| json!({
                    "service": r.service,
                    "requests": r.requests,
                    "input_tokens": r.input_tokens,
                    "output_tokens": r.output_tokens,
                    "units": r.units,
                    "cost": r.cost.to_credits_json(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(
        json!({"object": "list", "from": from, "to": to, "data": data}),
    ))
}

async fn summary(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let p = caller(&state, &headers).await?;
    let acct = accounts::get(&state.store, p.account_id())
        .await?
        .ok_or_else(|| ApiError::not_found("Account not found"))?;
    let (from, to) = range(
        &Range {
            from: None,
            to: None,
        },
        None,
    )?;
    let by_model = records::usage_rows(&state.store, p.account_id(), true, &from, &to).await?;
    let by_service = records::usage_rows(&state.store, p.account_id(), false, &from, &to).await?;
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let today_rows: Vec<UsageRow> = by_service
        .iter()
        .filter(|r| r.date == today)
        .cloned()
        .collect();
    let top_model = group(&by_model, |r| r.model.clone().unwrap_or_default())
        .into_iter()
        .max_by_key(|(_, t)| t.1)
        .map(|(m, _)| m);
    Ok(Json(json!({
        "object": "usage.summary",
        "balance": acct.available.to_credits_json(),
        "held": acct.held.to_credits_json(),
        "tier": acct.tier.id(),
        "month_to_date": totals(&by_service),
        "today": totals(&today_rows),
        "top_model": top_model,
        "models_used": group(&by_model, |r| r.model.clone().unwrap_or_default()).len(),
    })))
}

/// Sum rows by a key: (requests, cost, input, output, units).
fn group(
    rows: &[UsageRow],
    key: impl Fn(&UsageRow) -> String,
) -> BTreeMap<String, (i64, MicroCredits, i64, i64, i64)> {
    let mut m: BTreeMap<String, (i64, MicroCredits, i64, i64, i64)> = BTreeMap::new();
    for r in rows {
        let e = m.entry(key(r)).or_insert((0, MicroCredits::ZERO, 0, 0, 0));
        e.0 += r.requests;
        e.1 += r.cost;
        e.2 += r.input_tokens;
        e.3 += r.output_tokens;
        e.4 += r.units;
    }
    m
}

async fn breakdown(
    state: AppState,
    headers: HeaderMap,
    r: Range,
    per_model: bool,
) -> Result<Json<Value>, ApiError> {
    let p = caller(&state, &headers).await?;
    let (from, to) = range(&r, None)?;
    let rows = records::usage_rows(&state.store, p.account_id(), per_model, &from, &to).await?;
    let field = if per_model { "model" } else { "service" };
    let grouped = group(&rows, |r| {
        if per_model {
            r.model.clone().unwrap_or_default()
        } else {
            r.service.clone()
        }
    });
    let data: Vec<Value> = grouped
        .into_iter()
        .map(|(k, (req, cost, inp, out, units))| {
            json!({
                field: k,
                "requests": req,
                "input_tokens": inp,
                "output_tokens": out,
                "units": units,
                "cost": cost.to_credits_json(),
            })
        })
        .collect();
    Ok(Json(
        json!({"object": "list", "from": from, "to": to, "data": data, "total": totals(&rows)}),
    ))
}

async fn by_model(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(r): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    breakdown(state, headers, r, true).await
}

async fn by_service(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(r): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    breakdown(state, headers, r, false).await
}

#[derive(Deserialize)]
struct Page {
    limit: Option<usize>,
    cursor: Option<String>,
}

async fn ledger(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(pg): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let p = caller(&state, &headers).await?;
    let limit = pg.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("'limit' must be between 1 and 500"));
    }
    let (entries, next) =
        accounts::ledger_page(&state.store, p.account_id(), limit, pg.cursor).await?;
    let data: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "type": e.kind,
                "from": e.from,
                "to": e.to,
                "amount": e.amount.to_credits_json(),
                "amount_micros": e.amount.0,
                "reference": e.reference,
                "description": e.description,
                "created_ms": e.at_ms,
            })
        })
        .collect();
    Ok(Json(
        json!({"object": "list", "data": data, "has_more": next.is_some(), "next_cursor": next}),
    ))
}

#[derive(Deserialize)]
struct GenQuery {
    id: Option<String>,
}

async fn generation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<GenQuery>,
) -> Result<Json<Value>, ApiError> {
    let p = caller(&state, &headers).await?;
    let id =
        q.id.filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::bad_request("Query parameter 'id' is required"))?;
    records::get_generation(&state.store, p.account_id(), &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("No generation '{id}'")))
}
