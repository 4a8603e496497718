//! The command-line tools that make DPoP easy to try and to debug without writing code:
//! `dpopd proof` mints a proof as a client would (RFC 9449 §4.2), `dpopd explain` runs every
//! check of RFC 9449 §4.3 on one and prints each verdict, offline or by asking a running dpopd
//! (`POST /auth/dpop/explain`, docs/api.md, "Explaining a proof").
pub mod command;
pub mod explain;
pub mod proof;
pub mod time;

/// Why a tool could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// A value given on the command line cannot be used.
    #[error("{0}")]
    Usage(String),
    /// The key file cannot be read, written or used.
    #[error("key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    /// The dpopd asked with `--server` did not answer as the API says.
    #[error("{0}")]
    Server(String),
}
