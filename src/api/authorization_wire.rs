//! The one place where outcomes of the code flow family — authorization request, ticket
//! (`/issue`, `/fail`), PAR and delegated issuance — become wire answers: `action`,
//! `resultCode`, and the `responseContent` to relay (a redirect URL per RFC 6749 §4.1.2, or
//! an error body per RFC 6749 §5.2 / RFC 9126 §2.3 with fixed, client-safe text). The detail
//! of what failed goes to `resultMessage` and the log only.
use super::action::Action;
use super::authorization::{AuthorizationResponse, ScopeEntry, TicketResponse};
use super::client_credentials::header_refusal;
use super::par::ParResponse;
use super::result_code::ResultCode as R;
use super::token_create::TokenCreateResponse;
use super::token_wire::dpop;
use super::{truncate, ApiError};
use crate::oauth::authorization::{
    AuthorizationError, CodeIssued, Interaction, Problem, Refusal, TicketError, Untrusted,
};
use crate::oauth::clients::ClientAuthError;
use crate::oauth::grants::Issued;
use crate::oauth::par::{ParError, ParOutcome};
use crate::oauth::pkce::PkceError;
use crate::oauth::token_create::{CreateError, CreateOutcome};

/// (result code, OAuth error, client-facing description).
type Mapped = (R, &'static str, &'static str);

/// An authorization request that would not fit in a ticket or `request_uri`.
const REQUEST_TOO_LARGE: &str = "The authorization request is too large.";

fn json_error(error: &str, description: &str) -> String {
    serde_json::json!({ "error": error, "error_description": description }).to_string()
}

fn count(api: &'static str, action: Action) {
    metrics::counter!("dpopd_requests_total", "api" => api, "action" => action.name()).increment(1);
}

fn refused(api: &'static str, code: R, detail: &dyn std::fmt::Display) -> String {
    let detail = truncate(&detail.to_string(), 512);
    tracing::info!(api, result = code.code(), detail = %detail, "request refused");
    code.message_with(&detail)
}

pub fn authorization(
    result: Result<Interaction, AuthorizationError>,
    issuer: &str,
) -> AuthorizationResponse {
    let response = match result {
        Ok(interaction) => interaction_answer(interaction),
        Err(error) => {
            let (action, code, content) = match &error {
                AuthorizationError::Refused(Refusal::Untrusted(u)) => {
                    let (code, oauth_error, text) = untrusted(u);
                    (Action::BadRequest, code, json_error(oauth_error, text))
                }
                AuthorizationError::Refused(Refusal::Problem { problem, to }) => {
                    let (code, oauth_error, text) = self::problem(problem);
                    (
                        Action::Location,
                        code,
                        to.location(issuer, oauth_error, text),
                    )
                }
                AuthorizationError::TooLarge => {
                    let code = R::AuthorizationRequestTooLarge;
                    (
                        Action::BadRequest,
                        code,
                        json_error("invalid_request", REQUEST_TOO_LARGE),
                    )
                }
                AuthorizationError::StoreUnavailable | AuthorizationError::Sealing => (
                    Action::InternalServerError,
                    R::AuthorizationServerError,
                    json_error("server_error", "The server could not process the request."),
                ),
            };
            AuthorizationResponse {
                action: Some(action),
                result_code: code.code(),
                result_message: refused("authorization", code, &error),
                response_content: Some(content),
                ..AuthorizationResponse::default()
            }
        }
    };
    count(
        "authorization",
        response.action.unwrap_or(Action::InternalServerError),
    );
    response
}

fn interaction_answer(interaction: Interaction) -> AuthorizationResponse {
    let code = R::AuthorizationInteraction;
    let request = interaction.request;
    AuthorizationResponse {
        action: Some(Action::Interaction),
        result_code: code.code(),
        result_message: code.message(),
        ticket: Some(interaction.ticket),
        client_id: Some(request.client_id),
        scopes: Some(
            request
                .scopes
                .into_iter()
                .map(|name| ScopeEntry { name })
                .collect(),
        ),
        state: request.state,
        redirect_uri: Some(request.redirect_uri),
        prompts: Some(request.prompts.iter().map(|p| p.api_name()).collect()),
        dpop_jkt: request.dpop_jkt,
        pushed: Some(interaction.pushed),
        ..AuthorizationResponse::default()
    }
}

/// RFC 6749 §4.1.2.1: shown, not redirected.
fn untrusted(u: &Untrusted) -> Mapped {
    match u {
        Untrusted::Params(_) => (
            R::AuthorizationParamsMalformed,
            "invalid_request",
            "The request parameters are malformed or repeated.",
        ),
        Untrusted::MissingClientId | Untrusted::UnknownClient => (
            R::AuthorizationClientUnknown,
            "invalid_request",
            "The client_id is missing or unknown.",
        ),
        Untrusted::RedirectUriMissing | Untrusted::RedirectUriMismatch => (
            R::RedirectUriInvalid,
            "invalid_request",
            "The redirect_uri is missing or not registered.",
        ),
        // RFC 9101 §7: the error for an unusable request_uri.
        Untrusted::RequestUri(_) => (
            R::RequestUriInvalid,
            "invalid_request_uri",
            "The request_uri is invalid, expired or already used.",
        ),
    }
}

fn problem(p: &Problem) -> Mapped {
    match p {
        Problem::ResponseTypeMissing => (
            R::ResponseTypeInvalid,
            "invalid_request",
            "The response_type parameter is missing.",
        ),
        Problem::ResponseTypeUnsupported => (
            R::ResponseTypeInvalid,
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ),
        Problem::UnauthorizedClient => (
            R::AuthorizationGrantNotAllowed,
            "unauthorized_client",
            "The client may not use the authorization code flow.",
        ),
        Problem::BadScope => (
            R::AuthorizationScopeInvalid,
            "invalid_scope",
            "The scope parameter is malformed.",
        ),
        Problem::ScopeNotAllowed => (
            R::AuthorizationScopeInvalid,
            "invalid_scope",
            "The requested scope is not allowed.",
        ),
        Problem::TooManyScopes => (
            R::AuthorizationScopeTooMany,
            "invalid_scope",
            "The scope parameter has too many values.",
        ),
        Problem::Pkce(PkceError::Required) => (
            R::PkceInvalid,
            "invalid_request",
            "PKCE with code_challenge_method S256 is required.",
        ),
        Problem::Pkce(PkceError::PlainRefused | PkceError::UnknownMethod) => (
            R::PkceInvalid,
            "invalid_request",
            "Only code_challenge_method S256 is supported.",
        ),
        Problem::Pkce(_) => (
            R::PkceInvalid,
            "invalid_request",
            "The code_challenge is malformed.",
        ),
        Problem::BadDpopJkt => (
            R::DpopJktInvalid,
            "invalid_request",
            "The dpop_jkt parameter is malformed.",
        ),
        Problem::ParRequired => (
            R::ParRequired,
            "invalid_request",
            "Pushed authorization requests are required.",
        ),
        Problem::RequestUriNotAllowed => (
            R::ParRequestUriGiven,
            "invalid_request",
            "The request_uri parameter is not allowed here.",
        ),
        Problem::RequestObjectUnsupported => (
            R::RequestObjectUnsupported,
            "request_not_supported",
            "Request objects are not supported.",
        ),
        Problem::BadPrompt => (
            R::AuthorizationParamInvalid,
            "invalid_request",
            "The prompt parameter is invalid.",
        ),
        Problem::ResponseModeUnsupported => (
            R::AuthorizationParamInvalid,
            "invalid_request",
            "The response_mode is not supported.",
        ),
        Problem::StateTooLong => (
            R::AuthorizationParamInvalid,
            "invalid_request",
            "The state parameter is too long.",
        ),
        Problem::StateMalformed => (
            R::AuthorizationParamInvalid,
            "invalid_request",
            "The state parameter has characters other than printable ASCII.",
        ),
    }
}

pub fn issued(result: Result<CodeIssued, TicketError>) -> TicketResponse {
    let response = match result {
        Ok(issued) => TicketResponse {
            action: Some(Action::Location),
            result_code: R::AuthorizationIssued.code(),
            result_message: R::AuthorizationIssued.message(),
            response_content: issued.location,
            authorization_code: Some(issued.code),
        },
        Err(error) => ticket_failure("authorization_issue", &error),
    };
    count(
        "authorization_issue",
        response.action.unwrap_or(Action::InternalServerError),
    );
    response
}

pub fn failed(result: Result<String, TicketError>) -> TicketResponse {
    let response = match result {
        Ok(location) => TicketResponse {
            action: Some(Action::Location),
            result_code: R::AuthorizationFailed.code(),
            result_message: R::AuthorizationFailed.message(),
            response_content: location,
            authorization_code: None,
        },
        Err(error) => ticket_failure("authorization_fail", &error),
    };
    count(
        "authorization_fail",
        response.action.unwrap_or(Action::InternalServerError),
    );
    response
}

/// A ticket problem is the caller's: it is answered `BAD_REQUEST`, and the user sees an error
/// page at the AS, never a redirect.
fn ticket_failure(api: &'static str, error: &TicketError) -> TicketResponse {
    let (action, code, oauth_error) = match error {
        TicketError::Invalid => (Action::BadRequest, R::TicketInvalid, "invalid_request"),
        TicketError::Expired => (Action::BadRequest, R::TicketExpired, "invalid_request"),
        TicketError::Used => (Action::BadRequest, R::TicketUsed, "invalid_request"),
        TicketError::ScopeNotAllowed => (
            Action::BadRequest,
            R::TicketScopeNotAllowed,
            "invalid_request",
        ),
        TicketError::SubjectMissing | TicketError::BadDescription | TicketError::TooLarge => {
            (Action::BadRequest, R::TicketFieldInvalid, "invalid_request")
        }
        TicketError::StoreUnavailable | TicketError::Sealing => (
            Action::InternalServerError,
            R::TicketServerError,
            "server_error",
        ),
    };
    TicketResponse {
        action: Some(action),
        result_code: code.code(),
        result_message: refused(api, code, error),
        response_content: json_error(oauth_error, code.text()),
        authorization_code: None,
    }
}

pub fn pushed(outcome: ParOutcome) -> Result<ParResponse, ApiError> {
    let mut response = match outcome.result {
        Ok(pushed) => ParResponse {
            action: Some(Action::Created),
            result_code: R::RequestUriCreated.code(),
            result_message: R::RequestUriCreated.message(),
            response_content: serde_json::json!({ "request_uri": pushed.request_uri, "expires_in": pushed.expires_in }).to_string(),
            request_uri: Some(pushed.request_uri),
            client_id: Some(pushed.client_id),
            jkt: pushed.jkt,
            dpop_nonce: None,
        },
        Err(ParError::Caller(problem)) => return Err(ApiError::with_detail(R::InvalidField, problem)),
        Err(error) => {
            let (action, (code, oauth_error, text)) = par_failure(&error);
            ParResponse {
                action: Some(action),
                result_code: code.code(),
                result_message: refused("par", code, &error),
                response_content: json_error(oauth_error, text),
                ..ParResponse::default()
            }
        }
    };
    response.dpop_nonce = outcome.dpop_nonce;
    count(
        "par",
        response.action.unwrap_or(Action::InternalServerError),
    );
    Ok(response)
}

fn par_failure(error: &ParError) -> (Action, Mapped) {
    use Action::*;
    match error {
        ParError::Params(_) => (
            BadRequest,
            (
                R::AuthorizationParamsMalformed,
                "invalid_request",
                "The request parameters are malformed or repeated.",
            ),
        ),
        ParError::Client(ClientAuthError::Header(e)) => {
            let (action, code, error, text) = header_refusal(e, Unauthorized);
            (action, (code, error, text))
        }
        ParError::Client(ClientAuthError::MultipleMethods | ClientAuthError::ClientIdMismatch) => (
            BadRequest,
            (
                R::ParClientAuthAmbiguous,
                "invalid_request",
                "The client authenticated ambiguously.",
            ),
        ),
        ParError::Client(_) => (
            Unauthorized,
            (
                R::ParClientAuthFailed,
                "invalid_client",
                "Client authentication failed.",
            ),
        ),
        ParError::Request(Refusal::Untrusted(u)) => (BadRequest, untrusted(u)),
        ParError::Request(Refusal::Problem { problem: p, .. }) => (BadRequest, problem(p)),
        ParError::DpopJktMismatch => (
            BadRequest,
            (
                R::ParDpopJktMismatch,
                "invalid_request",
                "The dpop_jkt parameter does not match the DPoP proof.",
            ),
        ),
        ParError::Dpop(e) => dpop_failure(e),
        // As at the token endpoint: a counted DPoP header must come with its proof.
        ParError::ProofMissing => (
            BadRequest,
            (
                R::DpopProofRequired,
                "invalid_request",
                "DPoP proof required.",
            ),
        ),
        ParError::TooLarge => (
            BadRequest,
            (
                R::AuthorizationRequestTooLarge,
                "invalid_request",
                REQUEST_TOO_LARGE,
            ),
        ),
        ParError::StoreUnavailable | ParError::Sealing | ParError::Caller(_) => (
            InternalServerError,
            (
                R::ParServerError,
                "server_error",
                "The server could not process the request.",
            ),
        ),
    }
}

fn dpop_failure(e: &crate::dpop::proof::DpopError) -> (Action, Mapped) {
    metrics::counter!("dpopd_dpop_failures_total", "check" => e.check()).increment(1);
    let (action, code, error, text) = dpop(e);
    (action, (code, error, text))
}

pub fn created(outcome: CreateOutcome) -> Result<TokenCreateResponse, ApiError> {
    let mut response = match outcome.result {
        Ok(issued) => token_created(issued),
        Err(CreateError::Caller(problem)) => {
            return Err(ApiError::with_detail(R::InvalidField, problem))
        }
        Err(error) => {
            let (action, (code, oauth_error, text)) = create_failure(&error);
            TokenCreateResponse {
                action: Some(action),
                result_code: code.code(),
                result_message: refused("token_create", code, &error),
                response_content: json_error(oauth_error, text),
                ..TokenCreateResponse::default()
            }
        }
    };
    response.dpop_nonce = outcome.dpop_nonce;
    count(
        "token_create",
        response.action.unwrap_or(Action::InternalServerError),
    );
    Ok(response)
}

fn token_created(issued: Issued) -> TokenCreateResponse {
    let code = R::TokenCreated;
    metrics::counter!("dpopd_tokens_issued_total", "grant" => issued.grant.name()).increment(1);
    TokenCreateResponse {
        action: Some(Action::Ok),
        result_code: code.code(),
        result_message: code.message(),
        response_content: issued.response_body(),
        grant_type: Some(issued.grant.api_name()),
        token_type: Some(issued.token_type.name()),
        expires_at: Some(issued.access_expires_at.millis()),
        expires_in: Some(issued.access_duration),
        refresh_token_expires_at: issued.refresh_expires_at.map(|t| t.millis()),
        jkt: issued.jkt.as_ref().map(|j| j.as_str().to_owned()),
        properties: Some(issued.properties).filter(|p| !p.is_empty()),
        access_token: Some(issued.access_token),
        refresh_token: issued.refresh_token,
        client_id: Some(issued.client_id),
        subject: Some(issued.subject),
        scopes: Some(issued.scopes),
        dpop_nonce: None,
    }
}

fn create_failure(error: &CreateError) -> (Action, Mapped) {
    use Action::*;
    match error {
        CreateError::GrantTypeUnsupported => (
            BadRequest,
            (
                R::TokenCreateGrantTypeUnsupported,
                "unsupported_grant_type",
                "The grant type is not supported.",
            ),
        ),
        CreateError::UnknownClient => (
            BadRequest,
            (
                R::TokenCreateClientUnknown,
                "invalid_client",
                "The client is unknown.",
            ),
        ),
        CreateError::SubjectMissing => (
            BadRequest,
            (
                R::TokenCreateSubjectMissing,
                "invalid_request",
                "The subject is missing.",
            ),
        ),
        CreateError::BadScope => (
            BadRequest,
            (
                R::TokenCreateScopeMalformed,
                "invalid_scope",
                "A scope is malformed.",
            ),
        ),
        CreateError::BadThumbprint => (
            BadRequest,
            (
                R::TokenCreateThumbprintInvalid,
                "invalid_request",
                "The DPoP key thumbprint is malformed.",
            ),
        ),
        CreateError::ThumbprintMismatch => (
            BadRequest,
            (
                R::TokenCreateThumbprintMismatch,
                "invalid_request",
                "The DPoP key thumbprint does not match the DPoP proof.",
            ),
        ),
        CreateError::DpopRequired | CreateError::ProofMissing => (
            BadRequest,
            (
                R::TokenCreateDpopRequired,
                "invalid_request",
                "DPoP proof required.",
            ),
        ),
        CreateError::GrantNotAllowed(_) => (
            Forbidden,
            (
                R::TokenCreateGrantNotAllowed,
                "unauthorized_client",
                "The client is not allowed to use this grant type.",
            ),
        ),
        CreateError::ScopeNotAllowed => (
            Forbidden,
            (
                R::TokenCreateScopeNotAllowed,
                "invalid_scope",
                "The requested scope is not allowed.",
            ),
        ),
        CreateError::Dpop(e) => dpop_failure(e),
        CreateError::TooLarge => (
            BadRequest,
            (
                R::TokenCreateTooLarge,
                "invalid_request",
                "The tokens would be too large to issue.",
            ),
        ),
        CreateError::StoreUnavailable | CreateError::Signing | CreateError::Caller(_) => (
            InternalServerError,
            (
                R::TokenCreateServerError,
                "server_error",
                "The server could not process the request.",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::authorization::RequestUriProblem;

    /// RFC 6749 §4.1.2.1: `error_description` travels in the redirect the client sees.
    fn is_description(text: &str) -> bool {
        text.bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    }

    #[test]
    fn redirected_errors_use_only_rfc_6749_characters() {
        let problems = [
            Problem::ResponseTypeMissing,
            Problem::ResponseTypeUnsupported,
            Problem::UnauthorizedClient,
            Problem::BadScope,
            Problem::ScopeNotAllowed,
            Problem::TooManyScopes,
            Problem::Pkce(PkceError::Required),
            Problem::Pkce(PkceError::PlainRefused),
            Problem::Pkce(PkceError::BadChallenge),
            Problem::BadDpopJkt,
            Problem::ParRequired,
            Problem::RequestUriNotAllowed,
            Problem::RequestObjectUnsupported,
            Problem::BadPrompt,
            Problem::ResponseModeUnsupported,
            Problem::StateTooLong,
            Problem::StateMalformed,
        ];
        let untrusted = [
            Untrusted::MissingClientId,
            Untrusted::RedirectUriMismatch,
            Untrusted::RequestUri(RequestUriProblem::Used),
        ];
        let mapped = problems
            .iter()
            .map(problem)
            .chain(untrusted.iter().map(self::untrusted));
        for (code, error, text) in mapped {
            assert!(
                is_description(text) && error.bytes().all(|b| b == b'_' || b.is_ascii_lowercase()),
                "{}",
                code.code()
            );
        }
    }
}
