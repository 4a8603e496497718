//! Gateway mode (docs/gateway.md): the authorization sub-request of an API gateway, answered
//! with the status and headers the gateway acts on. nginx `auth_request`, Caddy `forward_auth`,
//! Traefik `forwardAuth` and Envoy `ext_authz` (HTTP service) each forward the client's
//! `Authorization` and `DPoP` headers and say which request they stand for in their own way;
//! dpopd rebuilds the method and URL of that request (the proof's `htm` and `htu`) from the
//! route's configured origin — or, only when the route trusts them, the forwarded headers — and
//! makes the decision `/auth/introspection` makes (RFC 6750 §3, RFC 9449 §7):
//!
//! - accepted: `200`, with the token's subject, client id, scopes, `jkt` and issuer in headers
//!   the gateway copies onto the request it passes upstream;
//! - refused: `401` or `403` (`400` for `invalid_request`, except to nginx, which only relays
//!   `401` and `403`) with the `WWW-Authenticate` and `DPoP-Nonce` the gateway copies to the
//!   client.
//!
//! The sub-request authenticates the gateway as a caller with role `rs`, in a header of its own
//! (`gateway.caller_header`), since `Authorization` carries the client's token.
pub mod settings;

use super::action::Action;
use super::answer::{refuse, Api, Body, Refusal, Refuse};
use super::caller::RsCaller;
use super::introspection::{answer, IntrospectionResponse};
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::dpop::htu::Htu;
use crate::dpop::input::{DpopInput, ProofInput};
use crate::live::Live;
use crate::oauth::introspection::{self, IntrospectionCall};
use crate::oauth::tokens::TokenType;
use actix_web::http::header::{HeaderMap, HeaderName, CACHE_CONTROL, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use settings::{Gateway, Route};

/// How a gateway says which request it asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// nginx `auth_request`: `X-Original-Method` and `X-Original-URI`, set by its configuration.
    Nginx,
    /// Caddy `forward_auth`, Traefik `forwardAuth`: `X-Forwarded-Method` and `X-Forwarded-Uri`.
    ForwardAuth,
    /// Envoy `ext_authz` (HTTP service): the sub-request has the original method, and the
    /// original path after the route's prefix.
    Envoy,
}

/// The client's request as the gateway described it.
struct Original {
    method: String,
    /// Path and query.
    uri: String,
}

/// What the client sent that the gateway itself refuses before any token check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum Presentation {
    /// RFC 6750 §2.1 and RFC 9449 §7.1 allow one `Authorization` header with one credential.
    #[error("more than one Authorization header, or one with more than one credential")]
    SeveralAuthorizations,
}

impl Refuse for Presentation {
    fn refusal(&self) -> Refusal {
        match self {
            Presentation::SeveralAuthorizations => Refusal::new(
                Action::BadRequest,
                R::GatewaySeveralAuthorizations,
                "invalid_request",
                "Send one Authorization header with one access token.",
            ),
        }
    }
}

pub async fn nginx(
    req: HttpRequest,
    live: Live,
    route: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let original = Original {
        method: required(&req, "x-original-method")?,
        uri: required(&req, "x-original-uri")?,
    };
    check(&req, &live, &route, Protocol::Nginx, original).await
}

pub async fn forward_auth(
    req: HttpRequest,
    live: Live,
    route: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let original = Original {
        method: required(&req, "x-forwarded-method")?,
        uri: required(&req, "x-forwarded-uri")?,
    };
    check(&req, &live, &route, Protocol::ForwardAuth, original).await
}

pub async fn envoy(
    req: HttpRequest,
    live: Live,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (route, tail) = path.into_inner();
    let mut uri = format!("/{tail}");
    if !req.query_string().is_empty() {
        uri.push('?');
        uri.push_str(req.query_string());
    }
    let original = Original {
        method: req.method().as_str().to_owned(),
        uri,
    };
    check(&req, &live, &route, Protocol::Envoy, original).await
}

async fn check(
    req: &HttpRequest,
    live: &Live,
    route: &str,
    protocol: Protocol,
    original: Original,
) -> Result<HttpResponse, ApiError> {
    let gateway = &live.gateway;
    let caller = one(req.headers(), &gateway.caller_header)?;
    // Authenticated with role `rs`; nothing else of the caller shapes a gateway's answer.
    RsCaller::from_header(req, caller.as_deref())?;
    let route = gateway.route(route).ok_or_else(|| {
        ApiError::with_detail(
            R::GatewayRouteUnknown,
            "no [[gateway.routes]] has this name",
        )
    })?;
    let htu = htu(req.headers(), route, &original.uri)?;
    let now = UnixTime::now();
    let headers = req.headers();
    let (token, scheme) = match authorization(headers) {
        Ok(presented) => presented,
        Err(refusal) => {
            let head = refuse(Api::Gateway, &refusal, challenge(live, route));
            let response = IntrospectionResponse::refused(head);
            return Ok(respond(gateway, protocol, &response));
        }
    };
    let mut dpop = dpop_input(headers, original.method, htu);
    dpop.nonce_required = route.nonce_required;
    let call = IntrospectionCall {
        token: token.as_deref(),
        scopes: &route.scopes,
        subject: None,
        resources: &[],
        scheme,
        dpop,
        dpop_required: route.dpop_required,
        thumbprint: None,
    };
    let outcome = introspection::introspect(&live.core, &call, now).await;
    let response = answer(outcome, Api::Gateway, live.core.service_algs, now);
    Ok(respond(gateway, protocol, &response))
}

/// The challenge of a refusal made before the token is looked at: the route's scheme.
fn challenge<'a>(live: &Live, route: &Route) -> Body<'a> {
    Body::Challenge {
        scheme: TokenType::DPoP,
        bearer: !route.dpop_required,
        algs: live.core.service_algs,
        scope: None,
    }
}

/// The gateway's answer to its sub-request.
fn respond(
    gateway: &Gateway,
    protocol: Protocol,
    response: &IntrospectionResponse,
) -> HttpResponse {
    let head = &response.head;
    let status = match head.action.http_status() {
        // nginx treats every status but 2xx, 401 and 403 as its own failure (500).
        400 if protocol == Protocol::Nginx => 401,
        status => status,
    };
    let mut builder =
        HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED));
    builder.insert_header((CACHE_CONTROL, "no-store"));
    builder.insert_header(("dpopd-result-code", head.result_code));
    if let Some(nonce) = &head.dpop_nonce {
        builder.insert_header(("dpop-nonce", nonce.as_str()));
    }
    if head.action == Action::Ok {
        let fields = [
            (&gateway.subject_header, response.subject.clone()),
            (&gateway.client_id_header, response.client_id.clone()),
            (
                &gateway.scopes_header,
                response.scopes.as_ref().map(|s| s.join(" ")),
            ),
            (&gateway.jkt_header, response.jkt.clone()),
            (&gateway.issuer_header, response.issuer.clone()),
        ];
        for (name, value) in fields {
            if let Some(value) = value.filter(|v| header_safe(v)) {
                builder.insert_header((name.clone(), value));
            }
        }
        return builder.finish();
    }
    if let Some(challenge) = &head.response_content {
        builder.insert_header((WWW_AUTHENTICATE, challenge.as_str()));
    }
    if status == 400 {
        // RFC 6750 §3.1: the error is in the challenge; the body repeats it for gateways that
        // relay bodies (Caddy, Traefik).
        return builder.json(serde_json::json!({ "error": "invalid_request" }));
    }
    builder.finish()
}

/// A value that can go into a header as it is: visible ASCII and spaces (a subject or client id
/// with anything else is left out rather than mangled).
fn header_safe(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// The one value of `name`, if present; several are the gateway's mistake.
fn one(headers: &HeaderMap, name: &HeaderName) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::with_detail(
            R::GatewayRequestIncomplete,
            format!("the sub-request has more than one {name} header"),
        ));
    }
    let text = first.to_str().map_err(|_| {
        ApiError::with_detail(
            R::GatewayRequestIncomplete,
            format!("the {name} header is not visible ASCII"),
        )
    })?;
    Ok(Some(text.to_owned()))
}

fn required(req: &HttpRequest, name: &'static str) -> Result<String, ApiError> {
    one(req.headers(), &HeaderName::from_static(name))?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::with_detail(
                R::GatewayRequestIncomplete,
                format!("the gateway did not send {name}"),
            )
        })
}

/// The URL the client called: the route's origin, or the forwarded one, and the original path.
fn htu(headers: &HeaderMap, route: &Route, uri: &str) -> Result<Htu, ApiError> {
    if !uri.starts_with('/') {
        return Err(ApiError::with_detail(
            R::GatewayRequestIncomplete,
            "the original URI is not an absolute path",
        ));
    }
    let origin = match &route.origin {
        Some(origin) => origin.clone(),
        None => forwarded_origin(headers)?,
    };
    Htu::parse(&format!("{origin}{uri}")).map_err(|e| {
        ApiError::with_detail(
            R::GatewayRequestIncomplete,
            format!("the original URL is not usable: {e}"),
        )
    })
}

/// `X-Forwarded-Proto` and `X-Forwarded-Host`, one of each, as the gateway set them.
fn forwarded_origin(headers: &HeaderMap) -> Result<String, ApiError> {
    let incomplete = |detail: &str| ApiError::with_detail(R::GatewayRequestIncomplete, detail);
    let proto = one(headers, &HeaderName::from_static("x-forwarded-proto"))?;
    let host = one(headers, &HeaderName::from_static("x-forwarded-host"))?;
    let (Some(proto), Some(host)) = (proto, host) else {
        return Err(incomplete(
            "the route trusts forwarded headers and X-Forwarded-Proto or X-Forwarded-Host is missing",
        ));
    };
    if !matches!(proto.as_str(), "http" | "https") {
        return Err(incomplete("X-Forwarded-Proto must be http or https"));
    }
    settings::parse_origin(&format!("{proto}://{host}"))
        .ok_or_else(|| incomplete("X-Forwarded-Host is not a host[:port]"))
}

/// The client's access token and scheme (RFC 6750 §2.1, RFC 9449 §7.1). No header, or one of
/// another scheme, is no token: a bare challenge. Two headers, or one carrying more than one
/// credential (`DPoP a, Bearer b`: a token68 has no comma or space), are refused.
fn authorization(headers: &HeaderMap) -> Result<(Option<String>, Option<TokenType>), Presentation> {
    let mut values = headers.get_all(actix_web::http::header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok((None, None));
    };
    if values.next().is_some() {
        return Err(Presentation::SeveralAuthorizations);
    }
    let Ok(text) = value.to_str() else {
        return Ok((None, None));
    };
    let (scheme, credentials) = text.split_once(' ').unwrap_or((text, ""));
    let scheme = [TokenType::DPoP, TokenType::Bearer]
        .into_iter()
        .find(|t| t.name().eq_ignore_ascii_case(scheme));
    let Some(scheme) = scheme else {
        return Ok((None, None));
    };
    let credentials = credentials.trim();
    if credentials.contains([',', ' ']) {
        return Err(Presentation::SeveralAuthorizations);
    }
    Ok((Some(credentials.to_owned()), Some(scheme)))
}

/// The proof and the request it must be for. Every `DPoP` header counts, and so does every
/// value joined into one with commas (a JWS has none): more than one is refused by the proof
/// checks (RFC 9449 §4.3 check 1).
fn dpop_input(headers: &HeaderMap, method: String, htu: Htu) -> DpopInput {
    let values: Vec<&[u8]> = headers.get_all("dpop").map(|v| v.as_bytes()).collect();
    let count: usize = values
        .iter()
        .map(|v| 1 + v.iter().filter(|&&b| b == b',').count())
        .sum();
    let proof = match values.as_slice() {
        [one] if count == 1 => Some(ProofInput {
            jws: String::from_utf8_lossy(one).into_owned(),
            htm: method,
            htu,
        }),
        _ => None,
    };
    DpopInput {
        proof,
        header_count: count,
        nonce_required: false,
    }
}

pub const PATHS: &[&str] = &[
    "/gateway/nginx/{route}",
    "/gateway/forward-auth/{route}",
    "/gateway/envoy/{route}/{path}",
];

/// The methods a sub-request may have: forward auth and nginx (with `proxy_method GET`, as the
/// examples set) send GET; Envoy sends the client's. Any other is answered 405.
macro_rules! any_method {
    ($path:expr, $handler:expr) => {
        route($path, Api::Gateway)
            .route(web::get().to($handler))
            .route(web::post().to($handler))
            .route(web::put().to($handler))
            .route(web::delete().to($handler))
            .route(web::patch().to($handler))
    };
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(any_method!("/gateway/nginx/{route}", nginx));
    cfg.service(any_method!("/gateway/forward-auth/{route}", forward_auth));
    cfg.service(any_method!("/gateway/envoy/{route}/{tail:.*}", envoy));
}

#[cfg(test)]
mod tests;
