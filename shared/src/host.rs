//! Hosting: the same router runs under Lambda (when `AWS_LAMBDA_RUNTIME_API` is set) or on a
//! local listener. Function binaries call `run_group`; the CLI's gateway calls `serve_local`.

use crate::config::Config;
use crate::state::AppState;
use axum::Router;
use std::net::SocketAddr;

/// Boxed error for `main`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Whether this process runs inside Lambda.
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Entry point of every function binary: logs, config, state, THIS group's router, runtime.
/// Naming the router function (not a group string) lets the linker drop the other groups'
/// code from each Lambda package.
/// No vector backend is opened (see `run_with_vectors`).
pub async fn run(router: fn(AppState) -> Router, streaming: bool) -> Result<(), BoxError> {
    crate::telemetry::init(true);
    let config = Config::load().await?;
    let state = AppState::from_config_without_vectors(config).await?;
    serve(crate::http::finish(router(state)), streaming).await
}

/// `run` for the one group that stores vectors: the state also opens the vector backend.
pub async fn run_with_vectors(
    router: fn(AppState) -> Router,
    streaming: bool,
) -> Result<(), BoxError> {
    crate::telemetry::init(true);
    let config = Config::load().await?;
    let state = AppState::from_config(config).await?;
    serve(crate::http::finish(router(state)), streaming).await
}

/// Serve under Lambda, or on `HEXACLAW_BIND`/`PORT` (default 127.0.0.1:18789) otherwise.
pub async fn serve(router: Router, streaming: bool) -> Result<(), BoxError> {
    if in_lambda() {
        let svc = tower::ServiceBuilder::new()
            .map_request(strip_stage::<lambda_http::Body>)
            .service(router);
        if streaming {
            lambda_http::run_with_streaming_response(svc).await
        } else {
            lambda_http::run(svc).await
        }
    } else {
        let bind = std::env::var("HEXACLAW_BIND").unwrap_or_else(|_| "127.0.0.1".into());
        let port: u16 = std::env::var("PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(18789);
        let addr: SocketAddr = format!("{bind}:{port}").parse()?;
        serve_local(router, addr).await
    }
}

/// Remove the API Gateway stage (`/prod`) from a request's path, so routers see `/v1/...`
/// whether or not `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set (lambda_http prepends the
/// stage unless it is). Used by the Lambda host and by tests that replay `events/`.
pub fn strip_stage<B>(mut req: http::Request<B>) -> http::Request<B> {
    use lambda_http::request::RequestContext;
    let stage = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV1(c)) => c.stage.clone(),
        Some(RequestContext::ApiGatewayV2(c)) => c.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage.filter(|s| s != "$default") else {
        return req;
    };
    let prefix = format!("/{stage}/");
    let uri = req.uri();
    if let Some(rest) = uri.path().strip_prefix(&prefix[..prefix.len() - 1]) {
        if rest.starts_with('/') {
            let pq = match uri.query() {
                Some(q) => format!("{rest}?{q}"),
                None => rest.to_owned(),
            };
            let mut parts = uri.clone().into_parts();
            if let Ok(p) = pq.parse() {
                parts.path_and_query = Some(p);
                if let Ok(u) = http::Uri::from_parts(parts) {
                    *req.uri_mut() = u;
                }
            }
        }
    }
    req
}

/// Serve on a local address until Ctrl-C / SIGTERM.
pub async fn serve_local(router: Router, addr: SocketAddr) -> Result<(), BoxError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    serve_listener(router, listener).await
}

/// Serve on an already-bound listener (tests bind port 0).
pub async fn serve_listener(
    router: Router,
    listener: tokio::net::TcpListener,
) -> Result<(), BoxError> {
    use axum::serve::ListenerExt;
    // No Nagle: SSE frames and keep-alive responses are small writes, and Nagle plus the
    // client's delayed ACK would hold each one back ~40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Entry point of the scheduled `maintenance` function: one run per EventBridge event (or one
/// run and exit when started outside Lambda).
pub async fn run_maintenance() -> Result<(), BoxError> {
    crate::telemetry::init(true);
    let config = Config::load().await?;
    let state = AppState::from_config_without_vectors(config).await?;
    if in_lambda() {
        lambda_http::lambda_runtime::run(lambda_http::service_fn(
            move |_ev: lambda_http::LambdaEvent<serde_json::Value>| {
                let state = state.clone();
                async move {
                    let report = crate::maintenance::run(&state, chrono::Utc::now()).await?;
                    tracing::info!(?report, "maintenance run");
                    Ok::<_, BoxError>(serde_json::to_value(report)?)
                }
            },
        ))
        .await
    } else {
        let report = crate::maintenance::run(&state, chrono::Utc::now()).await?;
        tracing::info!(?report, "maintenance run");
        Ok(())
    }
}
