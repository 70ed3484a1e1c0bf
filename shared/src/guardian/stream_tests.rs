//! Unit tests for the streaming scanner.

use super::*;
use crate::guardian::GuardianConfig;

const KEY: &str = "sk_live_Ab3De5Fg7Hj9Kl1Mn3Pq5Rs7T";

fn guardian() -> Guardian {
    Guardian::new(GuardianConfig {
        stream_window: 64,
        ..GuardianConfig::default()
    })
    .unwrap()
}

fn feed(s: &mut StreamScanner, text: &str, chunk: usize) -> (String, Vec<Finding>, bool) {
    let mut emitted = String::new();
    let mut found = Vec::new();
    let mut blocked = false;
    let mut at = 0;
    while at < text.len() {
        let mut end = (at + chunk).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let r = s.push(&text[at..end]);
        emitted.push_str(&r.emit);
        found.extend(r.findings);
        blocked |= r.blocked;
        at = end;
    }
    let r = s.finish();
    emitted.push_str(&r.emit);
    found.extend(r.findings);
    (emitted, found, blocked || r.blocked)
}

fn text() -> String {
    format!(
        "{} Here is the key you asked for: {KEY} — keep it safe. {}",
        "Intro words. ".repeat(12),
        "Outro words. ".repeat(12)
    )
}

#[test]
fn a_secret_split_across_many_chunks_is_caught_exactly_once() {
    let t = text();
    for chunk in [1, 3, 7, 16, 64, 1000] {
        let mut s = guardian().stream(StreamMode::Monitor);
        let (emitted, found, blocked) = feed(&mut s, &t, chunk);
        assert_eq!(
            emitted, t,
            "monitor releases everything unchanged (chunk {chunk})"
        );
        assert!(!blocked);
        let keys: Vec<&Finding> = found
            .iter()
            .filter(|f| f.rule_id == "secrets.stripe_live_key")
            .collect();
        assert_eq!(keys.len(), 1, "chunk {chunk}: {found:?}");
        assert_eq!(
            &t[keys[0].start..keys[0].end],
            KEY,
            "offsets are into the whole stream"
        );
        assert_eq!(s.report().findings.len(), found.len());
    }
}

#[test]
fn redact_mode_never_releases_the_secret() {
    let t = text();
    for chunk in [1, 5, 13, 64] {
        let mut s = guardian().stream(StreamMode::Redact);
        let (emitted, found, _) = feed(&mut s, &t, chunk);
        assert!(!emitted.contains("Ab3De5"), "chunk {chunk}: {emitted}");
        assert!(emitted.contains("[REDACTED:secrets.stripe_live_key]"));
        assert!(emitted.starts_with("Intro words.") && emitted.ends_with("Outro words. "));
        assert_eq!(found.len(), 1);
        assert_eq!(s.held_bytes(), 0);
    }
}

#[test]
fn text_is_held_back_until_safe() {
    let mut s = guardian().stream(StreamMode::Redact);
    let r = s.push("The key is sk_live_Ab3De5Fg7H");
    assert_eq!(r.emit, "", "a short stream stays inside the window");
    let r = s.push(&format!(
        "j9Kl1Mn3Pq5Rs7T and more text. {}",
        "filler ".repeat(20)
    ));
    assert!(!r.emit.contains("sk_live_Ab3"));
    assert!(s.held_bytes() > 0);
    let rest = s.finish();
    assert!(format!("{}{}", r.emit, rest.emit).contains("[REDACTED:secrets.stripe_live_key]"));
}

#[test]
fn block_mode_stops_before_the_secret() {
    let t = text();
    let mut s = guardian().stream(StreamMode::Block);
    let (emitted, found, blocked) = feed(&mut s, &t, 9);
    assert!(blocked);
    assert!(!emitted.contains("sk_live"));
    assert!(t.starts_with(&emitted));
    assert_eq!(found.len(), 1);
    assert!(s.push("more").blocked);
    assert_eq!(s.push("more").emit, "");
}

#[test]
fn multibyte_text_streams_safely() {
    let t = format!(
        "{}ключ {KEY} 終わり {}",
        "日本語のテキスト。".repeat(30),
        "Ωμέγα ".repeat(30)
    );
    for chunk in [1, 2, 5, 11] {
        let mut s = guardian().stream(StreamMode::Redact);
        let (emitted, found, _) = feed(&mut s, &t, chunk);
        assert_eq!(found.len(), 1, "chunk {chunk}");
        assert_eq!(
            emitted,
            t.replace(KEY, "[REDACTED:secrets.stripe_live_key]")
        );
    }
}
