//! Paired A/B latency at one connection: two targets (two gateway builds, say) get the same
//! request alternately on one keep-alive connection each (A then B, then B then A, …), so
//! both see the same moments of a noisy host. Prints one JSON line: per target the request
//! count and p10/p50/p90/p99 in microseconds, and the median of the paired differences B − A
//! with its 95% interval from a sign test (`bench/ab` drives it).
//! Usage: `pairgen URL_A AUTH_A URL_B AUTH_B SECONDS BODY_FILE`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::time::{Duration, Instant};

struct Target {
    host: String,
    port: u16,
    path: String,
    auth: String,
    sender: http1::SendRequest<Full<Bytes>>,
}

async fn connect(url: &str, auth: &str) -> Result<Target, String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (hostport, path) = rest.split_once('/').ok_or("URL needs a path")?;
    let (host, port) = hostport.split_once(':').ok_or("URL needs a port")?;
    let port: u16 = port.parse().map_err(|_| "bad port")?;
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(Target {
        host: host.to_owned(),
        port,
        path: format!("/{path}"),
        auth: auth.to_owned(),
        sender,
    })
}

/// One request; its latency, or None if it failed.
async fn once(t: &mut Target, body: &Bytes) -> Result<Option<u64>, String> {
    let req = Request::post(&t.path)
        .header("host", format!("{}:{}", t.host, t.port))
        .header("content-type", "application/json")
        .header("authorization", &t.auth)
        .body(Full::new(body.clone()))
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    t.sender.ready().await.map_err(|e| e.to_string())?;
    let resp = t
        .sender
        .send_request(req)
        .await
        .map_err(|e| e.to_string())?;
    let ok = resp.status().is_success();
    let mut b = resp.into_body();
    while let Some(frame) = b.frame().await {
        if frame.is_err() {
            return Ok(None);
        }
    }
    let took = start.elapsed().as_micros() as u64;
    Ok(ok.then_some(took))
}

fn pct(v: &[u64], p: f64) -> u64 {
    let i = ((v.len().max(1) as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(0)
}

fn summary(v: &mut [u64]) -> serde_json::Value {
    v.sort_unstable();
    serde_json::json!({
        "requests": v.len(),
        "p10_us": pct(v, 0.10), "p50_us": pct(v, 0.50),
        "p90_us": pct(v, 0.90), "p99_us": pct(v, 0.99),
    })
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 7 {
        eprintln!("usage: pairgen URL_A AUTH_A URL_B AUTH_B SECONDS BODY_FILE");
        std::process::exit(2);
    }
    let secs: u64 = a[5].parse().unwrap_or_else(|_| {
        eprintln!("bad SECONDS");
        std::process::exit(2)
    });
    let body = Bytes::from(std::fs::read(&a[6]).unwrap_or_else(|e| {
        eprintln!("{}: {e}", a[6]);
        std::process::exit(2)
    }));
    let run = async {
        let mut ta = connect(&a[1], &a[2]).await?;
        let mut tb = connect(&a[3], &a[4]).await?;
        let warm = Instant::now() + Duration::from_millis(500);
        let until = warm + Duration::from_secs(secs);
        let (mut la, mut lb, mut diffs, mut errors) = (Vec::new(), Vec::new(), Vec::new(), 0u64);
        let mut flip = false;
        while Instant::now() < until {
            let (x, y) = if flip {
                let y = once(&mut tb, &body).await?;
                (once(&mut ta, &body).await?, y)
            } else {
                let x = once(&mut ta, &body).await?;
                (x, once(&mut tb, &body).await?)
            };
            flip = !flip;
            if Instant::now() < warm {
                continue;
            }
            match (x, y) {
                (Some(x), Some(y)) => {
                    la.push(x);
                    lb.push(y);
                    diffs.push(y as i64 - x as i64);
                }
                _ => errors += 1,
            }
        }
        Ok::<_, String>((la, lb, diffs, errors))
    };
    let (mut la, mut lb, mut diffs, errors) = match run.await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pairgen: {e}");
            std::process::exit(1);
        }
    };
    diffs.sort_unstable();
    let n = diffs.len();
    // Sign-test interval for the median: ranks n/2 ± 1.96·√n/2.
    let half = (1.96 * (n as f64).sqrt() / 2.0).ceil() as usize;
    let at = |i: usize| diffs.get(i.min(n.saturating_sub(1))).copied().unwrap_or(0);
    let out = serde_json::json!({
        "a": summary(&mut la),
        "b": summary(&mut lb),
        "pairs": n,
        "errors": errors,
        "median_diff_us": at(n / 2),
        "median_diff_ci95_us": [at((n / 2).saturating_sub(half)), at(n / 2 + half)],
    });
    println!("{out}");
}
