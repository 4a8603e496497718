//! One bounded fetch of a JWK Set: `GET jwks_uri`, no redirect followed, the connection and
//! the whole exchange under timeouts, only a `200` with a JSON body of bounded size, and the
//! `Cache-Control: max-age` (RFC 9111 §5.2.2.1) that says when to fetch again.
use super::settings::{JwksSettings, JwksUri};
use crate::jose::jwks::{JwkSet, JwksError};
use reqwest::header::{HeaderMap, ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use reqwest::StatusCode;

/// A set as fetched, with the answer's `max-age` if it had one.
pub(super) struct Fetched {
    pub set: JwkSet,
    pub max_age: Option<u64>,
}

/// Why a fetch brought no set; [`outcome`](Self::outcome) is its metric label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No answer: DNS, connection refused, TLS failure, connection closed early.
    #[error("could not reach the server")]
    Unreachable,
    #[error("no complete answer within the timeout")]
    Timeout,
    /// Anything but `200`, redirects included: a `jwks_uri` is configured as its final URL.
    #[error("answered HTTP status {0}")]
    Status(u16),
    #[error("answer is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// RFC 7517 §8.5.1: `application/jwk-set+json`; `application/json` and other `+json`
    /// types are accepted too, an HTML error page is not.
    #[error("answer is not JSON")]
    NotJson,
    #[error("answer is not a usable JWK Set: {0}")]
    Invalid(JwksError),
}

impl FetchError {
    /// Every `outcome` label of `dpopd_jwks_fetches_total`: `ok` and each refusal's
    /// [`outcome`](Self::outcome), registered at zero for each remote source.
    pub const OUTCOMES: [&'static str; 6] = [
        "ok",
        "unreachable",
        "timeout",
        "http_error",
        "too_large",
        "invalid",
    ];

    /// The `outcome` label of `dpopd_jwks_fetches_total`.
    pub fn outcome(&self) -> &'static str {
        match self {
            FetchError::Unreachable => "unreachable",
            FetchError::Timeout => "timeout",
            FetchError::Status(_) => "http_error",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::NotJson | FetchError::Invalid(_) => "invalid",
        }
    }
}

/// The HTTP client every source shares: rustls with the system's roots, HTTP/1.1, no
/// redirects, no idle connections kept (a fetch every few minutes gains nothing from a pool,
/// and a pooled connection would belong to the runtime that opened it).
pub(super) fn client(settings: &JwksSettings) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(settings.connect_timeout())
        .timeout(settings.timeout())
        .pool_max_idle_per_host(0)
        .user_agent(concat!("dpopd/", env!("CARGO_PKG_VERSION")))
        .build()
}

pub(super) async fn fetch(
    client: &reqwest::Client,
    uri: &JwksUri,
    settings: &JwksSettings,
) -> Result<Fetched, FetchError> {
    let mut answer = client
        .get(uri.url().clone())
        .header(ACCEPT, "application/jwk-set+json, application/json")
        .send()
        .await
        .map_err(transport)?;
    if answer.status() != StatusCode::OK {
        return Err(FetchError::Status(answer.status().as_u16()));
    }
    if !is_json(answer.headers()) {
        return Err(FetchError::NotJson);
    }
    let limit = settings.max_body_bytes;
    if answer
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(FetchError::TooLarge { limit });
    }
    let max_age = max_age(answer.headers());
    let mut body = Vec::new();
    // Read chunk by chunk so that an answer without a length stops at the limit.
    while let Some(chunk) = answer.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    let set = JwkSet::parse(&body, &settings.limits()).map_err(FetchError::Invalid)?;
    Ok(Fetched { set, max_age })
}

fn transport(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Unreachable
    }
}

/// A JSON media type, or none given. Parameters (`; charset=utf-8`) are ignored.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5
                && subtype
                    .get(subtype.len() - 5..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case("+json")))
}

/// RFC 9111 §5.2.2.1 `max-age`, or 0 for `no-cache` / `no-store` (fetch as often as allowed).
/// Directive names are case-insensitive; an unreadable value counts as absent.
pub(super) fn max_age(headers: &HeaderMap) -> Option<u64> {
    let mut found = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let (name, arg) = match directive.split_once('=') {
                Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                return Some(0);
            }
            if name.eq_ignore_ascii_case("max-age") {
                found = arg.and_then(|secs| secs.parse::<u64>().ok());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests;
