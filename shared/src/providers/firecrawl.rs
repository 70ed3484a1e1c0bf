//! Firecrawl adapter: `POST /v2/scrape` (the current API version) turning one URL into
//! markdown, with `Authorization: Bearer <FIRECRAWL_API_KEY>`.

use super::service_http::{self, Retry};
use crate::error::ApiError;
use serde_json::{Value, json};
use std::time::Duration;

/// Name used in messages and generation records.
pub const PROVIDER: &str = "Firecrawl";
/// Firecrawl gives up on a page after 30 s by default; allow for its own overhead.
const TIMEOUT: Duration = Duration::from_secs(75);
/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// A scraped page.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub markdown: String,
    pub metadata: Value,
}

/// Accept only absolute `http(s)` URLs with a host.
pub fn validate_url(raw: &str) -> Result<reqwest::Url, String> {
    let bad = || "url must be an absolute http:// or https:// URL".to_owned();
    if raw.len() > MAX_URL_LEN {
        return Err(format!("url must be at most {MAX_URL_LEN} characters"));
    }
    let url = reqwest::Url::parse(raw.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(url)
}

/// Scrape `url` to markdown.
pub async fn scrape(
    http: &reqwest::Client,
    origin: &str,
    key: &str,
    url: &str,
    only_main_content: bool,
) -> Result<Page, ApiError> {
    let body = json!({
        "url": url,
        "formats": ["markdown"],
        "onlyMainContent": only_main_content,
    });
    let headers = vec![("authorization".to_owned(), format!("Bearer {key}"))];
    let a = service_http::post_json(
        http,
        &format!("{origin}/v2/scrape"),
        &headers,
        &body,
        TIMEOUT,
        Retry::Allowed,
    )
    .await?;
    if !a.ok() {
        return Err(service_http::map_error(PROVIDER, a.status, &a.body));
    }
    parse_page(&a.json(PROVIDER)?)
}

/// Read a scrape answer (`{"success": true, "data": {"markdown", "metadata"}}`).
pub fn parse_page(v: &Value) -> Result<Page, ApiError> {
    if v["success"] == json!(false) {
        let why = v["error"].as_str().unwrap_or("scrape failed");
        return Err(ApiError::bad_gateway(format!("Firecrawl failed: {why}")));
    }
    let data = &v["data"];
    let markdown = data["markdown"]
        .as_str()
        .ok_or_else(|| ApiError::bad_gateway("Firecrawl returned no markdown for this page"))?;
    Ok(Page {
        markdown: markdown.to_owned(),
        metadata: data.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls() {
        assert!(validate_url("https://example.com/a?b=c").is_ok());
        assert!(validate_url("http://example.com").is_ok());
        for bad in [
            "ftp://example.com",
            "example.com",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://",
            "",
        ] {
            assert!(validate_url(bad).is_err(), "{bad}");
        }
        assert!(validate_url(&format!("https://e.com/{}", "a".repeat(3000))).is_err());
    }

    #[test]
    fn page_or_failure() {
        let ok = json!({"success": true, "data": {"markdown": "# Hi", "metadata": {"title": "T", "statusCode": 200}}});
        assert_eq!(
            parse_page(&ok).map(|p| p.markdown).ok(),
            Some("# Hi".into())
        );
        let failed = json!({"success": false, "code": "UNKNOWN_ERROR", "error": "An unexpected error occurred on the server."});
        assert_eq!(
            parse_page(&failed).map_err(|e| e.status.as_u16()).err(),
            Some(502)
        );
    }
}
