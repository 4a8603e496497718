//! Service endpoints: JWKS (every verification key, RFC 7517 §5), the discovery document
//! (RFC 8414 and OpenID Connect Discovery 1.0, with RFC 9449 §5.1's
//! `dpop_signing_alg_values_supported`), a protected resource's metadata (RFC 9728), health,
//! readiness and Prometheus metrics.
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::jose::Alg;
use crate::live::Live;
use crate::oauth::id_token;
use crate::startup::AppState;
use actix_web::{web, HttpResponse};

pub async fn jwks(live: Live) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(live.jwks_json.clone())
}

pub async fn configuration(live: Live) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(live.configuration_json.clone())
}

/// The most characters of a resource identifier.
const MAX_RESOURCE_CHARS: usize = 2048;

/// `resource` (the RFC 9728 §1.2 identifier: the resource server's URL) and `dpopRequired`
/// (`dpop_bound_access_tokens_required`, `true` or `false`), read from the query string so
/// that every mistake in it is answered as JSON.
pub async fn resource_configuration(
    live: Live,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut resource = String::new();
    let mut dpop_required = false;
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match name.as_ref() {
            "resource" => resource = value.into_owned(),
            "dpopRequired" => {
                dpop_required = match value.as_ref() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ApiError::with_detail(
                            R::InvalidField,
                            "dpopRequired must be true or false",
                        ))
                    }
                }
            }
            _ => {}
        }
    }
    let resource = resource.as_str();
    // RFC 9728 §1.2: an https URL with no fragment (http too, for loopback tests and fronts
    // behind TLS termination).
    let usable = resource.len() <= MAX_RESOURCE_CHARS
        && (resource.starts_with("https://") || resource.starts_with("http://"))
        && !resource.contains('#')
        && crate::dpop::htu::Htu::parse(resource).is_ok();
    if !usable {
        return Err(ApiError::with_detail(
            R::InvalidField,
            "resource must be an http(s) URL without a fragment",
        ));
    }
    let document = resource_document(&live.core, &live.settings, resource, dpop_required);
    Ok(HttpResponse::Ok().json(document))
}

/// The discovery document the AS publishes (at `/.well-known/openid-configuration` and
/// `/.well-known/oauth-authorization-server`), from configuration.
pub fn configuration_document(
    state_core: &crate::oauth::Core,
    settings: &crate::config::Settings,
) -> serde_json::Value {
    let service = &settings.service;
    let scopes = scopes_supported(settings);
    // OIDC Core §2, §5.1: the ID token's own claims, then those its scopes can release.
    let mut claims: Vec<&str> = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "sid",
    ];
    for scope in &scopes {
        claims.extend(id_token::scope_claims(scope));
    }
    let mut document = serde_json::json!({
        "issuer": service.issuer,
        "authorization_endpoint": service.authorization_endpoint,
        "token_endpoint": service.token_endpoint,
        "pushed_authorization_request_endpoint": service.par_endpoint,
        "require_pushed_authorization_requests": service.require_pushed_authorization_requests,
        "authorization_response_iss_parameter_supported": true,
        "dpop_signing_alg_values_supported": state_core.service_algs.names(),
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs(settings),
        "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "scopes_supported": scopes,
        "claims_supported": claims,
        "claims_parameter_supported": true,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": state_core
            .keys
            .signing_algs()
            .into_iter()
            .map(Alg::name)
            .collect::<Vec<_>>(),
    });
    let urls = [
        ("jwks_uri", &service.jwks_uri),
        ("introspection_endpoint", &service.introspection_endpoint),
        ("revocation_endpoint", &service.revocation_endpoint),
        ("userinfo_endpoint", &service.userinfo_endpoint),
    ];
    for (name, url) in urls {
        if !url.is_empty() {
            document[name] = url.as_str().into();
        }
    }
    document
}

/// `service.scopes_supported`, or every scope some client may request, sorted, once each.
fn scopes_supported(settings: &crate::config::Settings) -> Vec<String> {
    if !settings.service.scopes_supported.is_empty() {
        return settings.service.scopes_supported.clone();
    }
    let mut scopes: Vec<String> = settings
        .clients
        .iter()
        .flat_map(|c| c.scopes.iter().cloned())
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// RFC 9728 §2: the metadata of a protected resource whose identifier is `resource`, for a
/// resource server to publish at `/.well-known/oauth-protected-resource`.
pub fn resource_document(
    core: &crate::oauth::Core,
    settings: &crate::config::Settings,
    resource: &str,
    dpop_required: bool,
) -> serde_json::Value {
    serde_json::json!({
        "resource": resource,
        "authorization_servers": [settings.service.issuer],
        "bearer_methods_supported": ["header"],
        "scopes_supported": scopes_supported(settings),
        "dpop_signing_alg_values_supported": core.service_algs.names(),
        "dpop_bound_access_tokens_required": dpop_required,
    })
}

/// RFC 8414 §2 `token_endpoint_auth_signing_alg_values_supported`: the algs the
/// `private_key_jwt` clients may sign with, or the default list when none is configured.
fn assertion_algs(settings: &crate::config::Settings) -> Vec<&'static str> {
    use crate::oauth::clients::AuthMethod;
    let mut algs: Vec<crate::jose::Alg> = settings
        .clients
        .iter()
        .filter(|c| c.auth_method == AuthMethod::PrivateKeyJwt)
        .flat_map(|c| c.auth_signing_algs.iter().copied())
        .collect();
    if algs.is_empty() {
        algs = crate::config::default_auth_signing_algs();
    }
    crate::jose::Alg::ALL
        .into_iter()
        .filter(|a| algs.contains(a))
        .map(crate::jose::Alg::name)
        .collect()
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Ready when keys are loaded (they are, or start-up failed) and the store answers.
pub async fn readyz(live: Live) -> HttpResponse {
    match live.core.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(e) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "not ready", "reason": e.to_string() })),
    }
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // Read before rendering, so that what one scrape allocates falls between two readings the
    // same way every time (scripts/bench.sh alloc measures it and takes it out).
    let heap = crate::heap::counts();
    let mut body = state.metrics.render();
    if let Some(heap) = heap {
        heap.render_into(&mut body);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

pub const JWKS_PATHS: &[&str] = &["/service/jwks", "/api/service/jwks/get"];
pub const CONFIGURATION_PATHS: &[&str] = &["/service/configuration", "/api/service/configuration"];
pub const RESOURCE_PATHS: &[&str] = &["/service/resource_configuration"];
pub const OPERATIONS_PATHS: &[&str] = &["/healthz", "/readyz", "/metrics"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in JWKS_PATHS {
        cfg.service(
            web::resource(*path)
                .route(web::get().to(jwks))
                .route(web::post().to(jwks)),
        );
    }
    for path in CONFIGURATION_PATHS {
        cfg.service(
            web::resource(*path)
                .route(web::get().to(configuration))
                .route(web::post().to(configuration)),
        );
    }
    for path in RESOURCE_PATHS {
        cfg.service(web::resource(*path).route(web::get().to(resource_configuration)));
    }
    cfg.service(web::resource(OPERATIONS_PATHS[0]).route(web::get().to(healthz)))
        .service(web::resource(OPERATIONS_PATHS[1]).route(web::get().to(readyz)))
        .service(web::resource(OPERATIONS_PATHS[2]).route(web::get().to(metrics)));
}
