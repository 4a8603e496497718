//! RFC 7662 token introspection: what a resource server may learn about any token of this
//! service, access or refresh. A token that is not usable now — unknown, malformed, expired,
//! revoked, a refresh token of a revoked family or one already rotated — is only inactive
//! (RFC 7662 §2.2); why is kept for the caller's logs.
//!
//! The caller is the resource server, authenticated by its API credentials. A resource server
//! registered as a `private_key_jwt` client may also send its client assertion in the form
//! (RFC 7662 §2.1 leaves the method open); when the form has one, it is verified as at the
//! token endpoint, and a failure refuses the request (`invalid_client`).
use crate::clock::UnixTime;
use crate::oauth::access::{self, AccessError, VerifiedAccess};
use crate::oauth::client_assertion;
use crate::oauth::clients::{ClientAuthError, ClientCredentials};
use crate::oauth::params::{Params, ParamsError};
use crate::oauth::refresh::{RefreshError, RefreshRecord};
use crate::oauth::revoked_before::Marks;
use crate::oauth::Core;
use crate::store::Namespace;
use std::sync::Arc;

/// What the token is, when it is active.
#[derive(Debug)]
pub enum TokenInfo {
    Access(Arc<VerifiedAccess>),
    Refresh(RefreshRecord),
    /// RFC 7662 §2.2: `{"active": false}`, nothing more.
    Inactive(Inactive),
}

/// Why a token is inactive (for logs only: the answer is the same for every reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inactive {
    #[error("access token: {0}")]
    Access(AccessError),
    #[error("refresh token: {0}")]
    Refresh(RefreshError),
    /// The refresh token's grant was revoked (reuse detected, or RFC 7009).
    #[error("refresh token's grant has been revoked")]
    RefreshRevoked,
    /// A public client's refresh token that was already exchanged (RFC 9700 §4.14.2).
    #[error("refresh token has been rotated")]
    RefreshRotated,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenInfoError {
    /// RFC 7662 §2.1 with RFC 6749 §5.2 `invalid_request`.
    #[error("parameters are malformed: {0}")]
    Params(ParamsError),
    /// RFC 7662 §2.1: `token` is required.
    #[error("token is missing")]
    MissingToken,
    /// The store did not answer: fail closed rather than call a revoked token active.
    #[error("store unavailable")]
    StoreUnavailable,
    /// The form carried a client assertion (RFC 7523 §2.2) that did not authenticate.
    #[error("client authentication failed: {0}")]
    Client(ClientAuthError),
}

/// `parameters` is the RFC 7662 §2.1 form body (`token`, optional `token_type_hint`).
pub async fn token_info(
    core: &Core,
    parameters: &str,
    now: UnixTime,
) -> Result<TokenInfo, TokenInfoError> {
    let params = Params::parse(parameters).map_err(TokenInfoError::Params)?;
    if params.get("client_assertion").is_some() || params.get("client_assertion_type").is_some() {
        client_assertion::authenticate(core, ClientCredentials::default(), &params, now)
            .await
            .map_err(TokenInfoError::Client)?;
    }
    let token = params.get("token").ok_or(TokenInfoError::MissingToken)?;
    if access::has_access_token_form(token) {
        return match access::verify(core, token, now).await {
            // RFC 7662 §2.2: this is dpopd's introspection endpoint, for its own tokens.
            Ok(access) if !access.is_own() => Ok(TokenInfo::Inactive(Inactive::Access(
                AccessError::UnknownIssuer,
            ))),
            Ok(access) => Ok(TokenInfo::Access(access)),
            Err(AccessError::StoreUnavailable) => Err(TokenInfoError::StoreUnavailable),
            Err(e) => Ok(TokenInfo::Inactive(Inactive::Access(e))),
        };
    }
    let record = match RefreshRecord::open(&core.sealer, token, now) {
        Ok(record) => record,
        Err(e) => return Ok(TokenInfo::Inactive(Inactive::Refresh(e))),
    };
    let family = record.family.as_bytes();
    let marks = Marks::of(&record.client_id, &record.subject);
    let mut keys = vec![
        (Namespace::GrantRevoked, family),
        (Namespace::RefreshGeneration, family),
    ];
    keys.extend(marks.keys());
    let found = core
        .store
        .lookup(&keys)
        .await
        .map_err(|_| TokenInfoError::StoreUnavailable)?;
    if found.len() != keys.len() {
        return Err(TokenInfoError::StoreUnavailable);
    }
    if found[0].is_some() || Marks::revoke(&found[2..], record.iat) {
        return Ok(TokenInfo::Inactive(Inactive::RefreshRevoked));
    }
    // A public client's family moves to the next generation at every refresh: a token of an
    // earlier one has been exchanged already.
    if found
        .get(1)
        .copied()
        .flatten()
        .is_some_and(|current| current > i64::from(record.generation))
    {
        return Ok(TokenInfo::Inactive(Inactive::RefreshRotated));
    }
    Ok(TokenInfo::Refresh(record))
}
