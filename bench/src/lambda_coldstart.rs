//! Cold-start probe: a minimal Lambda Runtime API on loopback. Starts a function binary with
//! `AWS_LAMBDA_RUNTIME_API` pointing here, hands it one event, and reports the time from
//! process start to the runtime's first `next` call (init) and to the first byte of its
//! response (init + first invocation). Streaming responses count at their first byte.
//! Usage: `lambda-coldstart BINARY EVENT_FILE` (extra env is inherited). Prints one JSON line.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Seen {
    next_at: Option<Instant>,
    response_at: Option<Instant>,
    status: Option<u16>,
    served: bool,
    error: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: lambda-coldstart BINARY EVENT_FILE");
        std::process::exit(2);
    }
    let event = match std::fs::read(&args[2]) {
        Ok(e) => Bytes::from(e),
        Err(e) => {
            eprintln!("{}: {e}", args[2]);
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bind: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server_seen = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let seen = server_seen.clone();
            let event = event.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let seen = seen.clone();
                    let event = event.clone();
                    async move { Ok::<_, Infallible>(handle(req, seen, event).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    let start = Instant::now();
    let mut child = match tokio::process::Command::new(&args[1])
        .env("AWS_LAMBDA_RUNTIME_API", &addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", "coldstart")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/coldstart")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "probe")
        .stdout(logs())
        .stderr(logs())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("spawn {}: {e}", args[1]);
            std::process::exit(1);
        }
    };
    let deadline = start + Duration::from_secs(20);
    loop {
        {
            let s = seen
                .lock()
                .map(|s| (s.response_at.is_some(), s.error.clone()))
                .unwrap_or((false, None));
            if s.0 || s.1.is_some() {
                break;
            }
        }
        if Instant::now() > deadline {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            eprintln!("function exited early: {status}");
            break;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let _ = child.kill().await;
    let s = seen.lock().map(|s| {
        serde_json::json!({
            "init_ms": s.next_at.map(|t| (t - start).as_secs_f64() * 1000.0),
            "first_response_ms": s.response_at.map(|t| (t - start).as_secs_f64() * 1000.0),
            "status": s.status,
            "error": s.error,
        })
    });
    match s {
        Ok(v) => println!("{v}"),
        Err(_) => std::process::exit(1),
    }
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    seen: Arc<Mutex<Seen>>,
    event: Bytes,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        let first = {
            let mut s = match seen.lock() {
                Ok(s) => s,
                Err(_) => return Response::new(Full::new(Bytes::new())),
            };
            s.next_at.get_or_insert_with(Instant::now);
            !std::mem::replace(&mut s.served, true)
        };
        if !first {
            // Hold later polls open: one invocation is all we measure.
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() + 30_000)
            .unwrap_or(0);
        return Response::builder()
            .header(
                "lambda-runtime-aws-request-id",
                "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
            )
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:coldstart",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
            )
            .body(Full::new(event))
            .unwrap_or_default();
    }
    if path.ends_with("/response") {
        let mut body = req.into_body();
        // First byte of the (possibly streamed) response.
        let first = body.frame().await;
        if let Ok(mut s) = seen.lock() {
            s.response_at.get_or_insert_with(Instant::now);
            match &first {
                Some(Err(e)) => s.error = Some(e.to_string()),
                // The function's HTTP status: `statusCode` of the API Gateway response (whole
                // JSON when buffered, the prelude when streamed).
                Some(Ok(f)) => s.status = f.data_ref().and_then(|d| status_code(d)),
                None => {}
            }
        }
        while let Some(f) = body.frame().await {
            if f.is_err() {
                break;
            }
        }
        return Response::builder()
            .status(202)
            .body(Full::new(Bytes::new()))
            .unwrap_or_default();
    }
    if path.ends_with("/error") {
        let b = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        if let Ok(mut s) = seen.lock() {
            s.error = Some(String::from_utf8_lossy(&b).into_owned());
        }
        return Response::builder()
            .status(202)
            .body(Full::new(Bytes::new()))
            .unwrap_or_default();
    }
    Response::builder()
        .status(404)
        .body(Full::new(Bytes::new()))
        .unwrap_or_default()
}

/// The number after `"statusCode":` in a response (or its streaming prelude).
fn status_code(body: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(body.split(|b| *b == 0).next()?).ok()?;
    let rest = &text[text.find("\"statusCode\"")? + "\"statusCode\"".len()..];
    let digits: String = rest
        .trim_start_matches([':', ' '])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The function's own output: discarded, or passed through to stderr when
/// `HEXACLAW_COLDSTART_LOGS=1` (to see where a slow first event spends its time).
fn logs() -> std::process::Stdio {
    if std::env::var_os("HEXACLAW_COLDSTART_LOGS").is_some_and(|v| v == "1") {
        std::process::Stdio::from(std::io::stderr())
    } else {
        std::process::Stdio::null()
    }
}
