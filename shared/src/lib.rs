//! HexaClaw's shared library: everything the functions, the CLI and the local gateway run —
//! config, errors, storage, auth, metering, catalog, provider adapters and HTTP routers.

pub mod accounts;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod error;
pub mod guardian;
pub mod host;
pub mod http;
pub mod idempotency;
pub mod maintenance;
pub mod metering;
pub mod money;
pub mod providers;
pub mod ratelimit;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod upstream;
pub mod vectors;
