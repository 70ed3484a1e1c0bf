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
    let (mut emitted, mut found, blocked) = feed_no_finish(s, text, chunk);
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

/// The default window (512) rescans every half window, not every 32 bytes.
fn default_guardian() -> Guardian {
    Guardian::new(GuardianConfig::default()).unwrap()
}

/// Feeds `t` in `chunk`-byte pieces with one extra chunk boundary at byte `cut`.
fn feed_cut(s: &mut StreamScanner, t: &str, cut: usize, chunk: usize) -> (String, Vec<Finding>) {
    let mut emitted = String::new();
    let mut found = Vec::new();
    for part in [&t[..cut], &t[cut..]] {
        let (e, f, _) = feed_no_finish(s, part, chunk);
        emitted.push_str(&e);
        found.extend(f);
    }
    let r = s.finish();
    emitted.push_str(&r.emit);
    found.extend(r.findings);
    (emitted, found)
}

fn feed_no_finish(s: &mut StreamScanner, text: &str, chunk: usize) -> (String, Vec<Finding>, bool) {
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
    (emitted, found, blocked)
}

#[test]
fn a_secret_split_at_every_byte_is_caught_once_with_half_window_rescans() {
    let t = format!(
        "{} Here is the key: {KEY} — keep it safe. {}",
        "Intro words. ".repeat(60),
        "Outro words. ".repeat(60)
    );
    let at = t.find(KEY).unwrap();
    let redacted = t.replace(KEY, "[REDACTED:secrets.stripe_live_key]");
    for cut in at..=at + KEY.len() {
        for chunk in [7, 64] {
            let mut s = default_guardian().stream(StreamMode::Monitor);
            let (emitted, found) = feed_cut(&mut s, &t, cut, chunk);
            assert_eq!(emitted, t, "monitor, cut {cut}, chunk {chunk}");
            assert_eq!(
                found.len(),
                1,
                "monitor, cut {cut}, chunk {chunk}: {found:?}"
            );
            assert_eq!(&t[found[0].start..found[0].end], KEY);

            let mut s = default_guardian().stream(StreamMode::Redact);
            let (emitted, found) = feed_cut(&mut s, &t, cut, chunk);
            assert_eq!(emitted, redacted, "redact, cut {cut}, chunk {chunk}");
            assert_eq!(found.len(), 1, "redact, cut {cut}, chunk {chunk}");
            assert_eq!(s.held_bytes(), 0);

            let mut s = default_guardian().stream(StreamMode::Block);
            let (emitted, found) = feed_cut(&mut s, &t, cut, chunk);
            assert!(
                t[..at].starts_with(&emitted),
                "block, cut {cut}, chunk {chunk}"
            );
            assert!(!emitted.contains("sk_live"));
            assert_eq!(found.len(), 1, "block, cut {cut}, chunk {chunk}");
        }
    }
}

#[test]
fn held_text_stays_within_a_window_and_a_half() {
    let t = "Plain words with nothing secret in them. ".repeat(100);
    for mode in [StreamMode::Monitor, StreamMode::Redact] {
        let mut s = default_guardian().stream(mode);
        let mut emitted = String::new();
        for piece in t.as_bytes().chunks(64) {
            let r = s.push(std::str::from_utf8(piece).unwrap());
            emitted.push_str(&r.emit);
            // One window held back, up to half a window waiting for the next rescan, the
            // latest chunk, and the rest of the token in progress.
            assert!(s.held_bytes() <= 512 + 256 + 64 + 64, "{}", s.held_bytes());
        }
        emitted.push_str(&s.finish().emit);
        assert_eq!(emitted, t);
    }
}
