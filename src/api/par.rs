//! `POST /pushed_auth_req` (and `/api/pushed_auth_req`), role `as`: the AS forwards what its
//! PAR endpoint (RFC 9126 §2) received — the form body, the client's Basic credentials
//! (decoded, or its `Authorization` header verbatim) and `DPoP` header — and relays the
//! `request_uri` answer (201) or the error (SPEC §5).
use super::action::Action;
use super::authorization_wire as wire;
use super::caller::AsCaller;
use super::client_credentials::client_authorization;
use super::ApiError;
use crate::oauth::par::{self, ParCall};
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParRequest {
    pub parameters: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The client's `Authorization` header verbatim, instead of `clientId`/`clientSecret`.
    pub client_authorization: Option<String>,
    pub dpop: Option<String>,
    pub dpop_header_count: Option<u32>,
    pub htm: Option<String>,
    pub htu: Option<String>,
    pub dpop_nonce_required: Option<bool>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParResponse {
    pub action: Option<Action>,
    pub result_code: &'static str,
    pub result_message: String,
    /// `CREATED`: `{"request_uri","expires_in"}` (RFC 9126 §2.2); otherwise the error body.
    pub response_content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jkt: Option<crate::jose::Jkt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_nonce: Option<String>,
}

pub async fn pushed_auth_req(
    _caller: AsCaller,
    state: web::Data<AppState>,
    body: web::Json<ParRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let call = ParCall {
        parameters: &req.parameters,
        client_id: req.client_id.as_deref(),
        client_secret: req.client_secret.as_deref(),
        client_authorization: client_authorization(
            req.client_id.as_deref(),
            req.client_secret.as_deref(),
            req.client_authorization.as_deref(),
        )?,
        dpop: req.dpop.as_deref(),
        dpop_header_count: req.dpop_header_count.unwrap_or(0) as usize,
        htm: req.htm.as_deref(),
        htu: req.htu.as_deref(),
        dpop_nonce_required: req.dpop_nonce_required.unwrap_or(false),
        now: None,
    };
    let outcome = par::push(&state.core, call).await;
    Ok(HttpResponse::Ok().json(wire::pushed(outcome)?))
}

pub const PATHS: &[&str] = &["/pushed_auth_req", "/api/pushed_auth_req"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(pushed_auth_req)));
    }
}
