//! Unit tests for the secret scanner.

use super::*;

fn ids(text: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    scan(text, &mut out);
    out.into_iter().map(|f| f.rule_id).collect()
}

fn found(text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    scan(text, &mut out);
    out
}

#[test]
fn provider_keys() {
    assert!(ids("key AKIAQ3EGRXL5TQ7ZK2PB here").contains(&"secrets.aws_access_key_id"));
    assert!(
        ids("aws_secret_access_key = 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")
            .contains(&"secrets.aws_secret_access_key")
    );
    assert!(
        ids("AKIAQ3EGRXL5TQ7ZK2PB Zq8xK2mP9vL4tR7nW1yB3cD6fG0hJ5sA8eU2iO4p")
            .contains(&"secrets.aws_secret_access_key")
    );
    let proj = format!(
        "sk-proj-{}T3BlbkFJ{}",
        "aB3dE5fG7hJ9kL1mN3pQ5rS7tV9wX1yZ3", "cD5eF7gH9jK1lM3nP5qR7sT9uW1xY3zA5"
    );
    assert!(ids(&proj).contains(&"secrets.openai_api_key"));
    assert!(
        ids("sk-Ab3De5Fg7Hj9Kl1MnT3BlbkFJPq5Rs7Tv9Wx1Yz3Ab5C").contains(&"secrets.openai_api_key")
    );
    let ant = format!(
        "sk-ant-api03-{}AA",
        "x7Kp2Qw9Ez4Rt6Yu1Io3Pa5Sd8Fg0Hj2Kl4Zx6Cv8Bn1Mq3We5Rt7Yu9Io2Pa4Sd6Fg8Hj0Kl1Zx3Cv5Bn7Mq9We2Rt4Yu6Io8Pa0S"
    );
    assert_eq!(ids(&ant), vec!["secrets.anthropic_api_key"]);
    assert!(ids("ghp_Ab3De5Fg7Hj9Kl1Mn3Pq5Rs7Tv9Wx1Yz3Ab5C").contains(&"secrets.github_token"));
    assert!(ids("github_pat_11ABCDEFG0Q2W3E4R5T6Y7abc_Ab3De5Fg7Hj9Kl1Mn3Pq5Rs7Tv9Wx1Yz3Ab5Cd7Ef9Gh1Jk3Lm5Np7Qr9St1Uv3").contains(&"secrets.github_token"));
    assert!(
        ids("xoxb-73914650288-4401938276512-Ab3De5Fg7Hj9Kl1Mn3Pq5Rs7")
            .contains(&"secrets.slack_token")
    );
    assert!(
        ids("https://hooks.slack.com/services/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")
            .contains(&"secrets.slack_webhook")
    );
    assert!(ids("sk_live_Ab3De5Fg7Hj9Kl1Mn3Pq5Rs7T").contains(&"secrets.stripe_live_key"));
    assert!(ids("rk_live_Ab3De5Fg7Hj9Kl1Mn3Pq5Rs7T").contains(&"secrets.stripe_live_key"));
    assert!(ids("key=AIzaSyAb3De5Fg7Hj9Kl1Mn3Pq5Rs7Tv9Wx1Yz3").contains(&"secrets.google_api_key"));
    assert!(
        ids("Bearer hx_live_Ab3De5Fg7Hj9Kl1Mn3Pq5Rs7Tv9Wx1Yz3Ab5Cd7E")
            .contains(&"secrets.hexaclaw_api_key")
    );
}

#[test]
fn pem_jwt_and_assignments() {
    let body =
        "MIIEowIBAAKCAQEAx7Kp2Qw9Ez4Rt6Yu1Io3Pa5Sd8Fg0Hj2Kl4Zx6Cv8Bn1Mq3We5Rt7Yu9Io2Pa4Sd6Fg8";
    let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----");
    let f = found(&pem);
    assert_eq!(f[0].rule_id, "secrets.private_key");
    assert_eq!((f[0].start, f[0].end), (0, pem.len()));
    assert!(!f[0].excerpt.contains(body));
    assert!(
        ids("The file starts with -----BEGIN RSA PRIVATE KEY----- and nothing else.").is_empty()
    );
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzg4MTIiLCJyb2xlIjoiYWRtaW4ifQ.CaYogEFmkubuvldgy6LEVEk6a9fV";
    assert_eq!(ids(jwt), vec!["secrets.jwt"]);
    assert!(ids("DB_PASSWORD=FRTscPxIurEt0oO2Bj%jHwau").contains(&"secrets.password_assignment"));
    assert!(
        ids("api_key: 3f9a2b1c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f90")
            .contains(&"secrets.generic_assignment")
    );
    assert!(
        ids("postgres://app:Xq7mP2vL9kR4s@db:5432/x")
            .contains(&"secrets.connection_string_password")
    );
    assert!(
        ids("My password is @3q2LARYyoQ6Nlme, remember it.")
            .contains(&"secrets.password_assignment")
    );
}

#[test]
fn placeholders_examples_and_references_are_not_secrets() {
    for text in [
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "OPENAI_API_KEY=sk-...",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "api_key = 'YOUR_API_KEY'",
        "password: ********",
        "DB_PASSWORD=changeme",
        "token = os.environ[\"GITHUB_TOKEN\"]",
        "password = getpass.getpass('Password: ')",
        "secret = hashlib.sha256(data).hexdigest()",
        "stripe.api_key = \"sk_test_4eC39HqLyjWDarjtT1zdp7dc\"",
        "Authorization: Bearer hx_live_YOUR_API_KEY",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "curl -H \"Authorization: Bearer $HEXACLAW_API_KEY\" https://api.hexaclaw.com",
    ] {
        assert!(ids(text).is_empty(), "{text}: {:?}", ids(text));
    }
}

#[test]
fn excerpts_never_contain_the_secret() {
    let key = "sk_live_Ab3De5Fg7Hj9Kl1Mn3Pq5Rs7T";
    let f = found(&format!("stripe key {key} leaked"));
    assert_eq!(
        &format!("stripe key {key} leaked")[f[0].start..f[0].end],
        key
    );
    assert!(f[0].excerpt.starts_with("sk_live_"));
    assert!(!f[0].excerpt.contains("Ab3De5"));
}

#[test]
fn entropy_and_placeholder_helpers() {
    assert!(entropy("aaaaaaaa") < 0.01);
    assert!(entropy("Ab3De5Fg7Hj9Kl1M") > 3.5);
    assert!(placeholder("your-api-key-here"));
    assert!(placeholder("xxxxxxxxxxxxxxxx"));
    assert!(!placeholder("Ab3De5Fg7Hj9Kl1M"));
}

#[test]
fn whole_match_rules_capture_everything() {
    // A rule marked `whole` must be one capture group spanning the regex (apart from `\b`),
    // and its secret must come out identical to the capture search on the match.
    for r in KEY_RULES.iter().filter(|r| r.whole) {
        let inner = r.re.strip_prefix(r"\b").unwrap_or(r.re);
        let inner = inner.strip_suffix(r"\b").unwrap_or(inner);
        assert!(
            inner.starts_with('(') && !inner.starts_with("(?") && inner.ends_with(')'),
            "{}",
            r.id
        );
        let mut depth = 0i32;
        let mut escaped = false;
        let mut class = false;
        for (i, c) in inner.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '[' => class = true,
                ']' => class = false,
                '(' if !class => depth += 1,
                ')' if !class => {
                    depth -= 1;
                    assert!(depth > 0 || i == inner.len() - 1, "{}", r.id);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn assignment_regexes_compile_in_both_builds() {
    assert!(!COMPILED.assignment.failed());
    assert!(!COMPILED.flag.failed());
}
