//! The "seen once" store (SPEC §7): the only shared state dpopd has — DPoP `jti`s, used codes,
//! tickets and `request_uri`s, rotated refresh tokens, revoked token ids — each a key with an
//! expiry. One trait, two implementations: in-process (one node: a sharded set of salted
//! digests, `memory`) and Redis (replicas).
//! Keys are SHA-256 of a namespace tag and the caller's bytes: no raw jti or token is stored.
#[cfg(test)]
pub(crate) mod contract;
pub mod memory;
pub mod redis;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a key stands for; part of the hashed key so namespaces never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    DpopJti,
    Code,
    Ticket,
    RequestUri,
    RefreshRotated,
    RefreshFamilyRevoked,
    RevokedToken,
}

impl Namespace {
    pub fn tag(self) -> &'static str {
        match self {
            Namespace::DpopJti => "jti",
            Namespace::Code => "code",
            Namespace::Ticket => "ticket",
            Namespace::RequestUri => "requri",
            Namespace::RefreshRotated => "rtrot",
            Namespace::RefreshFamilyRevoked => "rtfam",
            Namespace::RevokedToken => "revoked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store did not answer within its timeout or the connection failed: callers fail closed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// Outcome of an atomic insert-if-absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New,
    AlreadyPresent,
}

pub trait SeenStore: Send + Sync {
    /// Records `key` for `ttl` if absent, atomically (`SET NX PX` in Redis, one shard lock in memory).
    fn insert_if_absent<'a>(
        &'a self,
        ns: Namespace,
        key: &'a [u8],
        ttl: Duration,
    ) -> StoreFuture<'a, Inserted>;

    /// Whether `key` is recorded and not expired.
    fn contains<'a>(&'a self, ns: Namespace, key: &'a [u8]) -> StoreFuture<'a, bool>;

    /// Readiness probe.
    fn ping(&self) -> StoreFuture<'_, ()>;
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
