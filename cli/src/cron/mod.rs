//! Scheduled agent runs: jobs kept in `<config dir>/cron.json`, managed with `hexaclaw cron`
//! or the agent's `cron` tool, and executed by `hexaclaw cron run-due` (run it every minute from
//! the system scheduler, e.g. `* * * * * hexaclaw cron run-due`).

pub mod schedule;

use crate::agent::{self, RunOptions};
use crate::exit::{self, CliError};
use crate::settings::ConfigFiles;
use anyhow::Context;
use chrono::{DateTime, Local};
use clap::{Args, Subcommand};
use schedule::Schedule;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args)]
pub struct CronArgs {
    #[command(subcommand)]
    cmd: CronCmd,
}

#[derive(Subcommand)]
enum CronCmd {
    /// List scheduled jobs.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Schedule an agent run.
    Add {
        /// 5-field cron expression in local time ('0 9 * * *'), @hourly, @daily, @weekly or
        /// '@every 30m'.
        #[arg(long)]
        schedule: String,
        /// What the agent should do each time.
        #[arg(short, long)]
        message: String,
        #[arg(long, default_value = "main")]
        agent: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Delete a job.
    Delete { id: String },
    /// Run every job that is due now (call this every minute from your system's scheduler).
    RunDue {
        /// Let the agents run shell commands without asking.
        #[arg(short, long)]
        yes: bool,
        /// Print each run's result as JSON lines.
        #[arg(long)]
        json: bool,
        /// Max seconds per run.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
}

fn path(dir: &Path) -> PathBuf {
    dir.join("cron.json")
}

/// The stored jobs.
pub fn load(dir: &Path) -> anyhow::Result<Vec<Map<String, Value>>> {
    let p = path(dir);
    match std::fs::read(&p) {
        Ok(b) => {
            let v: Value = serde_json::from_slice(&b)
                .with_context(|| format!("{} is not valid JSON", p.display()))?;
            Ok(v["jobs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|j| j.as_object().cloned())
                .collect())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

fn save(dir: &Path, jobs: &[Map<String, Value>]) -> anyhow::Result<()> {
    crate::login::create_private_dir(dir)?;
    let p = path(dir);
    let v = json!({"jobs": jobs});
    hexaclaw_shared::config::write_private(&p, &serde_json::to_vec_pretty(&v)?)
        .with_context(|| format!("writing {}", p.display()))
}

fn parse_schedule(s: &str) -> anyhow::Result<Schedule> {
    Schedule::parse(s).map_err(|e| CliError::new(exit::USAGE, e).into())
}

/// Create a job; returns it.
pub fn add(
    dir: &Path,
    schedule: &str,
    message: &str,
    agent: &str,
    name: Option<&str>,
) -> anyhow::Result<Map<String, Value>> {
    let sched = parse_schedule(schedule)?;
    if message.trim().is_empty() {
        return exit::fail(exit::USAGE, "a job needs a message for the agent");
    }
    let now = Local::now();
    let next = sched
        .next_after(now)
        .ok_or_else(|| CliError::new(exit::USAGE, format!("'{schedule}' never runs")))?;
    let id = format!("job_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let job = json!({
        "id": id,
        "name": name.unwrap_or_default(),
        "schedule": schedule.trim(),
        "agent": agent,
        "message": message,
        "created_at": now.to_rfc3339(),
        "next_run_at": next.to_rfc3339(),
        "enabled": true,
    });
    let job = job.as_object().cloned().unwrap_or_default();
    let mut jobs = load(dir)?;
    jobs.push(job.clone());
    save(dir, &jobs)?;
    Ok(job)
}

/// Delete a job; true if it existed.
pub fn delete(dir: &Path, id: &str) -> anyhow::Result<bool> {
    let mut jobs = load(dir)?;
    let before = jobs.len();
    jobs.retain(|j| j.get("id").and_then(Value::as_str) != Some(id));
    if jobs.len() == before {
        return Ok(false);
    }
    save(dir, &jobs)?;
    Ok(true)
}

/// The agent's `cron` tool.
pub fn tool(dir: &Path, agent: &str, a: &Value) -> anyhow::Result<Value> {
    let s = |k: &str| a[k].as_str().unwrap_or_default();
    match s("action") {
        "list" => Ok(json!({"jobs": load(dir)?})),
        "create" => Ok(
            json!({"created": add(dir, s("schedule"), s("message"), agent, a["name"].as_str())?}),
        ),
        "delete" => Ok(json!({"deleted": delete(dir, s("id"))?, "id": s("id")})),
        other => anyhow::bail!("unknown action '{other}' (use list, create or delete)"),
    }
}

fn when(v: Option<&Value>) -> Option<DateTime<Local>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Local))
}

/// Run `hexaclaw cron …`; returns the exit code.
pub async fn run(a: CronArgs) -> anyhow::Result<u8> {
    let cfg = ConfigFiles::load()?;
    match a.cmd {
        CronCmd::List { json } => {
            let jobs = load(&cfg.dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&jobs)?);
            } else if jobs.is_empty() {
                println!(
                    "No scheduled jobs. Add one with `hexaclaw cron add --schedule '0 9 * * *' -m '…'`."
                );
            } else {
                let rows: Vec<Vec<String>> = jobs
                    .iter()
                    .map(|j| {
                        let g =
                            |k: &str| j.get(k).and_then(Value::as_str).unwrap_or("-").to_owned();
                        vec![
                            g("id"),
                            g("schedule"),
                            g("agent"),
                            g("next_run_at"),
                            g("last_status"),
                            g("message"),
                        ]
                    })
                    .collect();
                crate::ui::table(
                    &mut std::io::stdout(),
                    &["ID", "SCHEDULE", "AGENT", "NEXT RUN", "LAST", "MESSAGE"],
                    &rows,
                )?;
            }
            Ok(exit::OK)
        }
        CronCmd::Add {
            schedule,
            message,
            agent,
            name,
        } => {
            cfg.agent(&agent)?;
            let job = add(&cfg.dir, &schedule, &message, &agent, name.as_deref())?;
            println!(
                "scheduled {} ({}), next run {}",
                job["id"].as_str().unwrap_or("?"),
                schedule,
                job["next_run_at"].as_str().unwrap_or("?")
            );
            Ok(exit::OK)
        }
        CronCmd::Delete { id } => {
            if delete(&cfg.dir, &id)? {
                println!("deleted {id}");
                Ok(exit::OK)
            } else {
                exit::fail(exit::USAGE, format!("no job '{id}'"))
            }
        }
        CronCmd::RunDue { yes, json, timeout } => run_due(&cfg, yes, json, timeout).await,
    }
}

/// One line of `run-due --json`: the job and its run in the agent's `--json` shape.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CronRun {
    job_id: String,
    #[serde(flatten)]
    run: agent::AgentOutput,
}

/// Run due jobs one after another; each job's next run is computed before it runs, so a slow
/// run is never started twice.
async fn run_due(cfg: &ConfigFiles, yes: bool, json_out: bool, timeout: u64) -> anyhow::Result<u8> {
    let now = Local::now();
    let mut jobs = load(&cfg.dir)?;
    let mut due = Vec::new();
    for j in jobs.iter_mut() {
        let enabled = j.get("enabled").and_then(Value::as_bool).unwrap_or(true);
        if !enabled || when(j.get("next_run_at")).is_none_or(|t| t > now) {
            continue;
        }
        let sched = j
            .get("schedule")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let next = Schedule::parse(sched).ok().and_then(|s| s.next_after(now));
        j.insert("next_run_at".into(), json!(next.map(|n| n.to_rfc3339())));
        due.push(j.clone());
    }
    save(&cfg.dir, &jobs)?;
    let mut worst = exit::OK;
    for job in due {
        let g = |k: &str| {
            job.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let opts = RunOptions {
            agent: g("agent"),
            message: g("message"),
            model: None,
            thinking: None,
            timeout: Duration::from_secs(timeout.max(1)),
            session_id: None,
            local: false,
            verbose: false,
            yes,
            interactive: false,
            api_base: None,
        };
        let report = agent::execute(cfg, &opts).await;
        let status = match &report.error {
            None => "ok".to_owned(),
            Some(e) => format!("error: {e:#}"),
        };
        if report.code() != exit::OK {
            worst = report.code();
        }
        if json_out {
            let line = CronRun {
                job_id: g("id"),
                run: report.to_output(),
            };
            println!("{}", serde_json::to_string(&line)?);
        } else {
            println!("[{}] {}: {}", g("id"), status, report.text.trim());
        }
        // Re-read: the run itself may have changed the jobs (the agent's cron tool).
        let mut fresh = load(&cfg.dir)?;
        if let Some(j) = fresh.iter_mut().find(|j| j.get("id") == job.get("id")) {
            j.insert("last_run_at".into(), json!(Local::now().to_rfc3339()));
            j.insert(
                "last_status".into(),
                json!(if report.error.is_none() {
                    "ok"
                } else {
                    "error"
                }),
            );
            let summary: String = if report.error.is_none() {
                report.text.chars().take(200).collect()
            } else {
                status.chars().take(200).collect()
            };
            j.insert("last_summary".into(), json!(summary));
            save(&cfg.dir, &fresh)?;
        }
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_persist_and_the_tool_manages_them() {
        let d = tempfile::tempdir().unwrap();
        let v = tool(
            d.path(),
            "main",
            &json!({"action": "create", "schedule": "0 9 * * *", "message": "news"}),
        )
        .unwrap();
        let id = v["created"]["id"].as_str().unwrap().to_owned();
        assert!(when(v["created"].get("next_run_at")).unwrap() > Local::now());
        let listed = tool(d.path(), "main", &json!({"action": "list"})).unwrap();
        assert_eq!(listed["jobs"][0]["message"], "news");
        let e = tool(
            d.path(),
            "main",
            &json!({"action": "create", "schedule": "nope", "message": "x"}),
        )
        .unwrap_err();
        assert_eq!(exit::code_of(&e), exit::USAGE);
        assert_eq!(
            tool(d.path(), "main", &json!({"action": "delete", "id": id})).unwrap()["deleted"],
            true
        );
        assert!(load(d.path()).unwrap().is_empty());
    }
}
