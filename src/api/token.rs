//! `POST /auth/token` (and `/api/auth/token`), role `as`: the AS forwards its token endpoint's
//! form body, client credentials and `DPoP` header; dpopd answers with the `action` and the
//! RFC 6749 §5.1/§5.2 body to relay (SPEC §2).
use super::action::Action;
use super::caller::AsCaller;
use super::token_wire;
use super::ApiError;
use crate::oauth::grants::{self, TokenCall};
use crate::oauth::Property;
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    pub parameters: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub dpop: Option<String>,
    pub dpop_header_count: Option<u32>,
    pub htm: Option<String>,
    pub htu: Option<String>,
    pub dpop_nonce_required: Option<bool>,
    pub access_token_duration: Option<u64>,
    pub refresh_token_duration: Option<u64>,
    /// A JSON object as text (Authlete's format).
    pub jwt_at_claims: Option<String>,
    pub properties: Option<Vec<Property>>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub action: Option<Action>,
    pub result_code: &'static str,
    pub result_message: String,
    pub response_content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<Property>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
}

pub async fn token(_caller: AsCaller, state: web::Data<AppState>, body: web::Json<TokenRequest>) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let jwt_at_claims = token_wire::parse_jwt_at_claims(req.jwt_at_claims.as_deref())?;
    let call = TokenCall {
        parameters: &req.parameters,
        client_id: req.client_id.as_deref(),
        client_secret: req.client_secret.as_deref(),
        dpop: req.dpop.as_deref(),
        dpop_header_count: req.dpop_header_count.unwrap_or(0) as usize,
        htm: req.htm.as_deref(),
        htu: req.htu.as_deref(),
        dpop_nonce_required: req.dpop_nonce_required.unwrap_or(false),
        access_token_duration: req.access_token_duration,
        refresh_token_duration: req.refresh_token_duration,
        jwt_at_claims,
        properties: req.properties.unwrap_or_default(),
        now: None,
    };
    let outcome = grants::token(&state.core, call).await;
    let response = token_wire::answer(outcome)?;
    Ok(HttpResponse::Ok().json(response))
}

pub const PATHS: &[&str] = &["/auth/token", "/api/auth/token"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    // One resource per path, so other methods get 405 rather than 404.
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(token)));
    }
}

