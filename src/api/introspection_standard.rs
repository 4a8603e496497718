//! `POST /auth/introspection/standard` (and `/api/auth/introspection/standard`), role `rs`:
//! RFC 7662 introspection. The caller forwards the form body its introspection endpoint
//! received; `responseContent` is the RFC 7662 §2.2 JSON to relay — the token's data when it is
//! active, `{"active":false}` for anything not usable — or an RFC 6749 §5.2 error body.
use super::action::Action;
use super::caller::RsCaller;
use super::result_code::ResultCode as R;
use crate::clock::UnixTime;
use crate::oauth::access::VerifiedAccess;
use crate::oauth::refresh::RefreshRecord;
use crate::oauth::token_info::{self, TokenInfo, TokenInfoError};
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StandardIntrospectionRequest {
    pub parameters: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StandardIntrospectionResponse {
    pub action: Action,
    pub result_code: &'static str,
    pub result_message: String,
    pub response_content: String,
}

pub async fn standard(
    _caller: RsCaller,
    state: web::Data<AppState>,
    body: web::Json<StandardIntrospectionRequest>,
) -> HttpResponse {
    let result = token_info::token_info(&state.core, &body.parameters, UnixTime::now()).await;
    HttpResponse::Ok().json(answer(result, &state.core.issuer))
}

/// The one place standard-introspection outcomes become wire answers.
fn answer(
    result: Result<TokenInfo, TokenInfoError>,
    issuer: &str,
) -> StandardIntrospectionResponse {
    let (action, code, content, detail) = match result {
        Ok(TokenInfo::Access(access)) => (Action::Ok, R::TokenActive, access_json(&access), None),
        Ok(TokenInfo::Refresh(record)) => (
            Action::Ok,
            R::TokenActive,
            refresh_json(&record, issuer),
            None,
        ),
        Ok(TokenInfo::Inactive(why)) => (
            Action::Ok,
            R::TokenInactive,
            json!({ "active": false }),
            Some(why.to_string()),
        ),
        Err(e) => {
            let (action, code, error) = match &e {
                TokenInfoError::Params(_) => (
                    Action::BadRequest,
                    R::StandardIntrospectionParamsMalformed,
                    "invalid_request",
                ),
                TokenInfoError::MissingToken => (
                    Action::BadRequest,
                    R::StandardIntrospectionTokenMissing,
                    "invalid_request",
                ),
                TokenInfoError::StoreUnavailable => (
                    Action::InternalServerError,
                    R::StandardIntrospectionStoreUnavailable,
                    "server_error",
                ),
            };
            (
                action,
                code,
                json!({ "error": error, "error_description": code.text() }),
                Some(e.to_string()),
            )
        }
    };
    metrics::counter!("dpopd_requests_total", "api" => "introspection_standard", "action" => action.name()).increment(1);
    let result_message = match &detail {
        Some(detail) => code.message_with(&super::truncate(detail, 512)),
        None => code.message(),
    };
    StandardIntrospectionResponse {
        action,
        result_code: code.code(),
        result_message,
        response_content: content.to_string(),
    }
}

/// RFC 7662 §2.2 for an access token, with RFC 9449 §6.2's `cnf.jkt` and `token_type`.
fn access_json(access: &VerifiedAccess) -> Value {
    let c = &access.claims;
    let mut body = json!({
        "active": true, "scope": c.scope, "client_id": c.client_id, "sub": c.sub, "exp": c.exp,
        "iat": c.iat, "iss": c.iss, "aud": c.aud, "jti": c.jti, "token_type": access.token_type().name(),
    });
    if let Some(jkt) = &access.jkt {
        body["cnf"] = json!({ "jkt": jkt.as_str() });
    }
    body
}

/// RFC 7662 §2.2 for a refresh token: no `token_type` (RFC 6749 §7.1 types access tokens only).
fn refresh_json(record: &RefreshRecord, issuer: &str) -> Value {
    let mut body = json!({
        "active": true, "scope": record.scopes.join(" "), "client_id": record.client_id, "sub": record.subject,
        "exp": record.exp, "iat": record.iat, "iss": issuer,
    });
    if let Some(jkt) = &record.jkt {
        body["cnf"] = json!({ "jkt": jkt });
    }
    body
}

pub const PATHS: &[&str] = &[
    "/auth/introspection/standard",
    "/api/auth/introspection/standard",
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(web::resource(*path).route(web::post().to(standard)));
    }
}
