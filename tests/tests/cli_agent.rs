//! `hexaclaw agent` end to end: the real binary against a real `hexaclaw gateway run` whose
//! OpenAI is a scripted model (tool calls written in the prompt) and whose services are fakes.
//! A turn that searches the web and then answers, the `--json` shape of the API reference,
//! sessions continued with `--session-id`, files written by the `write` tool, `exec` refused
//! without confirmation, cron jobs made by the agent and run by `cron run-due`, `--thinking`,
//! and `--local` straight to OpenAI-format and Anthropic providers (exit codes: cli_shell.rs).

#[path = "cli_e2e/harness.rs"]
mod harness;
#[path = "cli_e2e/scripted.rs"]
mod scripted;
#[allow(dead_code)]
mod services_fakes;

use harness::{Cli, Gateway};
use hexaclaw_shared::providers::ProviderKind;
use scripted::Scripted;
use serde_json::{Value, json};

fn call(name: &str, args: Value) -> String {
    format!("[call:{name} {args}]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_turn_searches_the_web_then_answers_as_it_streams() {
    let gw = Gateway::start().await;
    let (_, key) = gw.account(100).await;
    let cli = gw.cli(Some(&key));
    let msg = format!(
        "What is new in Rust? {}",
        call("web_search", json!({"query": "rust news"}))
    );
    let out = cli
        .run(&["agent", "--agent", "main", "--model", "gpt-4.1", "-m", &msg])
        .await;
    out.ok();
    // The answer quotes the search results the tool fed back.
    assert!(out.stdout.contains("Answer: {"), "{}", out.stdout);
    assert!(
        out.stdout.contains("\"query\":\"rust news\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("users=1 | tools=1"), "{}", out.stdout);
    assert!(out.stderr.contains("→ web_search"), "{}", out.stderr);
    assert!(
        out.stderr.contains("web_search ok · 1 credit"),
        "{}",
        out.stderr
    );
    // The search went through the gateway to Brave once.
    let brave = gw.svc.recs_under("/brave/");
    assert_eq!(brave.len(), 1);
    assert!(brave[0].query.contains("q=rust+news"), "{}", brave[0].query);
    // Two streamed model calls: the tool call, then the answer with the tool result in it.
    let chats = gw.llm.chats();
    assert_eq!(chats.len(), 2, "{chats:?}");
    assert_eq!(chats[0]["stream"], true);
    let tools: Vec<&str> = chats[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    for t in [
        "web_search",
        "web_fetch",
        "generate_image",
        "read",
        "write",
        "exec",
        "cron",
    ] {
        assert!(tools.contains(&t), "{tools:?}");
    }
    let second = chats[1]["messages"].as_array().unwrap();
    assert_eq!(second[0]["role"], "system");
    let tool_msg = second
        .iter()
        .find(|m| m["role"] == "tool")
        .expect("tool result");
    assert_eq!(tool_msg["tool_call_id"], "call_0");
    assert!(
        second
            .iter()
            .any(|m| m["tool_calls"][0]["function"]["name"] == "web_search")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_has_the_reference_shape_and_sessions_continue() {
    let gw = Gateway::start().await;
    let (_, key) = gw.account(100).await;
    let cli = gw.cli(Some(&key));
    let base = ["agent", "--agent", "main", "--model", "gpt-4.1", "--json"];
    let run = |extra: Vec<String>| {
        let mut args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        args.extend(extra);
        args
    };
    let a = run(vec![
        "-m".into(),
        "My name is Zed.".into(),
        "--session-id".into(),
        "s1".into(),
    ]);
    let out = cli
        .run(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    out.ok();
    let v = out.json();
    assert!(
        uuid::Uuid::parse_str(v["runId"].as_str().unwrap()).is_ok(),
        "{v}"
    );
    assert_eq!(
        (v["status"].as_str(), v["summary"].as_str()),
        (Some("ok"), Some("completed"))
    );
    let p = &v["result"]["payloads"];
    assert_eq!(p.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(p[0]["text"], "echo: My name is Zed. | users=1");
    assert!(p[0].get("mediaUrl").is_some_and(Value::is_null), "{v}");
    let meta = &v["result"]["meta"];
    assert!(meta["durationMs"].as_u64().is_some(), "{v}");
    let am = &meta["agentMeta"];
    assert_eq!(
        (am["provider"].as_str(), am["model"].as_str()),
        (Some("hexaclaw-cloud"), Some("gpt-4.1"))
    );
    let u = &am["usage"];
    assert!(u["input"].as_u64().unwrap() > 100, "{v}");
    assert_eq!(u["output"], 7);
    assert_eq!(u["total"].as_u64(), Some(u["input"].as_u64().unwrap() + 7));
    // Nothing but the JSON on stdout: no streamed text, no narration.
    assert!(out.stdout.trim_start().starts_with('{') && out.stdout.trim_end().ends_with('}'));

    // The same session remembers the first message.
    let a = run(vec![
        "-m".into(),
        "What is my name?".into(),
        "--session-id".into(),
        "s1".into(),
    ]);
    let v = cli
        .run(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await
        .ok()
        .json();
    assert_eq!(
        v["result"]["payloads"][0]["text"],
        "echo: What is my name? | users=2"
    );
    let last = gw.llm.chats().pop().unwrap();
    let texts: Vec<&str> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(texts.contains(&"My name is Zed."), "{texts:?}");
    assert!(
        texts.contains(&"echo: My name is Zed. | users=1"),
        "{texts:?}"
    );
    let file = cli.dir().join("sessions/main/s1.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(saved["messages"].as_array().unwrap().len(), 4);

    // Without --session-id every run starts afresh.
    let a = run(vec!["-m".into(), "Hi".into()]);
    let v = cli
        .run(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await
        .ok()
        .json();
    assert_eq!(v["result"]["payloads"][0]["text"], "echo: Hi | users=1");

    // An image made by the agent comes back as the payload's mediaUrl.
    let msg = call(
        "generate_image",
        json!({"prompt": "a sunset over mountains", "model": "dev"}),
    );
    let a = run(vec!["-m".into(), msg]);
    let v = cli
        .run(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .await
        .ok()
        .json();
    let media = v["result"]["payloads"][0]["mediaUrl"]
        .as_str()
        .unwrap_or_default();
    assert!(media.starts_with("https://fal.media/files/"), "{v}");

    // --thinking becomes reasoning_effort for reasoning models only.
    for (model, effort) in [("o3", json!("medium")), ("gpt-4.1", Value::Null)] {
        let a = [
            "agent",
            "--model",
            model,
            "--thinking",
            "medium",
            "--json",
            "-m",
            "think",
        ];
        cli.run(&a).await.ok();
        let sent = gw.llm.chats().pop().unwrap();
        assert_eq!(
            sent.get("reasoning_effort").cloned().unwrap_or(Value::Null),
            effort,
            "{model}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_tools_write_and_exec_needs_confirmation() {
    let gw = Gateway::start().await;
    let (_, key) = gw.account(100).await;
    let cli = gw.cli(Some(&key));
    let agent = |m: String| {
        vec![
            "agent".to_owned(),
            "--model".into(),
            "gpt-4.1".into(),
            "-m".into(),
            m,
        ]
    };
    let run = |args: Vec<String>| {
        let cli = &cli;
        async move {
            cli.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
                .await
        }
    };

    let m = call(
        "write",
        json!({"path": "out/sort.py", "content": "print(sorted([3, 1, 2]))\n"}),
    );
    let out = run(agent(m)).await;
    out.ok();
    let written = cli.cwd().join("out/sort.py");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        "print(sorted([3, 1, 2]))\n"
    );
    assert!(out.stdout.contains("wrote 25 bytes"), "{}", out.stdout);

    let m = call("read", json!({"path": "~/out/sort.py"}));
    let out = run(agent(m)).await;
    assert!(
        out.ok().stdout.contains("print(sorted([3, 1, 2]))"),
        "{}",
        out.stdout
    );

    // No terminal to confirm at: the command is refused and never runs.
    let m = call("exec", json!({"command": "touch made-by-exec"}));
    let out = run(agent(m.clone())).await;
    out.ok();
    assert!(out.stdout.contains("refused"), "{}", out.stdout);
    assert!(out.stderr.contains("exec failed"), "{}", out.stderr);
    assert!(!cli.cwd().join("made-by-exec").exists());
    // With --yes it runs.
    let mut args = agent(m);
    args.push("--yes".into());
    let out = run(args).await;
    out.ok();
    assert!(cli.cwd().join("made-by-exec").exists(), "{}", out.stdout);
    assert!(out.stdout.contains("\"exit_code\":0"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_schedules_cron_jobs_that_run_due_executes() {
    let gw = Gateway::start().await;
    let (_, key) = gw.account(100).await;
    let cli = gw.cli(Some(&key));
    cli.run(&["config", "set", "agents.defaults.model", "gpt-4.1"])
        .await
        .ok();
    let m = call(
        "cron",
        json!({"action": "create", "schedule": "0 9 * * *", "message": "Summarize the news", "name": "daily"}),
    );
    cli.run(&["agent", "-m", &m]).await.ok();
    let jobs = cli.run(&["cron", "list", "--json"]).await.ok().json();
    assert_eq!(jobs.as_array().unwrap().len(), 1, "{jobs}");
    assert_eq!(jobs[0]["schedule"], "0 9 * * *");
    let id = jobs[0]["id"].as_str().unwrap().to_owned();
    // Nothing is due yet.
    let out = cli.run(&["cron", "run-due"]).await;
    assert!(out.ok().stdout.trim().is_empty(), "{}", out.stdout);
    // Make it due, as if 9:00 had passed.
    let path = cli.dir().join("cron.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["jobs"][0]["next_run_at"] = json!("2020-01-01T09:00:00+00:00");
    std::fs::write(&path, v.to_string()).unwrap();
    let out = cli.run(&["cron", "run-due", "--json"]).await;
    let r = out.ok().json();
    assert_eq!(r["jobId"], id.as_str());
    assert_eq!(r["status"], "ok");
    assert_eq!(
        r["result"]["payloads"][0]["text"],
        "echo: Summarize the news | users=1"
    );
    let jobs = cli.run(&["cron", "list", "--json"]).await.ok().json();
    assert_eq!(jobs[0]["last_status"], "ok");
    assert_ne!(jobs[0]["next_run_at"], "2020-01-01T09:00:00+00:00");
    let out = cli.run(&["cron", "delete", &id]).await;
    out.ok();
    assert_eq!(cli.run(&["cron", "delete", &id]).await.code, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_mode_calls_the_provider_with_the_users_own_key() {
    let llm = Scripted::start().await;
    // No gateway at all: the API base points nowhere.
    let mut cli = Cli::new("http://127.0.0.1:9", None);
    cli.set("HEXACLAW_UPSTREAM_OPENAI", &llm.origin);
    let out = cli
        .run(&[
            "agent", "--local", "--model", "gpt-4.1", "-m", "hello", "--json",
        ])
        .await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.json()["summary"]
            .as_str()
            .unwrap()
            .contains("OPENAI_API_KEY")
    );

    cli.set("OPENAI_API_KEY", scripted::OPENAI_KEY);
    let v = cli
        .run(&[
            "agent", "--local", "--model", "gpt-4.1", "-m", "hello", "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(v["result"]["payloads"][0]["text"], "echo: hello | users=1");
    assert_eq!(v["result"]["meta"]["agentMeta"]["provider"], "openai");
    let sent = llm.chats().pop().unwrap();
    assert_eq!(sent["stream"], true);
    let tools: Vec<&str> = sent["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    assert!(
        tools.contains(&"write") && !tools.contains(&"web_search"),
        "{tools:?}"
    );

    // Anthropic, translated by the gateway's own adapters, with a thinking budget.
    let fake = hexaclaw_tests::fake::FakeUpstream::start().await;
    cli.set("HEXACLAW_UPSTREAM_ANTHROPIC", &fake.origin()).set(
        "ANTHROPIC_API_KEY",
        &hexaclaw_tests::fake::platform_key(ProviderKind::Anthropic),
    );
    let out = cli
        .run(&[
            "agent",
            "--local",
            "--model",
            "claude-sonnet-4-6",
            "--thinking",
            "low",
            "-m",
            "hi",
            "--json",
        ])
        .await;
    let v = out.ok().json();
    assert_eq!(v["result"]["payloads"][0]["text"], "Hello!");
    assert_eq!(v["result"]["meta"]["agentMeta"]["provider"], "anthropic");
    assert_eq!(v["result"]["meta"]["agentMeta"]["usage"]["output"], 15);
    let sent = fake.requests().pop().unwrap();
    assert!(sent.path.starts_with("/v1/messages"), "{}", sent.path);
    let body = sent.json();
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
    assert_eq!(body["stream"], true);
}
