//! `hexaclaw configure` (the setup wizard, or its flags non-interactively) and
//! `hexaclaw config get|set|unset|list|path` (dotted keys; secrets shown as their prefix only).

use crate::api::Api;
use crate::exit::{self, CliError};
use crate::settings::{self, ConfigFiles, File};
use crate::ui;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

#[derive(Args)]
pub struct ConfigureArgs {
    /// HexaClaw API key (`-` reads it from stdin, keeping it out of shell history).
    #[arg(long)]
    api_key: Option<String>,
    /// API base URL.
    #[arg(long)]
    api_base: Option<String>,
    /// Default model of every agent (agents.defaults.model).
    #[arg(long)]
    model: Option<String>,
    /// Monthly spending cap in credits (0 removes it).
    #[arg(long)]
    spending_cap: Option<f64>,
    /// Sender address for /email (must be a verified sender of your account).
    #[arg(long)]
    email_from: Option<String>,
    /// Do not check the key against the API before saving it.
    #[arg(long)]
    no_verify: bool,
    /// Never prompt; only apply the flags given.
    #[arg(long)]
    non_interactive: bool,
}

#[derive(Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    cmd: ConfigCmd,
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Read a value (e.g. agents.defaults.model); secrets show their prefix only.
    Get { key: String },
    /// Set a value (JSON or plain text; `-` reads it from stdin).
    Set { key: String, value: String },
    /// Remove a value.
    Unset { key: String },
    /// Show both config files (secrets masked).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print the config directory.
    Path,
}

/// A value typed on the command line: JSON when it parses, else text.
fn parse_value(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| json!(s))
}

fn show(key: &str, v: &Value) -> String {
    match settings::masked(key, v) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn check_model(m: &str) -> anyhow::Result<()> {
    if hexaclaw_shared::catalog::resolve(m).is_none() {
        return exit::fail(
            exit::USAGE,
            format!("unknown model '{m}'; see `hexaclaw models list`"),
        );
    }
    Ok(())
}

/// Run `hexaclaw config …`.
pub async fn config(a: ConfigArgs) -> anyhow::Result<()> {
    let mut cfg = ConfigFiles::load()?;
    match a.cmd {
        ConfigCmd::Get { key } => match cfg.get_effective(&key) {
            Some(v) => println!("{}", show(&key, &v)),
            None => return exit::fail(exit::ERROR, format!("'{key}' is not set")),
        },
        ConfigCmd::Set { key, value } => {
            let raw = if value == "-" {
                ui::read_line().await.unwrap_or_default()
            } else {
                value
            };
            let v = parse_value(raw.trim());
            if key == "agents.defaults.model" {
                check_model(v.as_str().unwrap_or_default())?;
            }
            if key == "spending_cap" && !v.is_number() {
                return exit::fail(exit::USAGE, "spending_cap is a number of credits");
            }
            let file = cfg.set(&key, v.clone())?;
            cfg.save(file)?;
            println!("{key} = {} ({})", show(&key, &v), cfg.path(file).display());
        }
        ConfigCmd::Unset { key } => {
            if cfg.unset(&key) {
                cfg.save(ConfigFiles::file_for(&key))?;
                println!("unset {key}");
            } else {
                return exit::fail(exit::ERROR, format!("'{key}' is not set"));
            }
        }
        ConfigCmd::List { json } => {
            let all = json!({
                "hexaclaw.json": settings::masked("", &Value::Object(cfg.hexaclaw.clone())),
                "openclaw.json": settings::masked("", &Value::Object(cfg.openclaw.clone())),
            });
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for f in [File::Hexaclaw, File::Openclaw] {
                    let name = if f == File::Hexaclaw {
                        "hexaclaw.json"
                    } else {
                        "openclaw.json"
                    };
                    println!("# {}", cfg.path(f).display());
                    println!("{}", serde_json::to_string_pretty(&all[name])?);
                }
            }
        }
        ConfigCmd::Path => println!("{}", cfg.dir.display()),
    }
    Ok(())
}

/// Prompt with a default; Enter keeps it.
async fn ask(question: &str, current: Option<&str>) -> Option<String> {
    match current {
        Some(c) if !c.is_empty() => eprint!("{question} [{c}]: "),
        _ => eprint!("{question}: "),
    }
    let line = ui::read_line().await?;
    let t = line.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Run `hexaclaw configure`.
pub async fn configure(mut a: ConfigureArgs) -> anyhow::Result<()> {
    let mut cfg = ConfigFiles::load()?;
    let any_flag = a.api_key.is_some()
        || a.api_base.is_some()
        || a.model.is_some()
        || a.spending_cap.is_some()
        || a.email_from.is_some();
    let wizard = !a.non_interactive && !any_flag && ui::interactive_input();
    if !wizard && !any_flag {
        return exit::fail(
            exit::USAGE,
            "nothing to configure: run `hexaclaw configure` at a terminal, or pass flags such as --api-key",
        );
    }
    if wizard {
        eprintln!("HexaClaw setup — settings go to {}", cfg.dir.display());
        eprintln!("Press Enter to keep the value in brackets.\n");
        let base = cfg.api_base(None);
        a.api_base = ask("API base URL", Some(&base)).await;
        let has_key = cfg.credential().is_some();
        let hint = if has_key {
            " (Enter keeps the current one)"
        } else {
            " (or run `hexaclaw login` instead)"
        };
        a.api_key = ui::read_secret(&format!("HexaClaw API key{hint}: "))
            .await
            .filter(|k| !k.trim().is_empty());
        a.model = ask("Default model", Some(&cfg.default_model())).await;
        let cap = cfg.spending_cap().map(ui::format_credits);
        a.spending_cap = match ask(
            "Monthly spending cap in credits (0 for none)",
            cap.as_deref(),
        )
        .await
        {
            Some(s) => Some(
                s.trim_end_matches(" credits")
                    .trim_end_matches(" credit")
                    .parse()
                    .map_err(|_| {
                        CliError::new(exit::USAGE, format!("'{s}' is not a number of credits"))
                    })?,
            ),
            None => None,
        };
        a.email_from = ask("Sender address for /email", cfg.email_from().as_deref()).await;
    }
    if let Some(b) = &a.api_base {
        if !(b.starts_with("http://") || b.starts_with("https://")) {
            return exit::fail(exit::USAGE, format!("'{b}' is not an http(s) URL"));
        }
        cfg.set("api_base", json!(b.trim_end_matches('/')))?;
    }
    if let Some(m) = &a.model {
        check_model(m)?;
        cfg.set("agents.defaults.model", json!(m))?;
    }
    if let Some(c) = a.spending_cap {
        if !(c.is_finite() && c >= 0.0) {
            return exit::fail(exit::USAGE, "the spending cap must be 0 or more credits");
        }
        if c == 0.0 {
            cfg.unset("spending_cap");
        } else {
            cfg.set("spending_cap", json!(c))?;
        }
    }
    if let Some(e) = &a.email_from {
        cfg.set("email.from", json!(e))?;
    }
    if let Some(k) = &a.api_key {
        let key = if k == "-" {
            ui::read_line().await.unwrap_or_default()
        } else {
            k.clone()
        };
        let key = key.trim().to_owned();
        if key.is_empty() {
            return exit::fail(exit::USAGE, "the API key is empty");
        }
        if !a.no_verify {
            verify(&cfg, &key).await?;
        }
        cfg.set("api_key", json!(key))?;
    }
    cfg.save(File::Hexaclaw)?;
    cfg.save(File::Openclaw)?;
    eprintln!(
        "Saved {} and {}",
        cfg.path(File::Hexaclaw).display(),
        cfg.path(File::Openclaw).display()
    );
    Ok(())
}

/// Check a key against `GET /v1/key` before saving it.
async fn verify(cfg: &ConfigFiles, key: &str) -> anyhow::Result<()> {
    let api = Api::from_config(cfg, None)?.with_secret(key, "the key being configured");
    let v = api.get("/v1/key").await.map_err(|e| {
        if exit::code_of(&e) == exit::AUTH {
            CliError::new(
                exit::AUTH,
                format!("the API rejected this key; nothing was saved ({e:#})"),
            )
            .into()
        } else {
            e.context("could not check the key (use --no-verify to save it anyway)")
        }
    })?;
    eprintln!(
        "Key OK: account {}, tier {}, key {}…",
        v["account_id"].as_str().unwrap_or("?"),
        v["tier"].as_str().unwrap_or("?"),
        v["prefix"].as_str().unwrap_or("?")
    );
    Ok(())
}
