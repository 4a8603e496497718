//! `POST /auth/userinfo` (and `/api/auth/userinfo`), role `rs`: the OpenID Connect userinfo
//! endpoint (OIDC Core §5.3) forwards the access token, its `DPoP` header, method and URL;
//! dpopd checks them as introspection does, with the `openid` scope required, and answers `OK`
//! with `subject`, `scopes` and `clientId`, from which the caller builds the claims.
use super::answer::Api;
use super::caller::RsCaller;
use super::fields::{DpopFields, TokenScheme};
use super::introspection::answer;
use super::ApiError;
use crate::clock::UnixTime;
use crate::live::Live;
use crate::oauth::introspection::{self, IntrospectionCall};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfoRequest {
    pub token: Option<String>,
    #[serde(flatten)]
    pub dpop: DpopFields,
    #[serde(default)]
    pub token_scheme: TokenScheme,
    /// The resource is DPoP-only (absent: the caller's `dpop_only`).
    pub dpop_required: Option<bool>,
}

pub async fn userinfo(
    caller: RsCaller,
    live: Live,
    body: web::Json<UserInfoRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let now = UnixTime::now();
    let dpop = req.dpop.into_input("GET", None)?;
    let call = IntrospectionCall {
        token: req.token.as_deref(),
        scopes: &[],
        subject: None,
        resources: &[],
        scheme: req.token_scheme.0,
        dpop,
        dpop_required: req.dpop_required.unwrap_or(caller.0.dpop_only()),
        thumbprint: None,
    };
    let outcome = introspection::userinfo(&live.core, &call, now).await;
    let response = answer(outcome, Api::UserInfo, live.core.service_algs, now);
    Ok(HttpResponse::Ok().json(response))
}

pub const PATHS: &[&str] = &["/auth/userinfo", "/api/auth/userinfo"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(userinfo)));
    }
}
