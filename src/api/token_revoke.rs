//! `POST /auth/token/revoke` (and `/api/auth/token/revoke`), role `as`: revoke every token of a
//! subject, of a client, or of one subject at one client, issued up to now (Authlete's
//! `TokenRevokeRequest` shape; docs/api.md, "Revoking every token of a user or client"). For
//! "sign out everywhere", a lost device or a deleted account; tokens issued after the call
//! work. Nothing is relayed to a client: the answer is for the authorization server.
use super::action::Action;
use super::answer::{accept, Api, Head};
use super::caller::AsCaller;
use super::result_code::ResultCode as R;
use super::token_create::ClientIdField;
use crate::clock::UnixTime;
use crate::live::Live;
use crate::oauth::revoked_before::{self, Target};
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
    body: web::Json<TokenRevokeRequest>,
) -> HttpResponse {
    let req = body.into_inner();
    let core = &live.core;
    let now = UnixTime::now();
    let refused = |action, code| TokenRevokeResponse {
        head: accept(Api::TokenRevoke, action, code, None),
        revoked_before: None,
    };
    if req.access_token_identifier.is_some() || req.refresh_token_identifier.is_some() {
        return HttpResponse::Ok().json(refused(Action::BadRequest, R::TokenRevokeOneToken));
    }
    let subject = req.subject.filter(|s| !s.is_empty());
    let client_id = req
        .client_id
        .map(ClientIdField::into_string)
        .filter(|c| !c.is_empty());
    if client_id
        .as_deref()
        .is_some_and(|id| core.clients.get(id).is_none())
    {
        return HttpResponse::Ok().json(refused(Action::BadRequest, R::TokenRevokeClientUnknown));
    }
    let target = match (&client_id, &subject) {
        (Some(client_id), Some(subject)) => Target::Pair { client_id, subject },
        (Some(client_id), None) => Target::Client(client_id),
        (None, Some(subject)) => Target::Subject(subject),
        (None, None) => {
            return HttpResponse::Ok()
                .json(refused(Action::BadRequest, R::TokenRevokeTargetMissing))
        }
    };
    let answer = match revoked_before::revoke_before(core, target, now).await {
        Ok(before) => TokenRevokeResponse {
            head: accept(Api::TokenRevoke, Action::Ok, R::TokensRevokedBefore, None),
            revoked_before: Some(before),
        },
        Err(error) => {
            crate::store::report_refusal(&error);
            tracing::error!(%error, "token revoke: the store did not record the mark");
            refused(Action::InternalServerError, R::TokenRevokeServerError)
        }
    };
    HttpResponse::Ok().json(answer)
}

pub const PATHS: &[&str] = &["/auth/token/revoke", "/api/auth/token/revoke"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(token_revoke)));
    }
}
