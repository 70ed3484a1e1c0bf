//! The CLI end to end: a real `hexaclaw gateway run` process on a loopback port whose OpenAI is
//! the scripted fake and whose fal/Brave/Firecrawl/Resend/Browserbase are the service fakes, an
//! account made in the same data dir, and the real `hexaclaw` binary run against it with its
//! own config dir.

use super::scripted::{self, Scripted};
use super::services_fakes::Fakes;
use hexaclaw_shared::catalog::Tier;
use hexaclaw_tests::{TEST_PEPPER, TestEnv};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `hexaclaw` binary (`tests/run` builds every bin first).
pub fn hexaclaw_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("HEXACLAW_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .join("hexaclaw");
    assert!(
        bin.exists(),
        "{bin:?} is missing: run `cargo build -p hexaclaw-cli` first"
    );
    bin
}

/// A running gateway process with its fakes and store.
pub struct Gateway {
    pub base: String,
    pub llm: Scripted,
    pub svc: Fakes,
    pub env: TestEnv,
    pub data: tempfile::TempDir,
    child: Child,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `hexaclaw gateway run` on `port` and the embedded store in `dir`, with the test pepper.
pub fn gateway_command(port: u16, dir: &str) -> Command {
    let mut c = Command::new(hexaclaw_bin());
    c.args([
        "gateway",
        "run",
        "--port",
        &port.to_string(),
        "--data-dir",
        dir,
    ])
    .env("HEXACLAW_STORE", "embedded")
    .env("HEXACLAW_KEY_PEPPER", TEST_PEPPER);
    c
}

impl Gateway {
    pub async fn start() -> Gateway {
        Self::start_with(&[]).await
    }

    /// A gateway with extra environment variables.
    pub async fn start_with(extra: &[(String, String)]) -> Gateway {
        let llm = Scripted::start().await;
        let svc = Fakes::start().await;
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().display().to_string();
        // The store (schema, pepper) is made here first; the gateway opens the same data dir.
        let env = TestEnv::embedded_with(&[("HEXACLAW_DATA_DIR", dir.as_str())]).await;
        let port = free_port();
        let log = std::fs::File::create(data.path().join("gateway.log")).unwrap();
        let mut c = gateway_command(port, &dir);
        // `start_with` waits for the start-up maintenance run's log line.
        c.env("RUST_LOG", "info")
            .env("HEXACLAW_KEY_CACHE_TTL_SECS", "0")
            .env("HEXACLAW_UPSTREAM_OPENAI", &llm.origin)
            .env("OPENAI_API_KEY", scripted::OPENAI_KEY)
            .envs(svc.env())
            .envs(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = c.spawn().expect("spawn gateway");
        let base = format!("http://127.0.0.1:{port}");
        let gw = Gateway {
            base,
            llm,
            svc,
            env,
            data,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "gateway did not start: {}",
                gw.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The gateway runs maintenance once at start (monthly grants included); a test's
        // account created before that run reads its queue would get its first grant at once.
        while !gw.log().contains("maintenance run") {
            assert!(
                Instant::now() < deadline,
                "the gateway's start-up maintenance run did not finish: {}",
                gw.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        gw
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("gateway.log")).unwrap_or_default()
    }

    /// A pro account with `credits` and an all-scope key.
    pub async fn account(&self, credits: i64) -> (String, String) {
        self.env.account_with_key(Tier::Pro, credits).await
    }

    /// A CLI set up with `key` (via HEXACLAW_API_KEY when given).
    pub fn cli(&self, key: Option<&str>) -> Cli {
        Cli::new(&self.base, key)
    }
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

/// The `hexaclaw` client with its own config dir, home and working dir.
pub struct Cli {
    pub config: tempfile::TempDir,
    pub home: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Cli {
    pub fn new(base: &str, key: Option<&str>) -> Cli {
        let mut env = vec![
            ("HEXACLAW_API_BASE".to_owned(), base.to_owned()),
            ("HEXACLAW_JOB_POLL_MS".to_owned(), "100".to_owned()),
        ];
        if let Some(k) = key {
            env.push(("HEXACLAW_API_KEY".into(), k.into()));
        }
        Cli {
            config: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            env,
        }
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.retain(|(x, _)| x != k);
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn dir(&self) -> &Path {
        self.config.path()
    }

    /// The working directory commands run in.
    pub fn cwd(&self) -> &Path {
        self.home.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(hexaclaw_bin());
        c.args(args).current_dir(self.home.path());
        for k in [
            "HEXACLAW_API_KEY",
            "HEXACLAW_API_BASE",
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "HEXACLAW_ID_TOKEN",
        ] {
            c.env_remove(k);
        }
        c.env("HEXACLAW_CONFIG_DIR", self.config.path())
            .env("HOME", self.home.path())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    /// Run to completion (killed after 60 s) with `stdin` as input.
    pub async fn run_with(&self, args: &[&str], stdin: &str) -> Out {
        let mut c = self.command(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let input = stdin.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut child = c.spawn().expect("spawn hexaclaw");
            let mut sin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = std::io::Write::write_all(&mut sin, input.as_bytes());
            });
            let drain = |p: Option<Box<dyn std::io::Read + Send>>| {
                std::thread::spawn(move || {
                    let mut s = Vec::new();
                    if let Some(mut p) = p {
                        let _ = p.read_to_end(&mut s);
                    }
                    String::from_utf8_lossy(&s).into_owned()
                })
            };
            let so = drain(
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            );
            let se = drain(
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            );
            let deadline = Instant::now() + Duration::from_secs(60);
            let status = loop {
                if let Some(s) = child.try_wait().unwrap() {
                    break s;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    break child.wait().unwrap();
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            Out {
                code: status.code().unwrap_or(-1),
                stdout: so.join().unwrap(),
                stderr: se.join().unwrap(),
            }
        })
        .await
        .unwrap()
    }

    pub async fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, "").await
    }
}
