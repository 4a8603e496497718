//! The one place where token-endpoint outcomes become wire answers: `action`, `resultCode`,
//! the RFC 6749 §5.2 error body (fixed, client-safe text per variant) and, for the caller's
//! logs only, the detail of what failed. Metrics are counted here too.
use super::action::Action;
use super::client_credentials::header_refusal;
use super::result_code::ResultCode as R;
use super::token::TokenResponse;
use super::{truncate, ApiError};
use crate::dpop::proof::DpopError;
use crate::oauth::clients::ClientAuthError;
use crate::oauth::grants::{GrantProblem, Issued, RequestProblem, TokenError, TokenOutcome};
use crate::oauth::tokens::{MAX_EXTRA_CLAIMS, RESERVED_CLAIMS};

pub fn answer(outcome: TokenOutcome) -> Result<TokenResponse, ApiError> {
    let mut response = match outcome.result {
        Ok(issued) => success(issued),
        Err(TokenError::Caller(problem)) => {
            return Err(ApiError::with_detail(R::InvalidField, problem))
        }
        Err(error) => failure(&error),
    };
    response.dpop_nonce = outcome.dpop_nonce;
    if let Some(action) = response.action {
        metrics::counter!("dpopd_requests_total", "api" => "token", "action" => action.name())
            .increment(1);
    }
    Ok(response)
}

fn success(issued: Issued) -> TokenResponse {
    let code = match issued.grant {
        crate::oauth::clients::GrantType::AuthorizationCode => R::AuthorizationCodeIssued,
        crate::oauth::clients::GrantType::ClientCredentials => R::ClientCredentialsIssued,
        crate::oauth::clients::GrantType::RefreshToken => R::RefreshTokenIssued,
    };
    metrics::counter!("dpopd_tokens_issued_total", "grant" => issued.grant.name()).increment(1);
    if let Some(iat) = issued.proof_iat {
        let offset = iat.secs() - crate::clock::UnixTime::now().secs();
        metrics::histogram!("dpopd_proof_iat_offset_seconds").record(offset as f64);
    }
    tracing::debug!(result = code.code(), client_id = %issued.client_id, jkt = ?issued.jkt.as_ref().map(|j| j.as_str()), "token issued");
    TokenResponse {
        action: Some(Action::Ok),
        result_code: code.code(),
        result_message: code.message(),
        response_content: issued.response_body(),
        access_token_expires_at: Some(issued.access_expires_at.millis()),
        access_token_duration: Some(issued.access_duration),
        refresh_token_expires_at: issued.refresh_expires_at.map(|t| t.millis()),
        token_type: Some(issued.token_type.name()),
        grant_type: Some(issued.grant.api_name()),
        jkt: issued.jkt.as_ref().map(|j| j.as_str().to_owned()),
        properties: Some(issued.properties.clone()).filter(|p| !p.is_empty()),
        access_token: Some(issued.access_token),
        refresh_token: issued.refresh_token,
        client_id: Some(issued.client_id),
        subject: Some(issued.subject),
        scopes: Some(issued.scopes),
        ..TokenResponse::default()
    }
}

/// (action, result code, OAuth error, client-facing description) for each refusal.
fn classify(error: &TokenError) -> (Action, R, &'static str, &'static str) {
    use Action::*;
    match error {
        TokenError::InvalidRequest(RequestProblem::Params(_)) => (
            BadRequest,
            R::TokenParamsMalformed,
            "invalid_request",
            "The request parameters are malformed or repeated.",
        ),
        TokenError::InvalidRequest(RequestProblem::MissingGrantType) => (
            BadRequest,
            R::GrantTypeMissing,
            "invalid_request",
            "The grant_type parameter is missing.",
        ),
        TokenError::InvalidRequest(RequestProblem::Missing(_)) => (
            BadRequest,
            R::TokenParamMissing,
            "invalid_request",
            "A required parameter is missing.",
        ),
        TokenError::InvalidRequest(RequestProblem::BadScope) => (
            BadRequest,
            R::ScopeMalformed,
            "invalid_scope",
            "The scope parameter is malformed.",
        ),
        TokenError::InvalidRequest(RequestProblem::TooManyScopes) => (
            BadRequest,
            R::ScopeTooMany,
            "invalid_scope",
            "The scope parameter has too many values.",
        ),
        TokenError::UnsupportedGrantType => (
            BadRequest,
            R::GrantTypeUnsupported,
            "unsupported_grant_type",
            "The grant type is not supported.",
        ),
        TokenError::Client(ClientAuthError::Header(e)) => header_refusal(e, InvalidClient),
        TokenError::Client(
            ClientAuthError::MultipleMethods | ClientAuthError::ClientIdMismatch,
        ) => (
            BadRequest,
            R::ClientAuthAmbiguous,
            "invalid_request",
            "The client authenticated ambiguously.",
        ),
        TokenError::Client(_) => (
            InvalidClient,
            R::ClientAuthFailed,
            "invalid_client",
            "Client authentication failed.",
        ),
        TokenError::UnauthorizedClient(_) => (
            BadRequest,
            R::GrantNotAllowed,
            "unauthorized_client",
            "The client is not allowed to use this grant type.",
        ),
        TokenError::InvalidScope => (
            BadRequest,
            R::ScopeNotAllowed,
            "invalid_scope",
            "The requested scope is not allowed.",
        ),
        TokenError::DpopRequired => (
            BadRequest,
            R::DpopProofRequired,
            "invalid_request",
            "DPoP proof required.",
        ),
        TokenError::Dpop(e) => dpop(e),
        TokenError::InvalidGrant(p) => grant(p),
        TokenError::TooLarge => (
            BadRequest,
            R::TokenTooLarge,
            "invalid_request",
            "The tokens would be too large to issue.",
        ),
        TokenError::StoreUnavailable => (
            InternalServerError,
            R::StoreUnavailable,
            "server_error",
            "The server could not process the request.",
        ),
        TokenError::Signing | TokenError::Caller(_) => (
            InternalServerError,
            R::SigningFailed,
            "server_error",
            "The server could not process the request.",
        ),
    }
}

pub(super) fn dpop(e: &DpopError) -> (Action, R, &'static str, &'static str) {
    let (code, error) = match e {
        DpopError::UseNonce(_) => (R::DpopNonceRequired, "use_dpop_nonce"),
        DpopError::Replayed => (R::DpopProofReplayed, "invalid_dpop_proof"),
        _ => (R::DpopProofInvalid, "invalid_dpop_proof"),
    };
    (Action::BadRequest, code, error, dpop_description(e))
}

/// Client-facing text naming the failed check, never echoing what the client sent.
pub fn dpop_description(e: &DpopError) -> &'static str {
    match e.check() {
        "syntax" => "The DPoP proof is not a single well-formed JWS.",
        "typ" => "The DPoP proof typ is not dpop+jwt.",
        "alg" => "The DPoP proof alg is not allowed or does not match its key.",
        "jwk" => "The DPoP proof jwk is not an acceptable public key.",
        "signature" => "The DPoP proof signature is invalid.",
        "claims" => "The DPoP proof lacks a required claim or has an invalid one.",
        "htm" => "The DPoP proof htm does not match the request method.",
        "htu" => "The DPoP proof htu does not match the request URL.",
        "iat" => "The DPoP proof iat is outside the acceptable window.",
        "nonce" => "Authorization server requires nonce in DPoP proof.",
        "ath" => "The DPoP proof ath does not match the access token.",
        "jkt" => "The DPoP proof key does not match the token binding.",
        "replay" => "The DPoP proof has been used before.",
        _ => "The DPoP proof is invalid.",
    }
}

fn grant(p: &GrantProblem) -> (Action, R, &'static str, &'static str) {
    let (code, text) = match p {
        GrantProblem::RefreshInvalid | GrantProblem::RefreshExpired => (
            R::RefreshTokenInvalid,
            "The refresh token is invalid or expired.",
        ),
        GrantProblem::RefreshOtherClient => (
            R::RefreshTokenOtherClient,
            "The refresh token was issued to another client.",
        ),
        GrantProblem::RefreshKeyMismatch => (
            R::RefreshTokenKeyMismatch,
            "The refresh token is bound to another DPoP key.",
        ),
        GrantProblem::RefreshReused => (
            R::RefreshTokenReused,
            "The refresh token has already been used.",
        ),
        GrantProblem::RefreshRevoked => (
            R::RefreshTokenRevoked,
            "The refresh token has been revoked.",
        ),
        GrantProblem::CodeInvalid => (R::CodeInvalid, "The authorization code is invalid."),
        GrantProblem::CodeExpired => (R::CodeExpired, "The authorization code has expired."),
        GrantProblem::CodeOtherClient => (
            R::CodeOtherClient,
            "The authorization code was issued to another client.",
        ),
        GrantProblem::CodeRedirectUriMismatch => (
            R::CodeRedirectUriMismatch,
            "The redirect_uri does not match the authorization request.",
        ),
        GrantProblem::Pkce(_) => (
            R::PkceVerifierInvalid,
            "The code_verifier is missing or does not match the code_challenge.",
        ),
        GrantProblem::CodeKeyMismatch => (
            R::CodeKeyMismatch,
            "The authorization code is bound to another DPoP key.",
        ),
        GrantProblem::CodeReused => (
            R::CodeReused,
            "The authorization code has already been used.",
        ),
    };
    (Action::BadRequest, code, "invalid_grant", text)
}

fn failure(error: &TokenError) -> TokenResponse {
    let (action, code, oauth_error, description) = classify(error);
    if let TokenError::Dpop(e) = error {
        metrics::counter!("dpopd_dpop_failures_total", "check" => e.check()).increment(1);
    }
    let detail = truncate(&error.to_string(), 512);
    tracing::info!(result = code.code(), detail = %detail, "token request refused");
    TokenResponse {
        action: Some(action),
        result_code: code.code(),
        result_message: code.message_with(&detail),
        response_content:
            serde_json::json!({ "error": oauth_error, "error_description": description })
                .to_string(),
        ..TokenResponse::default()
    }
}

/// `jwtAtClaims`: a JSON object as text; dpopd's own claims cannot be overridden.
pub fn parse_jwt_at_claims(
    text: Option<&str>,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(serde_json::Map::new());
    };
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| ApiError::with_detail(R::InvalidField, "jwtAtClaims is not valid JSON"))?;
    let serde_json::Value::Object(map) = value else {
        return Err(ApiError::with_detail(
            R::InvalidField,
            "jwtAtClaims is not a JSON object",
        ));
    };
    if map.len() > MAX_EXTRA_CLAIMS {
        return Err(ApiError::with_detail(
            R::InvalidField,
            format!(
                "jwtAtClaims has {} members; at most {MAX_EXTRA_CLAIMS} are accepted",
                map.len()
            ),
        ));
    }
    if let Some(reserved) = map.keys().find(|k| RESERVED_CLAIMS.contains(&k.as_str())) {
        return Err(ApiError::with_detail(
            R::InvalidField,
            format!("jwtAtClaims may not set {}", truncate(reserved, 40)),
        ));
    }
    Ok(map)
}
