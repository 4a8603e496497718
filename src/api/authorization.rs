//! `POST /auth/authorization`, `/auth/authorization/issue` and `/auth/authorization/fail` (and
//! their `/api/...` paths), role `as`: the AS forwards its authorization endpoint's query or
//! form (RFC 6749 §4.1.1), shows its own login and consent pages for the `ticket` dpopd hands
//! back, then asks for the authorization response — a code (RFC 6749 §4.1.2, `iss` per
//! RFC 9207) or an error — and redirects the user agent to it (SPEC §5).
use super::action::Action;
use super::authorization_wire as wire;
use super::caller::AsCaller;
use super::token_wire::parse_jwt_at_claims;
use super::{bounded, ApiError};
use crate::oauth::authorization::{
    self as domain, AuthorizationCall, FailCall, FailReason, IssueCall,
};
use crate::oauth::scope::MAX_SCOPES;
use crate::oauth::{Property, MAX_PROPERTIES};
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationRequest {
    /// The query string (GET) or form body (POST) the authorization endpoint received.
    pub parameters: String,
}

/// A scope as Authlete's authorization response lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeEntry {
    pub name: String,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationResponse {
    pub action: Option<Action>,
    pub result_code: &'static str,
    pub result_message: String,
    /// `LOCATION`: the error redirect; `BAD_REQUEST`, `INTERNAL_SERVER_ERROR`: a JSON error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<ScopeEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompts: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<crate::jose::Jkt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueRequest {
    pub ticket: String,
    pub subject: String,
    pub scopes: Option<Vec<String>>,
    pub properties: Option<Vec<Property>>,
    /// A JSON object as text (Authlete's format).
    pub jwt_at_claims: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailRequest {
    pub ticket: String,
    pub reason: FailReason,
    pub description: Option<String>,
}

/// The answer of `/issue` and `/fail`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketResponse {
    pub action: Option<Action>,
    pub result_code: &'static str,
    pub result_message: String,
    /// `LOCATION`: the URL to redirect to; otherwise a JSON error.
    pub response_content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<String>,
}

pub async fn authorization(
    _caller: AsCaller,
    state: web::Data<AppState>,
    body: web::Json<AuthorizationRequest>,
) -> HttpResponse {
    let call = AuthorizationCall {
        parameters: &body.parameters,
        now: None,
    };
    let result = domain::authorize(&state.core, call).await;
    HttpResponse::Ok().json(wire::authorization(result, &state.core.issuer))
}

pub async fn issue(
    _caller: AsCaller,
    state: web::Data<AppState>,
    body: web::Json<IssueRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let call = IssueCall {
        ticket: &req.ticket,
        subject: &req.subject,
        scopes: bounded("scopes", req.scopes, MAX_SCOPES)?,
        properties: bounded("properties", req.properties, MAX_PROPERTIES)?.unwrap_or_default(),
        jwt_at_claims: parse_jwt_at_claims(req.jwt_at_claims.as_deref())?,
        now: None,
    };
    let result = domain::issue(&state.core, call).await;
    Ok(HttpResponse::Ok().json(wire::issued(result)))
}

pub async fn fail(
    _caller: AsCaller,
    state: web::Data<AppState>,
    body: web::Json<FailRequest>,
) -> HttpResponse {
    let call = FailCall {
        ticket: &body.ticket,
        reason: body.reason,
        description: body.description.as_deref(),
        now: None,
    };
    let result = domain::fail(&state.core, call).await;
    HttpResponse::Ok().json(wire::failed(result))
}

pub const PATHS: &[&str] = &["/auth/authorization", "/api/auth/authorization"];
pub const ISSUE_PATHS: &[&str] = &["/auth/authorization/issue", "/api/auth/authorization/issue"];
pub const FAIL_PATHS: &[&str] = &["/auth/authorization/fail", "/api/auth/authorization/fail"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(authorization)));
    }
    for path in ISSUE_PATHS {
        cfg.service(web::resource(*path).route(web::post().to(issue)));
    }
    for path in FAIL_PATHS {
        cfg.service(web::resource(*path).route(web::post().to(fail)));
    }
}
