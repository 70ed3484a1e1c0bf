//! `hexaclaw login` end to end: the real binary against a gateway served on a loopback port; the
//! test plays the user (links the printed code with a Firebase token), then checks the saved
//! config (token, mode 0600, other fields kept) and `hexaclaw login --status`.

mod support;

use hexaclaw_tests::{TestEnv, call, req};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::firebase::{self as fb, FakeFirebase};

/// The `hexaclaw` binary next to this test's directory (`tests/run` builds every bin first).
fn hexaclaw_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("HEXACLAW_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("hexaclaw");
    assert!(
        bin.exists(),
        "{bin:?} is missing: run `cargo build -p hexaclaw-cli` first"
    );
    bin
}

fn hexaclaw(config_dir: &std::path::Path) -> Command {
    let mut c = Command::new(hexaclaw_bin());
    c.env("HEXACLAW_CONFIG_DIR", config_dir)
        .env_remove("HEXACLAW_API_BASE")
        .stdin(Stdio::null());
    c
}

/// Run a short command off the async runtime.
async fn output(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().expect("run hexaclaw"))
        .await
        .expect("join")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_login_saves_a_working_token_and_reports_status() {
    let f = FakeFirebase::start(600).await;
    let vars = f.vars();
    let mut all = fb::as_refs(&vars);
    all.push(("HEXACLAW_DEVICE_POLL_INTERVAL_SECS", "1"));
    let env = TestEnv::embedded_with(&all).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(hexaclaw_shared::host::serve_listener(
        env.gateway(),
        listener,
    ));
    let router = env.gateway();

    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().join("openclaw");
    let path = dir.join("hexaclaw.json");

    // Not logged in yet.
    let out = output({
        let mut c = hexaclaw(&dir);
        c.args(["login", "--status", "--api-base", &base]);
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not logged in"),
        "{}",
        text(&out.stderr)
    );

    // Settings other tools keep in the same file survive the login.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&path, r#"{"spending_cap": 25}"#).unwrap();

    let mut child = hexaclaw(&dir)
        .args(["login", "--api-base", &base, "--name", "ci box"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hexaclaw login");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let is_code = |s: &str| {
        s.len() == 9
            && s.chars().enumerate().all(|(i, c)| {
                if i == 4 {
                    c == '-'
                } else {
                    c.is_ascii_uppercase()
                }
            })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut printed = Vec::new();
    let code = loop {
        match rx.try_recv() {
            Ok(line) => {
                let t = line.trim().to_owned();
                printed.push(line);
                if is_code(&t) {
                    break t;
                }
            }
            Err(_) if Instant::now() > deadline => panic!("no code printed: {printed:?}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    assert!(
        printed
            .iter()
            .any(|l| l.contains("https://hexaclaw.com/device")),
        "{printed:?}"
    );

    // The user links the code from the dashboard.
    let linked = call(
        &router,
        req(
            "POST",
            "/v1/device/link",
            Some(&fb::token("dora")),
            Some(json!({"user_code": code})),
        ),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", text(&linked.body));
    let account = linked.json()["account_id"].as_str().unwrap().to_owned();

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "hexaclaw login did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "login failed: {err}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "config file mode {mode:o}");
    }
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["spending_cap"], 25);
    assert_eq!(saved["api_base"], base.as_str());
    assert_eq!(saved["account_id"], account.as_str());
    let token = saved["device_token"]
        .as_str()
        .expect("device_token")
        .to_owned();
    assert!(hexaclaw_shared::auth::apikey::is_well_formed(&token));

    // The saved token authenticates as a device token of dora's account.
    let me = call(&router, req("GET", "/v1/key", Some(&token), None))
        .await
        .json();
    assert_eq!(
        (me["type"].as_str(), me["account_id"].as_str()),
        (Some("device"), Some(account.as_str()))
    );
    assert_eq!(me["name"], "ci box");

    // --status uses the saved API base.
    let out = output({
        let mut c = hexaclaw(&dir);
        c.args(["login", "--status"]);
        c
    })
    .await;
    let so = text(&out.stdout);
    assert!(out.status.success(), "{so}{}", text(&out.stderr));
    assert!(so.contains(&format!("Logged in to {base}")), "{so}");
    assert!(
        so.contains(&account) && so.contains(me["id"].as_str().unwrap()),
        "{so}"
    );

    // Once revoked, --status says so and fails.
    let id = me["id"].as_str().unwrap();
    let del = call(
        &router,
        req(
            "DELETE",
            &format!("/v1/keys/{id}"),
            Some(&fb::token("dora")),
            None,
        ),
    )
    .await;
    assert_eq!(del.status, 200);
    let out = output({
        let mut c = hexaclaw(&dir);
        c.args(["login", "--status"]);
        c
    })
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("rejected"),
        "{}",
        text(&out.stderr)
    );
}
