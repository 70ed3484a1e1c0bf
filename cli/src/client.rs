//! Client commands: `models list`, `agents list`, `usage` / `budget`, and `keys
//! list|create|revoke` (key management takes a dashboard login — a Firebase ID token — as the
//! API requires; with only an API key, `keys list` shows that key).

use crate::api::Api;
use crate::exit::{self, CliError};
use crate::services;
use crate::settings::ConfigFiles;
use crate::ui;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

/// Where the API is (shared by the client commands).
#[derive(Args, Clone)]
pub struct Conn {
    /// API base URL [default: the saved one, else https://api.hexaclaw.com].
    #[arg(long, env = "HEXACLAW_API_BASE")]
    pub api_base: Option<String>,
}

#[derive(Subcommand)]
pub enum ModelsCmd {
    /// List the models the API serves, with prices in credits per 1M tokens.
    List {
        #[arg(long)]
        json: bool,
        /// Use the catalog built into this CLI instead of asking the API.
        #[arg(long)]
        offline: bool,
        #[command(flatten)]
        conn: Conn,
    },
}

#[derive(Subcommand)]
pub enum AgentsCmd {
    /// List configured agents and their models.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct UsageArgs {
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    conn: Conn,
}

#[derive(Subcommand)]
pub enum KeysCmd {
    /// List your API keys (all of them with a dashboard login; else the configured one).
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        auth: KeyAuth,
    },
    /// Create an API key (the secret is shown once).
    Create {
        #[arg(long)]
        name: Option<String>,
        /// Comma-separated scopes (default: all).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        /// Also save it as this CLI's key.
        #[arg(long)]
        save: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        auth: KeyAuth,
    },
    /// Revoke (deactivate) a key; cannot be undone.
    Revoke {
        id: String,
        #[command(flatten)]
        auth: KeyAuth,
    },
}

/// The dashboard login key management needs.
#[derive(Args, Clone)]
pub struct KeyAuth {
    /// Firebase ID token of your dashboard login [default: cloud-auth.json].
    #[arg(long, env = "HEXACLAW_ID_TOKEN", hide_env_values = true)]
    id_token: Option<String>,
    #[command(flatten)]
    conn: Conn,
}

/// Run `hexaclaw models …`.
pub async fn models(cmd: ModelsCmd) -> anyhow::Result<()> {
    let ModelsCmd::List {
        json,
        offline,
        conn,
    } = cmd;
    let v = if offline {
        hexaclaw_shared::catalog::models_list_json()
    } else {
        let cfg = ConfigFiles::load()?;
        Api::from_config(&cfg, conn.api_base.as_deref())?
            .get_public("/v1/models")
            .await?
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let p = &m["pricing"];
            let (input, output) = if p.get("input_per_1m").is_some() {
                let out = if p["output_per_1m"].is_null() {
                    "-".to_owned()
                } else {
                    ui::credits(&p["output_per_1m"])
                };
                (ui::credits(&p["input_per_1m"]), out)
            } else {
                let unit = p["unit"].as_str().unwrap_or_default().replace('_', " ");
                (format!("{} {unit}", ui::credits(&p["price"])), "-".into())
            };
            let caps = &m["capabilities"];
            let feats: Vec<&str> = ["tools", "vision", "reasoning"]
                .into_iter()
                .filter(|f| caps[*f].as_bool() == Some(true))
                .collect();
            vec![
                m["id"].as_str().unwrap_or_default().to_owned(),
                m["type"].as_str().unwrap_or("chat").to_owned(),
                m["provider"].as_str().unwrap_or_default().to_owned(),
                input.replace(" credits", "").replace(" credit", ""),
                output.replace(" credits", "").replace(" credit", ""),
                m["context_window"]
                    .as_u64()
                    .map_or("-".into(), |c| c.to_string()),
                feats.join(","),
            ]
        })
        .collect();
    ui::table(
        &mut std::io::stdout(),
        &[
            "MODEL",
            "TYPE",
            "PROVIDER",
            "INPUT/1M",
            "OUTPUT/1M",
            "CONTEXT",
            "FEATURES",
        ],
        &rows,
    )?;
    println!("\nPrices in credits (1 credit = $0.01). Aliases: `hexaclaw models list --json`.");
    Ok(())
}

/// Run `hexaclaw agents …`.
pub fn agents(cmd: AgentsCmd) -> anyhow::Result<()> {
    let AgentsCmd::List { json } = cmd;
    let cfg = ConfigFiles::load()?;
    let agents = cfg.agents();
    if json {
        let v: Vec<Value> = agents
            .iter()
            .map(|a| json!({"id": a.id, "name": a.name, "model": a.model, "thinking": a.thinking, "tools": a.tools}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = agents
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.name.clone().unwrap_or_default(),
                a.model.clone(),
                a.thinking.clone().unwrap_or_else(|| "off".into()),
                a.tools.as_ref().map_or("all".into(), |t| t.join(",")),
            ]
        })
        .collect();
    ui::table(
        &mut std::io::stdout(),
        &["ID", "NAME", "MODEL", "THINKING", "TOOLS"],
        &rows,
    )?;
    Ok(())
}

/// Run `hexaclaw usage` / `hexaclaw budget`.
pub async fn usage(a: UsageArgs) -> anyhow::Result<()> {
    let cfg = ConfigFiles::load()?;
    let api = Api::from_config(&cfg, a.conn.api_base.as_deref())?;
    let out = services::budget(&api, cfg.spending_cap()).await?;
    if a.json {
        let mut v = out.data;
        v["spending_cap"] = cfg
            .spending_cap()
            .map_or(Value::Null, |c| c.to_credits_json());
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for l in out.lines {
            println!("{l}");
        }
    }
    Ok(())
}

/// The ID token: the flag/env, else `cloud-auth.json`.
fn id_token(cfg: &ConfigFiles, a: &KeyAuth) -> Option<String> {
    a.id_token.clone().filter(|t| !t.is_empty()).or_else(|| {
        let v = crate::login::read_config(&cfg.dir.join("cloud-auth.json")).ok()?;
        ["idToken", "id_token", "token"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_owned))
    })
}

fn needs_login(what: &str) -> anyhow::Error {
    CliError::new(
        exit::AUTH,
        format!("{what} needs your dashboard login: pass --id-token (or HEXACLAW_ID_TOKEN), or sign in to the dashboard so cloud-auth.json has a token"),
    )
    .into()
}

/// Run `hexaclaw keys …`.
pub async fn keys(cmd: KeysCmd) -> anyhow::Result<()> {
    let cfg = ConfigFiles::load()?;
    match cmd {
        KeysCmd::List { json, auth } => {
            let base = Api::from_config(&cfg, auth.conn.api_base.as_deref())?;
            let Some(tok) = id_token(&cfg, &auth) else {
                let v = base.get("/v1/key").await?;
                if json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json!({"object": "list", "data": [v]}))?
                    );
                } else {
                    print_keys(&[v])?;
                    eprintln!(
                        "(only the key this CLI uses; listing all keys needs your dashboard login: --id-token)"
                    );
                }
                return Ok(());
            };
            let v = base
                .with_secret(&tok, "the ID token")
                .get("/v1/keys")
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_keys(v["data"].as_array().map(Vec::as_slice).unwrap_or_default())?;
            }
        }
        KeysCmd::Create {
            name,
            scopes,
            save,
            json,
            auth,
        } => {
            let tok = id_token(&cfg, &auth).ok_or_else(|| needs_login("creating a key"))?;
            let api = Api::from_config(&cfg, auth.conn.api_base.as_deref())?
                .with_secret(&tok, "the ID token");
            let mut body = json!({});
            if let Some(n) = name {
                body["name"] = json!(n);
            }
            if !scopes.is_empty() {
                body["scopes"] = json!(scopes);
            }
            let v = api.post("/v1/keys", &body).await?.json;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "created {} ({})",
                    v["id"].as_str().unwrap_or("?"),
                    v["name"].as_str().unwrap_or("")
                );
                println!("{}", v["key"].as_str().unwrap_or("?"));
                eprintln!("This is the only time the key is shown; store it safely.");
            }
            if save {
                let mut cfg = cfg;
                cfg.set("api_key", v["key"].clone())?;
                cfg.save(crate::settings::File::Hexaclaw)?;
                eprintln!("Saved as this CLI's API key.");
            }
        }
        KeysCmd::Revoke { id, auth } => {
            let tok = id_token(&cfg, &auth).ok_or_else(|| needs_login("revoking a key"))?;
            let api = Api::from_config(&cfg, auth.conn.api_base.as_deref())?
                .with_secret(&tok, "the ID token");
            api.delete(&format!("/v1/keys/{id}"), None).await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

fn print_keys(keys: &[Value]) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let created = k["created"]
                .as_i64()
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map_or("-".into(), |t| t.format("%Y-%m-%d").to_string());
            vec![
                k["id"].as_str().unwrap_or_default().to_owned(),
                k["name"].as_str().unwrap_or_default().to_owned(),
                format!("{}…", k["prefix"].as_str().unwrap_or_default()),
                k["type"].as_str().unwrap_or_default().to_owned(),
                k["scopes"]
                    .as_array()
                    .map(|s| {
                        s.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default(),
                created,
            ]
        })
        .collect();
    ui::table(
        &mut std::io::stdout(),
        &["ID", "NAME", "PREFIX", "TYPE", "SCOPES", "CREATED"],
        &rows,
    )?;
    Ok(())
}
