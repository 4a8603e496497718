//! Service endpoints: JWKS (every verification key, RFC 7517 §5), the AS metadata fragment
//! (RFC 8414 with RFC 9449 §5.1's `dpop_signing_alg_values_supported`, and the client
//! authentication methods and assertion algs of RFC 8414 §2), health, readiness and
//! Prometheus metrics.
use crate::live::Live;
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

/// The metadata a caller merges into its own discovery document.
pub fn configuration_document(
    state_core: &crate::oauth::Core,
    settings: &crate::config::Settings,
) -> serde_json::Value {
    serde_json::json!({
        "issuer": settings.service.issuer,
        "token_endpoint": settings.service.token_endpoint,
        "authorization_endpoint": settings.service.authorization_endpoint,
        "pushed_authorization_request_endpoint": settings.service.par_endpoint,
        "require_pushed_authorization_requests": false,
        "authorization_response_iss_parameter_supported": true,
        "dpop_signing_alg_values_supported": state_core.service_algs.names(),
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs(settings),
        "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"],
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
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

pub const JWKS_PATHS: &[&str] = &["/service/jwks", "/api/service/jwks/get"];
pub const CONFIGURATION_PATHS: &[&str] = &["/service/configuration", "/api/service/configuration"];
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
    cfg.service(web::resource(OPERATIONS_PATHS[0]).route(web::get().to(healthz)))
        .service(web::resource(OPERATIONS_PATHS[1]).route(web::get().to(readyz)))
        .service(web::resource(OPERATIONS_PATHS[2]).route(web::get().to(metrics)));
}
