//! `fake-upstream --port P`: the fake of every chat provider (see `hexaclaw_tests::fake`) as a
//! process, for the pytest suite. Prints `listening on 127.0.0.1:P` and serves until killed.

use hexaclaw_tests::fake::FakeUpstream;
use std::io::Write;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match args.as_slice() {
        [] => Ok(0),
        [flag, p] if flag == "--port" => p.parse::<u16>().map_err(|e| e.to_string()),
        _ => Err("usage: fake-upstream [--port P]   (P = 0 picks a free port)".to_owned()),
    };
    let port = match port {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let fake = match FakeUpstream::start_on(port).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fake-upstream: cannot listen on 127.0.0.1:{port}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("listening on {}", fake.addr());
    let _ = std::io::stdout().flush();
    std::future::pending::<()>().await;
    std::process::ExitCode::SUCCESS
}
