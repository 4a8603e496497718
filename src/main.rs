//! The `dpopd` command: with no subcommand, configuration → telemetry → application; `keygen`
//! prints new keys for configuration; `proof` mints a DPoP proof and `explain` checks one
//! (src/tools). `dpopd --help` lists everything.
use clap::{Parser, Subcommand};
use dpopd::config::{ConfigError, Settings};
use dpopd::jose::Alg;
use dpopd::keygen::KeygenError;
use dpopd::startup::{Application, StartupError};
use dpopd::tools::explain::ExplainRequest;
use dpopd::tools::proof::{KeySource, ProofRequest};
use dpopd::tools::ToolError;
use std::io::Read;
use std::path::PathBuf;

/// OAuth 2.0 and DPoP (RFC 9449) backend for authorization and resource servers in any
/// language. With no configuration file it starts in development mode on loopback.
#[derive(Debug, Parser)]
#[command(name = "dpopd", version, about)]
struct Cli {
    /// The TOML configuration file (default: $DPOPD_CONFIG; none: development mode).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new signing key, sealing key and nonce secret, ready for configuration.
    Keygen {
        /// ES256, ES384 or EdDSA (RSA keys come from openssl).
        #[arg(long, default_value = "ES256")]
        alg: Alg,
        /// The key's `kid` (default: its RFC 7638 thumbprint).
        #[arg(long)]
        kid: Option<String>,
    },
    /// Print a DPoP proof (RFC 9449 §4.2) for one request, signed by your key file (created on
    /// first use) or an ephemeral key.
    Proof {
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
    },
    /// Run every RFC 9449 §4.3 check on a proof and print each verdict with what was expected
    /// and received. Exit status: 0 accepted, 3 refused, 1 error.
    Explain {
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
    },
}

/// Why dpopd did not start or stopped.
#[derive(Debug, thiserror::Error)]
enum MainError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Keygen(#[from] KeygenError),
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error("server: {0}")]
    Serve(#[from] std::io::Error),
    /// `dpopd explain` ran and the proof is refused: exit status 3.
    #[error("the proof is refused")]
    Refused,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(MainError::Refused) => std::process::ExitCode::from(3),
        Err(e) => {
            eprintln!("dpopd: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), MainError> {
    match cli.command {
        Some(Command::Keygen { alg, kid }) => {
            print!("{}", dpopd::keygen::run(alg, kid)?);
            Ok(())
        }
        Some(Command::Proof {
            htm,
            htu,
            nonce,
            ath,
            access_token,
            alg,
            key,
            ephemeral,
            json,
        }) => {
            let key = match (key, ephemeral) {
                (_, true) => KeySource::Ephemeral,
                (Some(path), false) => KeySource::File(path),
                (None, false) => KeySource::File(dpopd::tools::proof::default_key_file().ok_or(
                    ToolError::Usage(
                        "no HOME or XDG_CONFIG_HOME for the key file: give --key FILE or --ephemeral"
                            .into(),
                    ),
                )?),
            };
            let request = ProofRequest {
                htm,
                htu,
                nonce,
                ath,
                access_token,
                alg,
                key,
            };
            let minted = dpopd::tools::proof::mint(&request, dpopd::clock::UnixTime::now())?;
            if json {
                println!("{}", minted.to_json());
            } else {
                println!("{}", minted.proof);
            }
            Ok(())
        }
        Some(Command::Explain {
            proof,
            htm,
            htu,
            time,
            nonce,
            access_token,
            jkt,
            server,
            caller,
            client_id,
            json,
        }) => {
            let proof = match proof {
                Some(proof) => proof,
                None => std::io::read_to_string(std::io::stdin().take(64 * 1024))?,
            };
            let time = match time.as_deref() {
                Some(text) => Some(dpopd::tools::time::parse(text).ok_or_else(|| {
                    ToolError::Usage(format!(
                        "--time {text:?}: seconds since the epoch or RFC 3339 (2019-07-04T17:50:16Z)"
                    ))
                })?),
                None => None,
            };
            let request = ExplainRequest {
                proof: dpopd::tools::explain::clean_proof(&proof),
                htm,
                htu,
                time,
                nonce,
                access_token,
                jkt,
                client_id,
            };
            let explained = match server {
                Some(server) => {
                    let caller = caller
                        .or_else(|| std::env::var("DPOPD_CALLER").ok())
                        .unwrap_or_else(|| {
                            format!(
                                "{}:{}",
                                dpopd::development::DEMO_CALLER_KEY,
                                dpopd::development::DEMO_CALLER_SECRET
                            )
                        });
                    let (key, secret) = caller
                        .split_once(':')
                        .ok_or_else(|| ToolError::Usage("--caller must be KEY:SECRET".into()))?;
                    dpopd::tools::explain::ask(&server, (key, secret), &request).await?
                }
                None => dpopd::tools::explain::offline(&request, dpopd::clock::UnixTime::now())?,
            };
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&explained.report).unwrap_or_default()
                );
            } else {
                print!("{}", dpopd::tools::explain::render(&explained));
            }
            match explained.report.accepted {
                true => Ok(()),
                false => Err(MainError::Refused),
            }
        }
        None => {
            let file = cli
                .config
                .or_else(|| std::env::var_os("DPOPD_CONFIG").map(PathBuf::from));
            serve(file).await
        }
    }
}

async fn serve(file: Option<PathBuf>) -> Result<(), MainError> {
    let mut settings = Settings::load(file.as_deref())?;
    dpopd::telemetry::init_logging(&settings.log);
    if settings.development {
        dpopd::development::add_demo_credentials(&mut settings);
    }
    let app = Application::build(settings.clone()).await?;
    if settings.development {
        eprintln!("{}", dpopd::development::banner(&settings, app.port()));
        if settings.dev_listen == dpopd::config::DevListen::AnyInterface {
            tracing::warn!(
                host = %settings.server.host,
                "development mode listens beyond loopback with the published demo secrets"
            );
        }
    }
    tracing::info!(port = app.port(), "dpopd listening");
    Ok(app.run_until_stopped().await?)
}
