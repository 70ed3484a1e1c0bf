//! Slash commands: splitting a line into words (quotes respected) and `--options`, and running
//! each command against the API; every command prints what it cost.

use super::Shell;
use crate::exit;
use crate::services::{self, Outcome, audio, jobs, memory};
use std::collections::HashMap;
use std::path::PathBuf;

/// What the shell does after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Exit,
}

/// The help text.
pub const HELP: &str = "\
Slash commands (each prints what it cost):
  /search QUERY [--count N]                 web search (Brave) — 1 credit
  /imagine PROMPT [--model schnell|dev|pro] image (fal.ai Flux) — 1/3/6 credits
  /speak \"TEXT\" [--voice nova] [--hd] [--out FILE]   text to speech — 1-2 credits/1K chars
  /transcribe PATH [--language xx]          speech to text (Whisper) — 1 credit/min
  /browse [status ID | close [ID]]          browser session (Browserbase) — 2 credits/min
  /video PROMPT [--model wan-2.1-turbo]     video (fal.ai) — 5-20 credits
  /music PROMPT [--duration N]              music (fal.ai) — 3 credits
  /scrape URL                               page to markdown (Firecrawl) — 2 credits
  /remember TEXT                            store in vector memory — 1 credit/1K
  /recall QUERY                             search vector memory — free
  /email TO \"SUBJECT\" BODY                  send an email (Resend) — 1 credit
  /budget                                   balance and spending
  /session, /new                            show the conversation id, start a new one
  /help, /exit
Anything else is sent to the agent.";

/// Split a line into words; double or single quotes group words, `\\` escapes in double quotes.
pub fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                in_word = true;
                let quote = c;
                loop {
                    match chars.next() {
                        Some(x) if x == quote => break,
                        Some('\\') if quote == '"' => {
                            if let Some(n) = chars.next() {
                                cur.push(n);
                            }
                        }
                        Some(x) => cur.push(x),
                        None => return Err(format!("unclosed {quote} quote")),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// Words and `--name value` options (`flags` take no value).
pub struct Parsed {
    pub words: Vec<String>,
    pub opts: HashMap<String, String>,
}

impl Parsed {
    fn text(&self) -> String {
        self.words.join(" ")
    }
    fn opt(&self, k: &str) -> Option<&str> {
        self.opts.get(k).map(String::as_str)
    }
}

/// Separate options from words.
pub fn parse(tokens: &[String], valued: &[&str], flags: &[&str]) -> Result<Parsed, String> {
    let mut words = Vec::new();
    let mut opts = HashMap::new();
    let mut it = tokens.iter();
    while let Some(t) = it.next() {
        let Some(name) = t.strip_prefix("--").filter(|n| !n.is_empty()) else {
            words.push(t.clone());
            continue;
        };
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (name, None),
        };
        if flags.contains(&name) {
            opts.insert(name.to_owned(), "true".to_owned());
        } else if valued.contains(&name) {
            let v = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or(format!("--{name} needs a value"))?,
            };
            opts.insert(name.to_owned(), v);
        } else {
            return Err(format!("unknown option --{name}"));
        }
    }
    Ok(Parsed { words, opts })
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    crate::exit::CliError::new(exit::USAGE, msg).into()
}

/// Run one slash command line.
pub async fn run(sh: &mut Shell, line: &str) -> anyhow::Result<Flow> {
    let tokens = tokenize(line.trim()).map_err(usage)?;
    let Some((cmd, rest)) = tokens.split_first() else {
        return Ok(Flow::Continue);
    };
    let p = |valued: &[&str], flags: &[&str]| parse(rest, valued, flags).map_err(usage);
    let api = &sh.api;
    let billable = !matches!(
        cmd.as_str(),
        "/help" | "/exit" | "/quit" | "/budget" | "/recall" | "/session" | "/new"
    );
    if billable {
        services::check_spending_cap(api, sh.cfg.spending_cap()).await?;
    }
    let out: Outcome = match cmd.as_str() {
        "/help" => {
            println!("{HELP}");
            return Ok(Flow::Continue);
        }
        "/exit" | "/quit" => return Ok(Flow::Exit),
        "/session" => {
            println!("session {} (agent {})", sh.session, sh.agent);
            return Ok(Flow::Continue);
        }
        "/new" => {
            sh.session = super::new_session_id();
            println!("new session {}", sh.session);
            return Ok(Flow::Continue);
        }
        "/search" => {
            let a = p(&["count"], &[])?;
            let n = a
                .opt("count")
                .map_or(Ok(5), str::parse)
                .map_err(|_| usage("--count is a number"))?;
            services::search(api, &a.text(), n).await?
        }
        "/imagine" => {
            let a = p(&["model"], &[])?;
            let model = a.opt("model").unwrap_or("schnell");
            if !["schnell", "dev", "pro"].contains(&model) {
                return Err(usage("--model is schnell, dev or pro"));
            }
            services::image(api, &a.text(), model).await?
        }
        "/speak" => {
            let a = p(&["voice", "out"], &["hd"])?;
            let out = a.opt("out").map(PathBuf::from);
            audio::speech(
                api,
                &a.text(),
                a.opt("voice").unwrap_or("alloy"),
                a.opt("hd").is_some(),
                out.as_deref(),
            )
            .await?
        }
        "/transcribe" => {
            let a = p(&["language"], &[])?;
            let path = a
                .words
                .first()
                .ok_or_else(|| usage("usage: /transcribe PATH"))?;
            audio::transcribe(
                api,
                &crate::agent::tools::resolve_path(path),
                a.opt("language"),
            )
            .await?
        }
        "/browse" => {
            let a = p(&[], &[])?;
            match (a.words.first().map(String::as_str), a.words.get(1)) {
                (None, _) => {
                    let o = jobs::browse_open(api).await?;
                    if let Some(id) = o.data["id"].as_str() {
                        sh.browsers.push(id.to_owned());
                    }
                    o
                }
                (Some("status"), Some(id)) => jobs::browse_status(api, id).await?,
                (Some("close" | "stop"), id) => {
                    // Without an id: the last session opened in this shell.
                    let id = match id.or(sh.browsers.last()) {
                        Some(i) => i.clone(),
                        None => return Err(usage("no open browser session; /browse close ID")),
                    };
                    sh.browsers.retain(|b| *b != id);
                    jobs::browse_close(api, &id).await?
                }
                _ => return Err(usage("usage: /browse, /browse status ID, /browse close ID")),
            }
        }
        "/video" => {
            let a = p(&["model"], &[])?;
            let mut body = serde_json::json!({"prompt": a.text()});
            if let Some(m) = a.opt("model") {
                body["model"] = serde_json::json!(m);
            }
            jobs::generate(api, jobs::Media::Video, body).await?
        }
        "/music" => {
            let a = p(&["duration"], &[])?;
            let mut body = serde_json::json!({"prompt": a.text()});
            if let Some(d) = a.opt("duration") {
                let d: u32 = d
                    .parse()
                    .map_err(|_| usage("--duration is a number of seconds"))?;
                body["duration"] = serde_json::json!(d);
            }
            jobs::generate(api, jobs::Media::Music, body).await?
        }
        "/scrape" => {
            let a = p(&[], &[])?;
            services::scrape(api, &a.text(), 4_000).await?
        }
        "/remember" => {
            let a = p(&[], &[])?;
            memory::remember(api, &sh.cfg.embedding_model(), &a.text()).await?
        }
        "/recall" => {
            let a = p(&["top"], &[])?;
            let k = a
                .opt("top")
                .map_or(Ok(5), str::parse)
                .map_err(|_| usage("--top is a number"))?;
            memory::recall(api, &sh.cfg.embedding_model(), &a.text(), k).await?
        }
        "/email" => {
            let a = p(&[], &[])?;
            let (to, subject) = match (a.words.first(), a.words.get(1)) {
                (Some(t), Some(s)) => (t.clone(), s.clone()),
                _ => return Err(usage("usage: /email TO \"SUBJECT\" BODY")),
            };
            let body = a.words[2..].join(" ");
            services::email(api, sh.cfg.email_from().as_deref(), &to, &subject, &body).await?
        }
        "/budget" => services::budget(api, sh.cfg.spending_cap()).await?,
        other => return Err(usage(format!("unknown command {other}; /help lists them"))),
    };
    for l in &out.lines {
        println!("{l}");
    }
    println!("{}", out.cost_line());
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Vec<String> {
        tokenize(s).unwrap()
    }

    #[test]
    fn quotes_group_words() {
        assert_eq!(
            t(r#"/email user@example.com "Test Subject" This is a test"#),
            [
                "/email",
                "user@example.com",
                "Test Subject",
                "This",
                "is",
                "a",
                "test"
            ]
        );
        assert_eq!(
            t(r#"/speak "say \"hi\"" --voice nova"#),
            ["/speak", "say \"hi\"", "--voice", "nova"]
        );
        assert_eq!(t("/x 'it''s'"), ["/x", "its"]);
        assert_eq!(t(r#"/x """#), ["/x", ""]);
        assert!(tokenize("/x \"open").is_err());
    }

    #[test]
    fn options_come_out_of_the_words() {
        let toks = t("/imagine a cyberpunk cat --model=dev --hd");
        let p = parse(&toks[1..], &["model"], &["hd"]).unwrap();
        assert_eq!(p.text(), "a cyberpunk cat");
        assert_eq!(p.opt("model"), Some("dev"));
        assert_eq!(p.opt("hd"), Some("true"));
        assert!(parse(&t("--voice"), &["voice"], &[]).is_err());
        assert!(parse(&t("--nope x"), &["voice"], &[]).is_err());
    }
}
