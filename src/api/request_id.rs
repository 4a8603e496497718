//! A request id on every log line: each request runs inside a tracing span carrying the id
//! the caller sent in `X-Request-Id` (sanitised, at most 64 characters) or a new one, and the
//! id is echoed in the answer so the caller can correlate its logs with dpopd's.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use tracing::Instrument;

const HEADER: HeaderName = HeaderName::from_static("x-request-id");
const MAX_LEN: usize = 64;

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(req.headers().get(&HEADER).and_then(|v| v.to_str().ok()));
    let span = tracing::info_span!("request", request_id = %id, path = %req.path());
    let mut response = next.call(req).instrument(span).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}

/// The id of a request whose `X-Request-Id` is `sent`: that value when it is acceptable, else a
/// new one.
pub fn request_id(sent: Option<&str>) -> String {
    sent.filter(|v| {
        !v.is_empty()
            && v.len() <= MAX_LEN
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    })
    .map(str::to_owned)
    .unwrap_or_else(new_id)
}

/// A process-unique id: a random prefix chosen at start and a counter (no syscall per request).
fn new_id() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix =
        PREFIX.get_or_init(|| crate::jose::b64::encode(&crate::jose::secrets::random_bytes::<6>()));
    format!("{prefix}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}
