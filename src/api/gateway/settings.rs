//! `[gateway]`: the routes an API gateway checks requests against, and the names of the headers
//! dpopd answers an accepted request with (docs/gateway.md).
use crate::config::ConfigError;
use crate::dpop::htu::Htu;
use crate::oauth::scope;
use actix_web::http::header::HeaderName;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    pub routes: Vec<RouteSettings>,
    /// The header of the sub-request that carries the gateway's caller credentials, in the
    /// forms of a caller's `Authorization` header (`Basic base64(key:secret)` or `Bearer`).
    pub caller_header: String,
    pub subject_header: String,
    pub client_id_header: String,
    pub scopes_header: String,
    pub jkt_header: String,
    pub issuer_header: String,
}

impl Default for GatewaySettings {
    fn default() -> GatewaySettings {
        GatewaySettings {
            routes: Vec::new(),
            caller_header: "X-Dpopd-Caller".into(),
            subject_header: "X-Dpopd-Subject".into(),
            client_id_header: "X-Dpopd-Client-Id".into(),
            scopes_header: "X-Dpopd-Scopes".into(),
            jkt_header: "X-Dpopd-Jkt".into(),
            issuer_header: "X-Dpopd-Issuer".into(),
        }
    }
}

/// One protected API behind the gateway: `/gateway/{protocol}/{name}` checks its requests.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSettings {
    pub name: String,
    /// The public origin the API is reached at (`https://api.example.com`): the scheme, host
    /// and port of every proof's `htu`. Give it, or trust the forwarded headers.
    pub origin: Option<String>,
    /// Take the origin from `X-Forwarded-Proto` and `X-Forwarded-Host` of the sub-request:
    /// only when the gateway sets both itself and never passes a client's on.
    #[serde(default)]
    pub trust_forwarded_headers: bool,
    /// Scopes every request must be granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// RFC 9449 §7.1: the API takes DPoP-bound tokens only (a Bearer token is refused).
    #[serde(default = "yes")]
    pub dpop_required: bool,
    /// RFC 9449 §9: proofs must carry a nonce dpopd issued (also when `dpop.rs_nonce_required`).
    #[serde(default)]
    pub nonce_required: bool,
}

fn yes() -> bool {
    true
}

/// A route ready to check requests: its origin parsed.
#[derive(Debug, Clone)]
pub struct Route {
    pub name: String,
    /// `scheme://host[:port]` without a trailing slash; `None`: from the forwarded headers.
    pub origin: Option<String>,
    pub scopes: Vec<String>,
    pub dpop_required: bool,
    pub nonce_required: bool,
}

/// The checked gateway configuration a request runs on.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub routes: Vec<Route>,
    pub caller_header: HeaderName,
    pub subject_header: HeaderName,
    pub client_id_header: HeaderName,
    pub scopes_header: HeaderName,
    pub jkt_header: HeaderName,
    pub issuer_header: HeaderName,
}

impl Gateway {
    pub fn route(&self, name: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.name == name)
    }
}

impl GatewaySettings {
    /// Checks every route and header name; the error names the key.
    pub fn build(&self) -> Result<Gateway, ConfigError> {
        let header = |key: &str, value: &str| {
            HeaderName::from_bytes(value.as_bytes()).map_err(|_| {
                ConfigError::invalid(format!("gateway.{key}"), "must be an HTTP header name")
            })
        };
        let mut routes: Vec<Route> = Vec::with_capacity(self.routes.len());
        for (i, r) in self.routes.iter().enumerate() {
            let key = |name: &str| format!("gateway.routes[{i}].{name}");
            let name_ok = !r.name.is_empty()
                && r.name.len() <= 64
                && r.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !name_ok {
                return Err(ConfigError::invalid(
                    key("name"),
                    "must be 1 to 64 letters, digits, '-' or '_'",
                ));
            }
            if routes.iter().any(|other| other.name == r.name) {
                return Err(ConfigError::invalid(
                    key("name"),
                    "is used by another route",
                ));
            }
            let origin = match (&r.origin, r.trust_forwarded_headers) {
                (Some(origin), false) => Some(parse_origin(origin).ok_or_else(|| {
                    ConfigError::invalid(
                        key("origin"),
                        "must be an http(s) origin: scheme, host and optional port, no path",
                    )
                })?),
                (None, true) => None,
                _ => {
                    return Err(ConfigError::invalid(
                        key("origin"),
                        "give origin or trust_forwarded_headers = true, not both",
                    ))
                }
            };
            if let Some(bad) = r.scopes.iter().find(|s| !scope::is_token(s)) {
                return Err(ConfigError::invalid(
                    key("scopes"),
                    format!("{bad:?} is not a scope token (RFC 6749 §3.3)"),
                ));
            }
            routes.push(Route {
                name: r.name.clone(),
                origin,
                scopes: r.scopes.clone(),
                dpop_required: r.dpop_required,
                nonce_required: r.nonce_required,
            });
        }
        Ok(Gateway {
            routes,
            caller_header: header("caller_header", &self.caller_header)?,
            subject_header: header("subject_header", &self.subject_header)?,
            client_id_header: header("client_id_header", &self.client_id_header)?,
            scopes_header: header("scopes_header", &self.scopes_header)?,
            jkt_header: header("jkt_header", &self.jkt_header)?,
            issuer_header: header("issuer_header", &self.issuer_header)?,
        })
    }
}

/// `scheme://host[:port]` as an `htu` prefix: an http(s) URI with nothing after the
/// authority (a trailing `/` is dropped), normalised as `htu` is (RFC 9449 §4.3 check 7).
pub fn parse_origin(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return None;
    }
    let htu = Htu::parse(&format!("{scheme}://{authority}/")).ok()?;
    Some(htu.as_str().trim_end_matches('/').to_owned())
}
