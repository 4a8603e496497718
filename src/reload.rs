//! Reload without restart (docs/configuration.md, "Reload"): on `SIGHUP` dpopd loads its
//! configuration file again — defaults, file, environment, checked as at start — builds the
//! whole new configuration and swaps it in for the requests that start afterwards. A file that
//! does not load or check changes nothing. Settings bound at start (listener, HTTP server,
//! store, logging) keep their values; each one the file changed is logged as ignored until
//! restart. `dpopd_config_reloads_total{outcome}` counts `applied` and `rejected` reloads.
use crate::clock::UnixTime;
use crate::config::{ConfigError, LogSettings, ServerSettings, Settings, StoreSettings};
use crate::live::Reloadable;
use crate::startup::AppState;
use actix_web::web;
use std::path::PathBuf;
use std::sync::Arc;

/// The counter of reloads, by `outcome`.
pub const RELOADS_METRIC: &str = "dpopd_config_reloads_total";

/// What an applied reload did, for its log line.
#[derive(Debug, PartialEq, Eq)]
pub struct Applied {
    /// The keys of settings bound at start whose value the file changed.
    pub ignored: Vec<&'static str>,
    /// The `kid` of the key that signs from now on.
    pub signing_kid: String,
    pub clients: usize,
    pub callers: usize,
}

/// Swaps in the configuration of `settings` (loaded and checked) at `now`, on the store the
/// process started with. Nothing changes if it cannot be built (a key file that does not read,
/// a key that does not parse): the error names the key.
pub fn apply(state: &AppState, settings: Settings, now: UnixTime) -> Result<Applied, ConfigError> {
    let current = state.live();
    let store = Arc::clone(&current.core.store);
    let next = Reloadable::build(settings, store, Some(&current), now)?;
    let applied = Applied {
        ignored: restart_bound_changes(state.started(), &next.settings),
        signing_kid: next.core.keys.active().kid().to_owned(),
        clients: next.settings.clients.len(),
        callers: next.settings.callers.len(),
    };
    state.replace(next);
    Ok(applied)
}

/// The keys of the settings bound at start whose value differs between `started` and `loaded`.
pub fn restart_bound_changes(started: &Settings, loaded: &Settings) -> Vec<&'static str> {
    // Taken apart in full, so that a new setting cannot be added without deciding whether a
    // reload changes it: every section below is read only at start.
    let Settings {
        server,
        store,
        log,
        service,
        dpop: _,
        tokens: _,
        keys: _,
        jwks: _,
        gateway: _,
        callers: _,
        clients: _,
        issuers: _,
        development: _,
        dev_listen: _,
    } = loaded;
    let mut changed = Vec::new();
    macro_rules! compare {
        ($section:ident: $ty:ident { $($field:ident),* $(,)? }) => {{
            let $ty { $($field),* } = $section;
            $(if *$field != started.$section.$field {
                changed.push(concat!(stringify!($section), ".", stringify!($field)));
            })*
        }};
    }
    compare!(server: ServerSettings {
        host,
        port,
        workers,
        max_body_bytes,
        keep_alive_secs,
        client_request_timeout_ms,
        client_disconnect_timeout_ms,
        max_connections,
        shutdown_grace_secs,
    });
    compare!(store: StoreSettings {
        kind,
        max_entries,
        max_entries_per_owner,
        data_dir,
        replay_sync_ms,
        redis_url,
        redis_prefix,
        timeout_ms,
        redis_mode,
        redis_urls,
        redis_sentinel_master,
        redis_sentinel_username,
        redis_sentinel_password,
        redis_tls_ca_file,
        redis_tls_cert_file,
        redis_tls_key_file,
        redis_wait_replicas,
    });
    compare!(log: LogSettings { format, level });
    // `service.id` shapes the Authlete V3 paths, fixed at start; the rest of `[service]`
    // reloads.
    if service.id != started.service.id {
        changed.push("service.id");
    }
    changed
}

/// How a reload ended: the `outcome` label of [`RELOADS_METRIC`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The new configuration serves the requests that start from now on.
    Applied,
    /// The file did not load, check or build: the configuration in use is unchanged.
    Rejected,
}

impl Outcome {
    pub const ALL: [Outcome; 2] = [Outcome::Applied, Outcome::Rejected];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Rejected => "rejected",
        }
    }
}

/// One reload of `file`: loads, applies, logs and counts it.
pub async fn reload_file(state: web::Data<AppState>, file: PathBuf) -> Outcome {
    let loaded = tokio::task::spawn_blocking(move || {
        let settings = Settings::load(Some(&file))?;
        apply(&state, settings, UnixTime::now())
    })
    .await;
    let outcome = match loaded {
        Ok(Ok(applied)) => {
            for key in &applied.ignored {
                tracing::warn!(
                    setting = key,
                    "ignored until restart: a setting read only at start changed"
                );
            }
            tracing::info!(
                signing_kid = applied.signing_kid,
                clients = applied.clients,
                callers = applied.callers,
                ignored = applied.ignored.len(),
                "configuration reloaded; new requests use it"
            );
            Outcome::Applied
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "configuration reload rejected; the configuration in use is unchanged");
            Outcome::Rejected
        }
        Err(error) => {
            tracing::error!(%error, "configuration reload failed; the configuration in use is unchanged");
            Outcome::Rejected
        }
    };
    metrics::counter!(RELOADS_METRIC, "outcome" => outcome.label()).increment(1);
    outcome
}

/// Reloads `file` on each `SIGHUP` from now on; with no file (development mode) a `SIGHUP` is
/// only logged. The handler is in place when this returns, so a `SIGHUP` sent afterwards never
/// takes the default action of ending the process.
#[cfg(unix)]
pub fn on_hangup(file: Option<PathBuf>, state: web::Data<AppState>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = signal(SignalKind::hangup())?;
    // Both series exist from the start, so that a dashboard sees 0 rather than nothing.
    for outcome in Outcome::ALL {
        metrics::counter!(RELOADS_METRIC, "outcome" => outcome.label()).increment(0);
    }
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match &file {
                Some(path) => {
                    tracing::info!(file = %path.display(), "SIGHUP: reloading the configuration");
                    reload_file(state.clone(), path.clone()).await;
                }
                None => tracing::info!(
                    "SIGHUP: development mode has no configuration file, nothing to reload"
                ),
            }
        }
    });
    Ok(())
}

/// Only Unix has `SIGHUP`; elsewhere a restart applies a new configuration.
#[cfg(not(unix))]
pub fn on_hangup(_file: Option<PathBuf>, _state: web::Data<AppState>) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
