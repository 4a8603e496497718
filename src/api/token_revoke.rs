//! `POST /auth/token/revoke` (and `/api/auth/token/revoke`), role `as`: revoke every token of a
//! subject, of a client, or of one subject at one client, issued up to now (Authlete's
//! `TokenRevokeRequest` shape; docs/api.md, "Revoking every token of a user or client"). For
//! "sign out everywhere", a lost device or a deleted account; tokens issued after the call
//! work. Nothing is relayed to a client: the answer is for the authorization server.
use super::action::Action;
use super::answer::{accept, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::AsCaller;
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::token_create::ClientIdField;
use crate::clock::UnixTime;
use crate::live::Live;
use crate::oauth::revoked_before::{self, RevokeError};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRevokeRequest {
    pub subject: Option<String>,
    /// Authlete calls it `clientIdentifier`; both names are accepted.
    #[serde(alias = "clientIdentifier")]
    pub client_id: Option<ClientIdField>,
    /// Authlete's way to revoke one token; dpopd revokes one token at `/auth/revocation`.
    pub access_token_identifier: Option<serde_json::Value>,
    pub refresh_token_identifier: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRevokeResponse {
    #[serde(flatten)]
    pub head: Head,
    /// Seconds since the epoch: every token of the target issued at or before this second is
    /// revoked (a token's `iat` counts whole seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_before: Option<i64>,
}

pub async fn token_revoke(
    _caller: AsCaller,
    live: Live,
    body: ApiJson<TokenRevokeRequest>,
) -> HttpResponse {
    let req = body.into_inner();
    let result = if req.access_token_identifier.is_some() || req.refresh_token_identifier.is_some()
    {
        Err(RevokeError::OneToken)
    } else {
        let client_id = req.client_id.map(ClientIdField::into_string);
        let subject = req.subject.as_deref();
        revoked_before::revoke(&live.core, subject, client_id.as_deref(), UnixTime::now()).await
    };
    let answer = match result {
        Ok(before) => TokenRevokeResponse {
            head: accept(Api::TokenRevoke, Action::Ok, R::TokensRevokedBefore, None),
            revoked_before: Some(before),
        },
        Err(error) => TokenRevokeResponse {
            head: refuse(Api::TokenRevoke, &error, Body::Nothing),
            revoked_before: None,
        },
    };
    HttpResponse::Ok().json(answer)
}

pub const PATHS: &[&str] = &["/auth/token/revoke", "/api/auth/token/revoke"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(route(path, Api::TokenRevoke).route(web::post().to(token_revoke)));
    }
}
