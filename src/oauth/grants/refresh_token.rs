//! The refresh token grant (RFC 6749 §6) with DPoP (RFC 9449 §5): a public client's refresh
//! token is bound to its DPoP key and rotates on every use; a rotated token that comes back
//! revokes its whole grant (RFC 9700 §4.14.2). A confidential client's token is bound to the
//! client and kept.
//!
//! Rotation is tracked per family, not per token: the store holds the generation of the
//! family's current token, and a refresh advances it from the presented token's generation in
//! one atomic step. A token of an older generation is a reuse. One record per grant however
//! often it rotates.
use super::{GrantProblem, Prepared, Presented, RequestProblem, TokenError};
use crate::clock::UnixTime;
use crate::jose::jwk::Jkt;
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::params::Params;
use crate::oauth::refresh::{RefreshError, RefreshRecord};
use crate::oauth::revoked_before::Marks;
use crate::oauth::{scope, Core};
use crate::store::{Advanced, Entry, Namespace, Owner};
use std::time::Duration;

/// The refresh token the client presented, opened and checked statelessly.
pub(crate) struct PresentedRefreshToken {
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
    if record.client_id != client.id {
        return Err(TokenError::InvalidGrant(GrantProblem::RefreshOtherClient));
    }
    // RFC 6749 §6: a narrower scope may be requested, never a wider one.
    let scopes = match params.get("scope") {
        Some(text) => scope::parse(text).map_err(super::bad_scope)?,
        None => record.scopes.clone(),
    };
    if !scope::all_within(&scopes, &record.scopes) {
        return Err(TokenError::InvalidScope);
    }
    Ok(Prepared {
        grant: GrantType::RefreshToken,
        subject: record.subject.clone(),
        scopes,
        properties: record.properties.clone(),
        extra: record.extra_claims.clone(),
        presented: Presented::RefreshToken(PresentedRefreshToken {
            record,
            text: text.to_owned(),
        }),
    })
}

impl PresentedRefreshToken {
    /// RFC 9449 §5: a bound refresh token needs a proof made with the same key.
    pub fn check_binding(&self, proof_jkt: Option<&Jkt>) -> Result<(), TokenError> {
        if super::proof_matches(self.record.jkt.as_ref(), proof_jkt) {
            Ok(())
        } else {
            Err(TokenError::InvalidGrant(GrantProblem::RefreshKeyMismatch))
        }
    }

    /// The stateful part, run last: the grant must not be revoked, and a public client's token
    /// is spent by advancing its family's generation (a token of an older generation revokes
    /// the grant).
    pub async fn consume(
        &self,
        core: &Core,
        client: &Client,
        now: UnixTime,
    ) -> Result<(), TokenError> {
        let store = core.store.as_ref();
        let unavailable = |_| TokenError::StoreUnavailable;
        let family = self.record.family.as_bytes();
        let marks = Marks::of(&self.record.client_id, &self.record.subject);
        let mut keys: Vec<_> = marks.keys().collect();
        keys.push((Namespace::GrantRevoked, family));
        let found = store.lookup(&keys).await.map_err(unavailable)?;
        if found.len() != keys.len()
            || Marks::revoke(&found[..3], self.record.iat)
            || found[3].is_some()
        {
            return Err(TokenError::InvalidGrant(GrantProblem::RefreshRevoked));
        }
        if !client.is_public() {
            return Ok(());
        }
        let next = Entry::new(
            Namespace::RefreshGeneration,
            family,
            remaining(self.record.exp, now),
        )
        .value(i64::from(self.record.generation) + 1)
        .owner(owner_of(&self.record));
        match store
            .advance(next, i64::from(self.record.generation))
            .await
            .map_err(unavailable)?
        {
            Advanced::Done => Ok(()),
            Advanced::Conflict(_) => {
                revoke_grant(
                    core,
                    &self.record.family,
                    owner_of(&self.record),
                    self.record.exp,
                    now,
                )
                .await?;
                Err(TokenError::InvalidGrant(GrantProblem::RefreshReused))
            }
        }
    }
}

/// The owner of a grant's records: its client and subject.
pub(crate) fn owner_of(record: &RefreshRecord) -> Owner {
    Owner::of(&record.client_id, &record.subject)
}

/// The time from `now` to `exp` (at least a second, so a record is always written).
pub(crate) fn remaining(exp: i64, now: UnixTime) -> Duration {
    Duration::from_secs((exp - now.secs()).max(1) as u64)
}

/// Revokes a grant — its refresh family and every access token carrying its id — until
/// `end`, the last moment any of its tokens could be used.
pub async fn revoke_grant(
    core: &Core,
    grant_id: &str,
    owner: Owner,
    end: i64,
    now: UnixTime,
) -> Result<(), TokenError> {
    let entry = Entry::new(
        Namespace::GrantRevoked,
        grant_id.as_bytes(),
        remaining(end, now),
    )
    .owner(owner);
    core.store
        .insert(entry)
        .await
        .map(|_| ())
        .map_err(|_| TokenError::StoreUnavailable)
}
