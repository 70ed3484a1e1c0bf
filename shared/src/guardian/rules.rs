//! The catalog of every Guardian rule: id, category, default severity and explanation.

use super::types::{Category, Severity};

/// Static description of one rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// Stable identifier used in findings.
    pub id: &'static str,
    /// Category the rule reports under.
    pub category: Category,
    /// Default severity (context may lower or raise it per finding).
    pub severity: Severity,
    /// Human explanation shown by `analyze`.
    pub explanation: &'static str,
}

const fn rule(
    id: &'static str,
    category: Category,
    severity: Severity,
    explanation: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        category,
        severity,
        explanation,
    }
}

use Category::{Exfiltration as X, Injection as I, Pii as P, Policy as Y, Secrets as S};
use Severity::{Critical, High, Medium};

/// Every rule Guardian can report.
pub static RULES: &[RuleInfo] = &[
    rule(
        "injection.override",
        I,
        High,
        "Tries to cancel or replace the instructions the model was given (\"ignore all previous instructions\", \"your new task is\"), in English or another language.",
    ),
    rule(
        "injection.system_prompt_extraction",
        I,
        High,
        "Asks the model to reveal its system prompt, hidden instructions or configuration.",
    ),
    rule(
        "injection.role_hijack",
        I,
        High,
        "Gives the model a new persona or authority meant to replace its role (DAN, developer mode, \"I am your real operator\").",
    ),
    rule(
        "injection.restriction_removal",
        I,
        High,
        "Asks the model to act without safety rules, filters, ethics or limits.",
    ),
    rule(
        "injection.compliance_coercion",
        I,
        Medium,
        "Forbids refusals, apologies, warnings or disclaimers so that harmful answers go through.",
    ),
    rule(
        "injection.template_marker",
        I,
        High,
        "Contains chat-template control tokens (<|im_start|>, [INST], <<SYS>>, \"### System:\") that can forge conversation turns.",
    ),
    rule(
        "injection.fake_system_message",
        I,
        Medium,
        "A line pretending to come from the system, an admin or the developer, addressed to the model.",
    ),
    rule(
        "injection.indirect_address",
        I,
        Medium,
        "Text addressed to an AI that reads it (typical of injections hidden in web pages, emails and documents).",
    ),
    rule(
        "injection.stealth",
        I,
        Medium,
        "Asks the model to hide an instruction from the user.",
    ),
    rule(
        "injection.obfuscated",
        I,
        High,
        "An injection phrase disguised with spacing, hyphens, zero-width characters, homoglyphs, full-width letters or leetspeak.",
    ),
    rule(
        "injection.encoded_base64",
        I,
        High,
        "A base64 payload that decodes to an injection.",
    ),
    rule(
        "injection.encoded_hex",
        I,
        High,
        "A hex-encoded payload that decodes to an injection.",
    ),
    rule(
        "injection.encoded_percent",
        I,
        High,
        "A percent-encoded payload that decodes to an injection.",
    ),
    rule(
        "injection.encoded_rot13",
        I,
        High,
        "A ROT13 payload that decodes to an injection.",
    ),
    rule(
        "injection.unicode_tags",
        I,
        Medium,
        "Invisible Unicode tag characters carrying hidden text (ASCII smuggling).",
    ),
    rule(
        "exfiltration.markdown_image",
        X,
        High,
        "A markdown image whose URL carries data or placeholders in its query: rendering it sends that data to the host without a click.",
    ),
    rule(
        "exfiltration.html_image",
        X,
        High,
        "An HTML <img> whose URL carries data or placeholders in its query (tracking-pixel exfiltration).",
    ),
    rule(
        "exfiltration.markdown_link",
        X,
        Medium,
        "A markdown link whose URL carries sensitive parameters or data.",
    ),
    rule(
        "exfiltration.send_to_destination",
        X,
        High,
        "Asks to send conversation data, credentials or personal data to a URL, email address or webhook.",
    ),
    rule(
        "exfiltration.shell_command",
        X,
        High,
        "A shell command that uploads credential files or secret environment variables.",
    ),
    rule(
        "exfiltration.collector_endpoint",
        X,
        Medium,
        "A URL with an open-ended parameter or a known request-collector host, waiting for data to be appended.",
    ),
    rule(
        "secrets.aws_access_key_id",
        S,
        Critical,
        "AWS access key id (AKIA/ASIA…).",
    ),
    rule(
        "secrets.aws_secret_access_key",
        S,
        Critical,
        "AWS secret access key (40 characters next to an AWS key name or key id).",
    ),
    rule(
        "secrets.openai_api_key",
        S,
        Critical,
        "OpenAI API key (sk-…, sk-proj-…).",
    ),
    rule(
        "secrets.anthropic_api_key",
        S,
        Critical,
        "Anthropic API key (sk-ant-…).",
    ),
    rule(
        "secrets.github_token",
        S,
        Critical,
        "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_).",
    ),
    rule(
        "secrets.slack_token",
        S,
        Critical,
        "Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-).",
    ),
    rule(
        "secrets.slack_webhook",
        S,
        High,
        "Slack incoming-webhook URL: anyone holding it can post to the channel.",
    ),
    rule(
        "secrets.stripe_live_key",
        S,
        Critical,
        "Stripe live secret or restricted key (sk_live_, rk_live_).",
    ),
    rule("secrets.google_api_key", S, High, "Google API key (AIza…)."),
    rule(
        "secrets.private_key",
        S,
        Critical,
        "PEM private key block with key material.",
    ),
    rule(
        "secrets.jwt",
        S,
        High,
        "JSON Web Token: a bearer credential until it expires.",
    ),
    rule(
        "secrets.hexaclaw_api_key",
        S,
        Critical,
        "HexaClaw API key (hx_live_…).",
    ),
    rule(
        "secrets.generic_assignment",
        S,
        High,
        "A high-entropy value assigned to a key/secret/token name.",
    ),
    rule(
        "secrets.password_assignment",
        S,
        High,
        "A literal password assigned to a password field or flag.",
    ),
    rule(
        "secrets.connection_string_password",
        S,
        High,
        "A password embedded in a connection URL (scheme://user:password@host).",
    ),
    rule(
        "pii.email",
        P,
        Medium,
        "Email address (reserved example domains are ignored).",
    ),
    rule(
        "pii.phone",
        P,
        Medium,
        "Phone number (international +CC form, North American form, or a number after a phone label).",
    ),
    rule(
        "pii.credit_card",
        P,
        High,
        "Payment card number: issuer prefix and Luhn checksum valid.",
    ),
    rule(
        "pii.iban",
        P,
        High,
        "IBAN with the right length for its country and a valid mod-97 check.",
    ),
    rule(
        "pii.us_ssn",
        P,
        High,
        "US Social Security number satisfying the SSA rules (no 000/666/9xx area, no 00 group, no 0000 serial).",
    ),
    rule(
        "pii.ipv4",
        P,
        Medium,
        "IPv4 address (loopback, unspecified, netmasks and documentation ranges are ignored).",
    ),
    rule(
        "pii.ipv6",
        P,
        Medium,
        "IPv6 address (loopback, unspecified and 2001:db8::/32 are ignored).",
    ),
    rule(
        "policy.deny_list",
        Y,
        High,
        "A term from the operator's deny-list (case-insensitive, whole words).",
    ),
];

/// Looks a rule up by id.
pub fn info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// Explanation for a rule id (empty when unknown).
pub fn explanation(id: &str) -> &'static str {
    info(id).map_or("", |r| r.explanation)
}

/// Default severity for a rule id.
pub fn severity(id: &str) -> Severity {
    info(id).map_or(Severity::Medium, |r| r.severity)
}

/// Category of a rule id.
pub fn category(id: &str) -> Category {
    info(id).map_or(Category::Policy, |r| r.category)
}

/// Number of rules per category.
pub fn count(category: Category) -> usize {
    RULES.iter().filter(|r| r.category == category).count()
}
