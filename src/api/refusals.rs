//! How each domain refusal is answered: one table per domain error, each row the `action`,
//! `resultCode`, OAuth error and client-facing description of one variant
//! (docs/result-codes.md lists them all). [`super::answer::refuse`] turns a row into the answer.
use super::action::Action::{self, *};
use super::answer::{dpop_at_authorization_server, dpop_at_resource, Refusal, Refuse};
use super::result_code::ResultCode as R;
use crate::dpop::proof::{Check, DpopError};
use crate::oauth::access::AccessError;
use crate::oauth::authorization::{AuthorizationError, Problem, TicketError, Untrusted};
use crate::oauth::client_assertion::AssertionError;
use crate::oauth::client_auth_header::HeaderError;
use crate::oauth::clients::ClientAuthError;
use crate::oauth::fapi2::Fapi2Problem;
use crate::oauth::grants::{GrantProblem, RequestProblem, TokenError};
use crate::oauth::id_token::OidcProblem;
use crate::oauth::introspection::IntrospectionError;
use crate::oauth::introspection_standard::TokenInfoError;
use crate::oauth::par::ParError;
use crate::oauth::pkce::PkceError;
use crate::oauth::revocation::RevocationError;
use crate::oauth::revoked_before::RevokeError;
use crate::oauth::token_create::CreateError;
use crate::oauth::userinfo::IssueError;

const AMBIGUOUS: &str = "The client authenticated ambiguously.";
const CLIENT_AUTH_FAILED: &str = "Client authentication failed.";
const PROOF_REQUIRED: &str = "DPoP proof required.";
const PARAMS_MALFORMED: &str = "The request parameters are malformed or repeated.";
const TOO_LARGE_TO_ISSUE: &str = "The tokens would be too large to issue.";
/// An authorization request that would not fit in a ticket or `request_uri`.
const REQUEST_TOO_LARGE: &str = "The authorization request is too large.";

/// The proof check behind a refusal about a DPoP proof, for the metric.
fn check_of(e: &DpopError) -> Option<Check> {
    Some(e.check())
}

/// RFC 6749 §5.2: "If the client attempted to authenticate via the Authorization request
/// header field, the authorization server MUST respond with an HTTP 401 (Unauthorized)": a
/// header that is not Basic, or Basic credentials that cannot be decoded, are a failed client
/// authentication (`invalid_client`, the endpoint's `unauthenticated` action), each with its own
/// code for the caller's logs.
fn header(e: &HeaderError, unauthenticated: Action) -> Refusal {
    let (code, description) = match e {
        HeaderError::NotBasic => (
            R::ClientAuthorizationNotBasic,
            "The client authentication method is not supported.",
        ),
        HeaderError::NotBase64 => (
            R::ClientAuthorizationNotBase64,
            "The Basic credentials are not base64.",
        ),
        HeaderError::NoColon => (
            R::ClientAuthorizationNoColon,
            "The Basic credentials have no colon between client_id and secret.",
        ),
        HeaderError::BadEncoding => (
            R::ClientAuthorizationBadEncoding,
            "The Basic client_id or secret is not form-urlencoded UTF-8.",
        ),
    };
    Refusal::new(unauthenticated, code, "invalid_client", description)
}

/// RFC 7523 §3.2: a client assertion that fails a rule is `invalid_client`, with the
/// endpoint's `unauthenticated` action and one code per rule; a store that could not record its
/// `jti` fails closed as a server error.
pub(super) fn assertion(e: &AssertionError, unauthenticated: Action) -> Refusal {
    let code = match e {
        AssertionError::StoreUnavailable => {
            return Refusal::server(R::ClientAssertionStoreUnavailable)
        }
        AssertionError::TypeUnsupported => R::ClientAssertionTypeUnsupported,
        AssertionError::Missing => R::ClientAssertionMissing,
        AssertionError::Malformed(_) => R::ClientAssertionMalformed,
        AssertionError::HeaderKey(_) => R::ClientAssertionHeaderKey,
        AssertionError::AlgNotAllowed(_) => R::ClientAssertionAlgNotAllowed,
        AssertionError::UnknownKey => R::ClientAssertionUnknownKey,
        AssertionError::NoKeys => R::ClientAssertionNoKeys,
        AssertionError::BadSignature => R::ClientAssertionBadSignature,
        AssertionError::IssuerSubject => R::ClientAssertionIssuerSubject,
        AssertionError::Audience => R::ClientAssertionAudience,
        AssertionError::ExpMissing => R::ClientAssertionExpMissing,
        AssertionError::Expired => R::ClientAssertionExpired,
        AssertionError::LifetimeTooLong => R::ClientAssertionLifetimeTooLong,
        AssertionError::NotYetValid => R::ClientAssertionNotYetValid,
        AssertionError::IssuedInFuture => R::ClientAssertionIssuedInFuture,
        AssertionError::JtiMissing => R::ClientAssertionJtiMissing,
        AssertionError::Replayed => R::ClientAssertionReplayed,
    };
    Refusal::new(unauthenticated, code, "invalid_client", code.text())
}

/// Client authentication (RFC 6749 §2.3) at an endpoint whose failures are `failed` with
/// `unauthenticated`, and whose ambiguous requests are `ambiguous`.
fn client(e: &ClientAuthError, unauthenticated: Action, failed: R, ambiguous: R) -> Refusal {
    match e {
        ClientAuthError::Header(e) => header(e, unauthenticated),
        ClientAuthError::Assertion(e) => assertion(e, unauthenticated),
        ClientAuthError::MultipleMethods | ClientAuthError::ClientIdMismatch => {
            Refusal::new(BadRequest, ambiguous, "invalid_request", AMBIGUOUS)
        }
        _ => Refusal::new(
            unauthenticated,
            failed,
            "invalid_client",
            CLIENT_AUTH_FAILED,
        ),
    }
}

impl Refuse for TokenError {
    fn refusal(&self) -> Refusal {
        match self {
            TokenError::InvalidRequest(p) => request(p),
            TokenError::UnsupportedGrantType => Refusal::new(
                BadRequest,
                R::GrantTypeUnsupported,
                "unsupported_grant_type",
                "The grant type is not supported.",
            ),
            TokenError::Client(e) => client(
                e,
                InvalidClient,
                R::ClientAuthFailed,
                R::ClientAuthAmbiguous,
            ),
            TokenError::UnauthorizedClient(_) => Refusal::new(
                BadRequest,
                R::GrantNotAllowed,
                "unauthorized_client",
                "The client is not allowed to use this grant type.",
            ),
            TokenError::InvalidScope => Refusal::new(
                BadRequest,
                R::ScopeNotAllowed,
                "invalid_scope",
                "The requested scope is not allowed.",
            ),
            TokenError::DpopRequired => Refusal::new(
                BadRequest,
                R::DpopProofRequired,
                "invalid_request",
                PROOF_REQUIRED,
            ),
            TokenError::Fapi2DpopRequired => Refusal::new(
                BadRequest,
                R::Fapi2DpopProofRequired,
                "invalid_request",
                PROOF_REQUIRED,
            ),
            TokenError::Dpop(DpopError::StoreUnavailable) | TokenError::StoreUnavailable => {
                Refusal::server(R::StoreUnavailable)
            }
            TokenError::Dpop(e) => dpop_at_authorization_server(e),
            TokenError::InvalidGrant(p) => grant(p),
            TokenError::TooLarge => Refusal::new(
                BadRequest,
                R::TokenTooLarge,
                "invalid_request",
                TOO_LARGE_TO_ISSUE,
            ),
            TokenError::Signing => Refusal::server(R::SigningFailed),
        }
    }

    fn failed_check(&self) -> Option<Check> {
        match self {
            TokenError::Dpop(e) => check_of(e),
            _ => None,
        }
    }
}

fn request(p: &RequestProblem) -> Refusal {
    let (code, error, description) = match p {
        RequestProblem::Params(_) => (R::TokenParamsMalformed, "invalid_request", PARAMS_MALFORMED),
        RequestProblem::MissingGrantType => (
            R::GrantTypeMissing,
            "invalid_request",
            "The grant_type parameter is missing.",
        ),
        RequestProblem::Missing(_) => (
            R::TokenParamMissing,
            "invalid_request",
            "A required parameter is missing.",
        ),
        RequestProblem::BadScope => (
            R::ScopeMalformed,
            "invalid_scope",
            "The scope parameter is malformed.",
        ),
        RequestProblem::TooManyScopes => (
            R::ScopeTooMany,
            "invalid_scope",
            "The scope parameter has too many values.",
        ),
    };
    Refusal::new(BadRequest, code, error, description)
}

fn grant(p: &GrantProblem) -> Refusal {
    let (code, description) = match p {
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
    Refusal::new(BadRequest, code, "invalid_grant", description)
}

/// A resource server's refusal as the API that answers it words it: userinfo names the
/// missing `openid` scope with its own code (OIDC Core §5.3.3).
pub struct AtResource<'a> {
    pub error: &'a IntrospectionError,
    pub userinfo: bool,
}

impl std::fmt::Display for AtResource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl Refuse for AtResource<'_> {
    fn refusal(&self) -> Refusal {
        match self.error {
            // RFC 6750 §3.1: a request that lacks any authentication information gets a
            // challenge without an error code, with 401.
            IntrospectionError::NoToken => Refusal {
                action: Unauthorized,
                code: R::AccessTokenMissing,
                error: None,
                description: "",
            },
            IntrospectionError::EmptyToken => Refusal::new(
                BadRequest,
                R::AccessTokenEmpty,
                "invalid_request",
                "The access token is empty.",
            ),
            IntrospectionError::InvalidToken(e) => {
                let (code, description) = match e {
                    AccessError::Expired => {
                        (R::AccessTokenExpired, "The access token has expired.")
                    }
                    AccessError::NotYetValid => (
                        R::AccessTokenNotYetValid,
                        "The access token is not yet valid.",
                    ),
                    AccessError::Revoked => {
                        (R::AccessTokenRevoked, "The access token has been revoked.")
                    }
                    AccessError::KeysUnavailable => {
                        return Refusal::server(R::IssuerKeysUnavailable)
                    }
                    AccessError::UnknownIssuer => (
                        R::AccessTokenIssuerUnknown,
                        "The access token's issuer is not trusted.",
                    ),
                    AccessError::WrongAudience => (
                        R::AccessTokenAudienceInvalid,
                        "The access token is not intended for this resource server.",
                    ),
                    AccessError::WrongType => {
                        (R::AccessTokenTypeInvalid, "The access token is invalid.")
                    }
                    AccessError::AlgNotAllowed => {
                        (R::AccessTokenAlgNotAllowed, "The access token is invalid.")
                    }
                    AccessError::UnknownKid => {
                        (R::AccessTokenKeyUnknown, "The access token is invalid.")
                    }
                    AccessError::ScopeClaim => (
                        R::AccessTokenScopeClaimInvalid,
                        "The access token is invalid.",
                    ),
                    AccessError::Unverified(_)
                    | AccessError::Signature(_)
                    | AccessError::Claims
                    | AccessError::WrongIssuer
                    | AccessError::StoreUnavailable => {
                        (R::AccessTokenInvalid, "The access token is invalid.")
                    }
                };
                Refusal::new(Unauthorized, code, "invalid_token", description)
            }
            IntrospectionError::Downgrade => Refusal::new(
                Unauthorized,
                R::DpopBoundTokenAsBearer,
                "invalid_token",
                "The access token is DPoP-bound and must be presented with the DPoP scheme.",
            ),
            IntrospectionError::ProofMissing => Refusal::new(
                Unauthorized,
                R::ResourceDpopProofMissing,
                "invalid_dpop_proof",
                "A DPoP proof is required.",
            ),
            IntrospectionError::TokenNotBound => Refusal::new(
                Unauthorized,
                R::DpopRequiredTokenNotBound,
                "invalid_token",
                "The resource requires a DPoP-bound access token.",
            ),
            IntrospectionError::Dpop(DpopError::StoreUnavailable)
            | IntrospectionError::StoreUnavailable => {
                Refusal::server(R::IntrospectionStoreUnavailable)
            }
            IntrospectionError::Dpop(e) => dpop_at_resource(e),
            IntrospectionError::InsufficientScope { .. } => Refusal::new(
                Forbidden,
                if self.userinfo {
                    R::UserInfoOpenidMissing
                } else {
                    R::InsufficientScope
                },
                "insufficient_scope",
                "The access token does not grant the required scope.",
            ),
            IntrospectionError::SubjectMismatch => Refusal::new(
                Forbidden,
                R::SubjectMismatch,
                "insufficient_scope",
                "The access token was not issued for this resource owner.",
            ),
            IntrospectionError::ResourceNotInAudience => Refusal::new(
                Forbidden,
                R::ResourceNotInAudience,
                "insufficient_scope",
                "The access token is not intended for this resource.",
            ),
        }
    }

    fn failed_check(&self) -> Option<Check> {
        match self.error {
            IntrospectionError::Dpop(e) => check_of(e),
            _ => None,
        }
    }
}

impl Refuse for AuthorizationError {
    fn refusal(&self) -> Refusal {
        match self {
            AuthorizationError::Refused(crate::oauth::authorization::Refusal::Untrusted(u)) => {
                untrusted(u)
            }
            AuthorizationError::Refused(crate::oauth::authorization::Refusal::Problem {
                problem: p,
                ..
            }) => Refusal {
                action: Location,
                ..problem(p)
            },
            AuthorizationError::TooLarge => Refusal::new(
                BadRequest,
                R::AuthorizationRequestTooLarge,
                "invalid_request",
                REQUEST_TOO_LARGE,
            ),
            AuthorizationError::StoreUnavailable | AuthorizationError::Sealing => {
                Refusal::server(R::AuthorizationServerError)
            }
        }
    }
}

/// RFC 6749 §4.1.2.1: the client or its redirect URI cannot be trusted; shown, not redirected.
pub fn untrusted(u: &Untrusted) -> Refusal {
    let (code, error, description) = match u {
        Untrusted::Params(_) => (
            R::AuthorizationParamsMalformed,
            "invalid_request",
            PARAMS_MALFORMED,
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
    };
    Refusal::new(BadRequest, code, error, description)
}

/// A problem with a request whose redirect URI is trusted: redirected at the authorization
/// endpoint, answered `BAD_REQUEST` at PAR.
pub fn problem(p: &Problem) -> Refusal {
    let (code, error, description) = match p {
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
        Problem::TooManyScopes => (
            R::AuthorizationScopeTooMany,
            "invalid_scope",
            "The scope parameter has too many values.",
        ),
        Problem::ScopeNotAllowed => (
            R::AuthorizationScopeInvalid,
            "invalid_scope",
            "The requested scope is not allowed.",
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
        Problem::Oidc(OidcProblem::BadNonce) => (
            R::OidcParamInvalid,
            "invalid_request",
            "The nonce parameter is too long or not printable ASCII.",
        ),
        Problem::Oidc(OidcProblem::BadMaxAge) => (
            R::OidcParamInvalid,
            "invalid_request",
            "The max_age parameter is not a non-negative integer.",
        ),
        Problem::Oidc(OidcProblem::BadClaims) => (
            R::OidcParamInvalid,
            "invalid_request",
            "The claims parameter is not a valid claims request.",
        ),
        Problem::Oidc(OidcProblem::BadHint) => (
            R::OidcParamInvalid,
            "invalid_request",
            "The acr_values, login_hint or ui_locales parameter is malformed.",
        ),
        Problem::Fapi2(Fapi2Problem::ParRequired) => (
            R::Fapi2ParRequired,
            "invalid_request",
            "Pushed authorization requests are required.",
        ),
        Problem::Fapi2(Fapi2Problem::RedirectUriRequired) => (
            R::Fapi2RedirectUriRequired,
            "invalid_request",
            "The redirect_uri parameter is required.",
        ),
        Problem::Fapi2(Fapi2Problem::PkceRequired) => (
            R::Fapi2PkceRequired,
            "invalid_request",
            "PKCE with code_challenge_method S256 is required.",
        ),
    };
    Refusal::new(BadRequest, code, error, description)
}

/// A ticket problem is the caller's: answered `BAD_REQUEST` (the user sees an error page at the
/// AS, never a redirect), described by the result code's own text.
impl Refuse for TicketError {
    fn refusal(&self) -> Refusal {
        let code = match self {
            TicketError::Invalid => R::TicketInvalid,
            TicketError::Expired => R::TicketExpired,
            TicketError::Used => R::TicketUsed,
            TicketError::ScopeNotAllowed => R::TicketScopeNotAllowed,
            TicketError::Authentication(_) => R::TicketAuthenticationInvalid,
            TicketError::SubjectMissing | TicketError::BadDescription | TicketError::TooLarge => {
                R::TicketFieldInvalid
            }
            TicketError::StoreUnavailable | TicketError::Sealing => {
                return Refusal::new(
                    InternalServerError,
                    R::TicketServerError,
                    "server_error",
                    R::TicketServerError.text(),
                )
            }
        };
        Refusal::new(BadRequest, code, "invalid_request", code.text())
    }
}

impl Refuse for ParError {
    fn refusal(&self) -> Refusal {
        match self {
            ParError::Params(_) => Refusal::new(
                BadRequest,
                R::AuthorizationParamsMalformed,
                "invalid_request",
                PARAMS_MALFORMED,
            ),
            ParError::Client(e) => client(
                e,
                Unauthorized,
                R::ParClientAuthFailed,
                R::ParClientAuthAmbiguous,
            ),
            ParError::Request(crate::oauth::authorization::Refusal::Untrusted(u)) => untrusted(u),
            ParError::Request(crate::oauth::authorization::Refusal::Problem {
                problem: p, ..
            }) => problem(p),
            ParError::DpopJktMismatch => Refusal::new(
                BadRequest,
                R::ParDpopJktMismatch,
                "invalid_request",
                "The dpop_jkt parameter does not match the DPoP proof.",
            ),
            // RFC 9449 §10.1 names no error for a missing binding; as at the token endpoint, a
            // required proof that is missing is invalid_request.
            ParError::Fapi2DpopBindingRequired => Refusal::new(
                BadRequest,
                R::Fapi2DpopBindingRequired,
                "invalid_request",
                "A DPoP proof or dpop_jkt is required.",
            ),
            ParError::Dpop(DpopError::StoreUnavailable)
            | ParError::StoreUnavailable
            | ParError::Sealing => Refusal::server(R::ParServerError),
            ParError::Dpop(e) => dpop_at_authorization_server(e),
            // As at the token endpoint: a counted DPoP header must come with its proof.
            ParError::ProofMissing => Refusal::new(
                BadRequest,
                R::DpopProofRequired,
                "invalid_request",
                PROOF_REQUIRED,
            ),
            ParError::TooLarge => Refusal::new(
                BadRequest,
                R::AuthorizationRequestTooLarge,
                "invalid_request",
                REQUEST_TOO_LARGE,
            ),
        }
    }

    fn failed_check(&self) -> Option<Check> {
        match self {
            ParError::Dpop(e) => check_of(e),
            _ => None,
        }
    }
}

impl Refuse for CreateError {
    fn refusal(&self) -> Refusal {
        match self {
            CreateError::GrantTypeUnsupported => Refusal::new(
                BadRequest,
                R::TokenCreateGrantTypeUnsupported,
                "unsupported_grant_type",
                "The grant type is not supported.",
            ),
            CreateError::UnknownClient => Refusal::new(
                BadRequest,
                R::TokenCreateClientUnknown,
                "invalid_client",
                "The client is unknown.",
            ),
            CreateError::SubjectMissing => Refusal::new(
                BadRequest,
                R::TokenCreateSubjectMissing,
                "invalid_request",
                "The subject is missing.",
            ),
            CreateError::BadScope => Refusal::new(
                BadRequest,
                R::TokenCreateScopeMalformed,
                "invalid_scope",
                "A scope is malformed.",
            ),
            CreateError::BadThumbprint => Refusal::new(
                BadRequest,
                R::TokenCreateThumbprintInvalid,
                "invalid_request",
                "The DPoP key thumbprint is malformed.",
            ),
            CreateError::ThumbprintMismatch => Refusal::new(
                BadRequest,
                R::TokenCreateThumbprintMismatch,
                "invalid_request",
                "The DPoP key thumbprint does not match the DPoP proof.",
            ),
            CreateError::DpopRequired | CreateError::ProofMissing => Refusal::new(
                BadRequest,
                R::TokenCreateDpopRequired,
                "invalid_request",
                PROOF_REQUIRED,
            ),
            CreateError::GrantNotAllowed(_) => Refusal::new(
                Forbidden,
                R::TokenCreateGrantNotAllowed,
                "unauthorized_client",
                "The client is not allowed to use this grant type.",
            ),
            CreateError::ScopeNotAllowed => Refusal::new(
                Forbidden,
                R::TokenCreateScopeNotAllowed,
                "invalid_scope",
                "The requested scope is not allowed.",
            ),
            CreateError::Dpop(DpopError::StoreUnavailable)
            | CreateError::StoreUnavailable
            | CreateError::Signing => Refusal::server(R::TokenCreateServerError),
            CreateError::Dpop(e) => dpop_at_authorization_server(e),
            CreateError::TooLarge => Refusal::new(
                BadRequest,
                R::TokenCreateTooLarge,
                "invalid_request",
                TOO_LARGE_TO_ISSUE,
            ),
        }
    }

    fn failed_check(&self) -> Option<Check> {
        match self {
            CreateError::Dpop(e) => check_of(e),
            _ => None,
        }
    }
}

/// RFC 7009 §2.2.1: errors as RFC 6749 §5.2, described by the result code's own text.
impl Refuse for RevocationError {
    fn refusal(&self) -> Refusal {
        let (action, code, error) = match self {
            RevocationError::Params(_) => {
                (BadRequest, R::RevocationParamsMalformed, "invalid_request")
            }
            RevocationError::MissingToken => {
                (BadRequest, R::RevocationTokenMissing, "invalid_request")
            }
            RevocationError::Client(ClientAuthError::Header(e)) => return header(e, InvalidClient),
            RevocationError::Client(ClientAuthError::Assertion(e)) => {
                return assertion(e, InvalidClient)
            }
            RevocationError::Client(
                ClientAuthError::MultipleMethods | ClientAuthError::ClientIdMismatch,
            ) => (
                BadRequest,
                R::RevocationClientAuthAmbiguous,
                "invalid_request",
            ),
            RevocationError::Client(_) => (
                InvalidClient,
                R::RevocationClientAuthFailed,
                "invalid_client",
            ),
            RevocationError::StoreUnavailable => (
                InternalServerError,
                R::RevocationStoreUnavailable,
                "server_error",
            ),
        };
        Refusal::new(action, code, error, code.text())
    }
}

/// RFC 7662 §2.3: errors as RFC 6749 §5.2, described by the result code's own text.
impl Refuse for TokenInfoError {
    fn refusal(&self) -> Refusal {
        let (action, code, error) = match self {
            TokenInfoError::Params(_) => (
                BadRequest,
                R::StandardIntrospectionParamsMalformed,
                "invalid_request",
            ),
            TokenInfoError::MissingToken => (
                BadRequest,
                R::StandardIntrospectionTokenMissing,
                "invalid_request",
            ),
            TokenInfoError::StoreUnavailable => (
                InternalServerError,
                R::StandardIntrospectionStoreUnavailable,
                "server_error",
            ),
            TokenInfoError::Client(e) => {
                return client(
                    e,
                    Unauthorized,
                    R::StandardIntrospectionClientAuthFailed,
                    R::StandardIntrospectionClientAuthAmbiguous,
                )
            }
        };
        Refusal::new(action, code, error, code.text())
    }
}

/// `/auth/userinfo/issue`: a token refusal is `/auth/userinfo`'s; signing is dpopd's failure.
impl Refuse for IssueError {
    fn refusal(&self) -> Refusal {
        match self {
            IssueError::Token(error) => AtResource {
                error,
                userinfo: true,
            }
            .refusal(),
            // The API answers `BadClaims` itself, as the caller's field error (A001205),
            // before any refusal is built; it is listed only to keep the match whole.
            IssueError::BadClaims | IssueError::Signing => {
                Refusal::server(R::UserInfoSigningFailed)
            }
        }
    }
}

#[cfg(test)]
mod tests;

impl Refuse for RevokeError {
    fn refusal(&self) -> Refusal {
        // Nothing is relayed to a client (`Body::Nothing`): the code is the answer.
        let code = match self {
            RevokeError::TargetMissing => R::TokenRevokeTargetMissing,
            RevokeError::ClientUnknown => R::TokenRevokeClientUnknown,
            RevokeError::OneToken => R::TokenRevokeOneToken,
            RevokeError::Store(_) => return Refusal::server(R::TokenRevokeServerError),
        };
        Refusal::new(BadRequest, code, "invalid_request", code.text())
    }
}
