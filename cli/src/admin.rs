//! `hexaclaw admin …`: operator commands that write the store directly (same data dir as a
//! running local gateway, or DynamoDB when `HEXACLAW_STORE=dynamodb`). Output is JSON.

use clap::{Args, Subcommand};
use hexaclaw_shared::accounts;
use hexaclaw_shared::auth::keys::{self, KeyKind, NewKeyParams, RateLimitOverride};
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::config::Config;
use hexaclaw_shared::money::MicroCredits;
use hexaclaw_shared::state::AppState;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Args)]
pub struct AdminArgs {
    /// Data directory of the embedded store (default ~/.openclaw/hexaclaw).
    #[arg(long, env = "HEXACLAW_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    cmd: AdminCmd,
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Accounts.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Credits.
    #[command(subcommand)]
    Credits(CreditsCmd),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Run the maintenance job once (monthly grants, expired holds), as the scheduled
    /// function does in AWS.
    #[command(subcommand)]
    Maintenance(MaintenanceCmd),
    /// The store itself.
    #[command(subcommand)]
    Store(StoreCmd),
    /// Verified email senders (the only `from` addresses `/v1/email` accepts for an account).
    #[command(subcommand)]
    EmailSender(EmailSenderCmd),
}

#[derive(Subcommand)]
enum EmailSenderCmd {
    /// Allow an account to send from an address (verify its domain at Resend first).
    Add {
        #[arg(long)]
        account: String,
        #[arg(long)]
        address: String,
    },
    /// List an account's verified senders.
    List {
        #[arg(long)]
        account: String,
    },
    /// Stop allowing an address.
    Remove {
        #[arg(long)]
        account: String,
        #[arg(long)]
        address: String,
    },
}

#[derive(Subcommand)]
enum StoreCmd {
    /// Create the store's tables if they are missing: the DynamoDB tables (for DynamoDB Local,
    /// moto or `sam local`; in AWS the SAM template creates them) or the embedded schema.
    Init,
}

#[derive(Subcommand)]
enum MaintenanceCmd {
    /// Run every maintenance task now.
    Run,
}

#[derive(Subcommand)]
enum AccountCmd {
    /// Create an account; prints {"account_id": …}.
    Create {
        /// Owner's email (unique).
        #[arg(long)]
        email: String,
        /// trial, pro, max or enterprise.
        #[arg(long, default_value = "trial")]
        tier: Tier,
    },
    /// Show an account's tier and balance.
    Show {
        #[arg(long)]
        account: String,
    },
    /// Replay the ledger against the balance and count holds, closings and recorded
    /// requests (exits non-zero if the ledger disagrees with the balance).
    Audit {
        #[arg(long)]
        account: String,
    },
    /// Change an account's tier.
    SetTier {
        #[arg(long)]
        account: String,
        #[arg(long)]
        tier: Tier,
    },
}

#[derive(Subcommand)]
enum CreditsCmd {
    /// Add credits to an account (a ledger entry).
    Grant {
        #[arg(long)]
        account: String,
        /// Whole credits (1 credit = $0.01).
        #[arg(long)]
        credits: u32,
        /// Optional idempotency reference: the same reference is granted at most once.
        #[arg(long)]
        reference: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Create an API key; prints {"id": …, "key": "hx_live_…"} (the key is shown only here).
    Create {
        #[arg(long)]
        account: String,
        #[arg(long, default_value = "default")]
        name: String,
        /// Comma-separated scopes (default: all).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        /// Override the tier's requests per minute for this key.
        #[arg(long)]
        rpm: Option<u32>,
        /// Override the tier's requests per day for this key.
        #[arg(long)]
        rpd: Option<u32>,
        /// Override the tier's concurrent requests for this key.
        #[arg(long)]
        concurrent: Option<u32>,
    },
    /// List an account's keys (never secrets).
    List {
        #[arg(long)]
        account: String,
    },
    /// Revoke a key by id.
    Revoke {
        #[arg(long)]
        account: String,
        #[arg(long)]
        id: String,
    },
}

pub async fn run(a: AdminArgs) -> anyhow::Result<()> {
    let mut overrides = HashMap::new();
    if let Some(d) = &a.data_dir {
        overrides.insert("HEXACLAW_DATA_DIR".to_owned(), d.display().to_string());
    }
    let config = Config::load_with(&overrides).await?;
    // The admin commands touch only the item store (never the vector engine, which one gateway
    // process owns), so they open just that.
    let store = hexaclaw_shared::state::open_store(&config.store).await?;
    let state = AppState::new(config, store);
    let store = &state.store;
    let out = match a.cmd {
        AdminCmd::Account(AccountCmd::Create { email, tier }) => {
            let acct = accounts::create(store, Some(&email), tier, None).await?;
            json!({"account_id": acct.id, "email": email, "tier": tier.id()})
        }
        AdminCmd::Account(AccountCmd::Show { account }) => {
            let acct = accounts::get(store, &account)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account '{account}'"))?;
            json!({
                "account_id": acct.id,
                "email": acct.email,
                "tier": acct.tier.id(),
                "available_credits": acct.available.to_credits_json(),
                "held_credits": acct.held.to_credits_json(),
            })
        }
        AdminCmd::Account(AccountCmd::Audit { account }) => {
            let a = accounts::audit(store, &account)
                .await
                .map_err(|e| anyhow::anyhow!("ledger check failed: {e}"))?;
            json!({
                "account_id": account,
                "ledger_matches_balance": true,
                "available_micros": a.available.0,
                "held_micros": a.held.0,
                "rows": a.rows,
                "holds": a.holds,
                "holds_closed": a.holds_closed,
                "usage_requests": a.usage_requests,
            })
        }
        AdminCmd::Account(AccountCmd::SetTier { account, tier }) => {
            accounts::set_tier(store, &account, tier).await?;
            json!({"account_id": account, "tier": tier.id()})
        }
        AdminCmd::Credits(CreditsCmd::Grant {
            account,
            credits,
            reference,
        }) => {
            let acct = accounts::grant(
                store,
                &account,
                MicroCredits::credits(credits as i64),
                accounts::bucket::PURCHASES,
                reference.as_deref(),
                Some("admin grant"),
            )
            .await?;
            json!({
                "account_id": acct.id,
                "granted_credits": credits,
                "available_credits": acct.available.to_credits_json(),
            })
        }
        AdminCmd::Key(KeyCmd::Create {
            account,
            name,
            scopes,
            rpm,
            rpd,
            concurrent,
        }) => {
            if accounts::get(store, &account).await?.is_none() {
                anyhow::bail!("no account '{account}'");
            }
            let (rec, secret) = keys::create(
                store,
                state.config.key_pepper.expose(),
                NewKeyParams {
                    account_id: &account,
                    name: &name,
                    scopes,
                    rate_limits: RateLimitOverride {
                        requests_per_minute: rpm,
                        requests_per_day: rpd,
                        concurrent,
                    },
                    kind: KeyKind::Api,
                },
            )
            .await?;
            json!({"id": rec.id, "key": secret, "name": rec.name, "scopes": rec.scopes, "account_id": account})
        }
        AdminCmd::EmailSender(cmd) => email_sender(store, cmd).await?,
        AdminCmd::Store(StoreCmd::Init) => match &state.config.store {
            hexaclaw_shared::config::StoreConfig::Dynamo { table_prefix } => {
                hexaclaw_shared::store::dynamo::DynamoEngine::from_env(table_prefix)
                    .await
                    .create_tables()
                    .await?;
                json!({"store": "dynamodb", "table_prefix": table_prefix, "tables": "ready"})
            }
            // Opening the embedded store above already created its schema.
            hexaclaw_shared::config::StoreConfig::Embedded { data_dir } => {
                json!({"store": "embedded", "data_dir": data_dir, "tables": "ready"})
            }
        },
        AdminCmd::Maintenance(MaintenanceCmd::Run) => {
            let report = hexaclaw_shared::maintenance::run(&state, chrono::Utc::now()).await?;
            serde_json::to_value(report)?
        }
        AdminCmd::Key(KeyCmd::List { account }) => {
            let list = keys::list_for_account(store, &account).await?;
            json!({"object": "list", "data": list.iter().map(|k| k.to_json(None)).collect::<Vec<_>>()})
        }
        AdminCmd::Key(KeyCmd::Revoke { account, id }) => {
            let rec = keys::find_in_account(store, &account, &id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no key '{id}' in account '{account}'"))?;
            keys::revoke(store, &rec).await?;
            json!({"id": id, "revoked": true})
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

async fn email_sender(
    store: &hexaclaw_shared::store::StoreRef,
    cmd: EmailSenderCmd,
) -> anyhow::Result<serde_json::Value> {
    use hexaclaw_shared::http::tools::senders;
    Ok(match cmd {
        EmailSenderCmd::Add { account, address } => {
            let address = senders::add(store, &account, &address).await?;
            json!({"account_id": account, "address": address, "verified": true})
        }
        EmailSenderCmd::List { account } => {
            json!({"account_id": account, "senders": senders::list(store, &account).await?})
        }
        EmailSenderCmd::Remove { account, address } => {
            let removed = senders::remove(store, &account, &address).await?;
            json!({"account_id": account, "address": address, "removed": removed})
        }
    })
}
