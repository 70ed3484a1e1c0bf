//! Unit tests of the config files: which file a key lands in, defaults, agents, masking.
use super::*;

fn files() -> (tempfile::TempDir, ConfigFiles) {
    let d = tempfile::tempdir().unwrap();
    let c = ConfigFiles::load_from(d.path()).unwrap();
    (d, c)
}

#[test]
fn keys_go_to_their_file_and_round_trip_with_private_modes() {
    let (d, mut c) = files();
    assert_eq!(
        c.set("agents.defaults.model", json!("gpt-4.1")).unwrap(),
        File::Openclaw
    );
    assert_eq!(c.set("spending_cap", json!(25)).unwrap(), File::Hexaclaw);
    c.save(File::Openclaw).unwrap();
    c.save(File::Hexaclaw).unwrap();
    let again = ConfigFiles::load_from(d.path()).unwrap();
    assert_eq!(again.default_model(), "gpt-4.1");
    assert_eq!(again.spending_cap(), Some(MicroCredits::credits(25)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(again.path(File::Hexaclaw))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let mut again = again;
    assert!(again.unset("agents.defaults.model"));
    assert!(!again.unset("agents.defaults.model"));
    assert_eq!(again.default_model(), DEFAULT_MODEL);
}

#[test]
fn setting_under_a_scalar_is_a_usage_error() {
    let (_d, mut c) = files();
    c.set("agents", json!(3)).unwrap();
    let e = c.set("agents.defaults.model", json!("x")).unwrap_err();
    assert_eq!(exit::code_of(&e), exit::USAGE);
}

#[test]
fn main_always_exists_and_agents_inherit_the_default_model() {
    let (_d, mut c) = files();
    c.set("agents.defaults.model", json!("claude-sonnet"))
        .unwrap();
    c.set(
        "agents.list",
        json!([{"id": "coder", "model": "gpt-4.1", "tools": ["read"]}]),
    )
    .unwrap();
    let a = c.agents();
    assert_eq!(a[0].id, "main");
    assert_eq!(a[0].model, "claude-sonnet");
    assert_eq!(
        c.agent("coder").unwrap().tools,
        Some(vec!["read".to_owned()])
    );
    assert_eq!(exit::code_of(&c.agent("nobody").unwrap_err()), exit::USAGE);
}

#[test]
fn secrets_are_masked_wherever_they_sit() {
    let v = json!({"api_key": "hx_live_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
        "key_id": "key_1", "providers": {"openai": {"api_key": "sk-1234567890abcdefghijklmn"}},
        "api_base": "http://x"});
    let m = masked("", &v);
    let s = m.to_string();
    assert!(!s.contains("abcdefghijklmnopqrstuvwxyz"), "{s}");
    assert!(!s.contains("567890abcdefghijklmn"), "{s}");
    assert!(m["api_key"].as_str().unwrap().starts_with("hx_live_abcd…"));
    assert_eq!(m["key_id"], "key_1");
    assert_eq!(m["api_base"], "http://x");
    assert!(mask("short").starts_with("shor…"));
}
