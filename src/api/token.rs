//! `POST /auth/token` (and `/api/auth/token`), role `as`: the AS forwards its token endpoint's
//! form body, the client's credentials and `DPoP` header; dpopd answers with the `action` and
//! the RFC 6749 §5.1/§5.2 body to relay (docs/api.md, "Token endpoint").
use super::action::Action;
use super::answer::{accept, record_proof_time, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::AsCaller;
use super::fields::{bounded, lifetimes, ClientFields, DpopFields, JwtAtClaims};
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::json::JsonObject;
use crate::live::{Live, Reloadable};
use crate::oauth::clients::GrantType;
use crate::oauth::grants::{self, Issued, TokenCall, TokenOutcome};
use crate::oauth::{Property, MAX_PROPERTIES};
use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// The form body the token endpoint received, verbatim.
    pub parameters: String,
    #[serde(flatten)]
    pub client: ClientFields,
    #[serde(flatten)]
    pub dpop: DpopFields,
    pub access_token_duration: Option<u64>,
    pub refresh_token_duration: Option<u64>,
    #[serde(default)]
    pub jwt_at_claims: JwtAtClaims,
    pub properties: Option<Vec<Property>>,
}

/// The answer of `/auth/token`. `Serialize` is the contract (and the reference the tests
/// compare with); [`TokenResponse::to_json`] writes the same text faster.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    #[serde(flatten)]
    pub head: Head,
    #[serde(flatten)]
    pub issued: Option<IssuedTokens>,
}

/// The token data of a successful answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedTokens {
    pub access_token: String,
    pub access_token_expires_at: i64,
    pub access_token_duration: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
    pub token_type: &'static str,
    pub grant_type: &'static str,
    pub client_id: String,
    pub subject: String,
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<Property>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// OpenID Connect: the ID token, also in `responseContent` as `id_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl TokenResponse {
    /// The JSON text `serde_json::to_string(self)` gives, members in the same order.
    pub fn to_json(&self) -> String {
        let head = &self.head;
        let content = head.response_content.as_deref().unwrap_or_default();
        let token_len = self.issued.as_ref().map_or(0, |i| i.access_token.len());
        let mut json = JsonObject::with_capacity(512 + 2 * content.len() + token_len);
        head.write(&mut json);
        if let Some(issued) = &self.issued {
            json.str("accessToken", &issued.access_token)
                .int("accessTokenExpiresAt", issued.access_token_expires_at)
                .int("accessTokenDuration", issued.access_token_duration)
                .opt_str("refreshToken", issued.refresh_token.as_deref())
                .opt_int("refreshTokenExpiresAt", issued.refresh_token_expires_at)
                .str("tokenType", issued.token_type)
                .str("grantType", issued.grant_type)
                .str("clientId", &issued.client_id)
                .str("subject", &issued.subject)
                .serialized("scopes", &issued.scopes);
            if let Some(properties) = &issued.properties {
                json.serialized("properties", properties);
            }
            json.opt_str("jkt", issued.jkt.as_deref())
                .opt_str("idToken", issued.id_token.as_deref());
        }
        json.finish()
    }
}

pub async fn token(
    _caller: AsCaller,
    live: Live,
    body: ApiJson<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(token_answer(&live, body.into_inner()).await?))
}

/// The JSON text of the answer to `req` on the configuration `live`, for a caller already
/// authenticated: everything the endpoint does past HTTP, so that another server can serve it
/// alike (examples/hyper_server.rs, docs/performance.md "The HTTP stack").
pub async fn token_answer(live: &Reloadable, req: TokenRequest) -> Result<String, ApiError> {
    let core = &live.core;
    let now = UnixTime::now();
    let call = TokenCall {
        parameters: &req.parameters,
        credentials: req.client.credentials()?,
        dpop: req.dpop.into_input("POST", Some(&core.token_htu))?,
        lifetimes: lifetimes(
            req.access_token_duration,
            req.refresh_token_duration,
            core.max_lifetime_override_secs,
        )?,
        jwt_at_claims: req.jwt_at_claims.0,
        properties: bounded("properties", req.properties, MAX_PROPERTIES)?,
    };
    let outcome = grants::token(core, call, now).await;
    Ok(answer(outcome, now).to_json())
}

fn answer(outcome: TokenOutcome, now: UnixTime) -> TokenResponse {
    let (head, issued) = match outcome.result {
        Ok(issued) => {
            let head = accept(
                Api::Token,
                Action::Ok,
                success_code(issued.grant),
                Some(issued.response_body()),
            );
            (head, Some(issued_tokens(issued, now)))
        }
        Err(error) => (refuse(Api::Token, &error, Body::Json), None),
    };
    TokenResponse {
        head: head.with_nonce(outcome.dpop_nonce),
        issued,
    }
}

fn success_code(grant: GrantType) -> R {
    match grant {
        GrantType::AuthorizationCode => R::AuthorizationCodeIssued,
        GrantType::ClientCredentials => R::ClientCredentialsIssued,
        GrantType::RefreshToken => R::RefreshTokenIssued,
    }
}

/// The token data of `issued`, counted under `dpopd_tokens_issued_total`.
pub(super) fn issued_tokens(issued: Issued, now: UnixTime) -> IssuedTokens {
    crate::telemetry::series()
        .token_issued(issued.grant)
        .increment(1);
    if let Some(iat) = issued.proof_iat {
        record_proof_time(iat, now);
    }
    IssuedTokens {
        access_token_expires_at: issued.access_expires_at.millis(),
        access_token_duration: issued.access_duration,
        refresh_token_expires_at: issued.refresh_expires_at.map(|t| t.millis()),
        token_type: issued.token_type.name(),
        grant_type: issued.grant.api_name(),
        jkt: issued.jkt.as_ref().map(|j| j.as_str().to_owned()),
        properties: Some(issued.properties).filter(|p| !p.is_empty()),
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        client_id: issued.client_id,
        subject: issued.subject,
        scopes: issued.scopes,
        id_token: issued.id_token,
    }
}

pub const PATHS: &[&str] = &["/auth/token", "/api/auth/token"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    // One resource per path, so other methods get 405 rather than 404.
    for path in PATHS {
        cfg.service(route(path, Api::Token).route(web::post().to(token)));
    }
}

#[cfg(test)]
mod tests;
