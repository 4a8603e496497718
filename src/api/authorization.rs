//! `POST /auth/authorization`, `/auth/authorization/issue` and `/auth/authorization/fail` (and
//! their `/api/...` paths), role `as`: the AS forwards its authorization endpoint's query or
//! form (RFC 6749 §4.1.1), shows its own login and consent pages for the `ticket` dpopd hands
//! back, then asks for the authorization response — a code (RFC 6749 §4.1.2, `iss` per
//! RFC 9207) or an error — and redirects the user agent to it (docs/api.md, "Authorization code
//! flow").
use super::action::Action;
use super::answer::{accept, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::AsCaller;
use super::fields::{bounded, JwtAtClaims};
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::jose::Jkt;
use crate::live::Live;
use crate::oauth::authorization::{
    self as domain, AuthorizationCall, AuthorizationError, FailCall, FailReason, Interaction,
    IssueCall, Prompt, Refusal,
};
use crate::oauth::id_token::{AuthenticationInput, MAX_AMR_VALUES};
use crate::oauth::scope::MAX_SCOPES;
use crate::oauth::{Property, MAX_PROPERTIES};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationRequest {
    /// The query string (GET) or form body (POST) the authorization endpoint received.
    pub parameters: String,
}

/// A scope as Authlete's authorization response lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeEntry {
    pub name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationResponse {
    /// `LOCATION`: the error redirect; `BAD_REQUEST`, `INTERNAL_SERVER_ERROR`: a JSON error.
    #[serde(flatten)]
    pub head: Head,
    #[serde(flatten)]
    pub interaction: Option<InteractionData>,
}

/// What the caller's login and consent pages need (`INTERACTION`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionData {
    pub ticket: String,
    pub client_id: String,
    pub scopes: Vec<ScopeEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub redirect_uri: String,
    pub prompts: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<Jkt>,
    pub pushed: bool,
    /// OpenID Connect (OIDC Core §3.1.2.1): the longest time since the user's last
    /// authentication the client accepts, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// `acr_values`, in order of preference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acrs: Vec<String>,
    /// Every claim the request asks for, by scope (OIDC Core §5.4) or the `claims` parameter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ui_locales: Vec<String>,
    /// The request's `nonce`, which its ID token will carry as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueRequest {
    pub ticket: String,
    pub subject: String,
    pub scopes: Option<Vec<String>>,
    pub properties: Option<Vec<Property>>,
    #[serde(default)]
    pub jwt_at_claims: JwtAtClaims,
    /// OpenID Connect: when the user authenticated, in seconds since the epoch.
    pub auth_time: Option<i64>,
    pub acr: Option<String>,
    pub amr: Option<Vec<String>>,
    pub sid: Option<String>,
    /// Authlete's `claims`: the text of a JSON object of the user's claim values; those the
    /// request asked for go into the ID token.
    pub claims: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailRequest {
    pub ticket: String,
    pub reason: FailReason,
    pub description: Option<String>,
}

/// The answer of `/issue` and `/fail`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketResponse {
    /// `LOCATION`: the URL to redirect to; otherwise a JSON error.
    #[serde(flatten)]
    pub head: Head,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<String>,
}

pub async fn authorization(
    _caller: AsCaller,
    live: Live,
    body: ApiJson<AuthorizationRequest>,
) -> HttpResponse {
    let call = AuthorizationCall {
        parameters: &body.parameters,
    };
    let result = domain::authorize(&live.core, call, UnixTime::now()).await;
    HttpResponse::Ok().json(authorization_answer(result, &live.core.issuer))
}

fn authorization_answer(
    result: Result<Interaction, AuthorizationError>,
    issuer: &str,
) -> AuthorizationResponse {
    match result {
        Ok(interaction) => {
            let request = interaction.request;
            // OIDC Core §3.1.2.1: `prompt=none` shows nothing to the user.
            let (action, code) = if request.prompts.contains(&Prompt::None) {
                (Action::NoInteraction, R::AuthorizationNoInteraction)
            } else {
                (Action::Interaction, R::AuthorizationInteraction)
            };
            let oidc = request.oidc.clone().unwrap_or_default();
            let claims = match request.is_openid() {
                true => oidc.requested_claims(&request.scopes),
                false => Vec::new(),
            };
            AuthorizationResponse {
                head: accept(Api::Authorization, action, code, None),
                interaction: Some(InteractionData {
                    max_age: oidc.max_age,
                    acrs: oidc.acr_values,
                    claims,
                    login_hint: oidc.login_hint,
                    ui_locales: oidc.ui_locales,
                    nonce: oidc.nonce,
                    ticket: interaction.ticket,
                    client_id: request.client_id,
                    scopes: request
                        .scopes
                        .into_iter()
                        .map(|name| ScopeEntry { name })
                        .collect(),
                    state: request.state,
                    redirect_uri: request.redirect_uri,
                    prompts: request.prompts.iter().map(|p| p.api_name()).collect(),
                    dpop_jkt: request.dpop_jkt,
                    pushed: interaction.pushed,
                }),
            }
        }
        Err(error) => {
            // A problem with a request whose redirect URI is trusted goes back to the client
            // (RFC 6749 §4.1.2.1); anything else is shown by the AS.
            let body = match &error {
                AuthorizationError::Refused(Refusal::Problem { to, .. }) => {
                    Body::Redirect { to, issuer }
                }
                _ => Body::Json,
            };
            AuthorizationResponse {
                head: refuse(Api::Authorization, &error, body),
                interaction: None,
            }
        }
    }
}

pub async fn issue(
    _caller: AsCaller,
    live: Live,
    body: ApiJson<IssueRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let scopes = match req.scopes {
        Some(scopes) => Some(bounded("scopes", Some(scopes), MAX_SCOPES)?),
        None => None,
    };
    let call = IssueCall {
        ticket: &req.ticket,
        subject: &req.subject,
        scopes,
        properties: bounded("properties", req.properties, MAX_PROPERTIES)?,
        jwt_at_claims: req.jwt_at_claims.0,
        authentication: AuthenticationInput {
            auth_time: req.auth_time,
            acr: req.acr.as_deref(),
            amr: bounded("amr", req.amr, MAX_AMR_VALUES)?,
            sid: req.sid.as_deref(),
            claims: req.claims.as_deref(),
        },
    };
    let answer = match domain::issue(&live.core, call, UnixTime::now()).await {
        Ok(issued) => TicketResponse {
            head: accept(
                Api::AuthorizationIssue,
                Action::Location,
                R::AuthorizationIssued,
                Some(issued.location),
            ),
            authorization_code: Some(issued.code),
        },
        Err(error) => TicketResponse {
            head: refuse(Api::AuthorizationIssue, &error, Body::Json),
            authorization_code: None,
        },
    };
    Ok(HttpResponse::Ok().json(answer))
}

pub async fn fail(_caller: AsCaller, live: Live, body: ApiJson<FailRequest>) -> HttpResponse {
    let call = FailCall {
        ticket: &body.ticket,
        reason: body.reason,
        description: body.description.as_deref(),
    };
    let head = match domain::fail(&live.core, call, UnixTime::now()).await {
        Ok(location) => accept(
            Api::AuthorizationFail,
            Action::Location,
            R::AuthorizationFailed,
            Some(location),
        ),
        Err(error) => refuse(Api::AuthorizationFail, &error, Body::Json),
    };
    HttpResponse::Ok().json(TicketResponse {
        head,
        authorization_code: None,
    })
}

pub const PATHS: &[&str] = &["/auth/authorization", "/api/auth/authorization"];
pub const ISSUE_PATHS: &[&str] = &["/auth/authorization/issue", "/api/auth/authorization/issue"];
pub const FAIL_PATHS: &[&str] = &["/auth/authorization/fail", "/api/auth/authorization/fail"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(route(path, Api::Authorization).route(web::post().to(authorization)));
    }
    for path in ISSUE_PATHS {
        cfg.service(route(path, Api::AuthorizationIssue).route(web::post().to(issue)));
    }
    for path in FAIL_PATHS {
        cfg.service(route(path, Api::AuthorizationFail).route(web::post().to(fail)));
    }
}
