//! `POST /auth/introspection/standard` (and `/api/auth/introspection/standard`), role `rs`:
//! RFC 7662 introspection. The caller forwards the form body its introspection endpoint
//! received; `responseContent` is the RFC 7662 §2.2 JSON to relay — the token's data when it is
//! active, `{"active":false}` for anything not usable — or an RFC 6749 §5.2 error body.
use super::action::Action;
use super::answer::{accept, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::RsCaller;
use super::request_time::route;
use super::result_code::ResultCode as R;
use crate::clock::UnixTime;
use crate::live::Live;
use crate::oauth::access::VerifiedAccess;
use crate::oauth::introspection_standard::{self as domain, TokenInfo};
use crate::oauth::refresh::RefreshRecord;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StandardIntrospectionRequest {
    /// The RFC 7662 §2.1 form body, verbatim.
    pub parameters: String,
}

/// The answer: `responseContent` is the RFC 7662 §2.2 JSON, or an RFC 6749 §5.2 error body.
pub type StandardIntrospectionResponse = Head;

pub async fn standard(
    _caller: RsCaller,
    live: Live,
    body: ApiJson<StandardIntrospectionRequest>,
) -> HttpResponse {
    let result = domain::token_info(&live.core, &body.parameters, UnixTime::now()).await;
    let api = Api::IntrospectionStandard;
    let head = match result {
        Ok(TokenInfo::Access(access)) => accept(
            api,
            Action::Ok,
            R::TokenActive,
            Some(access_json(&access).to_string()),
        ),
        Ok(TokenInfo::Refresh(record)) => accept(
            api,
            Action::Ok,
            R::TokenActive,
            Some(refresh_json(&record, &live.core.issuer).to_string()),
        ),
        Ok(TokenInfo::Inactive(why)) => {
            // RFC 7662 §2.2: nothing but `active`; why is for the caller's logs.
            let head = accept(
                api,
                Action::Ok,
                R::TokenInactive,
                Some(json!({ "active": false }).to_string()),
            );
            Head {
                result_message: R::TokenInactive
                    .message_with(&super::truncate(&why.to_string(), 512)),
                ..head
            }
        }
        Err(error) => refuse(api, &error, Body::Json),
    };
    HttpResponse::Ok().json(head)
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
        cfg.service(route(path, Api::IntrospectionStandard).route(web::post().to(standard)));
    }
}
