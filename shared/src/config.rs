//! Configuration, read once at start from the environment (and, in AWS, one Secrets Manager
//! JSON secret holding the provider keys and the key pepper).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// A secret string whose `Debug`/`Display` never print it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself; call only where it is sent to its one legitimate recipient.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Upstream services, each with an official origin and an env override for tests/fakes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Upstream {
    OpenAi,
    Anthropic,
    Gemini,
    Xai,
    DeepSeek,
    Mistral,
    Groq,
    Fal,
    FalQueue,
    Brave,
    Firecrawl,
    Resend,
    Browserbase,
}

impl Upstream {
    pub const ALL: [Upstream; 13] = [
        Upstream::OpenAi,
        Upstream::Anthropic,
        Upstream::Gemini,
        Upstream::Xai,
        Upstream::DeepSeek,
        Upstream::Mistral,
        Upstream::Groq,
        Upstream::Fal,
        Upstream::FalQueue,
        Upstream::Brave,
        Upstream::Firecrawl,
        Upstream::Resend,
        Upstream::Browserbase,
    ];

    /// The provider's documented origin (scheme + host).
    pub fn official_origin(self) -> &'static str {
        match self {
            Upstream::OpenAi => "https://api.openai.com",
            Upstream::Anthropic => "https://api.anthropic.com",
            Upstream::Gemini => "https://generativelanguage.googleapis.com",
            Upstream::Xai => "https://api.x.ai",
            Upstream::DeepSeek => "https://api.deepseek.com",
            Upstream::Mistral => "https://api.mistral.ai",
            Upstream::Groq => "https://api.groq.com",
            Upstream::Fal => "https://fal.run",
            Upstream::FalQueue => "https://queue.fal.run",
            Upstream::Brave => "https://api.search.brave.com",
            Upstream::Firecrawl => "https://api.firecrawl.dev",
            Upstream::Resend => "https://api.resend.com",
            Upstream::Browserbase => "https://api.browserbase.com",
        }
    }

    /// Suffix of `HEXACLAW_UPSTREAM_<NAME>` (origin override).
    pub fn env_name(self) -> &'static str {
        match self {
            Upstream::OpenAi => "OPENAI",
            Upstream::Anthropic => "ANTHROPIC",
            Upstream::Gemini => "GEMINI",
            Upstream::Xai => "XAI",
            Upstream::DeepSeek => "DEEPSEEK",
            Upstream::Mistral => "MISTRAL",
            Upstream::Groq => "GROQ",
            Upstream::Fal => "FAL",
            Upstream::FalQueue => "FAL_QUEUE",
            Upstream::Brave => "BRAVE",
            Upstream::Firecrawl => "FIRECRAWL",
            Upstream::Resend => "RESEND",
            Upstream::Browserbase => "BROWSERBASE",
        }
    }

    /// Env var / secret field holding the provider key.
    pub fn key_name(self) -> &'static str {
        match self {
            Upstream::OpenAi => "OPENAI_API_KEY",
            Upstream::Anthropic => "ANTHROPIC_API_KEY",
            Upstream::Gemini => "GEMINI_API_KEY",
            Upstream::Xai => "XAI_API_KEY",
            Upstream::DeepSeek => "DEEPSEEK_API_KEY",
            Upstream::Mistral => "MISTRAL_API_KEY",
            Upstream::Groq => "GROQ_API_KEY",
            Upstream::Fal | Upstream::FalQueue => "FAL_KEY",
            Upstream::Brave => "BRAVE_API_KEY",
            Upstream::Firecrawl => "FIRECRAWL_API_KEY",
            Upstream::Resend => "RESEND_API_KEY",
            Upstream::Browserbase => "BROWSERBASE_API_KEY",
        }
    }
}

/// Which store engine to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreConfig {
    /// SQLite file under this directory (local gateway, admin CLI).
    Embedded { data_dir: PathBuf },
    /// DynamoDB tables named `<prefix><table>`.
    Dynamo { table_prefix: String },
}

/// Where vector points are stored (`HEXACLAW_VECTOR_BACKEND`: `embedded` | `s3vectors` | `none`;
/// by default embedded with the embedded store, S3 Vectors with DynamoDB when
/// `HEXACLAW_VECTOR_BUCKET` is set, otherwise none and the vectors routes answer 503).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VectorBackendConfig {
    /// No vector storage.
    Disabled,
    /// The embedded engine: `vectors.db` under this directory.
    Embedded { data_dir: PathBuf },
    /// Amazon S3 Vectors: a vector bucket name or ARN, and an endpoint override for local
    /// emulators (`HEXACLAW_VECTOR_ENDPOINT`, tests only).
    S3Vectors {
        bucket: String,
        endpoint_url: Option<String>,
    },
}

fn vector_backend(
    get: &dyn Fn(&str) -> Option<String>,
    store: &StoreConfig,
) -> Result<VectorBackendConfig, ConfigError> {
    let bucket = get("HEXACLAW_VECTOR_BUCKET");
    let endpoint_url = get("HEXACLAW_VECTOR_ENDPOINT");
    let embedded = || VectorBackendConfig::Embedded {
        data_dir: match store {
            StoreConfig::Embedded { data_dir } => data_dir.clone(),
            StoreConfig::Dynamo { .. } => get("HEXACLAW_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(default_data_dir),
        },
    };
    Ok(match (get("HEXACLAW_VECTOR_BACKEND").as_deref(), bucket) {
        (Some("embedded"), _) => embedded(),
        (Some("s3vectors"), Some(bucket)) => VectorBackendConfig::S3Vectors {
            bucket,
            endpoint_url,
        },
        (Some("s3vectors"), None) => {
            return Err(ConfigError::Invalid(
                "HEXACLAW_VECTOR_BACKEND=s3vectors needs HEXACLAW_VECTOR_BUCKET".into(),
            ));
        }
        (Some("none"), _) => VectorBackendConfig::Disabled,
        (Some(other), _) => {
            return Err(ConfigError::Invalid(format!(
                "HEXACLAW_VECTOR_BACKEND must be 'embedded', 's3vectors' or 'none', not '{other}'"
            )));
        }
        (None, bucket) => match (store, bucket) {
            (StoreConfig::Embedded { .. }, _) => embedded(),
            (StoreConfig::Dynamo { .. }, Some(bucket)) => VectorBackendConfig::S3Vectors {
                bucket,
                endpoint_url,
            },
            (StoreConfig::Dynamo { .. }, None) => VectorBackendConfig::Disabled,
        },
    })
}

/// Everything the process needs, read once.
#[derive(Clone, Debug)]
pub struct Config {
    pub store: StoreConfig,
    /// Where vector points are stored.
    pub vectors: VectorBackendConfig,
    /// Server-side pepper for key HMACs. Rotating it invalidates every key (infra/README.md).
    pub key_pepper: Secret,
    provider_keys: HashMap<&'static str, Secret>,
    upstream_origins: HashMap<Upstream, String>,
    /// How long a verified key stays cached in memory; bounds revocation latency.
    pub key_cache_ttl_secs: u64,
    /// Largest JSON body accepted on most routes.
    pub max_body_bytes: usize,
    /// Guardian policy deny-list (`HEXACLAW_GUARDIAN_DENY_TERMS`, comma-separated).
    pub guardian_deny_terms: Vec<String>,
    /// Firebase project id for ID-token verification.
    pub firebase_project_id: Option<String>,
    /// Browserbase project for new sessions (`BROWSERBASE_PROJECT_ID`; else inferred from the key).
    pub browserbase_project_id: Option<String>,
    /// Where Firebase's signing keys (a JWK set) are fetched; tests serve their own.
    pub firebase_jwks_url: String,
    /// Page a user opens to link a CLI device code (`verification_uri`).
    pub device_verification_uri: String,
    /// Seconds a CLI must wait between device-token polls (RFC 8628 `interval`).
    pub device_poll_interval_secs: u64,
}

/// Google's JWK set for Firebase ID tokens (securetoken).
pub const FIREBASE_JWKS_URL: &str =
    "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("could not read the provider-key secret: {0}")]
    Secret(String),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    /// Read the configuration: env vars, plus the Secrets Manager JSON secret when
    /// `HEXACLAW_SECRET_ARN` is set (its fields override env vars of the same name).
    pub async fn load() -> Result<Config, ConfigError> {
        Self::load_with(&HashMap::new()).await
    }

    /// `load`, with some variables overridden (command-line flags win over env and secret).
    pub async fn load_with(overrides: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let secret = match env("HEXACLAW_SECRET_ARN") {
            Some(arn) => fetch_secret_json(&arn).await?,
            None => HashMap::new(),
        };
        Self::from_sources(&|name| {
            overrides
                .get(name)
                .cloned()
                .or_else(|| secret.get(name).cloned())
                .or_else(|| env(name))
        })
    }

    /// Build from a lookup function (env + secret). Used by `load` and by tests.
    pub fn from_sources(get: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let in_lambda = get("AWS_LAMBDA_RUNTIME_API").is_some();
        let store_kind = get("HEXACLAW_STORE")
            .unwrap_or_else(|| if in_lambda { "dynamodb" } else { "embedded" }.to_owned());
        let store = match store_kind.as_str() {
            "dynamodb" | "dynamo" => StoreConfig::Dynamo {
                table_prefix: get("HEXACLAW_TABLE_PREFIX").unwrap_or_else(|| "hexaclaw-".into()),
            },
            "embedded" => StoreConfig::Embedded {
                data_dir: get("HEXACLAW_DATA_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(default_data_dir),
            },
            other => {
                return Err(ConfigError::Invalid(format!(
                    "HEXACLAW_STORE must be 'embedded' or 'dynamodb', not '{other}'"
                )));
            }
        };
        let vectors = vector_backend(get, &store)?;
        let key_pepper = match (get("HEXACLAW_KEY_PEPPER"), &store) {
            (Some(p), _) => Secret::new(p),
            (None, StoreConfig::Embedded { data_dir }) => Secret::new(
                local_pepper(data_dir).map_err(|e| ConfigError::Invalid(e.to_string()))?,
            ),
            (None, StoreConfig::Dynamo { .. }) => {
                return Err(ConfigError::Invalid(
                    "HEXACLAW_KEY_PEPPER is required with the DynamoDB store (put it in the secret)"
                        .into(),
                ));
            }
        };
        if key_pepper.expose().len() < 16 {
            return Err(ConfigError::Invalid(
                "HEXACLAW_KEY_PEPPER must be at least 16 characters".into(),
            ));
        }
        let mut provider_keys = HashMap::new();
        let mut upstream_origins = HashMap::new();
        for u in Upstream::ALL {
            if let Some(k) = get(u.key_name()) {
                provider_keys.insert(u.key_name(), Secret::new(k));
            }
            let origin = get(&format!("HEXACLAW_UPSTREAM_{}", u.env_name()))
                .unwrap_or_else(|| u.official_origin().to_owned());
            upstream_origins.insert(u, origin.trim_end_matches('/').to_owned());
        }
        // Google's SDKs call the same key GOOGLE_API_KEY.
        if let (None, Some(k)) = (provider_keys.get("GEMINI_API_KEY"), get("GOOGLE_API_KEY")) {
            provider_keys.insert("GEMINI_API_KEY", Secret::new(k));
        }
        let num = |name: &str, default: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| ConfigError::Invalid(format!("{name} must be a whole number"))),
            }
        };
        Ok(Config {
            store,
            vectors,
            key_pepper,
            provider_keys,
            upstream_origins,
            key_cache_ttl_secs: num("HEXACLAW_KEY_CACHE_TTL_SECS", 30)?,
            max_body_bytes: num("HEXACLAW_MAX_BODY_BYTES", 10 * 1024 * 1024)? as usize,
            guardian_deny_terms: get("HEXACLAW_GUARDIAN_DENY_TERMS")
                .map(|v| {
                    v.split(',')
                        .map(|t| t.trim().to_owned())
                        .filter(|t| !t.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            firebase_project_id: get("HEXACLAW_FIREBASE_PROJECT_ID"),
            browserbase_project_id: get("BROWSERBASE_PROJECT_ID"),
            firebase_jwks_url: get("HEXACLAW_FIREBASE_JWKS_URL")
                .unwrap_or_else(|| FIREBASE_JWKS_URL.to_owned()),
            device_verification_uri: get("HEXACLAW_DEVICE_VERIFICATION_URI")
                .unwrap_or_else(|| "https://hexaclaw.com/device".to_owned()),
            device_poll_interval_secs: num("HEXACLAW_DEVICE_POLL_INTERVAL_SECS", 5)?.max(1),
        })
    }

    /// The platform's key for an upstream, if configured.
    pub fn provider_key(&self, u: Upstream) -> Option<&Secret> {
        self.provider_keys.get(u.key_name())
    }

    /// Origin (scheme://host[:port]) to call for an upstream.
    pub fn upstream_origin(&self, u: Upstream) -> &str {
        self.upstream_origins
            .get(&u)
            .map(String::as_str)
            .unwrap_or_else(|| u.official_origin())
    }
}

/// `~/.openclaw/hexaclaw/` — the CLI's config dir (API reference) holds the local gateway's data.
pub fn default_data_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".openclaw").join("hexaclaw")
}

/// The local gateway's pepper: generated once, kept in `<data_dir>/pepper` (mode 0600), so the
/// gateway and `hexaclaw admin` hash keys the same way.
fn local_pepper(data_dir: &std::path::Path) -> std::io::Result<String> {
    use rand::Rng;
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join("pepper");
    if let Ok(p) = std::fs::read_to_string(&path) {
        if p.trim().len() >= 16 {
            return Ok(p.trim().to_owned());
        }
    }
    let bytes: [u8; 32] = rand::rng().random();
    let pepper = hex::encode(bytes);
    write_private(&path, pepper.as_bytes())?;
    // Another process may have raced us; whoever wrote last wins and both re-read the file.
    Ok(std::fs::read_to_string(&path)?.trim().to_owned())
}

/// Write a file readable only by its owner (0600 on Unix).
pub fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(data)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

async fn fetch_secret_json(arn: &str) -> Result<HashMap<String, String>, ConfigError> {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let client = aws_sdk_secretsmanager::Client::new(&conf);
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        // The SDK error's Display names the operation, never secret material.
        .map_err(|e| {
            ConfigError::Secret(format!(
                "{}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            ))
        })?;
    let text = out
        .secret_string()
        .ok_or_else(|| ConfigError::Secret("secret has no string value".into()))?;
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| ConfigError::Secret("secret is not a JSON object".into()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| ConfigError::Secret("secret is not a JSON object".into()))?;
    Ok(obj
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_hides_value() {
        let s = Secret::new("sk-very-secret");
        assert!(!format!("{s:?}").contains("very"));
    }

    #[test]
    fn upstream_override_and_keys() {
        let vars: HashMap<&str, &str> = [
            ("HEXACLAW_STORE", "dynamodb"),
            ("HEXACLAW_KEY_PEPPER", "0123456789abcdef0123"),
            ("HEXACLAW_UPSTREAM_OPENAI", "http://127.0.0.1:9999/"),
            ("ANTHROPIC_API_KEY", "sk-ant-x"),
        ]
        .into_iter()
        .collect();
        let c = Config::from_sources(&|k| vars.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.upstream_origin(Upstream::OpenAi), "http://127.0.0.1:9999");
        assert_eq!(c.upstream_origin(Upstream::Groq), "https://api.groq.com");
        assert_eq!(
            c.provider_key(Upstream::Anthropic).unwrap().expose(),
            "sk-ant-x"
        );
        assert!(c.provider_key(Upstream::OpenAi).is_none());
        assert!(matches!(c.store, StoreConfig::Dynamo { .. }));
    }

    #[test]
    fn vector_backend_defaults_follow_the_store() {
        let load = |pairs: &[(&str, &str)]| {
            let vars: HashMap<String, String> = pairs
                .iter()
                .chain(&[("HEXACLAW_KEY_PEPPER", "0123456789abcdef0123")])
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Config::from_sources(&|k| vars.get(k).cloned())
        };
        let c = load(&[
            ("HEXACLAW_STORE", "embedded"),
            ("HEXACLAW_DATA_DIR", "/tmp/hx"),
        ])
        .unwrap();
        assert_eq!(
            c.vectors,
            VectorBackendConfig::Embedded {
                data_dir: "/tmp/hx".into()
            }
        );
        let c = load(&[("HEXACLAW_STORE", "dynamodb")]).unwrap();
        assert_eq!(c.vectors, VectorBackendConfig::Disabled);
        let c = load(&[
            ("HEXACLAW_STORE", "dynamodb"),
            ("HEXACLAW_VECTOR_BUCKET", "vb"),
        ])
        .unwrap();
        assert_eq!(
            c.vectors,
            VectorBackendConfig::S3Vectors {
                bucket: "vb".into(),
                endpoint_url: None
            }
        );
        let c = load(&[
            ("HEXACLAW_STORE", "embedded"),
            ("HEXACLAW_DATA_DIR", "/tmp/hx"),
            ("HEXACLAW_VECTOR_BACKEND", "s3vectors"),
            ("HEXACLAW_VECTOR_BUCKET", "vb"),
            ("HEXACLAW_VECTOR_ENDPOINT", "http://127.0.0.1:1"),
        ])
        .unwrap();
        assert_eq!(
            c.vectors,
            VectorBackendConfig::S3Vectors {
                bucket: "vb".into(),
                endpoint_url: Some("http://127.0.0.1:1".into())
            }
        );
        let backend = |b: &'static str| {
            load(&[
                ("HEXACLAW_STORE", "dynamodb"),
                ("HEXACLAW_VECTOR_BACKEND", b),
            ])
        };
        let none = backend("none").unwrap();
        assert_eq!(none.vectors, VectorBackendConfig::Disabled);
        assert!(backend("s3vectors").is_err(), "s3vectors needs a bucket");
        assert!(backend("qdrant").is_err());
    }

    #[test]
    fn dynamo_requires_pepper_and_bad_store_is_rejected() {
        let c = Config::from_sources(&|k| (k == "HEXACLAW_STORE").then(|| "dynamodb".into()));
        assert!(c.is_err());
        let c = Config::from_sources(&|k| (k == "HEXACLAW_STORE").then(|| "redis".into()));
        assert!(c.is_err());
    }
}
