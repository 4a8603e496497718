//! dpopd's `GET /healthz`, `POST /auth/token` and `POST /auth/introspection` served by hyper 1
//! directly, on one thread, to measure what actix-web costs a request (`scripts/bench.sh hyper`,
//! docs/performance.md, "The HTTP stack: actix-web against hyper 1"). Not a server to deploy.
//!
//! ```sh
//! hyper_server --config FILE [--lifetime-secs 3600]
//! ```
//!
//! It reads dpopd's configuration file (memory store only) and answers those routes with the
//! bytes dpopd answers: the caller check of `api::caller`, the JSON body limits and refusals of
//! `api::body::ApiJson` (and actix-http's `Connection: close` when a refusal leaves the body
//! unread), and the endpoints' own functions (`api::token::token_answer`,
//! `api::introspection::introspection_answer`). Like dpopd's middlewares it runs each request
//! in a span with its request id, echoes `X-Request-Id` and answers 408 past
//! `client_request_timeout_ms`; it has no `/api/{serviceId}/` prefix and no connection limit.
//! It runs on a current-thread tokio runtime, as one actix worker does, and stops by itself
//! after `--lifetime-secs`. `scripts/bench.sh hyper` checks that both answer alike.
use arc_swap::ArcSwap;
use dpopd::api::body::parse_body;
use dpopd::api::caller::{AsCaller, RsCaller};
use dpopd::api::introspection::{introspection_answer, IntrospectionRequest};
use dpopd::api::request_id::request_id;
use dpopd::api::result_code::ResultCode;
use dpopd::api::token::{token_answer, TokenRequest};
use dpopd::api::ApiError;
use dpopd::clock::UnixTime;
use dpopd::config::{Settings, StoreKind};
use dpopd::live::Reloadable;
use dpopd::store::memory::MemoryStore;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

type Answer = Response<Full<Bytes>>;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every request reads: the configuration (taken once per request, as `Live` does) and
/// the limits of `[server]`.
struct Shared {
    live: ArcSwap<Reloadable>,
    max_body: usize,
    deadline: Duration,
}

fn main() -> std::process::ExitCode {
    let (config, lifetime) = match arguments() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!(
                "hyper_server: {message}\nusage: hyper_server --config FILE [--lifetime-secs N]"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let local = tokio::task::LocalSet::new();
    match local.block_on(&runtime, serve(config, lifetime)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hyper_server: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn arguments() -> Result<(PathBuf, Duration), String> {
    let mut config = None;
    let mut lifetime = Duration::from_secs(3600);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--config" => config = Some(PathBuf::from(value)),
            "--lifetime-secs" => {
                lifetime = Duration::from_secs(value.parse().map_err(|e| format!("{arg}: {e}"))?)
            }
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    Ok((config.ok_or("--config is required")?, lifetime))
}

async fn serve(config: PathBuf, lifetime: Duration) -> Result<(), String> {
    let settings = Settings::load(Some(&config)).map_err(|e| e.to_string())?;
    dpopd::telemetry::init_logging(&settings.log);
    // The recorder dpopd installs, so that each counter costs here what it costs there.
    let _metrics = dpopd::telemetry::metrics_handle();
    if settings.store.kind != StoreKind::Memory {
        return Err("only the memory store is served here".into());
    }
    let store = Arc::new(MemoryStore::with_owner_cap(
        settings.store.max_entries,
        settings.store.max_entries_per_owner,
    ));
    let server = settings.server.clone();
    let live =
        Reloadable::build(settings, store, None, UnixTime::now()).map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        live: ArcSwap::from_pointee(live),
        max_body: server.max_body_bytes,
        deadline: Duration::from_millis(server.client_request_timeout_ms),
    });
    let listener = tokio::net::TcpListener::bind((server.host.as_str(), server.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", server.host, server.port))?;
    let stop = tokio::time::sleep(lifetime);
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            () = &mut stop => return Ok(()),
        };
        let shared = shared.clone();
        let deadline = shared.deadline;
        let service = service_fn(move |req| handle(shared.clone(), req));
        tokio::task::spawn_local(async move {
            // The connection's end, clean or not, is nothing to report here.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(deadline)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// dpopd's two middlewares around the route: the request id span and echo
/// (`api::request_id`) outside the deadline (`startup::within_deadline`).
async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Answer, Infallible> {
    let id = request_id(req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()));
    let span = tracing::info_span!("request", request_id = %id, path = %req.uri().path());
    let answer = tokio::time::timeout(shared.deadline, route(&shared, req))
        .instrument(span)
        .await;
    let mut answer = answer.unwrap_or_else(|_elapsed| {
        let mut timeout = status_only(StatusCode::REQUEST_TIMEOUT);
        timeout
            .headers_mut()
            .insert("connection", HeaderValue::from_static("close"));
        timeout
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        answer.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(answer)
}

async fn route(shared: &Shared, req: Request<Incoming>) -> Answer {
    let answer = match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => Ok(json(
            serde_json::json!({ "status": "ok" }).to_string().into(),
        )),
        (&Method::POST, "/auth/token" | "/api/auth/token") => token(shared, req).await,
        (&Method::POST, "/auth/introspection" | "/api/auth/introspection") => {
            introspection(shared, req).await
        }
        _ => return status_only(StatusCode::NOT_FOUND),
    };
    match answer {
        Ok(answer) => answer,
        Err(refused) => refusal(&refused).await,
    }
}

/// An [`ApiError`], and whether it came before the request's body was read to its end: then
/// actix-http closes the connection after the answer (`Connection: close`), and so does this.
struct Refused {
    error: ApiError,
    body_unread: bool,
}

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Refused {
        Refused {
            error,
            body_unread: false,
        }
    }
}

fn unread(error: ApiError) -> Refused {
    Refused {
        error,
        body_unread: true,
    }
}

/// In the order of the actix handler's extractors: caller, configuration, body.
async fn token(shared: &Shared, req: Request<Incoming>) -> Result<Answer, Refused> {
    let live = shared.live.load_full();
    AsCaller::check(&live.callers, authorization(&req)).map_err(unread)?;
    let body: TokenRequest = json_body(req, shared.max_body).await?;
    Ok(json(token_answer(&live, body).await?.into()))
}

async fn introspection(shared: &Shared, req: Request<Incoming>) -> Result<Answer, Refused> {
    let live = shared.live.load_full();
    let caller = RsCaller::check(&live.callers, authorization(&req)).map_err(unread)?;
    let body: IntrospectionRequest = json_body(req, shared.max_body).await?;
    let answer = introspection_answer(&live, caller.0, body).await?;
    Ok(json(answer.to_json().into()))
}

fn authorization(req: &Request<Incoming>) -> Option<&str> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
}

/// The body as `api::body::ApiJson` takes it (any content type): at most `limit` bytes, 413
/// before reading when `Content-Length` says more, then `api::body::parse_body`.
async fn json_body<T: DeserializeOwned>(
    req: Request<Incoming>,
    limit: usize,
) -> Result<T, Refused> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(unread(ApiError::new(ResultCode::BodyTooLarge)));
    }
    let bytes = match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return Err(unread(ApiError::new(ResultCode::BodyTooLarge)))
        }
        Err(_) => return Err(unread(ApiError::new(ResultCode::MalformedRequest))),
    };
    Ok(parse_body(&bytes)?)
}

fn json(body: Bytes) -> Answer {
    let mut answer = Response::new(Full::new(body));
    answer
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}

fn status_only(status: StatusCode) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::new()));
    *answer.status_mut() = status;
    answer
}

/// dpopd's own answer to the refusal (`ApiError`'s `ResponseError`), status, headers and body,
/// carried over from actix-web's types: refusals are not what this server measures.
async fn refusal(refused: &Refused) -> Answer {
    use actix_web::ResponseError;
    let actix = refused.error.error_response();
    let mut answer = status_only(
        StatusCode::from_u16(actix.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    let headers = answer.headers_mut();
    if refused.body_unread {
        headers.insert("connection", HeaderValue::from_static("close"));
    }
    for (name, value) in actix.headers() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    if let Ok(body) = actix_web::body::to_bytes(actix.into_body()).await {
        *answer.body_mut() = Full::new(body);
    }
    answer
}
