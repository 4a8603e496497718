//! `POST /auth/revocation` (and `/api/auth/revocation`), role `as`: RFC 7009 token revocation.
//! The AS forwards its revocation endpoint's form body and the client's credentials; dpopd
//! answers `OK` (an empty body to relay) whether or not there was anything to revoke (RFC 7009
//! §2.2), `INVALID_CLIENT` or `BAD_REQUEST` with an RFC 6749 §5.2 body.
use super::action::Action;
use super::answer::{accept, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::AsCaller;
use super::fields::ClientFields;
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::live::Live;
use crate::oauth::revocation::{self, NotRevoked, RevocationCall, Revoked};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevocationRequest {
    /// The RFC 7009 §2.1 form body, verbatim.
    pub parameters: String,
    #[serde(flatten)]
    pub client: ClientFields,
}

/// The answer: `responseContent` is the RFC 6749 §5.2 error body, absent on `OK` (RFC 7009
/// §2.2: the body is empty).
pub type RevocationResponse = Head;

pub async fn revoke(
    _caller: AsCaller,
    live: Live,
    body: ApiJson<RevocationRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let call = RevocationCall {
        parameters: &req.parameters,
        credentials: req.client.credentials()?,
    };
    let head = match revocation::revoke(&live.core, &call, UnixTime::now()).await {
        Ok(revoked) => {
            let code = match revoked {
                Revoked::AccessToken => R::AccessTokenRevocationDone,
                Revoked::RefreshFamily => R::RefreshFamilyRevocationDone,
                Revoked::Nothing(NotRevoked::OtherClient) => R::RevocationOtherClient,
                Revoked::Nothing(NotRevoked::Unknown | NotRevoked::Expired) => R::NothingToRevoke,
            };
            accept(Api::Revocation, Action::Ok, code, None)
        }
        Err(error) => refuse(Api::Revocation, &error, Body::Json),
    };
    Ok(HttpResponse::Ok().json(head))
}

pub const PATHS: &[&str] = &["/auth/revocation", "/api/auth/revocation"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(route(path, Api::Revocation).route(web::post().to(revoke)));
    }
}
