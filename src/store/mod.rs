//! The store (docs/configuration.md, "Store"): the only state dpopd keeps — DPoP `jti`s, spent
//! codes, tickets and `request_uri`s, refresh-token generations, revoked grants and access
//! tokens, client assertion `jti`s, and "revoked before" marks of subjects and clients — each a key with an expiry and a small integer value. One trait, every backend:
//! in-process (`memory`, one node, forgotten at exit), in-process and journaled to disk
//! (`durable`, one node, the default) and Redis (replicas).
//!
//! Keys are SHA-256 of a namespace tag and the caller's bytes: no raw jti or token is stored.
//! A backend never drops a live entry to make room: an insert that does not fit is refused
//! ([`StoreError::Full`]) and the call fails closed, exactly as when the store is unreachable.
#[cfg(test)]
pub(crate) mod contract;
pub mod durable;
pub mod memory;
pub mod redis;
pub(crate) mod tables;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a key stands for; part of the hashed key so namespaces never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// RFC 9449 §4.3 check 11: `(jkt, jti)` of every accepted proof, for the replay window.
    DpopJti,
    /// A redeemed authorization code; its value is the end of the grant it started, so a
    /// second redemption can revoke that grant for exactly as long as it could live.
    Code,
    Ticket,
    RequestUri,
    /// The generation of a rotating refresh-token family: the value is the generation of the
    /// family's current refresh token (RFC 9700 §4.14.2 reuse detection).
    RefreshGeneration,
    /// A revoked grant: every token carrying its id (`gid`, a refresh family) is refused.
    GrantRevoked,
    /// A revoked access token, by `jti` (RFC 7009 §2).
    RevokedToken,
    /// "Every token of this subject, client or pair issued up to T is revoked"
    /// (`/auth/token/revoke`): the value is T in seconds.
    RevokedBefore,
    /// RFC 7523 §3 (7): `(client_id, jti)` of every accepted `private_key_jwt` client
    /// assertion, until the assertion expires.
    ClientAssertionJti,
}

impl Namespace {
    /// In the order of the durable store's journal tags: a new namespace goes at the end.
    pub const ALL: [Namespace; 9] = [
        Namespace::DpopJti,
        Namespace::Code,
        Namespace::Ticket,
        Namespace::RequestUri,
        Namespace::RefreshGeneration,
        Namespace::GrantRevoked,
        Namespace::RevokedToken,
        Namespace::RevokedBefore,
        Namespace::ClientAssertionJti,
    ];

    /// Part of every hashed key. `rtfam` is the tag revoked refresh families had before grant
    /// ids existed: a grant id is its refresh family id, so those records keep working.
    pub fn tag(self) -> &'static str {
        match self {
            Namespace::DpopJti => "jti",
            Namespace::Code => "code",
            Namespace::Ticket => "ticket",
            Namespace::RequestUri => "requri",
            Namespace::RefreshGeneration => "rtgen",
            Namespace::GrantRevoked => "rtfam",
            Namespace::RevokedToken => "revoked",
            Namespace::RevokedBefore => "revbefore",
            Namespace::ClientAssertionJti => "assertjti",
        }
    }

    /// The share of `store.max_entries` an in-process store gives this namespace, in percent
    /// (docs/configuration.md, "Store sizing"). Separate budgets keep one kind of record from
    /// crowding out another: a flood of revocations can never take the room of replay records.
    pub fn share_percent(self) -> u64 {
        match self {
            Namespace::DpopJti => 72,
            Namespace::ClientAssertionJti => 3,
            Namespace::Code | Namespace::Ticket | Namespace::RequestUri => 3,
            Namespace::RefreshGeneration => 7,
            Namespace::GrantRevoked | Namespace::RevokedToken => 4,
            Namespace::RevokedBefore => 1,
        }
    }

    /// Whether records here live as long as a grant or token (days) rather than a request's
    /// window (minutes): those are counted against their owner's quota.
    pub fn long_lived(self) -> bool {
        matches!(
            self,
            Namespace::RefreshGeneration
                | Namespace::GrantRevoked
                | Namespace::RevokedToken
                | Namespace::RevokedBefore
        )
    }

    /// The label of this namespace in metrics.
    pub fn label(self) -> &'static str {
        match self {
            Namespace::DpopJti => "dpop_jti",
            Namespace::Code => "code",
            Namespace::Ticket => "ticket",
            Namespace::RequestUri => "request_uri",
            Namespace::RefreshGeneration => "refresh_generation",
            Namespace::GrantRevoked => "grant_revoked",
            Namespace::RevokedToken => "revoked_token",
            Namespace::RevokedBefore => "revoked_before",
            Namespace::ClientAssertionJti => "client_assertion_jti",
        }
    }
}

/// Who a long-lived record is written for: a digest of the client and the subject of the
/// grant. The in-process store caps the live records of one owner
/// (`store.max_entries_per_owner`), so no client, nor one user of a public client, can fill
/// the room every other one needs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner([u8; 16]);

impl Owner {
    pub fn of(client_id: &str, subject: &str) -> Owner {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(client_id.as_bytes());
        ctx.update(&[0]);
        ctx.update(subject.as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&ctx.finish().as_ref()[..16]);
        Owner(out)
    }

    pub fn digest(&self) -> &[u8; 16] {
        &self.0
    }

    /// The owner whose [`Owner::digest`] is `digest`, as the durable store reads it back.
    pub(crate) fn from_digest(digest: [u8; 16]) -> Owner {
        Owner(digest)
    }
}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Owner(..)")
    }
}

/// One record to write.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub ns: Namespace,
    pub key: &'a [u8],
    /// The remaining life of what the record guards; the record is gone after it.
    pub ttl: Duration,
    pub value: i64,
    pub owner: Option<Owner>,
}

impl<'a> Entry<'a> {
    /// A record with value 1 and no owner.
    pub fn new(ns: Namespace, key: &'a [u8], ttl: Duration) -> Entry<'a> {
        Entry {
            ns,
            key,
            ttl,
            value: 1,
            owner: None,
        }
    }

    pub fn value(self, value: i64) -> Entry<'a> {
        Entry { value, ..self }
    }

    pub fn owner(self, owner: Owner) -> Entry<'a> {
        Entry {
            owner: Some(owner),
            ..self
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store did not answer within its timeout or the connection failed: callers fail closed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The namespace's budget is used up by live records: the insert is refused, never made
    /// room for by dropping a live one. Callers fail closed.
    #[error("store full: no room for another {} record", .0.label())]
    Full(Namespace),
    /// The owner already holds `store.max_entries_per_owner` live long-lived records.
    #[error("store quota: the owner holds its maximum of {} records", .0.label())]
    OwnerQuota(Namespace),
}

/// A store call: the `op` label of `dpopd_store_seconds` and `dpopd_store_errors_total`
/// (docs/operations.md, "Metrics").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    Insert,
    Advance,
    Lookup,
    /// Redis: the readiness check (`/readyz`).
    Ping,
    /// Redis: the connection made at start.
    Connect,
    /// Redis: a write fewer replicas acknowledged than `store.redis_wait_replicas`.
    Wait,
    /// Durable: a journal write or sync that failed.
    Journal,
}

impl StoreOp {
    pub const ALL: [StoreOp; 7] = [
        StoreOp::Insert,
        StoreOp::Advance,
        StoreOp::Lookup,
        StoreOp::Ping,
        StoreOp::Connect,
        StoreOp::Wait,
        StoreOp::Journal,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StoreOp::Insert => "insert",
            StoreOp::Advance => "advance",
            StoreOp::Lookup => "lookup",
            StoreOp::Ping => "ping",
            StoreOp::Connect => "connect",
            StoreOp::Wait => "wait",
            StoreOp::Journal => "journal",
        }
    }
}

/// Why an in-process store refused a record for room: the `reason` label of
/// `dpopd_store_refusals_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomRefusal {
    /// [`StoreError::Full`].
    Full,
    /// [`StoreError::OwnerQuota`].
    OwnerQuota,
}

impl RoomRefusal {
    pub const ALL: [RoomRefusal; 2] = [RoomRefusal::Full, RoomRefusal::OwnerQuota];

    pub fn label(self) -> &'static str {
        match self {
            RoomRefusal::Full => "full",
            RoomRefusal::OwnerQuota => "owner_quota",
        }
    }
}

/// Outcome of an atomic insert-if-absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New,
    /// The key was live already; its value is returned and nothing was changed.
    AlreadyPresent(i64),
}

/// Outcome of an atomic compare-and-set of a record's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advanced {
    /// The record was absent or held the expected value; it now holds the new one.
    Done,
    /// The record held another value (returned); nothing was changed.
    Conflict(i64),
}

pub trait SeenStore: Send + Sync {
    /// Records `entry` if its key is absent, atomically (`SET NX` in Redis, one shard lock in
    /// memory); a live key is left as it is and its value returned.
    fn insert<'a>(&'a self, entry: Entry<'a>) -> StoreFuture<'a, Inserted>;

    /// Sets the record's value to `entry.value` (and its expiry to `entry.ttl`) if it is absent
    /// or holds `expected`, atomically.
    fn advance<'a>(&'a self, entry: Entry<'a>, expected: i64) -> StoreFuture<'a, Advanced>;

    /// The values of live keys (`None` for absent ones), in order, in one round trip.
    fn lookup<'a>(&'a self, keys: &'a [(Namespace, &'a [u8])])
        -> StoreFuture<'a, Vec<Option<i64>>>;

    /// Readiness: reachable, and no namespace is out of room.
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// [`SeenStore::insert`] of a plain record (value 1, no owner).
    fn insert_if_absent<'a>(
        &'a self,
        ns: Namespace,
        key: &'a [u8],
        ttl: Duration,
    ) -> StoreFuture<'a, Inserted> {
        self.insert(Entry::new(ns, key, ttl))
    }
}

/// Whether `key` is live in `ns`.
pub async fn contains(
    store: &dyn SeenStore,
    ns: Namespace,
    key: &[u8],
) -> Result<bool, StoreError> {
    let keys = [(ns, key)];
    Ok(store
        .lookup(&keys)
        .await?
        .first()
        .is_some_and(Option::is_some))
}

/// The 32-byte key under which `(ns, key)` is stored.
pub fn hashed_key(ns: Namespace, key: &[u8]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(ns.tag().as_bytes());
    ctx.update(&[0]);
    ctx.update(key);
    let digest = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Counts a refusal for room and warns, at most once a second per namespace so a flood does
/// not flood the log too.
pub(crate) fn report_refusal(error: &StoreError) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST_WARNED: [AtomicU64; Namespace::ALL.len()] =
        [const { AtomicU64::new(0) }; Namespace::ALL.len()];
    let (ns, reason) = match error {
        StoreError::Full(ns) => (*ns, RoomRefusal::Full),
        StoreError::OwnerQuota(ns) => (*ns, RoomRefusal::OwnerQuota),
        StoreError::Unavailable(_) => return,
    };
    let reason = reason.label();
    metrics::counter!("dpopd_store_refusals_total", "namespace" => ns.label(), "reason" => reason)
        .increment(1);
    let index = Namespace::ALL.iter().position(|n| *n == ns).unwrap_or(0);
    let now = crate::clock::UnixTime::now().secs().max(0) as u64;
    if LAST_WARNED[index].swap(now, Ordering::Relaxed) != now {
        tracing::warn!(namespace = ns.label(), reason, "store refused a record: {error}; the call fails closed (see docs/configuration.md, store sizing)");
    }
}
