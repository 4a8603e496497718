//! `POST /auth/userinfo` (and `/api/auth/userinfo`), role `rs`: the OpenID Connect userinfo
//! endpoint (OIDC Core §5.3) forwards the access token, its `DPoP` header, method and URL;
//! dpopd checks them as introspection does, with the `openid` scope required, and answers `OK`
//! with `subject`, `scopes`, `clientId` and the `claims` the token allows. The caller looks up
//! their values and calls `POST /auth/userinfo/issue`, which answers with the response body to
//! send (docs/api.md, "Userinfo").
use super::action::Action;
use super::answer::{accept, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::RsCaller;
use super::fields::{DpopFields, TokenScheme};
use super::introspection::answer;
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::live::Live;
use crate::oauth::introspection::{self, IntrospectionCall, IntrospectionError};
use crate::oauth::tokens::TokenType;
use crate::oauth::userinfo::{self, IssueError};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

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
    body: ApiJson<UserInfoRequest>,
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfoIssueRequest {
    pub token: String,
    /// Authlete's `claims`: the text of a JSON object of the user's claim values.
    pub claims: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfoIssueResponse {
    /// `OK`: `responseContent` is the body to send with `contentType`; otherwise the
    /// `WWW-Authenticate` value, as `/auth/userinfo` answers.
    #[serde(flatten)]
    pub head: Head,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

pub async fn userinfo_issue(
    _caller: RsCaller,
    live: Live,
    body: ApiJson<UserInfoIssueRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let core = &live.core;
    let answer =
        match userinfo::issue(core, &req.token, req.claims.as_deref(), UnixTime::now()).await {
            Ok(issued) => UserInfoIssueResponse {
                head: accept(
                    Api::UserInfo,
                    Action::Ok,
                    R::UserInfoIssued,
                    Some(issued.body),
                ),
                content_type: Some(issued.content_type),
                subject: Some(issued.access.claims.sub.clone()),
                client_id: Some(issued.access.claims.client_id.clone()),
            },
            Err(IssueError::BadClaims) => {
                return Err(ApiError::with_detail(
                    R::InvalidField,
                    IssueError::BadClaims.to_string(),
                ))
            }
            Err(error) => {
                let body = Body::Challenge {
                    scheme: TokenType::DPoP,
                    bearer: true,
                    algs: core.service_algs,
                    scope: match &error {
                        IssueError::Token(IntrospectionError::InsufficientScope { required }) => {
                            Some(required.as_str())
                        }
                        _ => None,
                    },
                };
                UserInfoIssueResponse {
                    head: refuse(Api::UserInfo, &error, body),
                    content_type: None,
                    subject: None,
                    client_id: None,
                }
            }
        };
    Ok(HttpResponse::Ok().json(answer))
}

pub const PATHS: &[&str] = &["/auth/userinfo", "/api/auth/userinfo"];
pub const ISSUE_PATHS: &[&str] = &["/auth/userinfo/issue", "/api/auth/userinfo/issue"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(route(path, Api::UserInfo).route(web::post().to(userinfo)));
    }
    for path in ISSUE_PATHS {
        cfg.service(route(path, Api::UserInfo).route(web::post().to(userinfo_issue)));
    }
}
