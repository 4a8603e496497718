//! `POST /auth/userinfo` (and `/api/auth/userinfo`), role `rs`: the OpenID Connect userinfo
//! endpoint (OIDC Core §5.3) forwards the access token, its `DPoP` header, method and URL;
//! dpopd checks them as introspection does, with the `openid` scope required, and answers `OK`
//! with `subject`, `scopes` and `clientId`, from which the caller builds the claims.
use super::caller::RsCaller;
use super::introspection::token_scheme;
use super::rs_wire::{self, RsApi};
use super::ApiError;
use crate::oauth::introspection::{self, IntrospectionCall};
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfoRequest {
    pub token: Option<String>,
    pub dpop: Option<String>,
    pub dpop_header_count: Option<u32>,
    pub htm: Option<String>,
    pub htu: Option<String>,
    pub dpop_nonce_required: Option<bool>,
    pub token_scheme: Option<String>,
}

pub async fn userinfo(
    _caller: RsCaller,
    state: web::Data<AppState>,
    body: web::Json<UserInfoRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let call = IntrospectionCall {
        token: req.token.as_deref(),
        dpop: req.dpop.as_deref(),
        dpop_header_count: req.dpop_header_count.unwrap_or(0) as usize,
        htm: req.htm.as_deref(),
        htu: req.htu.as_deref(),
        dpop_nonce_required: req.dpop_nonce_required.unwrap_or(false),
        scheme: token_scheme(req.token_scheme.as_deref())?,
        ..IntrospectionCall::default()
    };
    let outcome = introspection::userinfo(&state.core, &call).await;
    let response = rs_wire::answer(outcome, RsApi::UserInfo, state.core.service_algs)?;
    Ok(HttpResponse::Ok().json(response))
}

pub const PATHS: &[&str] = &["/auth/userinfo", "/api/auth/userinfo"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(userinfo)));
    }
}
