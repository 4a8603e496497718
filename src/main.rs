//! `dpopd [--config FILE]`: configuration → telemetry → application.
//! `dpopd keygen [--alg ALG] [--kid KID]`: prints new keys for configuration.
use dpopd::config::Settings;
use dpopd::startup::Application;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dpopd: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file =
        match args.as_slice() {
            [command, rest @ ..] if command == "keygen" => {
                print!("{}", dpopd::keygen::run(rest).map_err(|e| e.to_string())?);
                return Ok(());
            }
            [] => std::env::var_os("DPOPD_CONFIG").map(PathBuf::from),
            [flag, path] if flag == "--config" => Some(PathBuf::from(path)),
            _ => return Err(
                "usage: dpopd [--config FILE] | dpopd keygen [--alg ES256|ES384|EdDSA] [--kid KID]"
                    .into(),
            ),
        };
    let mut settings = Settings::load(file.as_deref()).map_err(|e| e.to_string())?;
    dpopd::telemetry::init_logging(&settings.log);
    if settings.development {
        dpopd::development::add_demo_credentials(&mut settings);
    }
    let app = Application::build(settings.clone())
        .await
        .map_err(|e| e.to_string())?;
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
    app.run_until_stopped().await.map_err(|e| e.to_string())
}
