//! The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.6) and DPoP
//! (RFC 9449 §10): the code must be dpopd's, unexpired, issued to this client for this
//! redirect URI, and redeemed with the matching verifier and — when bound by `dpop_jkt` or a
//! proof at PAR — a proof made with that key. Single use is checked last, so a refused call
//! (e.g. `use_dpop_nonce`) leaves the code usable; a second redemption revokes what the first
//! one issued (see [`crate::oauth::code`] for how that works without stored state).
use super::refresh_token::{remaining, revoke_grant};
use super::{GrantProblem, Prepared, Presented, RequestProblem, TokenError};
use crate::clock::UnixTime;
use crate::jose::jwk::Jkt;
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::code::{CodeError, CodeRecord};
use crate::oauth::params::Params;
use crate::oauth::userinfo::USERINFO_CLAIMS;
use crate::oauth::{pkce, Core};
use crate::store::{Entry, Inserted, Namespace, Owner};

/// The code the client presented, opened and checked statelessly.
pub(crate) struct PresentedCode {
    pub record: CodeRecord,
}

pub(super) fn prepare(
    core: &Core,
    client: &Client,
    params: &Params,
    now: UnixTime,
) -> Result<Prepared, TokenError> {
    let invalid = |p| TokenError::InvalidGrant(p);
    let text = params
        .get("code")
        .ok_or(TokenError::InvalidRequest(RequestProblem::Missing("code")))?;
    let record = CodeRecord::open(&core.sealer, text, now).map_err(|e| match e {
        CodeError::Expired => invalid(GrantProblem::CodeExpired),
        CodeError::Invalid(_) => invalid(GrantProblem::CodeInvalid),
    })?;
    if record.client_id != client.id {
        return Err(invalid(GrantProblem::CodeOtherClient));
    }
    // RFC 6749 §4.1.3: required and identical when the authorization request had it; when it
    // did not, a redirect_uri that is sent must still be the one the response went to.
    let redirect_ok = match params.get("redirect_uri") {
        Some(given) => given == record.redirect_uri,
        None => !record.redirect_uri_given,
    };
    if !redirect_ok {
        return Err(invalid(GrantProblem::CodeRedirectUriMismatch));
    }
    pkce::check(record.code_challenge.as_ref(), params.get("code_verifier"))
        .map_err(|e| invalid(GrantProblem::Pkce(e)))?;
    let mut extra = record.extra_claims.clone();
    // OIDC Core §5.5: the claims the request asked for at userinfo go with the access token.
    if let Some(oidc) = record
        .oidc
        .as_ref()
        .filter(|o| !o.userinfo_claims.is_empty())
    {
        extra.insert(USERINFO_CLAIMS.into(), oidc.userinfo_claims.clone().into());
    }
    Ok(Prepared {
        grant: GrantType::AuthorizationCode,
        subject: record.subject.clone(),
        scopes: record.scopes.clone(),
        properties: record.properties.clone(),
        extra,
        presented: Presented::Code(PresentedCode { record }),
    })
}

impl PresentedCode {
    /// RFC 9449 §10: a code bound to a key needs a proof made with that key.
    pub fn check_binding(&self, proof_jkt: Option<&Jkt>) -> Result<(), TokenError> {
        if super::proof_matches(self.record.jkt.as_ref(), proof_jkt) {
            Ok(())
        } else {
            Err(TokenError::InvalidGrant(GrantProblem::CodeKeyMismatch))
        }
    }

    /// The stateful part, run last: the code is spent, its record holding `grant_end`, the
    /// last moment the tokens about to be issued can be used. A second redemption revokes
    /// that grant — the first redemption's access token and refresh family, and every token
    /// refreshed from it — until then.
    pub async fn consume(
        &self,
        core: &Core,
        grant_end: UnixTime,
        now: UnixTime,
    ) -> Result<(), TokenError> {
        // Remembered until the code expires: from then on it is refused as expired in prepare.
        let spent = Entry::new(
            Namespace::Code,
            self.record.id.as_bytes(),
            remaining(self.record.exp, now),
        )
        .value(grant_end.secs());
        match core
            .store
            .insert(spent)
            .await
            .map_err(|_| TokenError::StoreUnavailable)?
        {
            Inserted::New => Ok(()),
            Inserted::AlreadyPresent(first_grant_end) => {
                let owner = Owner::of(&self.record.client_id, &self.record.subject);
                let grant = self.record.refresh_family();
                revoke_grant(core, &grant, owner, first_grant_end, now).await?;
                Err(TokenError::InvalidGrant(GrantProblem::CodeReused))
            }
        }
    }
}
