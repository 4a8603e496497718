//! The refresh token grant (RFC 6749 §6) with DPoP (RFC 9449 §5): a public client's refresh
//! token is bound to its DPoP key and rotates on every use; a rotated token that comes back
//! revokes its whole family. A confidential client's token is bound to the client and kept.
use super::{GrantProblem, Prepared, RequestProblem, TokenError};
use crate::clock::UnixTime;
use crate::jose::jwk::Jkt;
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::params::Params;
use crate::oauth::refresh::{RefreshError, RefreshRecord};
use crate::oauth::{scope, Core};
use crate::store::{Inserted, Namespace};
use std::time::Duration;

/// The refresh token the client presented, opened and checked statelessly.
pub(crate) struct Presented {
    pub record: RefreshRecord,
    pub text: String,
}

pub(super) fn prepare(
    core: &Core,
    client: &Client,
    params: &Params,
    now: UnixTime,
) -> Result<Prepared, TokenError> {
    let text = params
        .get("refresh_token")
        .ok_or(TokenError::InvalidRequest(RequestProblem::Missing(
            "refresh_token",
        )))?;
    let record = RefreshRecord::open(&core.sealer, text, now).map_err(|e| match e {
        RefreshError::Expired => TokenError::InvalidGrant(GrantProblem::RefreshExpired),
        RefreshError::Invalid(_) => TokenError::InvalidGrant(GrantProblem::RefreshInvalid),
    })?;
    if record.cid != client.id {
        return Err(TokenError::InvalidGrant(GrantProblem::RefreshOtherClient));
    }
    // RFC 6749 §6: a narrower scope may be requested, never a wider one.
    let scopes = match params.get("scope") {
        Some(text) => scope::parse(text).map_err(super::bad_scope)?,
        None => record.scp.clone(),
    };
    if !scope::all_within(&scopes, &record.scp) {
        return Err(TokenError::InvalidScope);
    }
    Ok(Prepared {
        grant: GrantType::RefreshToken,
        subject: record.sub.clone(),
        scopes,
        properties: record.prp.clone(),
        extra: record.ext.clone(),
        refresh: Some(Presented {
            record,
            text: text.to_owned(),
        }),
        code: None,
    })
}

impl Presented {
    /// RFC 9449 §5: a bound refresh token needs a proof made with the same key.
    pub fn check_binding(&self, proof_jkt: Option<&Jkt>) -> Result<(), TokenError> {
        if super::proof_matches(self.record.jkt.as_deref(), proof_jkt) {
            Ok(())
        } else {
            Err(TokenError::InvalidGrant(GrantProblem::RefreshKeyMismatch))
        }
    }

    /// The stateful part, run last: the family must not be revoked, and a public client's
    /// token is spent (a second use revokes the family).
    pub async fn consume(
        &self,
        core: &Core,
        client: &Client,
        now: UnixTime,
    ) -> Result<(), TokenError> {
        let store = core.store.as_ref();
        let unavailable = |_| TokenError::StoreUnavailable;
        if store
            .contains(Namespace::RefreshFamilyRevoked, self.record.fam.as_bytes())
            .await
            .map_err(unavailable)?
        {
            return Err(TokenError::InvalidGrant(GrantProblem::RefreshRevoked));
        }
        if !client.is_public() {
            return Ok(());
        }
        let remaining = Duration::from_secs((self.record.exp - now.secs()).max(1) as u64);
        match store
            .insert_if_absent(
                Namespace::RefreshRotated,
                self.record.jti.as_bytes(),
                remaining,
            )
            .await
            .map_err(unavailable)?
        {
            Inserted::New => Ok(()),
            Inserted::AlreadyPresent => {
                revoke_family(core, &self.record.fam).await?;
                Err(TokenError::InvalidGrant(GrantProblem::RefreshReused))
            }
        }
    }
}

/// Revokes every refresh token of a family for as long as any of them could live.
pub async fn revoke_family(core: &Core, family: &str) -> Result<(), TokenError> {
    let ttl = Duration::from_secs(
        core.refresh_lifetime_secs
            .max(core.max_lifetime_override_secs)
            .max(1) as u64,
    );
    core.store
        .insert_if_absent(Namespace::RefreshFamilyRevoked, family.as_bytes(), ttl)
        .await
        .map(|_| ())
        .map_err(|_| TokenError::StoreUnavailable)
}
