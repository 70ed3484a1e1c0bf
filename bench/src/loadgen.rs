//! Closed-loop HTTP/1.1 load generator: C keep-alive connections, each sending the same request
//! back to back for D seconds (after a warm-up), recording per-request latency. Prints one JSON
//! line: requests, errors, req/s and latency percentiles in microseconds. For streams it also
//! records the time to the first body byte.
//! Usage: `loadgen URL CONNECTIONS SECONDS BODY_FILE [AUTH_HEADER_VALUE]`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::time::{Duration, Instant};

struct Args {
    host: String,
    port: u16,
    path: String,
    conns: usize,
    secs: u64,
    body: Bytes,
    auth: Option<String>,
}

fn parse() -> Result<Args, String> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        return Err("usage: loadgen URL CONNECTIONS SECONDS BODY_FILE [AUTH]".into());
    }
    let url = a[1].strip_prefix("http://").ok_or("only http:// URLs")?;
    let (hostport, path) = url.split_once('/').ok_or("URL needs a path")?;
    let (host, port) = hostport.split_once(':').ok_or("URL needs a port")?;
    Ok(Args {
        host: host.to_owned(),
        port: port.parse().map_err(|_| "bad port")?,
        path: format!("/{path}"),
        conns: a[2].parse().map_err(|_| "bad CONNECTIONS")?,
        secs: a[3].parse().map_err(|_| "bad SECONDS")?,
        body: Bytes::from(std::fs::read(&a[4]).map_err(|e| format!("{}: {e}", a[4]))?),
        auth: a.get(5).cloned(),
    })
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    first_byte_us: Vec<u64>,
    errors: u64,
}

async fn worker(
    args: std::sync::Arc<Args>,
    warm: Instant,
    until: Instant,
) -> Result<Tally, String> {
    let stream = tokio::net::TcpStream::connect((args.host.as_str(), args.port))
        .await
        .map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut t = Tally::default();
    loop {
        let start = Instant::now();
        if start >= until {
            break;
        }
        let mut b = Request::post(&args.path)
            .header("host", format!("{}:{}", args.host, args.port))
            .header("content-type", "application/json");
        if let Some(a) = &args.auth {
            b = b.header("authorization", a);
        }
        let req = b
            .body(Full::new(args.body.clone()))
            .map_err(|e| e.to_string())?;
        sender.ready().await.map_err(|e| e.to_string())?;
        let resp = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => return Err(e.to_string()),
        };
        let ok = resp.status().is_success();
        let mut body = resp.into_body();
        let mut first: Option<Duration> = None;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => {
                    if f.is_data() && first.is_none() {
                        first = Some(start.elapsed());
                    }
                }
                Err(_) => {
                    t.errors += 1;
                    break;
                }
            }
        }
        let took = start.elapsed();
        if start >= warm {
            if ok {
                t.latencies_us.push(took.as_micros() as u64);
                if let Some(f) = first {
                    t.first_byte_us.push(f.as_micros() as u64);
                }
            } else {
                t.errors += 1;
            }
        }
    }
    Ok(t)
}

fn pct(v: &[u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args = match parse() {
        Ok(a) => std::sync::Arc::new(a),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let warmup = Duration::from_millis(500);
    let begin = Instant::now();
    let warm = begin + warmup;
    let until = warm + Duration::from_secs(args.secs);
    let handles: Vec<_> = (0..args.conns)
        .map(|_| tokio::spawn(worker(args.clone(), warm, until)))
        .collect();
    let mut all = Tally::default();
    for h in handles {
        match h.await {
            Ok(Ok(t)) => {
                all.latencies_us.extend(t.latencies_us);
                all.first_byte_us.extend(t.first_byte_us);
                all.errors += t.errors;
            }
            Ok(Err(e)) => {
                eprintln!("worker failed: {e}");
                all.errors += 1;
            }
            Err(e) => {
                eprintln!("worker panicked: {e}");
                all.errors += 1;
            }
        }
    }
    all.latencies_us.sort_unstable();
    all.first_byte_us.sort_unstable();
    let n = all.latencies_us.len() as u64;
    let out = serde_json::json!({
        "requests": n,
        "errors": all.errors,
        "rps": n as f64 / args.secs as f64,
        "p50_us": pct(&all.latencies_us, 0.50),
        "p90_us": pct(&all.latencies_us, 0.90),
        "p99_us": pct(&all.latencies_us, 0.99),
        "ttfb_p50_us": pct(&all.first_byte_us, 0.50),
        "ttfb_p99_us": pct(&all.first_byte_us, 0.99),
    });
    println!("{out}");
}
