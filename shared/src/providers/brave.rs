//! Brave Search adapter: `GET /res/v1/web/search?q=…&count=…` with `X-Subscription-Token`,
//! web results reduced to title, URL and snippet.

use super::service_http;
use crate::error::ApiError;
use serde_json::{Value, json};
use std::time::Duration;

/// Name used in messages and generation records.
pub const PROVIDER: &str = "Brave Search";
/// Brave's limits on `q` (API reference: at most 400 characters and 50 words).
pub const MAX_QUERY_CHARS: usize = 400;
/// Most words Brave accepts in `q`.
pub const MAX_QUERY_WORDS: usize = 50;
/// Brave's `count` range is 1–20.
pub const MAX_COUNT: u32 = 20;
const TIMEOUT: Duration = Duration::from_secs(20);

/// Check a query against Brave's documented limits.
pub fn validate_query(q: &str) -> Result<(), String> {
    if q.trim().is_empty() {
        return Err("query must not be empty".into());
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(format!(
            "query must be at most {MAX_QUERY_CHARS} characters"
        ));
    }
    if q.split_whitespace().count() > MAX_QUERY_WORDS {
        return Err(format!("query must be at most {MAX_QUERY_WORDS} words"));
    }
    Ok(())
}

/// Search the web; returns `(results, more_results_available)`.
pub async fn search(
    http: &reqwest::Client,
    origin: &str,
    key: &str,
    query: &str,
    count: u32,
) -> Result<(Vec<Value>, Option<bool>), ApiError> {
    let mut url = reqwest::Url::parse(&format!("{origin}/res/v1/web/search"))
        .map_err(|e| ApiError::internal(format!("bad Brave origin: {e}")))?;
    url.query_pairs_mut()
        .append_pair("q", query)
        .append_pair("count", &count.to_string());
    let headers = vec![
        ("accept".to_owned(), "application/json".to_owned()),
        ("x-subscription-token".to_owned(), key.to_owned()),
    ];
    let a = service_http::get(http, url.as_str(), &headers, TIMEOUT).await?;
    if !a.ok() {
        return Err(map_brave_error(a.status, &a.body));
    }
    Ok(parse_results(&a.json(PROVIDER)?))
}

/// Brave reports a bad subscription token as 422 `SUBSCRIPTION_TOKEN_INVALID`: that is our
/// key, not the caller's request.
fn map_brave_error(status: u16, body: &[u8]) -> ApiError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = v["error"]["code"]
        .as_str()
        .or_else(|| v["errors"][0]["code"].as_str());
    match code {
        Some("SUBSCRIPTION_TOKEN_INVALID" | "SUBSCRIPTION_NOT_FOUND") => {
            service_http::map_error(PROVIDER, 401, body)
        }
        _ => service_http::map_error(PROVIDER, status, body),
    }
}

/// The web results of a Brave answer, each as `{title, url, description, …}`.
pub fn parse_results(v: &Value) -> (Vec<Value>, Option<bool>) {
    let results = v["web"]["results"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    let url = r["url"].as_str()?;
                    let mut o = json!({
                        "title": r["title"].as_str().unwrap_or_default(),
                        "url": url,
                        "description": r["description"].as_str().unwrap_or_default(),
                    });
                    for extra in ["age", "page_age", "language"] {
                        if let Some(x) = r.get(extra).filter(|x| x.is_string()) {
                            o[extra] = x.clone();
                        }
                    }
                    Some(o)
                })
                .collect()
        })
        .unwrap_or_default();
    (results, v["query"]["more_results_available"].as_bool())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_token_is_ours_not_the_callers() {
        let body = br#"{"type":"ErrorResponse","errors":[{"code":"SUBSCRIPTION_TOKEN_INVALID","detail":"The provided subscription token is invalid.","status":422}]}"#;
        assert_eq!(map_brave_error(422, body).status.as_u16(), 502);
        assert_eq!(map_brave_error(422, b"{}").status.as_u16(), 400);
    }

    #[test]
    fn query_limits() {
        assert!(validate_query("rust async").is_ok());
        assert!(validate_query("  ").is_err());
        assert!(validate_query(&"a".repeat(401)).is_err());
        assert!(validate_query(&"w ".repeat(51)).is_err());
    }

    #[test]
    fn results_keep_title_url_snippet() {
        let v = json!({"type": "search", "query": {"original": "q", "more_results_available": true},
        "web": {"type": "search", "results": [
            {"title": "T", "url": "https://a.example", "description": "D", "page_age": "2024-01-01", "profile": {}},
            {"title": "no url"}
        ]}});
        let (r, more) = parse_results(&v);
        assert_eq!(
            r,
            vec![
                json!({"title": "T", "url": "https://a.example", "description": "D", "page_age": "2024-01-01"})
            ]
        );
        assert_eq!(more, Some(true));
        assert_eq!(parse_results(&json!({"type": "search"})).0.len(), 0);
    }
}
