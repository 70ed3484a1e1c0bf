//! Resend adapter: `POST /emails` with `Authorization: Bearer <RESEND_API_KEY>`, plus the
//! mailbox parsing the email route validates with.

use super::service_http::{self, Retry};
use crate::error::ApiError;
use serde_json::{Value, json};
use std::time::Duration;

/// Name used in messages and generation records.
pub const PROVIDER: &str = "Resend";
/// Resend's limit on recipients per email.
pub const MAX_RECIPIENTS: usize = 50;
const TIMEOUT: Duration = Duration::from_secs(30);

/// One email to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// As given (may be `Name <addr>`); already checked against the account's verified senders.
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub reply_to: Vec<String>,
}

/// The bare address of a mailbox (`addr@x.y` or `Name <addr@x.y>`), lower-cased, if valid.
pub fn address_of(mailbox: &str) -> Option<String> {
    let m = mailbox.trim();
    let addr = match (m.rfind('<'), m.ends_with('>')) {
        (Some(i), true) => &m[i + 1..m.len() - 1],
        (None, false) => m,
        _ => return None,
    };
    valid_address(addr).then(|| addr.to_ascii_lowercase())
}

fn valid_address(a: &str) -> bool {
    let Some((local, domain)) = a.split_once('@') else {
        return false;
    };
    a.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;:\"()[]\\".contains(c))
        && !domain.contains('@')
}

/// Send; returns Resend's email id. `idempotency_key` makes Resend drop a retried duplicate.
pub async fn send(
    http: &reqwest::Client,
    origin: &str,
    key: &str,
    email: &Email,
    idempotency_key: &str,
) -> Result<String, ApiError> {
    let mut body = json!({
        "from": email.from,
        "to": email.to,
        "subject": email.subject,
    });
    if let Some(t) = &email.text {
        body["text"] = json!(t);
    }
    if let Some(h) = &email.html {
        body["html"] = json!(h);
    }
    if !email.reply_to.is_empty() {
        body["reply_to"] = json!(email.reply_to);
    }
    let headers = vec![
        ("authorization".to_owned(), format!("Bearer {key}")),
        ("idempotency-key".to_owned(), idempotency_key.to_owned()),
    ];
    let a = service_http::post_json(
        http,
        &format!("{origin}/emails"),
        &headers,
        &body,
        TIMEOUT,
        Retry::Allowed,
    )
    .await?;
    if !a.ok() {
        return Err(map_send_error(a.status, &a.body));
    }
    let v: Value = a.json(PROVIDER)?;
    v["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad_gateway("Resend accepted the email but returned no id"))
}

/// Resend answers a sender whose domain it has not verified with 403 `validation_error`: the
/// operator's sender list is out of step with Resend, which the caller should hear about.
fn map_send_error(status: u16, body: &[u8]) -> ApiError {
    let name = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["name"].as_str().map(str::to_owned))
        .unwrap_or_default();
    if status == 403 && (name == "validation_error" || name == "invalid_from_address") {
        let why = service_http::error_message(body).unwrap_or_default();
        return ApiError::bad_gateway(format!("Resend refused the sender: {why}"));
    }
    service_http::map_error(PROVIDER, status, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes() {
        assert_eq!(
            address_of("Acme <Onboarding@Resend.dev>").as_deref(),
            Some("onboarding@resend.dev")
        );
        assert_eq!(
            address_of("delivered@resend.dev").as_deref(),
            Some("delivered@resend.dev")
        );
        for bad in [
            "", "no-at", "a@b", "a@@b.c", "a b@c.d", "<a@b.c", "a@b.c>", "x@.com", "x@com.",
            "a,b@c.d",
        ] {
            assert_eq!(address_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn unverified_domain_is_not_blamed_on_our_key() {
        let body = br#"{"statusCode":403,"message":"The example.com domain is not verified.","name":"validation_error"}"#;
        let e = map_send_error(403, body);
        assert_eq!(e.status.as_u16(), 502);
        assert!(e.message.contains("not verified"));
        let e = map_send_error(
            403,
            br#"{"statusCode":403,"message":"API key is invalid","name":"invalid_api_key"}"#,
        );
        assert!(e.message.contains("credentials"));
    }
}
