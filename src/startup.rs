//! [`Application`]: builds [`AppState`] from settings, binds the listener and serves the route
//! table. `main` and the integration tests share this one constructor.
use crate::api::{self, caller::Callers};
use crate::config::{ConfigError, Settings, StoreKind};
use crate::oauth::Core;
use crate::store::durable::{DurableSettings, DurableStore};
use crate::store::{memory::MemoryStore, redis::RedisStore, SeenStore};
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// Everything a handler may use; built once, shared read-only by every worker.
pub struct AppState {
    pub core: Core,
    pub callers: Callers,
    pub metrics: PrometheusHandle,
    pub jwks_json: String,
    pub configuration_json: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("store: {0}")]
    Store(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    state: web::Data<AppState>,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let store = build_store(&settings).await?;
        let core = Core::from_settings(&settings, store)?;
        let configuration_json = api::service::configuration_document(&core, &settings).to_string();
        let state = web::Data::new(AppState {
            jwks_json: core.keys.jwks().to_string(),
            configuration_json,
            callers: Callers::from_settings(&settings.callers)?,
            metrics: crate::telemetry::metrics_handle(),
            core,
        });
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?
            .port();
        let server = serve(listener, state.clone(), &settings)?;
        Ok(Application {
            port,
            state,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn build_store(settings: &Settings) -> Result<Arc<dyn SeenStore>, StartupError> {
    let s = &settings.store;
    Ok(match s.kind {
        StoreKind::Durable => {
            let durable = DurableSettings {
                data_dir: s.data_dir_or_default(settings.development),
                max_entries: s.max_entries,
                max_entries_per_owner: s.max_entries_per_owner,
                replay_sync: Duration::from_millis(s.replay_sync_ms),
            };
            // Reading the files back is start-up work: nothing is served before it is done.
            let store = tokio::task::spawn_blocking(move || DurableStore::open(&durable))
                .await
                .map_err(|e| StartupError::Store(e.to_string()))?
                .map_err(|e| StartupError::Store(format!("durable store: {e}")))?;
            Arc::new(store)
        }
        StoreKind::Memory => Arc::new(MemoryStore::with_owner_cap(
            s.max_entries,
            s.max_entries_per_owner,
        )),
        StoreKind::Redis => {
            let timeout = Duration::from_millis(s.timeout_ms);
            let store = RedisStore::connect(s.redis_url.expose(), &s.redis_prefix, timeout)
                .await
                .map_err(|e| StartupError::Store(e.to_string()))?;
            Arc::new(store)
        }
    })
}

fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    settings: &Settings,
) -> Result<Server, StartupError> {
    let s = &settings.server;
    let max_body = s.max_body_bytes;
    let deadline = Duration::from_millis(s.client_request_timeout_ms);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(api::json_config(max_body))
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                within_deadline(deadline, req, next)
            }))
            .wrap(actix_web::middleware::from_fn(api::request_id::middleware))
            .configure(routes)
    })
    .keep_alive(Duration::from_secs(s.keep_alive_secs))
    .client_request_timeout(Duration::from_millis(s.client_request_timeout_ms))
    .client_disconnect_timeout(Duration::from_millis(s.client_disconnect_timeout_ms))
    .max_connections(s.max_connections)
    .shutdown_timeout(s.shutdown_grace_secs);
    if s.workers > 0 {
        server = server.workers(s.workers);
    }
    let server = server
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            address: format!("{}:{}", s.host, s.port),
            source,
        })?
        .run();
    Ok(server)
}

/// Bounds the time from a parsed request head to the answer, body included, by
/// `client_request_timeout_ms` (handlers themselves take milliseconds): actix-web's own timeout
/// covers the head of a connection's first request only, so a client sending its body a byte at
/// a time could otherwise hold the connection as long as it liked. Answers 408 and closes.
async fn within_deadline(
    deadline: Duration,
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    match tokio::time::timeout(deadline, next.call(req)).await {
        Ok(response) => response,
        Err(_elapsed) => {
            let timeout = actix_web::HttpResponse::RequestTimeout()
                .insert_header(("Connection", "close"))
                .finish();
            Err(actix_web::error::InternalError::from_response(
                "request not received in time",
                timeout,
            )
            .into())
        }
    }
}

/// The route table, in the order of `openapi.yaml`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    api::token::routes(cfg);
    api::token_create::routes(cfg);
    api::authorization::routes(cfg);
    api::par::routes(cfg);
    api::revocation::routes(cfg);
    api::introspection::routes(cfg);
    api::introspection_standard::routes(cfg);
    api::userinfo::routes(cfg);
    api::service::routes(cfg);
}
