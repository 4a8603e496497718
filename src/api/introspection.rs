//! `POST /auth/introspection` (and `/api/auth/introspection`), role `rs`: the resource server
//! forwards the access token, its `DPoP` header, method and URL and what the resource requires;
//! dpopd answers with the `action` and, on a refusal, the `WWW-Authenticate` value to send
//! (SPEC §4, RFC 6750 §3, RFC 9449 §7).
use super::action::Action;
use super::caller::RsCaller;
use super::result_code::ResultCode as R;
use super::rs_wire::{self, RsApi};
use super::{bounded, ApiError};
use crate::oauth::introspection::{self, IntrospectionCall, MAX_RESOURCES};
use crate::oauth::scope::MAX_SCOPES;
use crate::oauth::tokens::TokenType;
use crate::oauth::Property;
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntrospectionRequest {
    /// Optional on the wire so that "no token at all" is a protocol answer, not a 400.
    pub token: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub subject: Option<String>,
    pub dpop: Option<String>,
    pub dpop_header_count: Option<u32>,
    pub htm: Option<String>,
    pub htu: Option<String>,
    pub resources: Option<Vec<String>>,
    pub dpop_nonce_required: Option<bool>,
    /// `DPoP` or `Bearer`: how the client presented the token.
    pub token_scheme: Option<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntrospectionResponse {
    pub action: Option<Action>,
    pub result_code: &'static str,
    pub result_message: String,
    /// On every answer but `OK` and `INTERNAL_SERVER_ERROR`: the `WWW-Authenticate` value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<Property>>,
    /// The token is one of this service's and not revoked (it may have expired).
    pub existent: bool,
    /// `existent`, and valid now.
    pub usable: bool,
    /// `usable`, and every required scope is granted.
    pub sufficient: bool,
}

/// `tokenScheme`: `DPoP` or `Bearer` in any case; anything else is the caller's mistake.
pub fn token_scheme(name: Option<&str>) -> Result<Option<TokenType>, ApiError> {
    match name.filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) => introspection::parse_scheme(n).map(Some).ok_or_else(|| {
            ApiError::with_detail(R::InvalidField, "tokenScheme must be DPoP or Bearer")
        }),
    }
}

pub async fn introspect(
    _caller: RsCaller,
    state: web::Data<AppState>,
    body: web::Json<IntrospectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let scopes = bounded("scopes", req.scopes, MAX_SCOPES)?.unwrap_or_default();
    let resources = bounded("resources", req.resources, MAX_RESOURCES)?.unwrap_or_default();
    let call = IntrospectionCall {
        token: req.token.as_deref(),
        scopes: &scopes,
        subject: req.subject.as_deref(),
        dpop: req.dpop.as_deref(),
        dpop_header_count: req.dpop_header_count.unwrap_or(0) as usize,
        htm: req.htm.as_deref(),
        htu: req.htu.as_deref(),
        resources: &resources,
        dpop_nonce_required: req.dpop_nonce_required.unwrap_or(false),
        scheme: token_scheme(req.token_scheme.as_deref())?,
        now: None,
    };
    let outcome = introspection::introspect(&state.core, &call).await;
    let response = rs_wire::answer(outcome, RsApi::Introspection, state.core.service_algs)?;
    Ok(HttpResponse::Ok().json(response))
}

pub const PATHS: &[&str] = &["/auth/introspection", "/api/auth/introspection"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(introspect)));
    }
}
