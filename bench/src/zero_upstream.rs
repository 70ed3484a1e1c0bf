//! A zero-latency fake OpenAI upstream for benchmarks: answers every POST at once with a fixed
//! chat completion (or a short SSE stream when the body asks for `"stream":true`), over HTTP/1.1
//! keep-alive. Usage: `zero-upstream PORT`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Frame;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;

const COMPLETION: &str = r#"{"id":"chatcmpl-bench","object":"chat.completion","created":1796419800,"model":"gpt-4.1-mini-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_bench"}"#;

const CHUNKS: [&str; 5] = [
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1796419800,"model":"gpt-4.1-mini-2025-04-14","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1796419800,"model":"gpt-4.1-mini-2025-04-14","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1796419800,"model":"gpt-4.1-mini-2025-04-14","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1796419800,"model":"gpt-4.1-mini-2025-04-14","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
    r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1796419800,"model":"gpt-4.1-mini-2025-04-14","system_fingerprint":"fp_bench","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":2,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#,
];

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

async fn handle(req: Request<hyper::body::Incoming>) -> Result<Response<Body>, Infallible> {
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let stream = body.windows(14).any(|w| w == b"\"stream\":true");
    if stream {
        let frames: Vec<Result<Frame<Bytes>, Infallible>> = CHUNKS
            .iter()
            .map(|c| Ok(Frame::data(Bytes::from(format!("data: {c}\n\n")))))
            .chain(std::iter::once(Ok(Frame::data(Bytes::from_static(
                b"data: [DONE]\n\n",
            )))))
            .collect();
        return Ok(Response::builder()
            .header("content-type", "text/event-stream")
            .body(VecBody(frames.into_iter()).boxed())
            .unwrap_or_default());
    }
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(COMPLETION.as_bytes())).boxed())
        .unwrap_or_default())
}

/// A body that yields prepared frames one by one (each an SSE event).
struct VecBody(std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>);

impl hyper::body::Body for VecBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        std::task::Poll::Ready(self.0.next())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18800);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bind 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on 127.0.0.1:{port}");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await;
        });
    }
}
