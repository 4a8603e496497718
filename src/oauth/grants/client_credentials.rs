//! The client credentials grant (RFC 6749 §4.4): confidential clients only; the subject is the
//! client itself (RFC 9068 §2.2); scopes default to everything the client is registered for.
use super::{Prepared, Presented, TokenCall, TokenError};
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::params::Params;
use crate::oauth::scope;

pub(super) fn prepare(
    client: &Client,
    params: &Params,
    call: &TokenCall<'_>,
) -> Result<Prepared, TokenError> {
    // RFC 6749 §4.4: "MUST only be used by confidential clients".
    if client.is_public() {
        return Err(TokenError::UnauthorizedClient(GrantType::ClientCredentials));
    }
    let scopes = match params.get("scope") {
        Some(text) => scope::parse(text).map_err(super::bad_scope)?,
        None => client.scopes.clone(),
    };
    if !scope::all_within(&scopes, &client.scopes) {
        return Err(TokenError::InvalidScope);
    }
    Ok(Prepared {
        grant: GrantType::ClientCredentials,
        subject: client.id.clone(),
        scopes,
        properties: call.properties.clone(),
        extra: call.jwt_at_claims.clone(),
        presented: Presented::Nothing,
    })
}
