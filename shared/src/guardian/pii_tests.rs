//! Unit tests for the PII scanner, including checksum rejection.

use super::*;

fn found(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    scan(text, &mut out);
    out.into_iter()
        .map(|f| (f.rule_id, text[f.start..f.end].to_owned()))
        .collect()
}

fn has(text: &str, rule: &str, value: &str) -> bool {
    found(text).iter().any(|(r, v)| *r == rule && v == value)
}

#[test]
fn emails() {
    assert!(has(
        "Contact maria.lopez82@gmail.com today",
        "pii.email",
        "maria.lopez82@gmail.com"
    ));
    assert!(has(
        "email=dana.k%40gmail.com&x=1",
        "pii.email",
        "dana.k%40gmail.com"
    ));
    assert!(found("Write to alice@example.com or bob@test.example").is_empty());
    assert!(found("git clone git@github.com:acme/guardian.git").is_empty());
    assert!(found("https://ghp_token123@github.com/acme/repo.git").is_empty());
    assert!(found("logo@2x.png").is_empty());
}

#[test]
fn phones() {
    assert!(has(
        "Call me on (415) 872-3391 after 5pm.",
        "pii.phone",
        "(415) 872-3391"
    ));
    assert!(has(
        "Reach us at 312-555-7822.",
        "pii.phone",
        "312-555-7822"
    ));
    assert!(has(
        "My mobile is +44 7700 183 402, thanks",
        "pii.phone",
        "+44 7700 183 402"
    ));
    assert!(has(
        "Call 020 7946 0018 to book.",
        "pii.phone",
        "020 7946 0018"
    ));
    assert!(found("The meeting is on 2025-03-14 at 10:30.").is_empty());
    assert!(found("ISBN 978-3-16-148410-0").is_empty());
    assert!(found("numbers 07 14 22 35 41 and 48").is_empty());
}

#[test]
fn credit_cards_need_luhn_and_a_network() {
    assert!(has(
        "Visa 4539 1488 0343 6467 exp 09/28",
        "pii.credit_card",
        "4539 1488 0343 6467"
    ));
    assert!(has(
        "card_number=4539148803436467",
        "pii.credit_card",
        "4539148803436467"
    ));
    assert!(has(
        "Amex: 3787 344936 71000.",
        "pii.credit_card",
        "3787 344936 71000"
    ));
    // 16 digits failing Luhn (last digit off by one) are not a card.
    assert!(found("Invoice 4539 1488 0343 6468 is overdue").is_empty());
    // Luhn-valid but no card network (prefix 1).
    assert!(found("ref 1234 5678 1234 5670").is_empty());
    // Mixed separators are not card formatting.
    assert!(found("4539-1488 0343-6467").is_empty());
    // Documented sandbox numbers are ignored.
    assert!(found("use 4242 4242 4242 4242 in test mode").is_empty());
}

#[test]
fn ibans_need_mod97() {
    assert!(has(
        "IBAN DE44 5001 0517 5407 3249 31 please",
        "pii.iban",
        "DE44 5001 0517 5407 3249 31"
    ));
    assert!(has(
        "FR7630006000011234567890189 ok",
        "pii.iban",
        "FR7630006000011234567890189"
    ));
    // Same IBAN with a wrong check digit.
    assert!(found("IBAN DE45 5001 0517 5407 3249 31 please").is_empty());
    // Specification example and unknown country.
    assert!(found("GB82 WEST 1234 5698 7654 32").is_empty());
    assert!(found("ZZ44500105175407324931").is_empty());
}

#[test]
fn ssns_follow_ssa_rules() {
    assert!(has("SSN 123-45-6788 on file", "pii.us_ssn", "123-45-6788"));
    assert!(has(
        "Social Security Number: 123456788",
        "pii.us_ssn",
        "123456788"
    ));
    for bad in [
        "000-12-3456",
        "666-45-1234",
        "912-34-5678",
        "123-00-4567",
        "123-45-0000",
        "078-05-1120",
    ] {
        assert!(found(&format!("number {bad} here")).is_empty(), "{bad}");
    }
}

#[test]
fn ip_addresses() {
    assert!(has(
        "from 185.220.101.47 at noon",
        "pii.ipv4",
        "185.220.101.47"
    ));
    assert!(has("router at 192.168.14.1.", "pii.ipv4", "192.168.14.1"));
    assert!(has(
        "host 2a03:2880:f12f:83:face:b00c:0:25de up",
        "pii.ipv6",
        "2a03:2880:f12f:83:face:b00c:0:25de"
    ));
    for text in [
        "bind 127.0.0.1:8080",
        "mask 255.255.255.0",
        "docs use 192.0.2.10 and 2001:db8::1",
        "Upgrade to version 2.4.1.0 now",
        "The CIDR block 10.0.0.0/8 is private",
        "listen on ::1",
        "fingerprint 5F:3A:91:0C:2B:77:E4:18:AA:C0",
        "use std::env::args;",
        "999.1.1.1 is not an address",
    ] {
        assert!(found(text).is_empty(), "{text}: {:?}", found(text));
    }
}

#[test]
fn excerpts_are_masked() {
    let mut out = Vec::new();
    scan("card 4539 1488 0343 6467 and SSN 123-45-6788", &mut out);
    let card = out.iter().find(|f| f.rule_id == "pii.credit_card").unwrap();
    assert_eq!(card.excerpt, "**** **** **** 6467");
    let ssn = out.iter().find(|f| f.rule_id == "pii.us_ssn").unwrap();
    assert_eq!(ssn.excerpt, "***-**-6788");
}
