//! Revoking every token of a subject, a client or a pair at once (`/auth/token/revoke`,
//! docs/api.md, "Revoking every token of a user or client"): "sign out everywhere", a lost
//! device, an account deleted. dpopd keeps no list of the tokens it issued, so the call writes a
//! mark instead: "every token of this subject (client, pair) issued at or before T is revoked".
//! Every use of a token reads the three marks that could cover it, in the same store round
//! trip as its deny lists: introspection, userinfo, RFC 7662 introspection and refresh.
//!
//! Token times are whole seconds (`iat`), so a token issued in the same second as the call,
//! even just after it, is revoked too: the mark never lets through a token issued before it.
use crate::clock::UnixTime;
use crate::oauth::Core;
use crate::store::{Advanced, Entry, Inserted, Namespace, Owner, StoreError};
use std::time::Duration;

/// Whose tokens to revoke: a subject, a client, or one subject's tokens at one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Subject(&'a str),
    Client(&'a str),
    Pair {
        client_id: &'a str,
        subject: &'a str,
    },
}

impl Target<'_> {
    fn key(&self) -> Vec<u8> {
        match *self {
            Target::Subject(subject) => key(b's', "", subject),
            Target::Client(client_id) => key(b'c', client_id, ""),
            Target::Pair { client_id, subject } => key(b'p', client_id, subject),
        }
    }

    fn owner(&self) -> Owner {
        match *self {
            Target::Subject(subject) => Owner::of("", subject),
            Target::Client(client_id) => Owner::of(client_id, ""),
            Target::Pair { client_id, subject } => Owner::of(client_id, subject),
        }
    }
}

/// `kind`, then the client id's length, so no client id and subject can be read as another
/// split of the same bytes.
fn key(kind: u8, client_id: &str, subject: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + client_id.len() + subject.len());
    out.push(kind);
    out.extend_from_slice(&(client_id.len() as u32).to_be_bytes());
    out.extend_from_slice(client_id.as_bytes());
    out.extend_from_slice(subject.as_bytes());
    out
}

/// The store keys of the three marks that can cover a token of `client_id` for `subject`.
pub struct Marks([Vec<u8>; 3]);

impl Marks {
    pub fn of(client_id: &str, subject: &str) -> Marks {
        Marks([
            Target::Subject(subject).key(),
            Target::Client(client_id).key(),
            Target::Pair { client_id, subject }.key(),
        ])
    }

    /// The lookup keys, to add to a token's other store lookups.
    pub fn keys(&self) -> impl Iterator<Item = (Namespace, &[u8])> {
        self.0
            .iter()
            .map(|key| (Namespace::RevokedBefore, key.as_slice()))
    }

    /// Whether the values the store answered for [`Marks::keys`] revoke a token issued at `iat`.
    pub fn revoke(values: &[Option<i64>], iat: i64) -> bool {
        values.iter().flatten().any(|&before| iat <= before)
    }
}

/// How long a mark must live: as long as any token issued before it can, whatever the
/// lifetime it was issued with (`tokens.max_lifetime_override_secs` bounds the overrides).
pub fn mark_ttl(core: &Core) -> Duration {
    let longest = core
        .access_lifetime_secs
        .max(core.refresh_lifetime_secs)
        .max(core.max_lifetime_override_secs)
        .max(1);
    let skew = core.dpop.policy().clock_skew_secs.max(0);
    Duration::from_secs((longest + skew + 1) as u64)
}

/// Why `/auth/token/revoke` revoked nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevokeError {
    /// Neither a subject nor a client id (an empty one is none).
    #[error("no subject and no clientId")]
    TargetMissing,
    #[error("clientId is not a configured client")]
    ClientUnknown,
    /// Authlete's one-token fields: one token is revoked at `/auth/revocation` (RFC 7009).
    #[error("accessTokenIdentifier or refreshTokenIdentifier given")]
    OneToken,
    /// The store did not record the mark: nothing was revoked.
    #[error("store: {0}")]
    Store(StoreError),
}

/// Revokes every token of the subject, the client, or the subject at the client (both given)
/// issued at or before `now`, and answers that time.
pub async fn revoke(
    core: &Core,
    subject: Option<&str>,
    client_id: Option<&str>,
    now: UnixTime,
) -> Result<i64, RevokeError> {
    let subject = subject.filter(|s| !s.is_empty());
    let client_id = client_id.filter(|c| !c.is_empty());
    if client_id.is_some_and(|id| core.clients.get(id).is_none()) {
        return Err(RevokeError::ClientUnknown);
    }
    let target = match (client_id, subject) {
        (Some(client_id), Some(subject)) => Target::Pair { client_id, subject },
        (Some(client_id), None) => Target::Client(client_id),
        (None, Some(subject)) => Target::Subject(subject),
        (None, None) => return Err(RevokeError::TargetMissing),
    };
    revoke_before(core, target, now).await.map_err(|error| {
        crate::store::report_refusal(&error);
        RevokeError::Store(error)
    })
}

/// Revokes every token of `target` issued at or before `now`, and answers that time. A mark
/// already there is only ever moved later, atomically, so two calls at once keep the later.
pub async fn revoke_before(
    core: &Core,
    target: Target<'_>,
    now: UnixTime,
) -> Result<i64, StoreError> {
    let key = target.key();
    let before = now.secs();
    let entry = Entry::new(Namespace::RevokedBefore, &key, mark_ttl(core))
        .value(before)
        .owner(target.owner());
    let mut present = match core.store.insert(entry).await? {
        Inserted::New => return Ok(before),
        Inserted::AlreadyPresent(value) => value,
    };
    // Each conflict means another call moved the mark; it can move only forward, so this
    // ends after a few rounds at most.
    for _ in 0..16 {
        if present >= before {
            return Ok(present);
        }
        match core.store.advance(entry, present).await? {
            Advanced::Done => return Ok(before),
            Advanced::Conflict(value) => present = value,
        }
    }
    Err(StoreError::Unavailable(
        "the revoked-before mark kept changing".into(),
    ))
}

#[cfg(test)]
mod tests;
