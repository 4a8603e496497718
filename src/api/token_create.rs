//! `POST /auth/token/create` (and `/api/auth/token/create`), role `as`: delegated issuance for
//! an AS that runs its own grant logic. dpopd mints the tokens (RFC 9068 access token, sealed
//! refresh token) bound to the key of a proof it validates or of a thumbprint the caller
//! verified (RFC 9449 §6.1), following Authlete's `TokenCreateRequest` field names (docs/api.md,
//! "Authorization code flow").
use super::answer::{accept, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::AsCaller;
use super::fields::{bounded, lifetimes, DpopFields, JwtAtClaims};
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::live::Live;
use crate::oauth::scope::MAX_SCOPES;
use crate::oauth::token_create::{self, CreateCall, CreateOutcome};
use crate::oauth::{Property, MAX_PROPERTIES};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// Authlete's `clientId` is a number; dpopd's client ids are strings. Both are accepted.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ClientIdField {
    Text(String),
    Number(u64),
}

impl ClientIdField {
    pub fn into_string(self) -> String {
        match self {
            ClientIdField::Text(text) => text,
            ClientIdField::Number(n) => n.to_string(),
        }
    }
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
    #[serde(default)]
    pub jwt_at_claims: JwtAtClaims,
    #[serde(flatten)]
    pub dpop: DpopFields,
    pub dpop_key_thumbprint: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCreateResponse {
    /// `OK`: the RFC 6749 §5.1 body, ready to relay; otherwise the §5.2 error body.
    #[serde(flatten)]
    pub head: Head,
    #[serde(flatten)]
    pub created: Option<CreatedTokens>,
}

/// The token data of a successful answer, in Authlete's `TokenCreateResponse` names.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTokens {
    pub grant_type: &'static str,
    pub client_id: String,
    pub subject: String,
    pub scopes: Vec<String>,
    pub access_token: String,
    pub token_type: &'static str,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
    pub expires_in: i64,
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
    live: Live,
    body: ApiJson<TokenCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let core = &live.core;
    let now = UnixTime::now();
    let client_id = req.client_id.into_string();
    let scopes = bounded("scopes", req.scopes, MAX_SCOPES)?;
    let call = CreateCall {
        grant_type: &req.grant_type,
        client_id: &client_id,
        subject: req.subject.as_deref(),
        scopes: &scopes,
        lifetimes: lifetimes(
            req.access_token_duration,
            req.refresh_token_duration,
            core.max_lifetime_override_secs,
        )?,
        properties: bounded("properties", req.properties, MAX_PROPERTIES)?,
        jwt_at_claims: req.jwt_at_claims.0,
        dpop: req.dpop.into_input("POST", Some(&core.token_htu))?,
        dpop_key_thumbprint: req.dpop_key_thumbprint.as_deref(),
    };
    let outcome = token_create::create(core, call, now).await;
    Ok(HttpResponse::Ok().json(answer(outcome, now)))
}

fn answer(outcome: CreateOutcome, now: UnixTime) -> TokenCreateResponse {
    let (head, created) = match outcome.result {
        Ok(issued) => {
            let head = accept(
                Api::TokenCreate,
                super::action::Action::Ok,
                R::TokenCreated,
                Some(issued.response_body()),
            );
            let tokens = super::token::issued_tokens(issued, now);
            let created = CreatedTokens {
                grant_type: tokens.grant_type,
                client_id: tokens.client_id,
                subject: tokens.subject,
                scopes: tokens.scopes,
                access_token: tokens.access_token,
                token_type: tokens.token_type,
                expires_at: tokens.access_token_expires_at,
                expires_in: tokens.access_token_duration,
                refresh_token: tokens.refresh_token,
                refresh_token_expires_at: tokens.refresh_token_expires_at,
                properties: tokens.properties,
                jkt: tokens.jkt,
            };
            (head, Some(created))
        }
        Err(error) => (refuse(Api::TokenCreate, &error, Body::Json), None),
    };
    TokenCreateResponse {
        head: head.with_nonce(outcome.dpop_nonce),
        created,
    }
}

pub const PATHS: &[&str] = &["/auth/token/create", "/api/auth/token/create"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(route(path, Api::TokenCreate).route(web::post().to(token_create)));
    }
}
