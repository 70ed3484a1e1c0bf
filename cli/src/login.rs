//! `hexaclaw login`: the device login (RFC 8628 shape) against the HexaClaw API — show a code,
//! poll until the user links it, save the device token in the CLI's config dir (`hexaclaw.json`,
//! mode 0600) — and `hexaclaw login --status`.

use anyhow::{Context, anyhow, bail};
use clap::Args;
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where the API lives unless told otherwise.
pub const DEFAULT_API_BASE: &str = "https://api.hexaclaw.com";
/// The CLI's config file inside the config dir.
pub const CONFIG_FILE: &str = "hexaclaw.json";

#[derive(Args)]
pub struct LoginArgs {
    /// Only report whether this machine is logged in (and check the saved token).
    #[arg(long)]
    status: bool,
    /// API base URL [default: the saved one, else https://api.hexaclaw.com].
    #[arg(long, env = "HEXACLAW_API_BASE")]
    api_base: Option<String>,
    /// Name for this device in your key list.
    #[arg(long)]
    name: Option<String>,
}

/// `$HEXACLAW_CONFIG_DIR`, else `~/.openclaw/`.
pub(crate) fn config_dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("HEXACLAW_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    let home = dirs::home_dir()
        .ok_or_else(|| anyhow!("cannot find the home directory; set HEXACLAW_CONFIG_DIR"))?;
    Ok(home.join(".openclaw"))
}

/// The config file's JSON object (empty when absent); other tools' fields are kept as they are.
pub(crate) fn read_config(path: &std::path::Path) -> anyhow::Result<Map<String, Value>> {
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(Value::Object(m)) => Ok(m),
            _ => bail!("{} is not a JSON object; fix or remove it", path.display()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn api_base(flag: Option<&str>, saved: &Map<String, Value>) -> String {
    flag.map(str::to_owned)
        .or_else(|| {
            saved
                .get("api_base")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| DEFAULT_API_BASE.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// Run `hexaclaw login [--status]`.
pub async fn run(args: LoginArgs) -> anyhow::Result<()> {
    let dir = config_dir()?;
    let path = dir.join(CONFIG_FILE);
    let mut config = read_config(&path)?;
    let base = api_base(args.api_base.as_deref(), &config);
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("hexaclaw-cli/", env!("CARGO_PKG_VERSION")))
        .build()?;
    if args.status {
        let cred = crate::settings::ConfigFiles::load_from(&dir)?.credential();
        return status(&http, &base, cred, &path).await;
    }
    let name = args.name.unwrap_or_else(default_device_name);
    let token = device_flow(&http, &base, &name).await?;
    for (k, v) in [
        ("api_base", json!(base)),
        ("device_token", token["access_token"].clone()),
        ("key_id", token["key_id"].clone()),
        ("account_id", token["account_id"].clone()),
        ("logged_in_at", json!(chrono::Utc::now().to_rfc3339())),
    ] {
        config.insert(k.to_owned(), v);
    }
    create_private_dir(&dir)?;
    let text = serde_json::to_vec_pretty(&Value::Object(config))?;
    hexaclaw_shared::config::write_private(&path, &text)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "Logged in: account {}, device token {} saved to {}",
        token["account_id"].as_str().unwrap_or("?"),
        token["key_id"].as_str().unwrap_or("?"),
        path.display()
    );
    Ok(())
}

fn default_device_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    match host {
        Some(h) => format!("hexaclaw CLI on {h}"),
        None => "hexaclaw CLI".to_owned(),
    }
}

pub(crate) fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// POST JSON, returning (status, body as JSON or null).
async fn post(http: &reqwest::Client, url: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
    let resp = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .await
        .with_context(|| format!("reading the answer of {url}"))?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

fn error_message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or("unexpected answer")
        .to_owned()
}

/// Provision codes, show them, poll until linked; returns the token response.
async fn device_flow(http: &reqwest::Client, base: &str, name: &str) -> anyhow::Result<Value> {
    let (status, p) = post(
        http,
        &format!("{base}/v1/device/provision"),
        &json!({ "client_name": name }),
    )
    .await?;
    if status != 200 {
        bail!(
            "the API refused to start a login (HTTP {status}): {}",
            error_message(&p)
        );
    }
    let (Some(device_code), Some(user_code), Some(uri)) = (
        p["device_code"].as_str(),
        p["user_code"].as_str(),
        p["verification_uri"].as_str(),
    ) else {
        bail!("malformed answer from {base}/v1/device/provision");
    };
    let expires_in = p["expires_in"].as_u64().unwrap_or(600);
    let mut interval = p["interval"].as_u64().unwrap_or(5).max(1);
    println!("To log in, open {uri} and enter this code:\n");
    println!("    {user_code}\n");
    if let Some(full) = p["verification_uri_complete"].as_str() {
        println!("(or open {full})");
    }
    println!(
        "Waiting for you to confirm (the code expires in {} minutes)…",
        expires_in.div_ceil(60)
    );
    let deadline = Instant::now() + Duration::from_secs(expires_in);
    let url = format!("{base}/v1/device/token");
    let body = json!({ "device_code": device_code });
    loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        if Instant::now() >= deadline {
            bail!("the code expired before it was confirmed; run `hexaclaw login` again");
        }
        let (status, v) = match post(http, &url, &body).await {
            Ok(r) => r,
            // A network blip must not lose a login the user is confirming right now.
            Err(e) => {
                eprintln!("warning: {e:#}; retrying");
                continue;
            }
        };
        if status == 200 && v["access_token"].is_string() {
            return Ok(v);
        }
        match v["error"]["type"].as_str() {
            Some("authorization_pending") => {}
            Some("slow_down") => {
                interval = v["error"]["interval"]
                    .as_u64()
                    .unwrap_or(interval + 5)
                    .max(interval + 1);
            }
            Some("access_denied") => bail!("the login was denied"),
            Some("expired_token") => {
                bail!("the code expired before it was confirmed; run `hexaclaw login` again")
            }
            _ if status == 429 || status >= 500 => {
                eprintln!("warning: HTTP {status} from {url}; retrying");
            }
            _ => bail!("login failed (HTTP {status}): {}", error_message(&v)),
        }
    }
}

/// `--status`: what is saved (device token, API key, or `HEXACLAW_API_KEY`), and whether the
/// API still accepts it.
async fn status(
    http: &reqwest::Client,
    base: &str,
    cred: Option<crate::settings::Credential>,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let Some(cred) = cred else {
        bail!(
            "not logged in (no device token or API key in {}); run `hexaclaw login`",
            path.display()
        );
    };
    let token = cred.secret.as_str();
    let resp = http
        .get(format!("{base}/v1/key"))
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| {
            format!(
                "a device token is saved in {}, but {base} cannot be reached to check it",
                path.display()
            )
        })?;
    let code = resp.status().as_u16();
    let v: Value = serde_json::from_slice(&resp.bytes().await?).unwrap_or(Value::Null);
    match code {
        200 => {
            let scopes: Vec<&str> = v["scopes"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            println!("Logged in to {base}");
            println!("  account:  {}", v["account_id"].as_str().unwrap_or("?"));
            println!("  tier:     {}", v["tier"].as_str().unwrap_or("?"));
            println!(
                "  token:    {} ({}…, {})",
                v["id"].as_str().unwrap_or("?"),
                v["prefix"].as_str().unwrap_or("?"),
                v["type"].as_str().unwrap_or("?")
            );
            println!("  scopes:   {}", scopes.join(", "));
            println!("  source:   {}", cred.source);
            println!("  config:   {}", path.display());
            Ok(())
        }
        401 => bail!(
            "{} was rejected ({}); run `hexaclaw login` again",
            cred.source,
            error_message(&v)
        ),
        _ => bail!(
            "cannot check the saved token (HTTP {code}): {}",
            error_message(&v)
        ),
    }
}
