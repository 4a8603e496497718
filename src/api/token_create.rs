//! `POST /auth/token/create` (and `/api/auth/token/create`), role `as`: delegated issuance for
//! an AS that runs its own grant logic. dpopd mints the tokens (RFC 9068 access token, sealed
//! refresh token) bound to the key of a proof it validates or of a thumbprint the caller
//! verified (RFC 9449 §6.1), following Authlete's `TokenCreateRequest` field names (SPEC §5).
use super::action::Action;
use super::authorization_wire as wire;
use super::caller::AsCaller;
use super::token::duration;
use super::token_wire::parse_jwt_at_claims;
use super::{bounded, ApiError};
use crate::oauth::scope::MAX_SCOPES;
use crate::oauth::token_create::{self, CreateCall};
use crate::oauth::{Property, MAX_PROPERTIES};
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// Authlete's `clientId` is a number; dpopd's client ids are strings. Both are accepted.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ClientIdField {
    Text(String),
    Number(u64),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCreateRequest {
    pub grant_type: String,
    pub client_id: ClientIdField,
    pub subject: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub access_token_duration: Option<u64>,
    pub refresh_token_duration: Option<u64>,
    pub properties: Option<Vec<Property>>,
    /// A JSON object as text (Authlete's format).
    pub jwt_at_claims: Option<String>,
    pub dpop: Option<String>,
    pub dpop_header_count: Option<u32>,
    pub htm: Option<String>,
    pub htu: Option<String>,
    pub dpop_key_thumbprint: Option<String>,
    pub dpop_nonce_required: Option<bool>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCreateResponse {
    pub action: Option<Action>,
    pub result_code: &'static str,
    pub result_message: String,
    /// `OK`: the RFC 6749 §5.1 body, ready to relay; otherwise the §5.2 error body.
    pub response_content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// Milliseconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<Property>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
}

pub async fn token_create(
    _caller: AsCaller,
    state: web::Data<AppState>,
    body: web::Json<TokenCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let client_id = match req.client_id {
        ClientIdField::Text(text) => text,
        ClientIdField::Number(n) => n.to_string(),
    };
    let scopes = bounded("scopes", req.scopes, MAX_SCOPES)?.unwrap_or_default();
    let max = state.core.max_lifetime_override_secs;
    let call = CreateCall {
        grant_type: &req.grant_type,
        client_id: &client_id,
        subject: req.subject.as_deref(),
        scopes: &scopes,
        access_token_duration: duration("accessTokenDuration", req.access_token_duration, max)?,
        refresh_token_duration: duration("refreshTokenDuration", req.refresh_token_duration, max)?,
        properties: bounded("properties", req.properties, MAX_PROPERTIES)?.unwrap_or_default(),
        jwt_at_claims: parse_jwt_at_claims(req.jwt_at_claims.as_deref())?,
        dpop: req.dpop.as_deref(),
        dpop_header_count: req.dpop_header_count.unwrap_or(0) as usize,
        htm: req.htm.as_deref(),
        htu: req.htu.as_deref(),
        dpop_key_thumbprint: req.dpop_key_thumbprint.as_deref(),
        dpop_nonce_required: req.dpop_nonce_required.unwrap_or(false),
        now: None,
    };
    let outcome = token_create::create(&state.core, call).await;
    Ok(HttpResponse::Ok().json(wire::created(outcome)?))
}

pub const PATHS: &[&str] = &["/auth/token/create", "/api/auth/token/create"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(token_create)));
    }
}
