//! The JSON API (docs/api.md): one file per endpoint with its request and response types and a
//! thin handler that checks the caller's fields (`fields`), reads the clock once, makes one
//! domain call and answers. Every outcome becomes a wire answer in one place (`answer`), after
//! the table of its refusals (`refusals`); problems with the call itself (caller credentials,
//! malformed JSON, a field dpopd cannot use, size) are [`ApiError`]s, the only non-200 answers.
pub mod action;
pub mod answer;
pub mod authorization;
pub mod body;
pub mod caller;
pub mod dpop_explain;
pub mod fields;
pub mod gateway;
pub mod introspection;
pub mod introspection_standard;
pub mod par;
mod refusals;
pub mod request_id;
pub mod request_time;
pub mod result_code;
pub mod revocation;
pub mod service;
pub mod service_prefix;
pub mod token;
pub mod token_create;
pub mod token_revoke;
pub mod userinfo;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use result_code::ResultCode;

/// Every path dpopd serves, the Authlete V3 templates (`/api/{serviceId}/...`) of its `/api/...`
/// paths included; `openapi.yaml` must describe each (a contract test checks).
pub fn all_paths() -> Vec<String> {
    let paths = [
        token::PATHS,
        token_create::PATHS,
        token_revoke::PATHS,
        authorization::PATHS,
        authorization::ISSUE_PATHS,
        authorization::FAIL_PATHS,
        par::PATHS,
        revocation::PATHS,
        introspection::PATHS,
        introspection_standard::PATHS,
        userinfo::PATHS,
        userinfo::ISSUE_PATHS,
        dpop_explain::PATHS,
        service::JWKS_PATHS,
        service::CONFIGURATION_PATHS,
        service::OPERATIONS_PATHS,
    ]
    .concat();
    let v3 = service_prefix::templates(&paths);
    // The gateway endpoints and resource metadata are not Authlete's: they have no V3 form.
    let gateway = gateway::PATHS
        .iter()
        .chain(service::RESOURCE_PATHS)
        .copied();
    paths
        .into_iter()
        .chain(gateway)
        .map(String::from)
        .chain(v3)
        .collect()
}

/// A problem with the API call itself: answered with a non-200 status and
/// `{"resultCode","resultMessage"}` (docs/api.md, "Calls").
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .code.code())]
pub struct ApiError {
    pub code: ResultCode,
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(code: ResultCode) -> ApiError {
        ApiError { code, detail: None }
    }

    pub fn with_detail(code: ResultCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            code,
            detail: Some(detail.into()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self.code {
            ResultCode::CallerUnauthenticated => StatusCode::UNAUTHORIZED,
            ResultCode::CallerForbidden => StatusCode::FORBIDDEN,
            ResultCode::UnknownService | ResultCode::GatewayRouteUnknown => StatusCode::NOT_FOUND,
            ResultCode::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ResultCode::ExplainRateLimited => StatusCode::TOO_MANY_REQUESTS,
            ResultCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match &self.detail {
            Some(detail) => self.code.message_with(detail),
            None => self.code.message(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if self.code == ResultCode::ExplainRateLimited {
            // RFC 9110 §10.2.3: a bucket of a minute's calls refills one within the minute.
            response.insert_header(("Retry-After", "60"));
        }
        if self.code == ResultCode::CallerUnauthenticated {
            response.insert_header((
                "WWW-Authenticate",
                "Basic realm=\"dpopd\", Bearer realm=\"dpopd\"",
            ));
        }
        response
            .json(serde_json::json!({ "resultCode": self.code.code(), "resultMessage": message }))
    }
}

/// The refusal of a JSON body that does not deserialize: a field dpopd cannot use, or text that
/// is not the request's JSON at all.
pub fn body_error(e: &serde_json::Error) -> ApiError {
    let message = e.to_string();
    match fields::field_error_detail(&message) {
        Some(detail) => ApiError::with_detail(ResultCode::InvalidField, truncate(detail, 200)),
        None => ApiError::with_detail(ResultCode::MalformedRequest, truncate(&message, 200)),
    }
}

/// Caps text that may contain caller or client input before it goes into a message or log,
/// and escapes what could forge or disguise a line there (CWE-117): control characters (a
/// client's `htm` of `GET\r\n...`), line and paragraph separators, bidirectional overrides.
pub fn truncate(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4) + 3);
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
