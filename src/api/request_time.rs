//! `dpopd_request_duration_seconds{api}` (docs/operations.md, "Metrics"): the wall time from a
//! request entering dpopd's service stack to its answer being ready, before it is written.
//! Each route of an API carries its [`Api`] as resource data (`route`), so the label is the one
//! `dpopd_requests_total` counts the call under, whatever the answer — an [`super::ApiError`]
//! included. Every other request (discovery and JWKS documents, health, readiness, metrics, an
//! unmatched path, a 408 from `startup::within_deadline`) is `api="other"`: the label set is
//! the APIs and one more, never a path.
use super::answer::Api;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Resource;
use std::time::Instant;

pub const METRIC: &str = "dpopd_request_duration_seconds";

/// The label of every request no API answers.
pub const OTHER: &str = "other";

/// Answers take from a tenth of a millisecond (a refusal before any signature check) to tens
/// (a store round trip); the top buckets catch a stalled store or a slow client's body.
pub const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The resource for `path`, answered by `api`.
pub fn route(path: &str, api: Api) -> Resource {
    actix_web::web::resource(path).app_data(api)
}

/// The outermost layer: times everything inside it, the other middleware included. The
/// histograms are `telemetry::series`' (one per label, no look-up per request).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let result = next.call(req).await;
    // Resource data stays on the request once routed to it.
    let api = match &result {
        Ok(response) => response.request().app_data::<Api>().copied(),
        Err(_) => None,
    };
    crate::telemetry::series()
        .duration(api)
        .record(started.elapsed().as_secs_f64());
    result
}

#[cfg(test)]
mod tests;
