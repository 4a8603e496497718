//! [`Application`]: builds [`AppState`] from settings, binds the listener and serves the route
//! table. `main` and the integration tests share this one constructor.
use crate::api;
use crate::api::service_prefix::ServiceId;
use crate::clock::UnixTime;
use crate::config::{ConfigError, Settings, StoreKind};
use crate::connection::Deadlined;
use crate::live::Reloadable;
use crate::store::durable::{DurableSettings, DurableStore};
use crate::store::memory::MemoryStore;
use crate::store::redis::{RedisOptions, RedisStore};
use crate::store::SeenStore;
use actix_http::error::DispatchError;
use actix_http::HttpService;
use actix_service::{map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{fn_service, AppConfig, Server};
use actix_web::rt::net::TcpStream;
use actix_web::{web, App};
use arc_swap::ArcSwap;
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// Everything a handler may use, shared by every worker: the configuration a reload replaces
/// (read through [`crate::live::Live`]) and what lives as long as the process.
pub struct AppState {
    live: ArcSwap<Reloadable>,
    /// The settings the process started with: what a reload cannot change is compared with
    /// them (`reload`).
    started: Settings,
    pub metrics: PrometheusHandle,
    /// `service.id`: the `serviceId` of the Authlete V3 paths (`api::service_prefix`), fixed
    /// at start like the route table it shapes.
    pub service_id: Option<ServiceId>,
}

impl AppState {
    /// The configuration serving now; a request takes it once, through `Live`.
    pub fn live(&self) -> Arc<Reloadable> {
        self.live.load_full()
    }

    pub fn started(&self) -> &Settings {
        &self.started
    }

    /// Serves `next` to every request that starts from now on.
    pub(crate) fn replace(&self, next: Reloadable) {
        self.live.store(Arc::new(next));
    }
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
        let addresses = listen_addresses(&settings)?;
        // Installed before anything records, so that what start-up registers is kept.
        let metrics = crate::telemetry::metrics_handle();
        crate::telemetry::register_metrics();
        let store = build_store(&settings).await?;
        let live = Reloadable::build(settings.clone(), store, None, UnixTime::now())?;
        let state = web::Data::new(AppState {
            live: ArcSwap::from_pointee(live),
            started: settings.clone(),
            service_id: settings.service.id.clone(),
            metrics,
        });
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let failed = |source| StartupError::Bind {
            address: address.clone(),
            source,
        };
        let listener = TcpListener::bind(&addresses[..]).map_err(failed)?;
        let port = listener.local_addr().map_err(failed)?.port();
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

/// Resolves `server.host` once and checks what it resolved to (development mode listens on
/// loopback only), before anything else starts; exactly these addresses are bound, so no
/// second lookup can name another.
fn listen_addresses(settings: &Settings) -> Result<Vec<SocketAddr>, StartupError> {
    let server = &settings.server;
    let host = server.host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = (host, server.port)
        .to_socket_addrs()
        .map_err(|source| StartupError::Bind {
            address: format!("{}:{}", server.host, server.port),
            source,
        })?
        .collect();
    crate::development::check_listen_addresses(settings, &addresses)?;
    Ok(addresses)
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
            DurableStore::register_metrics();
            Arc::new(store)
        }
        StoreKind::Memory => {
            MemoryStore::register_metrics();
            Arc::new(MemoryStore::with_owner_cap(
                s.max_entries,
                s.max_entries_per_owner,
            ))
        }
        StoreKind::Redis => {
            let options = RedisOptions::from_settings(s)?;
            let store = RedisStore::connect(&options)
                .await
                .map_err(|e| StartupError::Store(e.to_string()))?;
            RedisStore::register_metrics();
            Arc::new(store)
        }
    })
}

/// The HTTP/1.1 server: actix-web's `HttpServer`, assembled from its parts so that each
/// accepted connection is served through [`Deadlined`], which bounds what actix-http leaves
/// open on kept-alive connections (see `connection`).
fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    settings: &Settings,
) -> Result<Server, StartupError> {
    let s = settings.server.clone();
    let request_timeout = Duration::from_millis(s.client_request_timeout_ms);
    // A request's head may take `request_timeout` on a connection's first request, and its
    // body and answer `request_timeout` again (`within_deadline`): twice that is the most any
    // request a client sends in time needs, on every request of the connection.
    let answer_within = request_timeout * 2;
    let address = listener.local_addr().map_err(|source| StartupError::Bind {
        address: format!("{}:{}", s.host, s.port),
        source,
    })?;
    let builder = Server::build();
    let shutdown = builder.graceful_shutdown_signal();
    let mut builder = builder
        .max_concurrent_connections(s.max_connections)
        .shutdown_timeout(s.shutdown_grace_secs);
    if s.workers > 0 {
        builder = builder.workers(s.workers);
    }
    let max_body = s.max_body_bytes;
    let builder = builder.listen("dpopd", listener, move || {
        let state = state.clone();
        let app = App::new()
            .app_data(state)
            .app_data(api::body::BodyLimit(max_body))
            // Innermost: the path is rewritten just before routing, after the outer layers
            // have seen (and logged) it as called.
            .wrap(actix_web::middleware::from_fn(
                api::service_prefix::middleware,
            ))
            .wrap(actix_web::middleware::from_fn(move |req, next| {
                within_deadline(request_timeout, req, next)
            }))
            .wrap(actix_web::middleware::from_fn(api::request_id::middleware))
            // Outermost: a request's duration covers every layer.
            .wrap(actix_web::middleware::from_fn(
                api::request_time::middleware,
            ))
            .configure(routes)
            .into_factory()
            .map_err(|e: actix_web::Error| e.error_response());
        let shutdown = shutdown.clone();
        let http = HttpService::build()
            .graceful_shutdown_signal(move || {
                let shutdown = shutdown.clone();
                async move { shutdown.notified().await }
            })
            .keep_alive(Duration::from_secs(s.keep_alive_secs))
            .client_request_timeout(request_timeout)
            .client_disconnect_timeout(Duration::from_millis(s.client_disconnect_timeout_ms))
            .local_addr(address)
            // dpopd reads neither the host nor the address of the application configuration.
            .h1(map_config(app, |_| AppConfig::default()));
        fn_service(move |io: TcpStream| {
            let peer = io.peer_addr().ok();
            std::future::ready(Ok::<_, DispatchError>((
                Deadlined::new(io, answer_within),
                peer,
            )))
        })
        .and_then(http)
    });
    let server = builder
        .map_err(|source| StartupError::Bind {
            address: address.to_string(),
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

/// The route table, in the order of `openapi.yaml`. Every route registered under `/api/` is
/// also served under the Authlete V3 prefix `/api/{serviceId}/` by `api::service_prefix`,
/// which rewrites the path before routing: nothing is registered twice here.
pub fn routes(cfg: &mut web::ServiceConfig) {
    api::token::routes(cfg);
    api::token_create::routes(cfg);
    api::token_revoke::routes(cfg);
    api::authorization::routes(cfg);
    api::par::routes(cfg);
    api::revocation::routes(cfg);
    api::introspection::routes(cfg);
    api::introspection_standard::routes(cfg);
    api::userinfo::routes(cfg);
    api::dpop_explain::routes(cfg);
    api::gateway::routes(cfg);
    api::service::routes(cfg);
}
