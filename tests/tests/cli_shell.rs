//! The `hexaclaw` shell and client commands end to end against a real `hexaclaw gateway run`
//! with fake providers: every slash command prints its result and what it cost; `configure`,
//! `config get|set`, `login --status`, `models list`, `agents list`, `usage`, `keys` and the
//! spending cap behave as documented, secrets stay masked and files private; failures end with
//! the documented exit codes (3 no/bad key, 4 no credits, 5 rate limited, 6 timeout, 2 usage).

#[path = "cli_e2e/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "cli_e2e/scripted.rs"]
#[allow(dead_code)]
mod scripted;
#[allow(dead_code)]
mod services_fakes;
mod support;

use harness::Gateway;
use serde_json::Value;
use support::firebase::{self as fb, FakeFirebase};

/// The output of each command of a shell session (split at the prompts).
fn per_command(stdout: &str) -> Vec<String> {
    stdout
        .split("hexaclaw> ")
        .skip(1)
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_slash_command_prints_its_result_and_cost() {
    let gw = Gateway::start().await;
    let (acct, key) = gw.account(100).await;
    hexaclaw_shared::http::tools::senders::add(&gw.env.state.store, &acct, "agent@example.com")
        .await
        .unwrap();
    let cli = gw.cli(Some(&key));
    cli.run(&["config", "set", "email.from", "agent@example.com"])
        .await
        .ok();
    let audio = hexaclaw_tests::repo_root().join("tests/fixtures/audio/silence_5s.mp3");
    let script = [
        "/budget".to_owned(),
        r#"/search "latest news on AI agents""#.into(),
        "/imagine a cyberpunk cat wearing sunglasses --model dev".into(),
        r#"/speak "Hello, this is HexaClaw speaking" --voice nova --out hello.mp3"#.into(),
        format!("/transcribe {}", audio.display()),
        "/browse".into(),
        "/browse close".into(),
        "/video a cat walking on the moon --model wan-2.1-turbo".into(),
        "/music upbeat electronic lo-fi beat --duration 10".into(),
        "/scrape https://example.com".into(),
        "/remember HexaClaw launched in March 2026".into(),
        "/recall when did HexaClaw launch".into(),
        r#"/email user@example.com "Test Subject" This is a test email"#.into(),
        "/imagine a dog --model ultra".into(),
        "/exit".into(),
    ];
    let out = cli.run_with(&["shell"], &(script.join("\n") + "\n")).await;
    out.ok();
    let o = per_command(&out.stdout);
    assert_eq!(
        o.len(),
        script.len(),
        "stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    let has = |i: usize, parts: &[&str]| {
        for p in parts {
            assert!(
                o[i].contains(p),
                "{} → missing {p:?} in:\n{}\nstderr:\n{}",
                script[i],
                o[i],
                out.stderr
            );
        }
    };
    has(
        0,
        &["balance: 100 credits available", "tier pro", "cost: free"],
    );
    has(1, &["1. string", "cost: 1 credit\n"]);
    has(
        2,
        &[
            "image: https://fal.media/files/elephant/tiger-eye-0.jpg",
            "cost: 3 credits",
        ],
    );
    // 32 characters at 1 credit per 1,000.
    has(3, &["saved hello.mp3", "cost: 0.032 credits"]);
    assert_eq!(
        std::fs::read(cli.cwd().join("hello.mp3")).unwrap(),
        b"ID3-scripted-audio"
    );
    has(
        4,
        &[
            "hello from the scripted whisper",
            "(5.0 s of audio)",
            "cost: 1 credit\n",
        ],
    );
    has(5, &["browser session", "connect: wss://", "cost: free"]);
    has(
        6,
        &[
            "closed browser session",
            "1 billed minute",
            "cost: 2 credits",
        ],
    );
    has(7, &["video: https://", "cost: "]);
    has(8, &["music: https://", "cost: 3 credits"]);
    has(9, &["# Home - Firecrawl", "cost: 2 credits"]);
    has(10, &["remembered", "cost: 0.0010"]);
    has(11, &["HexaClaw launched in March 2026", "cost: 0.0000"]);
    has(12, &["sent to user@example.com", "cost: 1 credit\n"]);
    assert!(
        out.stderr.contains("--model is schnell, dev or pro"),
        "{}",
        out.stderr
    );
    // Not a terminal: no spinner frames in the output.
    assert!(!out.stderr.contains("Searching the web"), "{}", out.stderr);
    // The Brave call carried the query without its quotes.
    assert!(
        gw.svc.recs_under("/brave/")[0]
            .query
            .contains("q=latest+news+on+AI+agents")
    );
    let sent = gw.svc.recs_under("/resend/");
    assert_eq!(sent[0].json()["subject"], "Test Subject");
    assert_eq!(sent[0].json()["text"], "This is a test email");

    // The budget afterwards shows what was spent, by model.
    let out = cli.run(&["usage", "--json"]).await;
    let v = out.ok().json();
    let spent = v["usage"]["month_to_date"]["cost"].as_f64().unwrap();
    assert!(spent > 15.0, "{v}");
    let cli_budget = cli.run(&["budget"]).await;
    assert!(
        cli_budget.ok().stdout.contains("MODEL"),
        "{}",
        cli_budget.stdout
    );
    assert!(cli_budget.stdout.contains("tts-1"), "{}", cli_budget.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configure_config_and_client_commands() {
    let f = FakeFirebase::start(600).await;
    let gw = Gateway::start_with(&f.vars()).await;
    let (_, key) = gw.account(100).await;
    let cli = gw.cli(None);

    let out = cli.run(&["--version"]).await;
    assert!(out.ok().stdout.starts_with("hexaclaw 0."), "{}", out.stdout);
    let out = cli.run(&["--help"]).await;
    assert!(
        out.ok().stdout.contains("4  payment required"),
        "{}",
        out.stdout
    );
    assert_eq!(cli.run(&["agent", "--help"]).await.code, 0);
    assert_eq!(cli.run(&["frobnicate"]).await.code, 2);
    assert_eq!(cli.run(&["configure", "--non-interactive"]).await.code, 2);

    // A rejected key is not saved.
    let bad = "hx_live_0000000000000000000000000000000000000000";
    let out = cli.run(&["configure", "--api-key", bad]).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(!cli.dir().join("hexaclaw.json").exists());
    // A good one is checked, saved privately, never echoed.
    let out = cli
        .run_with(
            &[
                "configure",
                "--api-key",
                "-",
                "--model",
                "gpt-4.1",
                "--spending-cap",
                "50",
            ],
            &format!("{key}\n"),
        )
        .await;
    out.ok();
    assert!(out.stderr.contains("Key OK"), "{}", out.stderr);
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(&key));
    }
    let path = cli.dir().join("hexaclaw.json");
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["api_key"], key.as_str());
    assert_eq!(saved["spending_cap"], 50.0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["hexaclaw.json", "openclaw.json"] {
            let mode = std::fs::metadata(cli.dir().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
    let out = cli.run(&["config", "get", "api_key"]).await;
    assert!(out.ok().stdout.starts_with(&key[..12]), "{}", out.stdout);
    assert!(!out.stdout.contains(&key), "masked: {}", out.stdout);
    let out = cli.run(&["config", "list"]).await;
    assert!(!out.ok().stdout.contains(&key));
    assert_eq!(
        cli.run(&["config", "get", "agents.defaults.model"])
            .await
            .ok()
            .stdout
            .trim(),
        "gpt-4.1"
    );
    assert_eq!(
        cli.run(&["config", "set", "agents.defaults.model", "gpt-9"])
            .await
            .code,
        2
    );
    assert_eq!(cli.run(&["config", "get", "no.such.key"]).await.code, 1);
    cli.run(&[
        "config",
        "set",
        "agents.list",
        r#"[{"id": "coder", "model": "claude-sonnet", "tools": ["read", "write"]}]"#,
    ])
    .await
    .ok();
    let out = cli.run(&["agents", "list"]).await;
    let so = &out.ok().stdout;
    assert!(
        so.contains("main")
            && so.contains("coder")
            && so.contains("claude-sonnet")
            && so.contains("read,write"),
        "{so}"
    );

    let out = cli.run(&["login", "--status"]).await;
    assert!(
        out.ok()
            .stdout
            .contains(&format!("Logged in to {}", gw.base)),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("the API key in"), "{}", out.stdout);

    let out = cli.run(&["models", "list"]).await;
    let so = &out.ok().stdout;
    assert!(
        so.starts_with("MODEL") && so.contains("gpt-4.1") && so.contains("claude-sonnet-4-6"),
        "{so}"
    );
    let v = cli.run(&["models", "list", "--json"]).await.ok().json();
    assert!(v["data"].as_array().unwrap().len() >= 26);
    let out = cli.run(&["usage"]).await;
    assert!(
        out.ok()
            .stdout
            .contains("spending cap: 50 credits (50 credits left)"),
        "{}",
        out.stdout
    );

    // keys: with the API key only, the configured key; with a dashboard login, all of them.
    let out = cli.run(&["keys", "list"]).await;
    assert!(
        out.ok().stdout.contains(&format!("{}…", &key[..12])),
        "{}",
        out.stdout
    );
    let tok = fb::token("kim");
    let out = cli
        .run(&[
            "keys",
            "create",
            "--name",
            "ci",
            "--id-token",
            &tok,
            "--json",
        ])
        .await;
    let made = out.ok().json();
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(made["key"].as_str().unwrap().starts_with("hx_live_"));
    let out = cli.run(&["keys", "list", "--id-token", &tok]).await;
    assert!(out.ok().stdout.contains(&id), "{}", out.stdout);
    cli.run(&["keys", "revoke", &id, "--id-token", &tok])
        .await
        .ok();
    let v = cli
        .run(&["keys", "list", "--id-token", &tok, "--json"])
        .await
        .ok()
        .json();
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["id"] != id.as_str()),
        "{v}"
    );
    assert_eq!(cli.run(&["keys", "create", "--name", "x"]).await.code, 3);

    // A spending cap below what was spent stops billable work (exit 4) but not /budget.
    cli.run(&["agent", "-m", "hello"]).await.ok();
    cli.run(&["config", "set", "spending_cap", "0.000001"])
        .await
        .ok();
    let out = cli.run(&["agent", "-m", "hello again"]).await;
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stderr.contains("spending cap reached"),
        "{}",
        out.stderr
    );
    let out = cli.run_with(&["shell"], "/search x\n/budget\n").await;
    out.ok();
    assert!(
        out.stderr.contains("spending cap reached"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("balance:"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_end_with_the_documented_exit_codes() {
    let gw = Gateway::start().await;
    let (_, key) = gw.account(100).await;
    let (_, broke) = gw.account(0).await;
    let hi = ["agent", "--model", "gpt-4.1", "-m", "hi"];

    let out = gw.cli(None).run(&hi).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("no HexaClaw API key configured"),
        "{}",
        out.stderr
    );
    let bad = "hx_live_0000000000000000000000000000000000000000";
    let out = gw.cli(Some(bad)).run(&hi).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        !out.stderr.contains(bad),
        "the key is never echoed: {}",
        out.stderr
    );

    let out = gw.cli(Some(&broke)).run(&hi).await;
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("payment required"), "{}", out.stderr);
    assert!(
        out.stderr.contains("balance: 0 credits available"),
        "{}",
        out.stderr
    );

    let cli = gw.cli(Some(&key));
    let out = cli
        .run(&[
            "agent",
            "--model",
            "gpt-4.1",
            "--timeout",
            "1",
            "--json",
            "-m",
            "[slow] hi",
        ])
        .await;
    assert_eq!(out.code, 6, "{out:?}");
    assert_eq!(out.json()["status"], "timeout");
    assert_eq!(
        cli.run(&["agent", "--agent", "nobody", "-m", "hi"])
            .await
            .code,
        2
    );
    assert_eq!(
        cli.run(&["agent", "--model", "gpt-9", "-m", "hi"])
            .await
            .code,
        2
    );
    assert_eq!(
        cli.run(&["agent", "--thinking", "extreme", "-m", "hi"])
            .await
            .code,
        2
    );

    // A key allowed one request a minute: the second is rate limited.
    let limited = limited_key(&gw).await;
    let cli = gw.cli(Some(&limited));
    cli.run(&hi).await.ok();
    let out = cli.run(&hi).await;
    assert_eq!(out.code, 5, "{out:?}");
    assert!(
        out.stderr.contains("rate limited") && out.stderr.contains("retry in"),
        "{}",
        out.stderr
    );
}

async fn limited_key(gw: &Gateway) -> String {
    use hexaclaw_shared::auth::keys::{self, KeyKind, NewKeyParams, RateLimitOverride};
    let (acct, _) = gw.account(100).await;
    keys::create(
        &gw.env.state.store,
        hexaclaw_tests::TEST_PEPPER,
        NewKeyParams {
            account_id: &acct,
            name: "slow",
            scopes: vec![],
            rate_limits: RateLimitOverride {
                requests_per_minute: Some(1),
                ..Default::default()
            },
            kind: KeyKind::Api,
        },
    )
    .await
    .unwrap()
    .1
}

/// One gateway per data directory: a second `gateway run` on a served directory exits at once
/// with an error naming it (the first keeps serving), while `admin` commands still run beside it.
#[tokio::test]
async fn a_second_gateway_on_the_same_data_dir_is_refused() {
    let gw = Gateway::start().await;
    let dir = gw.data.path().display().to_string();
    let out = harness::gateway_command(harness::free_port(), &dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run a second gateway");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "second gateway started: {stderr}");
    assert!(
        stderr.contains("another `hexaclaw gateway run` is serving") && stderr.contains(&dir),
        "{stderr}"
    );
    let admin = std::process::Command::new(harness::hexaclaw_bin())
        .args([
            "admin",
            "--data-dir",
            &dir,
            "account",
            "create",
            "--email",
            "side@example.com",
        ])
        .env("HEXACLAW_KEY_PEPPER", hexaclaw_tests::TEST_PEPPER)
        .output()
        .expect("run admin");
    assert!(
        admin.status.success(),
        "admin beside the gateway: {}",
        String::from_utf8_lossy(&admin.stderr)
    );
    let port = gw.base.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the first gateway still serves: {}",
        gw.log()
    );
}
