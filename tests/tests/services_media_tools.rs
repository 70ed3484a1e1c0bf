//! Media (fal), tools (Brave, Firecrawl, Resend) and browser (Browserbase) routes end to end
//! against fake providers speaking their documented JSON: each charge equals the price table
//! (checked on the replayed ledger), bad input is refused before any upstream call or charge,
//! jobs and sessions are visible to their own account only, failures cost nothing, and open
//! browser sessions are ended and billed by the sweeper.

mod services_fakes;

use axum::Router;
use hexaclaw_shared::accounts;
use hexaclaw_shared::catalog::Tier;
use hexaclaw_shared::config::Config;
use hexaclaw_shared::http::{browser, media, tools};
use hexaclaw_shared::metering::records;
use hexaclaw_shared::state::AppState;
use hexaclaw_tests::{Resp, TestEnv, call, event_request, req};
use http::Request;
use serde_json::{Value, json};
use services_fakes::Fakes;

struct World {
    fakes: Fakes,
    env: TestEnv,
    app: Router,
}

async fn world() -> World {
    let fakes = Fakes::start().await;
    let vars = fakes.env();
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let env = TestEnv::embedded_with(&pairs).await;
    let s = env.state.clone();
    let app = Router::new()
        .merge(media::router(s.clone()))
        .merge(tools::router(s.clone()))
        .merge(browser::router(s));
    World { fakes, env, app }
}

/// The same world on DynamoDB (moto), when an endpoint is configured.
async fn dynamo_world() -> Option<World> {
    let endpoint = hexaclaw_tests::dynamo_endpoint()?;
    let store = hexaclaw_tests::dynamo_store(&endpoint).await;
    let fakes = Fakes::start().await;
    let mut vars: std::collections::HashMap<String, String> = fakes.env().into_iter().collect();
    for (k, v) in [
        ("HEXACLAW_STORE", "dynamodb"),
        ("HEXACLAW_KEY_PEPPER", hexaclaw_tests::TEST_PEPPER),
        ("HEXACLAW_KEY_CACHE_TTL_SECS", "0"),
    ] {
        vars.insert(k.to_owned(), v.to_owned());
    }
    let config = Config::from_sources(&|k| vars.get(k).cloned()).expect("config");
    let state = AppState::new(config, store);
    let app = Router::new()
        .merge(media::router(state.clone()))
        .merge(tools::router(state.clone()))
        .merge(browser::router(state.clone()));
    let env = TestEnv {
        state,
        dir: tempfile::tempdir().expect("tempdir"),
    };
    Some(World { fakes, env, app })
}

/// Embedded, plus DynamoDB when available.
async fn worlds() -> Vec<World> {
    let mut v = vec![world().await];
    v.extend(dynamo_world().await);
    v
}

const CR: i64 = 1_000_000;

impl World {
    async fn account(&self, credits: i64) -> (String, String) {
        self.env.account_with_key(Tier::Pro, credits).await
    }

    async fn post(&self, key: &str, path: &str, body: Value) -> Resp {
        call(&self.app, req("POST", path, Some(key), Some(body))).await
    }

    async fn get(&self, key: &str, path: &str) -> Resp {
        call(&self.app, req("GET", path, Some(key), None)).await
    }

    async fn delete(&self, key: &str, path: &str) -> Resp {
        call(&self.app, req("DELETE", path, Some(key), None)).await
    }

    /// (available, held) in micro-credits, after checking the ledger replays to them.
    async fn balance(&self, account: &str) -> (i64, i64) {
        let (a, h) = accounts::verify_ledger(&self.env.state.store, account)
            .await
            .unwrap_or_else(|e| panic!("ledger: {e}"));
        (a.0, h.0)
    }

    async fn generation(&self, account: &str, id: &str) -> Value {
        records::get_generation(&self.env.state.store, account, id)
            .await
            .expect("store")
            .unwrap_or_else(|| panic!("no generation {id}"))
    }
}

fn ok(r: &Resp, status: u16) -> Value {
    assert_eq!(
        r.status.as_u16(),
        status,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

fn gen_id(r: &Resp) -> String {
    r.headers["x-generation-id"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test]
async fn images_charge_per_image_by_tier() {
    let w = world().await;
    let (acct, key) = w.account(100).await;

    let r = w
        .post(
            &key,
            "/v1/images/generate",
            json!({"prompt": "a red fox", "model": "dev", "n": 2, "size": "1792x1024"}),
        )
        .await;
    let v = ok(&r, 200);
    assert_eq!(v["data"].as_array().map(Vec::len), Some(2));
    assert!(
        v["data"][0]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://fal.media/"))
    );
    // fal echoed its documented example prompt, not ours: surfaced as the revised prompt.
    assert!(
        v["data"][0]["revised_prompt"]
            .as_str()
            .is_some_and(|p| p.contains("tiger eye"))
    );
    assert_eq!(v["metadata"]["seed"], 976_168_300);
    assert_eq!(v["metadata"]["has_nsfw_concepts"], json!([false]));
    assert_eq!(v["cost"], 6);
    assert_eq!(w.balance(&acct).await, (94 * CR, 0));
    let sent = w.fakes.recs_under("/fal-run/");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/fal-run/fal-ai/flux/dev");
    assert_eq!(sent[0].header("authorization"), Some("Key fal-test-key"));
    assert_eq!(
        sent[0].json()["image_size"],
        json!({"width": 1792, "height": 1024})
    );
    assert_eq!(sent[0].json()["num_images"], 2);
    let g = w.generation(&acct, &gen_id(&r)).await;
    assert_eq!(
        (g["service"].clone(), g["units"].clone(), g["cost"].clone()),
        (json!("images"), json!(2), json!(6))
    );

    // Defaults: schnell, 1024x1024 → fal's square_hd preset, one image, 1 credit.
    let r = w
        .post(&key, "/v1/images/generate", json!({"prompt": "a red fox"}))
        .await;
    assert_eq!(ok(&r, 200)["model"], "schnell");
    assert_eq!(
        w.fakes.recs_under("/fal-run/")[1].json()["image_size"],
        "square_hd"
    );
    let r = w
        .post(
            &key,
            "/v1/images/generate",
            json!({"prompt": "a red fox", "model": "pro"}),
        )
        .await;
    ok(&r, 200);
    assert_eq!(
        w.fakes.recs_under("/fal-run/")[2].path,
        "/fal-run/fal-ai/flux-pro/v1.1"
    );
    assert_eq!(w.balance(&acct).await, ((94 - 1 - 6) * CR, 0));
}

#[tokio::test]
async fn bad_media_input_is_refused_before_any_call_or_charge() {
    let w = world().await;
    let (acct, key) = w.account(100).await;
    let cases = [
        ("/v1/images/generate", json!({"model": "dev"})),
        ("/v1/images/generate", json!({"prompt": "   "})),
        (
            "/v1/images/generate",
            json!({"prompt": "x", "model": "ultra"}),
        ),
        (
            "/v1/images/generate",
            json!({"prompt": "x", "size": "999x7"}),
        ),
        (
            "/v1/images/generate",
            json!({"prompt": "x", "size": "huge"}),
        ),
        ("/v1/images/generate", json!({"prompt": "x", "n": 0})),
        ("/v1/images/generate", json!({"prompt": "x", "n": 5})),
        (
            "/v1/video/generate",
            json!({"prompt": "x", "model": "sora-9"}),
        ),
        ("/v1/video/generate", json!({"model": "wan-2.1"})),
        ("/v1/music/generate", json!({"prompt": "x", "duration": 0})),
        ("/v1/music/generate", json!({"prompt": "x", "duration": 48})),
        ("/v1/music/generate", json!({"duration": 10})),
    ];
    for (path, body) in cases {
        let msg = w.post(&key, path, body.clone()).await.assert_error(400);
        assert!(!msg.is_empty(), "{path} {body}");
    }
    assert_eq!(w.fakes.count(), 0, "no upstream call for invalid input");
    assert_eq!(w.balance(&acct).await, (100 * CR, 0));

    // A key without the `images` scope is refused before validation.
    let tools_only = w.env.key_for(&acct, &["tools"]).await;
    w.post(&tools_only, "/v1/images/generate", json!({"prompt": "x"}))
        .await
        .assert_error(403);
    // No credits: 402 and fal is never called.
    let (_, broke) = w.account(0).await;
    w.post(&broke, "/v1/images/generate", json!({"prompt": "x"}))
        .await
        .assert_error(402);
    w.post(&broke, "/v1/video/generate", json!({"prompt": "x"}))
        .await
        .assert_error(402);
    assert_eq!(w.fakes.count(), 0);
}

#[tokio::test]
async fn video_job_settles_once_on_completion() {
    for w in worlds().await {
        video_job_settles_once_on_completion_on(&w).await;
    }
}

async fn video_job_settles_once_on_completion_on(w: &World) {
    let (acct, key) = w.account(50).await;
    let r = w
        .post(
            &key,
            "/v1/video/generate",
            json!({"prompt": "a cat walking on the moon", "model": "kling-2.1-standard"}),
        )
        .await;
    let v = ok(&r, 202);
    let id = v["id"].as_str().expect("id").to_owned();
    assert_eq!(v["status"], "queued");
    assert_eq!(v["max_cost"], 15);
    assert_eq!(
        r.headers["location"],
        format!("/v1/video/jobs/{id}").as_str()
    );
    let submit = &w.fakes.recs_under("/fal-queue/")[0];
    assert_eq!(
        submit.path,
        "/fal-queue/fal-ai/kling-video/v2.1/standard/text-to-video"
    );
    assert_eq!(
        submit.json(),
        json!({"prompt": "a cat walking on the moon"})
    );
    // Held at submit, not charged.
    assert_eq!(w.balance(&acct).await, (35 * CR, 15 * CR));

    let poll = format!("/v1/video/jobs/{id}");
    let p1 = ok(&w.get(&key, &poll).await, 200);
    assert_eq!(
        (p1["status"].clone(), p1["queue_position"].clone()),
        (json!("queued"), json!(0))
    );
    assert_eq!(ok(&w.get(&key, &poll).await, 200)["status"], "in_progress");
    assert_eq!(w.balance(&acct).await, (35 * CR, 15 * CR));
    let done = w.get(&key, &poll).await;
    let d = ok(&done, 200);
    assert_eq!(d["status"], "completed");
    assert_eq!(
        d["video"]["url"],
        "https://v3.fal.media/files/penguin/wan-t2v-output.mp4"
    );
    assert_eq!(d["cost"], 15);
    assert_eq!(w.balance(&acct).await, (35 * CR, 0));
    let g = w.generation(&acct, &gen_id(&done)).await;
    assert_eq!(
        (
            g["service"].clone(),
            g["cost"].clone(),
            g["model_used"].clone()
        ),
        (json!("video"), json!(15), json!("kling-2.1-standard"))
    );
    assert_eq!(
        gen_id(&done),
        gen_id(&r),
        "the job's generation id is the submit's"
    );

    // Polling a finished job asks fal nothing and charges nothing more.
    let calls = w.fakes.count();
    assert_eq!(ok(&w.get(&key, &poll).await, 200)["status"], "completed");
    assert_eq!(w.fakes.count(), calls);
    assert_eq!(w.balance(&acct).await, (35 * CR, 0));
    let results = w
        .fakes
        .recs()
        .iter()
        .filter(|r| r.path.contains("/requests/") && !r.path.ends_with("/status"))
        .count();
    assert_eq!(results, 1, "result fetched once");

    // Someone else's job, or the wrong kind, is not found.
    let (_, other) = w.account(50).await;
    w.get(&other, &poll).await.assert_error(404);
    w.get(&key, &format!("/v1/music/jobs/{id}"))
        .await
        .assert_error(404);
    w.get(&key, "/v1/video/jobs/vid_nope")
        .await
        .assert_error(404);
}

#[tokio::test]
async fn music_job_and_the_maintenance_sweep() {
    for w in worlds().await {
        music_job_and_the_maintenance_sweep_on(&w).await;
    }
}

async fn music_job_and_the_maintenance_sweep_on(w: &World) {
    let (acct, key) = w.account(10).await;
    let v = ok(
        &w.post(
            &key,
            "/v1/music/generate",
            json!({"prompt": "upbeat lo-fi beat", "duration": 20}),
        )
        .await,
        202,
    );
    let id = v["id"].as_str().expect("id").to_owned();
    let submit = &w.fakes.recs_under("/fal-queue/")[0];
    assert_eq!(submit.path, "/fal-queue/fal-ai/stable-audio");
    assert_eq!(
        submit.json(),
        json!({"prompt": "upbeat lo-fi beat", "seconds_total": 20})
    );
    assert_eq!(w.balance(&acct).await, (7 * CR, 3 * CR));

    // Nobody polls: the maintenance sweep walks the job to completion and settles it.
    let now = hexaclaw_shared::store::now_secs();
    let sweep = |n| media::jobs::sweep_media_jobs(&w.env.state, n);
    assert_eq!(sweep(now).await.expect("sweep"), 0); // IN_QUEUE
    assert_eq!(sweep(now).await.expect("sweep"), 0); // IN_PROGRESS
    assert_eq!(sweep(now).await.expect("sweep"), 1); // COMPLETED → settled
    assert_eq!(sweep(now).await.expect("sweep"), 0);
    assert_eq!(w.balance(&acct).await, (7 * CR, 0));
    let d = ok(&w.get(&key, &format!("/v1/music/jobs/{id}")).await, 200);
    assert_eq!(d["status"], "completed");
    assert_eq!(
        d["audio"]["url"],
        "https://v3.fal.media/files/monkey/stable-audio-output.wav"
    );
    assert_eq!(d["cost"], 3);

    // A job fal never finishes is given up after the limit: hold voided, no charge.
    let v = ok(
        &w.post(&key, "/v1/music/generate", json!({"prompt": "slow"}))
            .await,
        202,
    );
    assert_eq!(w.balance(&acct).await, (4 * CR, 3 * CR));
    let later = now + media::jobs::JOB_GIVE_UP_SECS + 10;
    assert_eq!(sweep(later).await.expect("sweep"), 1);
    assert_eq!(w.balance(&acct).await, (7 * CR, 0));
    let d = ok(
        &w.get(
            &key,
            &format!("/v1/music/jobs/{}", v["id"].as_str().unwrap_or_default()),
        )
        .await,
        200,
    );
    assert_eq!(
        (d["status"].clone(), d["cost"].clone()),
        (json!("failed"), json!(0))
    );
}

#[tokio::test]
async fn failed_fal_jobs_cost_nothing() {
    for w in worlds().await {
        failed_fal_jobs_cost_nothing_on(&w).await;
    }
}

async fn failed_fal_jobs_cost_nothing_on(w: &World) {
    let (acct, key) = w.account(30).await;
    for (path, prompt, why) in [
        ("video", "FAILSTATUS please", "FAILED"),
        ("music", "FAILRESULT please", "Request timed out"),
    ] {
        let v = ok(
            &w.post(
                &key,
                &format!("/v1/{path}/generate"),
                json!({"prompt": prompt}),
            )
            .await,
            202,
        );
        let poll = format!("/v1/{path}/jobs/{}", v["id"].as_str().unwrap_or_default());
        ok(&w.get(&key, &poll).await, 200);
        ok(&w.get(&key, &poll).await, 200);
        let d = ok(&w.get(&key, &poll).await, 200);
        assert_eq!(d["status"], "failed", "{d}");
        assert!(
            d["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(why)),
            "{d}"
        );
        assert_eq!(d["cost"], 0);
        assert_eq!(
            w.balance(&acct).await,
            (30 * CR, 0),
            "{path}: the hold was voided"
        );
    }
}

#[tokio::test]
async fn job_submit_is_idempotent() {
    for w in worlds().await {
        job_submit_is_idempotent_on(&w).await;
    }
}

async fn job_submit_is_idempotent_on(w: &World) {
    let (acct, key) = w.account(20).await;
    let submit = || {
        let r: Request<axum::body::Body> = Request::builder()
            .method("POST")
            .uri("/v1/video/generate")
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .header("idempotency-key", "video-once")
            .body(json!({"prompt": "a cat"}).to_string().into())
            .expect("request");
        call(&w.app, r)
    };
    let a = submit().await;
    let b = submit().await;
    assert_eq!(ok(&a, 202)["id"], ok(&b, 202)["id"]);
    assert_eq!(b.headers["x-idempotent-replayed"], "true");
    assert_eq!(b.headers["location"], a.headers["location"]);
    assert_eq!(
        w.fakes.recs_under("/fal-queue/").len(),
        1,
        "one fal submission"
    );
    assert_eq!(
        w.balance(&acct).await,
        (15 * CR, 5 * CR),
        "wan-2.1-turbo held once"
    );
}

#[tokio::test]
async fn search_scrape_email_charge_their_prices() {
    for w in worlds().await {
        search_scrape_email_charge_their_prices_on(&w).await;
    }
}

async fn search_scrape_email_charge_their_prices_on(w: &World) {
    let (acct, key) = w.account(100).await;

    let r = w
        .post(
            &key,
            "/v1/search",
            json!({"query": "rust async runtimes", "count": 5}),
        )
        .await;
    let v = ok(&r, 200);
    assert_eq!(
        v["results"][0],
        json!({"title": "string", "url": "string", "description": "", "page_age": "string", "language": "en"})
    );
    assert_eq!(v["more_results_available"], true);
    let sent = &w.fakes.recs_under("/brave/")[0];
    assert_eq!(
        sent.header("x-subscription-token"),
        Some(services_fakes::BRAVE_KEY)
    );
    assert_eq!(sent.query, "q=rust+async+runtimes&count=5");
    assert_eq!(w.generation(&acct, &gen_id(&r)).await["cost"], 1);

    let v = ok(
        &w.post(&key, "/v1/scrape", json!({"url": "https://firecrawl.dev"}))
            .await,
        200,
    );
    assert!(
        v["markdown"]
            .as_str()
            .is_some_and(|m| m.starts_with("Launch Week I is here!"))
    );
    assert_eq!(v["metadata"]["title"], "Home - Firecrawl");
    let sent = &w.fakes.recs_under("/firecrawl/")[0];
    assert_eq!(
        sent.json(),
        json!({"url": "https://firecrawl.dev/", "formats": ["markdown"], "onlyMainContent": true})
    );

    tools::senders::add(&w.env.state.store, &acct, "Acme <Onboarding@Acme.dev>")
        .await
        .expect("sender");
    let r = w
        .post(&key, "/v1/email", json!({"from": "Acme <onboarding@acme.dev>", "to": "delivered@resend.dev", "subject": "hello world", "html": "<p>it works!</p>"}))
        .await;
    let v = ok(&r, 200);
    assert_eq!(v["id"], "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794");
    let sent = &w.fakes.recs_under("/resend/")[0];
    assert_eq!(
        sent.json(),
        json!({"from": "Acme <onboarding@acme.dev>", "to": ["delivered@resend.dev"], "subject": "hello world", "html": "<p>it works!</p>"})
    );
    assert_eq!(
        sent.header("idempotency-key"),
        Some(gen_id(&r).as_str()),
        "Resend dedups our retries"
    );

    // 1 (search) + 2 (scrape) + 1 (email).
    assert_eq!(w.balance(&acct).await, (96 * CR, 0));
}

#[tokio::test]
async fn tool_input_and_upstream_errors_cost_nothing() {
    for w in worlds().await {
        tool_input_and_upstream_errors_cost_nothing_on(&w).await;
    }
}

async fn tool_input_and_upstream_errors_cost_nothing_on(w: &World) {
    let (acct, key) = w.account(100).await;
    tools::senders::add(&w.env.state.store, &acct, "ops@acme.dev")
        .await
        .expect("sender");
    let bad = [
        ("/v1/search", json!({"query": ""}), 400),
        ("/v1/search", json!({"query": "x", "count": 21}), 400),
        ("/v1/search", json!({"query": "w ".repeat(51)}), 400),
        ("/v1/scrape", json!({"url": "ftp://example.com/file"}), 400),
        ("/v1/scrape", json!({"url": "not a url"}), 400),
        ("/v1/scrape", json!({}), 400),
        (
            "/v1/email",
            json!({"from": "ceo@bigbank.com", "to": "a@b.co", "subject": "s", "text": "t"}),
            403,
        ),
        (
            "/v1/email",
            json!({"from": "ops@acme.dev", "to": "nobody", "subject": "s", "text": "t"}),
            400,
        ),
        (
            "/v1/email",
            json!({"from": "ops@acme.dev", "to": "a@b.co", "subject": "", "text": "t"}),
            400,
        ),
        (
            "/v1/email",
            json!({"from": "ops@acme.dev", "to": "a@b.co", "subject": "s"}),
            400,
        ),
    ];
    for (path, body, status) in bad {
        w.post(&key, path, body).await.assert_error(status);
    }
    assert_eq!(w.fakes.count(), 0, "no upstream call for invalid input");

    // Upstream failures are mapped and the hold is voided.
    let r = w
        .post(&key, "/v1/search", json!({"query": "ratelimited"}))
        .await;
    assert!(
        r.assert_error(429)
            .contains("Request rate limit exceeded for plan.")
    );
    w.post(
        &key,
        "/v1/scrape",
        json!({"url": "https://example.com/fails"}),
    )
    .await
    .assert_error(502);
    tools::senders::add(&w.env.state.store, &acct, "x@unverified-at-resend.dev")
        .await
        .expect("sender");
    let msg = w
        .post(&key, "/v1/email", json!({"from": "x@unverified-at-resend.dev", "to": "a@b.co", "subject": "s", "text": "t"}))
        .await
        .assert_error(502);
    assert!(msg.contains("not verified"), "{msg}");
    assert_eq!(w.balance(&acct).await, (100 * CR, 0));
}

#[tokio::test]
async fn browser_sessions_bill_each_started_minute() {
    for w in worlds().await {
        browser_sessions_bill_each_started_minute_on(&w).await;
    }
}

async fn browser_sessions_bill_each_started_minute_on(w: &World) {
    let (acct, key) = w.account(100).await;
    let r = w.post(&key, "/v1/browser/sessions", json!({})).await;
    let v = ok(&r, 201);
    let id = v["id"].as_str().expect("id").to_owned();
    assert!(
        v["connect_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("wss://connect.browserbase.com"))
    );
    assert_eq!(
        (
            v["status"].clone(),
            v["timeout"].clone(),
            v["max_cost"].clone()
        ),
        (json!("RUNNING"), json!(300), json!(10))
    );
    let created = &w.fakes.recs_under("/browserbase/")[0];
    assert_eq!(
        created.json(),
        json!({"proxies": false, "timeout": 300, "projectId": "proj_test"})
    );
    assert_eq!(w.balance(&acct).await, (90 * CR, 10 * CR));
    let path = format!("/v1/browser/sessions/{id}");
    assert_eq!(ok(&w.get(&key, &path).await, 200)["status"], "RUNNING");

    // Other accounts see nothing and cannot end it.
    let (_, other) = w.account(10).await;
    w.get(&other, &path).await.assert_error(404);
    w.delete(&other, &path).await.assert_error(404);
    assert_eq!(w.balance(&acct).await, (90 * CR, 10 * CR));

    // 61 s of Browserbase time = 2 started minutes = 4 credits.
    w.fakes.set_bb_end_after_ms(61_000);
    let d = ok(&w.delete(&key, &path).await, 200);
    assert_eq!(
        (
            d["billed_minutes"].clone(),
            d["cost"].clone(),
            d["duration_ms"].clone()
        ),
        (json!(2), json!(4), json!(61_000))
    );
    assert_eq!(w.balance(&acct).await, (96 * CR, 0));
    let release = w
        .fakes
        .recs_under("/browserbase/")
        .into_iter()
        .find(|r| r.method == "POST" && r.path != "/browserbase/v1/sessions")
        .expect("release");
    assert_eq!(
        release.json(),
        json!({"status": "REQUEST_RELEASE", "projectId": "proj_test"})
    );
    // Ending twice bills once.
    assert_eq!(ok(&w.delete(&key, &path).await, 200)["cost"], 4);
    assert_eq!(ok(&w.get(&key, &path).await, 200)["status"], "COMPLETED");
    assert_eq!(w.balance(&acct).await, (96 * CR, 0));
    let g = w.generation(&acct, &gen_id(&r)).await;
    assert_eq!(
        (g["service"].clone(), g["units"].clone(), g["cost"].clone()),
        (json!("browser"), json!(2), json!(4))
    );

    // 30 s is billed as the one-minute minimum; proxy and timeout are passed on.
    let v = ok(
        &w.post(
            &key,
            "/v1/browser/sessions",
            json!({"proxy": true, "timeout": 120}),
        )
        .await,
        201,
    );
    assert_eq!(v["max_cost"], 4);
    w.fakes.set_bb_end_after_ms(30_000);
    let d = ok(
        &w.delete(
            &key,
            &format!(
                "/v1/browser/sessions/{}",
                v["id"].as_str().unwrap_or_default()
            ),
        )
        .await,
        200,
    );
    assert_eq!(
        (d["billed_minutes"].clone(), d["cost"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(w.balance(&acct).await, (94 * CR, 0));

    for bad in [
        json!({"timeout": 59}),
        json!({"timeout": 21_601}),
        json!({"proxy": "yes"}),
    ] {
        w.post(&key, "/v1/browser/sessions", bad)
            .await
            .assert_error(400);
    }
    let (_, broke) = w.account(0).await;
    w.post(&broke, "/v1/browser/sessions", json!({}))
        .await
        .assert_error(402);
    assert_eq!(
        w.fakes
            .recs_under("/browserbase/v1/sessions")
            .iter()
            .filter(|r| r.path == "/browserbase/v1/sessions")
            .count(),
        2
    );
}

#[tokio::test]
async fn sweeper_ends_and_bills_sessions_left_open() {
    for w in worlds().await {
        sweeper_ends_and_bills_sessions_left_open_on(&w).await;
    }
}

async fn sweeper_ends_and_bills_sessions_left_open_on(w: &World) {
    let (acct, key) = w.account(100).await;
    let v = ok(
        &w.post(&key, "/v1/browser/sessions", json!({"timeout": 150}))
            .await,
        201,
    );
    let id = v["id"].as_str().expect("id").to_owned();
    assert_eq!(w.balance(&acct).await, (94 * CR, 6 * CR));

    let now = hexaclaw_shared::store::now_secs();
    assert_eq!(
        browser::sweep_expired_sessions(&w.env.state, now)
            .await
            .expect("sweep"),
        0,
        "not expired yet"
    );
    // Browserbase ended it at its 150 s timeout: 3 started minutes = 6 credits.
    w.fakes.set_bb_end_after_ms(150_000);
    assert_eq!(
        browser::sweep_expired_sessions(&w.env.state, now + 151)
            .await
            .expect("sweep"),
        1
    );
    let released = w
        .fakes
        .recs_under("/browserbase/v1/sessions/")
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(released, 1, "the sweeper asked Browserbase to release it");
    assert_eq!(w.balance(&acct).await, (94 * CR, 0));
    assert_eq!(
        browser::sweep_expired_sessions(&w.env.state, now + 151)
            .await
            .expect("sweep"),
        0
    );
    let d = ok(
        &w.get(&key, &format!("/v1/browser/sessions/{id}")).await,
        200,
    );
    assert_eq!(
        (
            d["status"].clone(),
            d["billed_minutes"].clone(),
            d["cost"].clone()
        ),
        (json!("TIMED_OUT"), json!(3), json!(6))
    );
    // The hold sweeper finds nothing left to void.
    assert_eq!(
        hexaclaw_shared::metering::sweep_expired_holds(&w.env.state.store, now + 10 * 86_400)
            .await
            .expect("holds"),
        0
    );
}

#[tokio::test]
async fn events_route_through_the_groups() {
    let w = world().await;
    let (acct, key) = w.account(100).await;
    tools::senders::add(&w.env.state.store, &acct, "onboarding@resend.dev")
        .await
        .expect("sender");
    for (rel, status) in [
        ("media/images-generate.json", 200),
        ("media/video-generate.json", 202),
        ("media/video-job.json", 404),
        ("media/music-generate.json", 202),
        ("media/music-job.json", 404),
        ("tools/search.json", 200),
        ("tools/scrape.json", 200),
        ("tools/email.json", 200),
        ("browser/create-session.json", 201),
        ("browser/get-session.json", 404),
        ("browser/delete-session.json", 404),
    ] {
        let r = call(&w.app, event_request(rel, Some(&key))).await;
        assert_eq!(
            r.status.as_u16(),
            status,
            "{rel}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // 3 (a dev image) + 5 held (video) + 3 held (music) + 1 + 2 + 1 + 10 held (browser).
    assert_eq!(
        w.balance(&acct).await,
        ((100 - 3 - 5 - 3 - 1 - 2 - 1 - 10) * CR, 18 * CR)
    );
}
