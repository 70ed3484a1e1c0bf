//! Exit codes scripts can rely on, and the error type that carries one.

use std::fmt;

/// Success.
pub const OK: u8 = 0;
/// Any other failure (network, upstream, bad input found at run time).
pub const ERROR: u8 = 1;
/// Wrong usage: unknown flag, bad value, unknown agent or model.
pub const USAGE: u8 = 2;
/// No credentials configured, or the API rejected them (401).
pub const AUTH: u8 = 3;
/// Payment required: not enough credits (402), or the configured spending cap is reached.
pub const PAYMENT: u8 = 4;
/// Rate limited (429).
pub const RATE_LIMITED: u8 = 5;
/// Timed out (`--timeout`, or the gateway's 504).
pub const TIMEOUT: u8 = 6;

/// The text `hexaclaw --help` ends with.
pub const HELP_TEXT: &str = "\
Exit codes:
  0  success
  1  error (network, upstream, invalid input)
  2  usage error (bad flag or value, unknown agent/model)
  3  not authenticated: no key configured, or the key was rejected (401)
  4  payment required: insufficient credits (402) or spending cap reached
  5  rate limited (429)
  6  timed out

Config lives in ~/.openclaw/ (HEXACLAW_CONFIG_DIR): hexaclaw.json (API base, key, spending cap)
and openclaw.json (agents, default model). HEXACLAW_API_KEY and HEXACLAW_API_BASE override them.
Run `hexaclaw` with no arguments for the interactive shell.";

/// An error with the exit code it should end the process with.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    /// An error exiting with `code`.
    pub fn new(code: u8, message: impl Into<String>) -> CliError {
        CliError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// `Err` with an exit code, as an `anyhow::Error`.
pub fn fail<T>(code: u8, message: impl Into<String>) -> anyhow::Result<T> {
    Err(CliError::new(code, message).into())
}

/// The exit code an error should end the process with (1 unless a `CliError` says otherwise).
pub fn code_of(e: &anyhow::Error) -> u8 {
    e.chain()
        .find_map(|c| c.downcast_ref::<CliError>())
        .map_or(ERROR, |c| c.code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_code_survives_added_context() {
        let e: anyhow::Result<()> = fail(PAYMENT, "no credits");
        let e = e.context("running the agent").unwrap_err();
        assert_eq!(code_of(&e), PAYMENT);
        assert_eq!(code_of(&anyhow::anyhow!("plain")), ERROR);
    }
}
