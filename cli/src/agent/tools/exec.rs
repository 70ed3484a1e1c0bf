//! `exec`: a shell command on the user's machine — only after the user confirms it at the
//! terminal (or allowed every command with `--yes`); output is truncated, slow commands killed.

use super::ToolResult;
use crate::ui;
use anyhow::bail;
use serde_json::{Value, json};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default kill timer.
const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// Most bytes of stdout / stderr kept (head and tail).
const MAX_OUTPUT_BYTES: usize = 16 * 1024;

/// Keep the head and tail of long output.
pub fn truncate_output(b: &[u8]) -> String {
    if b.len() <= MAX_OUTPUT_BYTES {
        return String::from_utf8_lossy(b).into_owned();
    }
    let half = MAX_OUTPUT_BYTES / 2;
    format!(
        "{}\n… [{} bytes omitted] …\n{}",
        String::from_utf8_lossy(&b[..half]),
        b.len() - 2 * half,
        String::from_utf8_lossy(&b[b.len() - half..])
    )
}

pub(super) async fn run(a: &Value, yes: bool) -> anyhow::Result<ToolResult> {
    let Some(cmd) = a["command"].as_str().filter(|c| !c.trim().is_empty()) else {
        bail!("command is required");
    };
    let timeout = Duration::from_secs(
        a["timeout_secs"]
            .as_u64()
            .unwrap_or(DEFAULT_TIMEOUT_SECS)
            .clamp(1, 3600),
    );
    if !yes {
        let allowed = ui::interactive_input()
            && ui::confirm(&format!("The agent wants to run:\n  $ {cmd}\nAllow?")).await;
        if !allowed {
            return Ok(ToolResult {
                content: json!({"error": "refused: the user did not confirm this command (commands need confirmation at the terminal, or --yes to allow them all)"}).to_string(),
                ..ToolResult::default()
            });
        }
    }
    let cmd = cmd.to_owned();
    let (code, out, err, killed) =
        tokio::task::spawn_blocking(move || run_blocking(&cmd, timeout)).await??;
    let mut v = json!({
        "exit_code": code,
        "stdout": truncate_output(&out),
        "stderr": truncate_output(&err),
    });
    if killed {
        v["killed"] = json!(format!("timed out after {} s", timeout.as_secs()));
    }
    Ok(ToolResult {
        content: v.to_string(),
        ok: code == Some(0),
        ..ToolResult::default()
    })
}

type Ran = (Option<i32>, Vec<u8>, Vec<u8>, bool);

fn run_blocking(cmd: &str, timeout: Duration) -> anyhow::Result<Ran> {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a timeout kills whatever the command started too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let mut child = c.spawn()?;
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let mut killed = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if started.elapsed() > timeout {
            // The whole group (the shell and whatever it started). Not `kill -KILL -<pgid>`
            // through /usr/bin/kill: procps-ng 4.0.2's kill (Debian 12) turned that into a
            // kill of every process the user may signal.
            #[cfg(unix)]
            if let Ok(pgid) = i32::try_from(child.id())
                && pgid > 1
            {
                // SAFETY: plain syscall on a process group we created (process_group(0) above);
                // a negative pid addresses exactly that group, never "all processes" (-1).
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
            let _ = child.kill();
            killed = true;
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // A daemonized grandchild may hold the pipes open; take what arrived and move on.
    let deadline = Instant::now() + Duration::from_millis(500);
    while !(out.is_finished() && err.is_finished()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok((status.code(), out.take(), err.take(), killed))
}

/// A pipe drained on its own thread into a bounded buffer.
struct Drain {
    buf: Arc<Mutex<Vec<u8>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Drain {
    fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }
    fn take(&self) -> Vec<u8> {
        self.buf
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

fn reader(pipe: Option<Box<dyn Read + Send>>) -> Drain {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    let thread = std::thread::spawn(move || {
        let Some(mut p) = pipe else { return };
        // Keep reading so the child never blocks on a full pipe; keep a bounded copy.
        let mut chunk = [0u8; 8192];
        while let Ok(n) = p.read(&mut chunk) {
            if n == 0 {
                break;
            }
            if let Ok(mut b) = sink.lock()
                && b.len() < 4 * MAX_OUTPUT_BYTES
            {
                b.extend_from_slice(&chunk[..n]);
            }
        }
    });
    Drain { buf, thread }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_run_with_yes_and_are_refused_without_a_terminal() {
        let r = run(&json!({"command": "echo hi; echo oops >&2; exit 3"}), true)
            .await
            .unwrap();
        let v: Value = serde_json::from_str(&r.content).unwrap();
        assert_eq!(v["exit_code"], 3);
        assert_eq!(v["stdout"], "hi\n");
        assert_eq!(v["stderr"], "oops\n");
        let slow = run(&json!({"command": "sleep 5", "timeout_secs": 1}), true)
            .await
            .unwrap();
        assert!(
            slow.content.contains("timed out after 1 s"),
            "{}",
            slow.content
        );
        // Unit tests have no terminal on stdin under `cargo test`, so this is refused.
        if !ui::interactive_input() {
            let d = tempfile::tempdir().unwrap();
            let f = d.path().join("x");
            let r = run(&json!({"command": format!("touch {}", f.display())}), false)
                .await
                .unwrap();
            assert!(r.content.contains("refused"));
            assert!(!f.exists());
        }
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        let b: Vec<u8> = (0..40_000).map(|i| b'a' + (i % 26) as u8).collect();
        let t = truncate_output(&b);
        assert!(t.contains("bytes omitted"));
        assert!(t.len() < 17_000);
        assert!(t.starts_with("abc"));
    }
}
