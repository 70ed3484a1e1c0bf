//! Terminal output: credit amounts, tables, a spinner for long jobs (only on a terminal), and
//! prompts (yes/no, hidden input).

use hexaclaw_shared::money::MicroCredits;
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// True when both stdout and stderr are terminals (spinners and colours make sense).
pub fn interactive_output() -> bool {
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

/// True when stdin is a terminal (a person can answer a prompt).
pub fn interactive_input() -> bool {
    std::io::stdin().is_terminal()
}

/// A credit amount the API sent (a JSON number of credits) as micro-credits.
pub fn micros_of(v: &Value) -> Option<MicroCredits> {
    let f = v
        .as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))?;
    // Display only: the API's amounts have at most 6 decimals, so rounding restores them.
    Some(MicroCredits((f * 1e6).round() as i64))
}

/// `1 credit`, `3 credits`, `0.000016 credits`.
pub fn format_credits(m: MicroCredits) -> String {
    let s = m.to_credits_string();
    let t = s.trim_end_matches('0').trim_end_matches('.');
    if m == MicroCredits::credits(1) {
        "1 credit".to_owned()
    } else {
        format!("{t} credits")
    }
}

/// A JSON credit amount for people (`?` when absent).
pub fn credits(v: &Value) -> String {
    micros_of(v).map_or_else(|| "?".to_owned(), format_credits)
}

/// Print rows under a header, columns padded to fit.
pub fn table(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let pad = widths[i].saturating_sub(c.chars().count());
                s.push_str(c);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_owned()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for r in rows {
        writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// A spinner on stderr while a long job runs; silent unless the output is a terminal.
pub struct Spinner {
    stop: Arc<AtomicBool>,
    msg: Arc<Mutex<String>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    /// Start spinning with `msg`.
    pub fn start(msg: &str) -> Spinner {
        let stop = Arc::new(AtomicBool::new(false));
        let text = Arc::new(Mutex::new(msg.to_owned()));
        let thread = interactive_output().then(|| {
            let (stop, text) = (stop.clone(), text.clone());
            std::thread::spawn(move || {
                const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
                let started = Instant::now();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let m = text.lock().map(|m| m.clone()).unwrap_or_default();
                    let mut err = std::io::stderr();
                    let _ = write!(
                        err,
                        "\r\x1b[2K{} {m} ({}s)",
                        FRAMES[i % FRAMES.len()],
                        started.elapsed().as_secs()
                    );
                    let _ = err.flush();
                    i += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
                let _ = std::io::stderr().flush();
            })
        });
        Spinner {
            stop,
            msg: text,
            thread,
        }
    }

    /// Change the message.
    pub fn set(&self, msg: &str) {
        if let Ok(mut m) = self.msg.lock() {
            *m = msg.to_owned();
        }
    }

    /// Stop and clear the line.
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Read one line from stdin (without the newline); `None` at end of input.
pub async fn read_line() -> Option<String> {
    tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        match std::io::stdin().read_line(&mut s) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(s.trim_end_matches(['\n', '\r']).to_owned()),
        }
    })
    .await
    .ok()
    .flatten()
}

/// Ask a yes/no question on stderr; only `y`/`yes` is yes.
pub async fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    matches!(
        read_line()
            .await
            .map(|a| a.trim().to_ascii_lowercase())
            .as_deref(),
        Some("y" | "yes")
    )
}

/// Read a secret from the terminal without echoing it (plain read when not a terminal).
pub async fn read_secret(prompt: &str) -> Option<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let tty = interactive_input();
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    let hidden = tty && stty("-echo");
    let line = read_line().await;
    if hidden {
        stty("echo");
        eprintln!();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credits_read_and_print_exactly() {
        assert_eq!(credits(&json!(1)), "1 credit");
        assert_eq!(credits(&json!(3)), "3 credits");
        assert_eq!(credits(&json!(0.000016)), "0.000016 credits");
        assert_eq!(credits(&json!(0.5)), "0.5 credits");
        assert_eq!(credits(&Value::Null), "?");
    }

    #[test]
    fn tables_pad_columns() {
        let mut out = Vec::new();
        table(
            &mut out,
            &["ID", "PRICE"],
            &[
                vec!["gpt-4.1".into(), "2".into()],
                vec!["o3".into(), "10".into()],
            ],
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "ID       PRICE\ngpt-4.1  2\no3       10\n");
    }
}
