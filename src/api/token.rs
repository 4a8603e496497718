//! `POST /auth/token` (and `/api/auth/token`), role `as`: the AS forwards its token endpoint's
//! form body, client credentials (decoded, or the `Authorization` header verbatim) and `DPoP`
//! header; dpopd answers with the `action` and the RFC 6749 §5.1/§5.2 body to relay (SPEC §2).
use super::action::Action;
use super::caller::AsCaller;
use super::client_credentials::client_authorization;
use super::result_code::ResultCode as R;
use super::token_wire;
use super::{bounded, ApiError};
use crate::json::JsonObject;
use crate::oauth::grants::{self, TokenCall};
use crate::oauth::{Property, MAX_PROPERTIES};
use crate::startup::AppState;
use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
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
    pub access_token_duration: Option<u64>,
    pub refresh_token_duration: Option<u64>,
    /// A JSON object as text (Authlete's format).
    pub jwt_at_claims: Option<String>,
    pub properties: Option<Vec<Property>>,
}

/// The answer of `/auth/token`. `Serialize` is the contract (and the reference the tests
/// compare with); [`TokenResponse::to_json`] writes the same text faster.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub action: Option<Action>,
    pub result_code: &'static str,
    pub result_message: String,
    pub response_content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<Property>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
}

impl TokenResponse {
    /// The JSON text `serde_json::to_string(self)` gives, members in the same order.
    pub fn to_json(&self) -> String {
        let mut json = JsonObject::with_capacity(
            512 + 2 * self.response_content.len()
                + self.access_token.as_ref().map_or(0, String::len),
        );
        json.serialized("action", &self.action)
            .str("resultCode", self.result_code)
            .str("resultMessage", &self.result_message)
            .str("responseContent", &self.response_content)
            .opt_str("dpopNonce", self.dpop_nonce.as_deref())
            .opt_str("accessToken", self.access_token.as_deref())
            .opt_int("accessTokenExpiresAt", self.access_token_expires_at)
            .opt_int("accessTokenDuration", self.access_token_duration)
            .opt_str("refreshToken", self.refresh_token.as_deref())
            .opt_int("refreshTokenExpiresAt", self.refresh_token_expires_at)
            .opt_str("tokenType", self.token_type)
            .opt_str("grantType", self.grant_type)
            .opt_str("clientId", self.client_id.as_deref())
            .opt_str("subject", self.subject.as_deref());
        if let Some(scopes) = &self.scopes {
            json.serialized("scopes", scopes);
        }
        if let Some(properties) = &self.properties {
            json.serialized("properties", properties);
        }
        json.opt_str("jkt", self.jkt.as_deref());
        json.finish()
    }
}

pub async fn token(
    _caller: AsCaller,
    state: web::Data<AppState>,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let jwt_at_claims = token_wire::parse_jwt_at_claims(req.jwt_at_claims.as_deref())?;
    let max = state.core.max_lifetime_override_secs;
    let call = TokenCall {
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
        access_token_duration: duration("accessTokenDuration", req.access_token_duration, max)?,
        refresh_token_duration: duration("refreshTokenDuration", req.refresh_token_duration, max)?,
        jwt_at_claims,
        properties: bounded("properties", req.properties, MAX_PROPERTIES)?.unwrap_or_default(),
        now: None,
    };
    let outcome = grants::token(&state.core, call).await;
    let response = token_wire::answer(outcome)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(response.to_json()))
}

/// `accessTokenDuration` or `refreshTokenDuration` (seconds; 0 or absent means not set), here
/// and at `/auth/token/create`. Above `tokens.max_lifetime_override_secs` it is the caller's
/// mistake, refused before any grant runs: a silent cap would issue a token living shorter than
/// asked without saying so.
pub(super) fn duration(name: &str, secs: Option<u64>, max: i64) -> Result<Option<u64>, ApiError> {
    match secs {
        Some(s) if i64::try_from(s).map_or(true, |s| s > max) => Err(ApiError::with_detail(
            R::DurationTooLong,
            format!("{name} {s} is above tokens.max_lifetime_override_secs ({max})"),
        )),
        other => Ok(other),
    }
}

pub const PATHS: &[&str] = &["/auth/token", "/api/auth/token"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    // One resource per path, so other methods get 405 rather than 404.
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(token)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations_above_the_maximum_are_refused_never_capped() {
        let max = 31_536_000;
        let refused = [
            max as u64 + 1,
            i64::MAX as u64,
            i64::MAX as u64 + 1,
            u64::MAX,
        ];
        for secs in refused {
            let e = duration("accessTokenDuration", Some(secs), max).unwrap_err();
            assert_eq!(e.code, R::DurationTooLong, "{secs}");
            assert!(e.detail.unwrap().contains(&secs.to_string()), "{secs}");
        }
        for secs in [None, Some(0), Some(1), Some(max as u64)] {
            assert_eq!(duration("refreshTokenDuration", secs, max).unwrap(), secs);
        }
    }

    fn response() -> impl Strategy<Value = TokenResponse> {
        let text = || any::<Option<String>>();
        let number = || any::<Option<i64>>();
        let property = (any::<String>(), any::<String>(), any::<bool>())
            .prop_map(|(key, value, hidden)| Property { key, value, hidden });
        (
            (
                any::<bool>(),
                any::<String>(),
                any::<String>(),
                text(),
                text(),
                number(),
                number(),
                text(),
            ),
            (
                number(),
                any::<bool>(),
                text(),
                text(),
                proptest::option::of(proptest::collection::vec(any::<String>(), 0..3)),
            ),
            (
                proptest::option::of(proptest::collection::vec(property, 0..3)),
                text(),
            ),
        )
            .prop_map(|(a, b, c)| TokenResponse {
                action: a.0.then_some(Action::Ok),
                result_code: "A050001",
                result_message: a.1,
                response_content: a.2,
                dpop_nonce: a.3,
                access_token: a.4,
                access_token_expires_at: a.5,
                access_token_duration: a.6,
                refresh_token: a.7,
                refresh_token_expires_at: b.0,
                token_type: b.1.then_some("DPoP"),
                grant_type: b.1.then_some("CLIENT_CREDENTIALS"),
                client_id: b.2,
                subject: b.3,
                scopes: b.4,
                properties: c.0,
                jkt: c.1,
            })
    }

    proptest! {
        #[test]
        fn to_json_writes_what_serde_writes(response in response()) {
            prop_assert_eq!(response.to_json(), serde_json::to_string(&response).unwrap());
        }
    }
}
