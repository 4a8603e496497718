//! The `dpopd` command: with no subcommand, configuration → telemetry → application, which
//! reloads its configuration file on `SIGHUP`; `keygen` prints new keys for configuration;
//! `proof` mints a DPoP proof and `explain` checks one (src/tools). `dpopd --help` lists
//! everything.
use clap::{Parser, Subcommand};
use dpopd::clock::UnixTime;
use dpopd::config::{ConfigError, Settings};
use dpopd::jose::Alg;
use dpopd::keygen::KeygenError;
use dpopd::startup::{Application, StartupError};
use dpopd::tools::command::{self, ExplainArgs, ProofArgs};
use dpopd::tools::ToolError;
use std::path::PathBuf;

/// The system's allocator unless a cargo feature chooses mimalloc or jemalloc or counts the
/// allocations (src/heap.rs); the default build declares none and gets the same one.
#[cfg(any(feature = "mimalloc", feature = "jemalloc", feature = "alloc-count"))]
#[global_allocator]
static HEAP: dpopd::heap::Global = dpopd::heap::GLOBAL;

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
    Proof(ProofArgs),
    /// Run every RFC 9449 §4.3 check on a proof and print each verdict with what was expected
    /// and received. Exit status: 0 accepted, 3 refused, 1 error.
    Explain(ExplainArgs),
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

fn main() -> std::process::ExitCode {
    // Before the runtime starts any thread (src/heap.rs).
    dpopd::heap::limit_arenas();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("dpopd: async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(run_main())
}

async fn run_main() -> std::process::ExitCode {
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
        Some(Command::Proof(args)) => {
            print!("{}", command::proof(args, UnixTime::now())?);
            Ok(())
        }
        Some(Command::Explain(args)) => {
            let (text, accepted) = command::explain(args, UnixTime::now()).await?;
            print!("{text}");
            match accepted {
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
    // Before the port is announced: whoever waits for it may send SIGHUP at once.
    dpopd::reload::on_hangup(file, app.state())?;
    dpopd::heap::give_back_periodically()?;
    tracing::info!(port = app.port(), "dpopd listening");
    Ok(app.run_until_stopped().await?)
}
