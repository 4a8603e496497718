//! The client credentials that the token, PAR and revocation calls share: the client's
//! `Authorization: Basic` header relayed decoded (`clientId`, `clientSecret`, Authlete's shape)
//! or verbatim (`clientAuthorization`, decoded by `oauth::client_auth_header` per RFC 6749
//! §2.3.1), and the one mapping of an undecodable header to the wire.
use super::action::Action;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::oauth::client_auth_header::HeaderError;

/// The relayed header, when the call carries one: a blank `clientAuthorization` counts as
/// absent (RFC 9110 §5.5: a field value has no surrounding whitespace, so nothing was sent),
/// and relaying the same header twice, decoded and verbatim, is the caller's mistake.
pub fn client_authorization<'a>(
    client_id: Option<&str>,
    client_secret: Option<&str>,
    header: Option<&'a str>,
) -> Result<Option<&'a str>, ApiError> {
    let header = header.filter(|h| !h.trim_matches([' ', '\t']).is_empty());
    if header.is_some() && (client_id.is_some() || client_secret.is_some()) {
        return Err(ApiError::with_detail(
            R::InvalidField,
            "clientAuthorization and clientId/clientSecret relay the same header: send one",
        ));
    }
    Ok(header)
}

/// (action, result code, OAuth error, client-facing description) of a header that cannot be
/// read; `unauthenticated` is the endpoint's action for `invalid_client`. RFC 6749 §5.2: a
/// scheme other than Basic is an unsupported authentication method (`invalid_client`); Basic
/// credentials that cannot be decoded make the request malformed (`invalid_request`).
pub fn header_refusal(
    e: &HeaderError,
    unauthenticated: Action,
) -> (Action, R, &'static str, &'static str) {
    match e {
        HeaderError::NotBasic => (
            unauthenticated,
            R::ClientAuthorizationNotBasic,
            "invalid_client",
            "The client authentication method is not supported.",
        ),
        HeaderError::NotBase64 => (
            Action::BadRequest,
            R::ClientAuthorizationNotBase64,
            "invalid_request",
            "The Basic credentials are not base64.",
        ),
        HeaderError::NoColon => (
            Action::BadRequest,
            R::ClientAuthorizationNoColon,
            "invalid_request",
            "The Basic credentials have no colon between client_id and secret.",
        ),
        HeaderError::BadEncoding => (
            Action::BadRequest,
            R::ClientAuthorizationBadEncoding,
            "invalid_request",
            "The Basic client_id or secret is not form-urlencoded UTF-8.",
        ),
    }
}
