//! The command lines of `dpopd proof` and `dpopd explain` (README.md, "Try it" and "When a
//! proof is refused"): their arguments, and the text each prints.
use super::explain::{self, ExplainRequest};
use super::proof::{self, KeySource, ProofRequest};
use super::{time, ToolError};
use crate::clock::UnixTime;
use crate::jose::Alg;
use std::io::Read;
use std::path::PathBuf;

/// `dpopd proof`.
#[derive(Debug, clap::Args)]
pub struct ProofArgs {
    /// The request's method.
    #[arg(long)]
    htm: String,
    /// The request's URL (query and fragment are left out of the proof).
    #[arg(long)]
    htu: String,
    /// The server nonce (from a `DPoP-Nonce` header).
    #[arg(long)]
    nonce: Option<String>,
    /// The `ath` claim, as given.
    #[arg(long, conflicts_with = "access_token")]
    ath: Option<String>,
    /// The access token the proof goes with: its hash becomes `ath`.
    #[arg(long)]
    access_token: Option<String>,
    /// ES256, ES384 or EdDSA: the alg of a new key (an existing key must have it).
    #[arg(long)]
    alg: Option<Alg>,
    /// The private key file (default: dpopd/dpop-key.json in $XDG_CONFIG_HOME or
    /// ~/.config), created with mode 0600 if absent.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// A new key for this proof only.
    #[arg(long, conflicts_with = "key")]
    ephemeral: bool,
    /// Print {"proof", "jwk", "jkt"} instead of the proof alone.
    #[arg(long)]
    json: bool,
}

/// `dpopd explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The proof, or a `DPoP: ...` line (default: read from standard input).
    proof: Option<String>,
    /// The method of the request the proof was sent with.
    #[arg(long)]
    htm: Option<String>,
    /// The URL of the request the proof was sent with.
    #[arg(long)]
    htu: Option<String>,
    /// When the request was received: seconds since the epoch or RFC 3339 (default: now).
    #[arg(long, conflicts_with = "server")]
    time: Option<String>,
    /// The nonce the server had given the client: the proof must carry it.
    #[arg(long, conflicts_with = "server")]
    nonce: Option<String>,
    /// The access token the proof was presented with (a resource request).
    #[arg(long)]
    access_token: Option<String>,
    /// The thumbprint the access token is bound to (default: a JWT token's cnf.jkt).
    #[arg(long, conflicts_with = "server")]
    jkt: Option<String>,
    /// Ask the dpopd at this base URL instead: its configuration, clock and replay store
    /// decide (POST /auth/dpop/explain).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// With --server: the caller's KEY:SECRET (default: $DPOPD_CALLER, else the
    /// development mode's demo caller).
    #[arg(long, value_name = "KEY:SECRET", requires = "server")]
    caller: Option<String>,
    /// With --server: the client whose alg list and nonce policy apply.
    #[arg(long, requires = "server")]
    client_id: Option<String>,
    /// Print the explanation as JSON.
    #[arg(long)]
    json: bool,
}

/// The most of standard input `dpopd explain` reads: far above any acceptable proof.
const MAX_STDIN: u64 = 64 * 1024;

/// What `dpopd proof` prints: the proof, or `{"proof", "jwk", "jkt"}` with `--json`.
pub fn proof(args: ProofArgs, now: UnixTime) -> Result<String, ToolError> {
    let key = match (args.key, args.ephemeral) {
        (_, true) => KeySource::Ephemeral,
        (Some(path), false) => KeySource::File(path),
        (None, false) => KeySource::File(proof::default_key_file().ok_or_else(|| {
            ToolError::Usage(
                "no HOME or XDG_CONFIG_HOME for the key file: give --key FILE or --ephemeral"
                    .into(),
            )
        })?),
    };
    let request = ProofRequest {
        htm: args.htm,
        htu: args.htu,
        nonce: args.nonce,
        ath: args.ath,
        access_token: args.access_token,
        alg: args.alg,
        key,
    };
    let minted = proof::mint(&request, now)?;
    Ok(match args.json {
        true => format!("{}\n", minted.to_json()),
        false => format!("{}\n", minted.proof),
    })
}

/// What `dpopd explain` prints, and whether the proof is accepted.
pub async fn explain(args: ExplainArgs, now: UnixTime) -> Result<(String, bool), ToolError> {
    let proof = match args.proof {
        Some(proof) => proof,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_STDIN)
                .read_to_string(&mut text)
                .map_err(|e| ToolError::Usage(format!("standard input: {e}")))?;
            text
        }
    };
    let time = match args.time.as_deref() {
        Some(text) => Some(time::parse(text).ok_or_else(|| {
            ToolError::Usage(format!(
                "--time {text:?}: seconds since the epoch or RFC 3339 (2019-07-04T17:50:16Z)"
            ))
        })?),
        None => None,
    };
    let request = ExplainRequest {
        proof: explain::clean_proof(&proof),
        htm: args.htm,
        htu: args.htu,
        time,
        nonce: args.nonce,
        access_token: args.access_token,
        jkt: args.jkt,
        client_id: args.client_id,
    };
    let explained = match args.server {
        Some(server) => {
            let caller = args
                .caller
                .or_else(|| std::env::var("DPOPD_CALLER").ok())
                .unwrap_or_else(|| {
                    format!(
                        "{}:{}",
                        crate::development::DEMO_CALLER_KEY,
                        crate::development::DEMO_CALLER_SECRET
                    )
                });
            let (key, secret) = caller
                .split_once(':')
                .ok_or_else(|| ToolError::Usage("--caller must be KEY:SECRET".into()))?;
            explain::ask(&server, (key, secret), &request).await?
        }
        None => explain::offline(&request, now)?,
    };
    let text = match args.json {
        true => format!(
            "{}\n",
            serde_json::to_string_pretty(&explained).unwrap_or_default()
        ),
        false => explain::render(&explained),
    };
    Ok((text, explained.report.accepted))
}
