//! The HexaClaw services as the shell's slash commands and the agent's tools use them: one
//! function per service, each returning lines for people, what it cost, any media produced and
//! a compact JSON result for a model.

pub mod audio;
pub mod jobs;
pub mod memory;

use crate::api::Api;
use crate::exit::{self, CliError};
use crate::ui::{self, Spinner};
use hexaclaw_shared::money::MicroCredits;
use serde_json::{Value, json};

/// The result of one service call.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What to show a person.
    pub lines: Vec<String>,
    /// What it cost (`None`: free or unknown).
    pub cost: Option<MicroCredits>,
    /// A media URL or file the call produced.
    pub media: Option<String>,
    /// A compact result for the agent's model.
    pub data: Value,
}

impl Outcome {
    /// The cost line the shell prints after every command.
    pub fn cost_line(&self) -> String {
        match self.cost {
            Some(c) => format!("cost: {}", ui::format_credits(c)),
            None => "cost: free".to_owned(),
        }
    }
}

/// Most characters of a scraped page a model gets.
pub const MAX_PAGE_CHARS: usize = 20_000;

/// Cut `s` to at most `max` characters, saying so.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max).collect();
    format!(
        "{cut}\n… [truncated: {} characters in all]",
        s.chars().count()
    )
}

/// Refuse (exit 4) when this month's spending has reached the cap in `hexaclaw.json`.
pub async fn check_spending_cap(api: &Api, cap: Option<MicroCredits>) -> anyhow::Result<()> {
    let Some(cap) = cap else { return Ok(()) };
    // A key without the usage scope cannot read the figure; the API's own limits still apply.
    let Ok(v) = api.get("/v1/usage").await else {
        return Ok(());
    };
    let spent = ui::micros_of(&v["month_to_date"]["cost"]).unwrap_or_default();
    if spent >= cap {
        return exit::fail(
            exit::PAYMENT,
            format!(
                "spending cap reached: {} spent this month, cap {} (raise it with `hexaclaw config set spending_cap <credits>`)",
                ui::format_credits(spent),
                ui::format_credits(cap)
            ),
        );
    }
    Ok(())
}

/// `POST /v1/search`.
pub async fn search(api: &Api, query: &str, count: u32) -> anyhow::Result<Outcome> {
    if query.trim().is_empty() {
        return exit::fail(
            exit::USAGE,
            "search what? e.g. /search \"latest news on AI agents\"",
        );
    }
    let sp = Spinner::start(&format!("Searching the web for “{}”", query.trim()));
    let r = api
        .post(
            "/v1/search",
            &json!({"query": query.trim(), "count": count}),
        )
        .await?;
    sp.stop();
    let results = r.json["results"].as_array().cloned().unwrap_or_default();
    let mut lines = Vec::new();
    if results.is_empty() {
        lines.push("No results.".to_owned());
    }
    for (i, x) in results.iter().enumerate() {
        lines.push(format!(
            "{}. {}",
            i + 1,
            x["title"].as_str().unwrap_or("(untitled)")
        ));
        lines.push(format!("   {}", x["url"].as_str().unwrap_or_default()));
        let d = x["description"].as_str().unwrap_or_default();
        if !d.is_empty() {
            lines.push(format!("   {}", truncate(d, 200)));
        }
    }
    let data: Vec<Value> = results
        .iter()
        .map(|x| json!({"title": x["title"], "url": x["url"], "description": x["description"]}))
        .collect();
    Ok(Outcome {
        lines,
        cost: ui::micros_of(&r.json["cost"]),
        media: None,
        data: json!({"query": query.trim(), "results": data}),
    })
}

/// `POST /v1/scrape`.
pub async fn scrape(api: &Api, url: &str, show_chars: usize) -> anyhow::Result<Outcome> {
    if url.trim().is_empty() {
        return exit::fail(exit::USAGE, "scrape what? e.g. /scrape https://example.com");
    }
    let sp = Spinner::start(&format!("Fetching {}", url.trim()));
    let r = api.post("/v1/scrape", &json!({"url": url.trim()})).await?;
    sp.stop();
    let md = r.json["markdown"].as_str().unwrap_or_default();
    let title = r.json["metadata"]["title"].as_str().unwrap_or_default();
    let mut lines = Vec::new();
    if !title.is_empty() {
        lines.push(format!("# {title}"));
    }
    lines.push(truncate(md, show_chars));
    Ok(Outcome {
        lines,
        cost: ui::micros_of(&r.json["cost"]),
        media: None,
        data: json!({"url": r.json["url"], "title": title, "markdown": truncate(md, MAX_PAGE_CHARS)}),
    })
}

/// `POST /v1/images/generate`.
pub async fn image(api: &Api, prompt: &str, model: &str) -> anyhow::Result<Outcome> {
    if prompt.trim().is_empty() {
        return exit::fail(
            exit::USAGE,
            "imagine what? e.g. /imagine a cyberpunk cat --model schnell",
        );
    }
    let sp = Spinner::start(&format!("Generating an image (flux {model})"));
    let r = api
        .post(
            "/v1/images/generate",
            &json!({"prompt": prompt.trim(), "model": model}),
        )
        .await?;
    sp.stop();
    let urls: Vec<String> = r.json["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["url"].as_str().map(str::to_owned))
        .collect();
    let Some(first) = urls.first().cloned() else {
        return Err(CliError::new(exit::ERROR, "the API returned no image").into());
    };
    Ok(Outcome {
        lines: urls.iter().map(|u| format!("image: {u}")).collect(),
        cost: ui::micros_of(&r.json["cost"]),
        media: Some(first),
        data: json!({"urls": urls, "model": r.json["model"]}),
    })
}

/// `POST /v1/email` from the configured sender.
pub async fn email(
    api: &Api,
    from: Option<&str>,
    to: &str,
    subject: &str,
    body: &str,
) -> anyhow::Result<Outcome> {
    let Some(from) = from else {
        return exit::fail(
            exit::USAGE,
            "no sender configured: `hexaclaw config set email.from you@your-verified-domain.com`",
        );
    };
    if to.is_empty() || subject.is_empty() || body.is_empty() {
        return exit::fail(exit::USAGE, "usage: /email TO \"SUBJECT\" BODY");
    }
    let r = api
        .post(
            "/v1/email",
            &json!({"from": from, "to": to, "subject": subject, "text": body}),
        )
        .await?;
    Ok(Outcome {
        lines: vec![format!(
            "sent to {to} (id {})",
            r.json["id"].as_str().unwrap_or("?")
        )],
        cost: ui::micros_of(&r.json["cost"]),
        media: None,
        data: json!({"id": r.json["id"], "to": to}),
    })
}

/// Balance, month to date and spending by model.
pub async fn budget(api: &Api, cap: Option<MicroCredits>) -> anyhow::Result<Outcome> {
    let u = api.get("/v1/usage").await?;
    let by = api.get("/v1/usage/by-model").await.unwrap_or(Value::Null);
    let mtd = &u["month_to_date"];
    let mut lines = vec![
        format!(
            "balance: {} available ({} held) · tier {}",
            ui::credits(&u["balance"]["available"]),
            ui::credits(&u["balance"]["held"]),
            u["tier"].as_str().unwrap_or("?")
        ),
        format!(
            "this month: {} · {} requests · {} input / {} output tokens",
            ui::credits(&mtd["cost"]),
            mtd["requests"].as_i64().unwrap_or(0),
            mtd["input_tokens"].as_i64().unwrap_or(0),
            mtd["output_tokens"].as_i64().unwrap_or(0)
        ),
    ];
    if let Some(cap) = cap {
        let spent = ui::micros_of(&mtd["cost"]).unwrap_or_default();
        let left = MicroCredits((cap.0 - spent.0).max(0));
        lines.push(format!(
            "spending cap: {} ({} left)",
            ui::format_credits(cap),
            ui::format_credits(left)
        ));
    }
    let rows: Vec<Vec<String>> = by["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["model"].as_str().is_some_and(|m| !m.is_empty()))
        .map(|r| {
            vec![
                r["model"].as_str().unwrap_or_default().to_owned(),
                r["requests"].as_i64().unwrap_or(0).to_string(),
                r["input_tokens"].as_i64().unwrap_or(0).to_string(),
                r["output_tokens"].as_i64().unwrap_or(0).to_string(),
                ui::credits(&r["cost"]),
            ]
        })
        .collect();
    if !rows.is_empty() {
        let mut buf = Vec::new();
        ui::table(
            &mut buf,
            &["MODEL", "REQUESTS", "INPUT", "OUTPUT", "COST"],
            &rows,
        )?;
        lines.push(String::new());
        lines.extend(String::from_utf8_lossy(&buf).lines().map(str::to_owned));
    }
    Ok(Outcome {
        lines,
        cost: None,
        media: None,
        data: json!({"usage": u, "by_model": by["data"]}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_says_how_long_the_text_was() {
        assert_eq!(truncate("abc", 5), "abc");
        let t = truncate("abcdefgh", 3);
        assert!(t.starts_with("abc\n… [truncated: 8 characters"), "{t}");
    }
}
