//! `POST /auth/revocation` (and `/api/auth/revocation`), role `as`: RFC 7009 token revocation.
//! The AS forwards its revocation endpoint's form body and the client's `Authorization: Basic`
//! credentials (decoded, or the header verbatim); dpopd answers `OK` (an empty body to relay) whether or not there was anything
//! to revoke (RFC 7009 §2.2), `INVALID_CLIENT` or `BAD_REQUEST` with an RFC 6749 §5.2 body.
use super::action::Action;
use super::caller::AsCaller;
use super::client_credentials::{client_authorization, header_refusal};
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::oauth::clients::ClientAuthError;
use crate::oauth::revocation::{self, NotRevoked, RevocationCall, RevocationError, Revoked};
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevocationRequest {
    pub parameters: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The client's `Authorization` header verbatim, instead of `clientId`/`clientSecret`.
    pub client_authorization: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevocationResponse {
    pub action: Action,
    pub result_code: &'static str,
    pub result_message: String,
    /// The RFC 6749 §5.2 error body; absent on `OK` (RFC 7009 §2.2: the body is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_content: Option<String>,
}

pub async fn revoke(
    _caller: AsCaller,
    state: web::Data<AppState>,
    body: web::Json<RevocationRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let call = RevocationCall {
        parameters: &req.parameters,
        client_id: req.client_id.as_deref(),
        client_secret: req.client_secret.as_deref(),
        client_authorization: client_authorization(
            req.client_id.as_deref(),
            req.client_secret.as_deref(),
            req.client_authorization.as_deref(),
        )?,
        now: None,
    };
    Ok(HttpResponse::Ok().json(answer(revocation::revoke(&state.core, &call).await)))
}

/// The one place revocation outcomes become wire answers.
fn answer(result: Result<Revoked, RevocationError>) -> RevocationResponse {
    let (action, code, error) = match &result {
        Ok(Revoked::AccessToken) => (Action::Ok, R::AccessTokenRevocationDone, None),
        Ok(Revoked::RefreshFamily) => (Action::Ok, R::RefreshFamilyRevocationDone, None),
        Ok(Revoked::Nothing(NotRevoked::OtherClient)) => {
            (Action::Ok, R::RevocationOtherClient, None)
        }
        Ok(Revoked::Nothing(NotRevoked::Unknown | NotRevoked::Expired)) => {
            (Action::Ok, R::NothingToRevoke, None)
        }
        Err(RevocationError::Params(_)) => (
            Action::BadRequest,
            R::RevocationParamsMalformed,
            Some("invalid_request"),
        ),
        Err(RevocationError::MissingToken) => (
            Action::BadRequest,
            R::RevocationTokenMissing,
            Some("invalid_request"),
        ),
        Err(RevocationError::Client(ClientAuthError::Header(e))) => {
            let (action, code, error, _) = header_refusal(e, Action::InvalidClient);
            (action, code, Some(error))
        }
        Err(RevocationError::Client(
            ClientAuthError::MultipleMethods | ClientAuthError::ClientIdMismatch,
        )) => (
            Action::BadRequest,
            R::RevocationClientAuthAmbiguous,
            Some("invalid_request"),
        ),
        Err(RevocationError::Client(_)) => (
            Action::InvalidClient,
            R::RevocationClientAuthFailed,
            Some("invalid_client"),
        ),
        Err(RevocationError::StoreUnavailable) => (
            Action::InternalServerError,
            R::RevocationStoreUnavailable,
            Some("server_error"),
        ),
    };
    metrics::counter!("dpopd_requests_total", "api" => "revocation", "action" => action.name())
        .increment(1);
    let result_message = match &result {
        Err(e) => code.message_with(&super::truncate(&e.to_string(), 512)),
        Ok(_) => code.message(),
    };
    let response_content = error
        .map(|e| serde_json::json!({ "error": e, "error_description": code.text() }).to_string());
    RevocationResponse {
        action,
        result_code: code.code(),
        result_message,
        response_content,
    }
}

pub const PATHS: &[&str] = &["/auth/revocation", "/api/auth/revocation"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(revoke)));
    }
}
