//! Token revocation (RFC 7009) as one domain call: the client authenticates exactly as at the
//! token endpoint (RFC 7009 §2.1, RFC 6749 §2.3); an access token's `jti` goes on the store's
//! deny list until the token's `exp`, and a refresh token revokes its whole grant (RFC 7009
//! §2.1, RFC 9700 §4.14.2): its rotation family and every access token issued with it.
//! Tokens that are unknown, expired or issued to another client are left alone and the answer
//! is still success (RFC 7009 §2.2): the client learns nothing about tokens that are not its own.
use crate::clock::UnixTime;
use crate::oauth::access::{self, AccessError};
use crate::oauth::client_assertion;
use crate::oauth::clients::{ClientAuthError, ClientCredentials};
use crate::oauth::grants::revoke_grant;
use crate::oauth::params::{Params, ParamsError};
use crate::oauth::refresh::{RefreshError, RefreshRecord};
use crate::oauth::Core;
use crate::store::{Entry, Namespace, Owner};
use std::time::Duration;

/// One revocation call, as the authorization server forwarded it.
#[derive(Debug, Clone, Default)]
pub struct RevocationCall<'a> {
    /// The RFC 7009 §2.1 form body: `token`, optional `token_type_hint`, client credentials.
    pub parameters: &'a str,
    pub credentials: ClientCredentials<'a>,
}

/// What the call did; every variant is success to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The access token's `jti` is on the deny list until its `exp`.
    AccessToken,
    /// The refresh token's grant is revoked: its rotation family and every access token
    /// issued with it.
    RefreshFamily,
    /// Nothing to revoke (RFC 7009 §2.2).
    Nothing(NotRevoked),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRevoked {
    /// Not a token of this service, or malformed.
    Unknown,
    /// Already expired: nothing left to revoke.
    Expired,
    /// RFC 7009 §2.1: the token was issued to another client, which alone may revoke it.
    OtherClient,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    /// RFC 6749 §5.2 `invalid_request`: malformed parameters.
    #[error("parameters are malformed: {0}")]
    Params(ParamsError),
    /// RFC 7009 §2.1: `token` is required.
    #[error("token is missing")]
    MissingToken,
    /// RFC 7009 §2.1: client authentication as at the token endpoint failed.
    #[error("client authentication failed: {0}")]
    Client(ClientAuthError),
    /// The store did not answer: the token is not known to be revoked, so say so.
    #[error("store unavailable")]
    StoreUnavailable,
}

pub async fn revoke(
    core: &Core,
    call: &RevocationCall<'_>,
    now: UnixTime,
) -> Result<Revoked, RevocationError> {
    let params = Params::parse(call.parameters).map_err(RevocationError::Params)?;
    let client = client_assertion::authenticate(core, call.credentials, &params, now)
        .await
        .map_err(RevocationError::Client)?;
    let token = params.get("token").ok_or(RevocationError::MissingToken)?;
    if access::has_access_token_form(token) {
        let access = match access::verify_signed(core, token, now).await {
            // Another issuer's token is revoked at that issuer.
            Ok(access) if !access.is_own() => return Ok(Revoked::Nothing(NotRevoked::Unknown)),
            Ok(access) => access,
            Err(AccessError::Expired) => return Ok(Revoked::Nothing(NotRevoked::Expired)),
            Err(_) => return Ok(Revoked::Nothing(NotRevoked::Unknown)),
        };
        if access.claims.client_id != client.id {
            return Ok(Revoked::Nothing(NotRevoked::OtherClient));
        }
        let ttl = Duration::from_secs((access.claims.exp - now.secs()).max(1) as u64);
        let owner = Owner::of(&access.claims.client_id, &access.claims.sub);
        let entry =
            Entry::new(Namespace::RevokedToken, access.claims.jti.as_bytes(), ttl).owner(owner);
        core.store
            .insert(entry)
            .await
            .map_err(|_| RevocationError::StoreUnavailable)?;
        core.verified_access.forget(token);
        return Ok(Revoked::AccessToken);
    }
    let record = match RefreshRecord::open(&core.sealer, token, now) {
        Ok(record) => record,
        Err(RefreshError::Expired) => return Ok(Revoked::Nothing(NotRevoked::Expired)),
        Err(RefreshError::Invalid(_)) => return Ok(Revoked::Nothing(NotRevoked::Unknown)),
    };
    if record.client_id != client.id {
        return Ok(Revoked::Nothing(NotRevoked::OtherClient));
    }
    let owner = Owner::of(&record.client_id, &record.subject);
    revoke_grant(core, &record.family, owner, record.exp, now)
        .await
        .map_err(|_| RevocationError::StoreUnavailable)?;
    Ok(Revoked::RefreshFamily)
}
