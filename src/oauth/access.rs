//! Verification of the access tokens introspection and userinfo accept (RFC 9068 §4): dpopd's
//! own, and those of the trusted issuers (docs/configuration.md, "[[issuers]]"). The token's
//! `iss`, read before anything is verified, selects the verifier — dpopd's key set, or the
//! issuer's key source, `alg` list, `aud` values, `typ` rule and scope claim — and the checks
//! are then the same: the signature by `kid`, `typ`, `iss`, `aud`, the claims, `cnf.jkt`, the
//! time claims (RFC 7519 §4.1.4–4.1.6). The revocation deny list (RFC 7009 §2, docs/api.md,
//! "Revocation") applies to dpopd's own tokens only: it is keyed by dpopd's grants, clients
//! and subjects; another issuer's token is revoked at that issuer and lives until its `exp`.
//!
//! A token whose signature checked is kept in a bounded cache keyed by SHA-256(token), so its
//! signature is verified once; the time claims and the deny list are checked on every call, so
//! the cache never serves an expired or revoked token. A trusted issuer's token is served from
//! it only while the issuer's current key set is the one that verified it: a refreshed set, a
//! set gone stale (fail closed) or an issuer removed by a reload verifies it again.
use crate::clock::UnixTime;
use crate::jose::jwk::Jkt;
use crate::jose::jwks::JwkSet;
use crate::jose::jwks_verify::JwksVerifyError;
use crate::jose::VerifyError;
use crate::oauth::revoked_before::Marks;
use crate::oauth::tokens::{AccessClaims, TokenType};
use crate::oauth::{Core, Property};
use crate::store::Namespace;
use moka::sync::Cache;
use moka::Expiry;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A cached token is verified again after this long at most, whatever its lifetime.
const MAX_CACHED_SECS: i64 = 600;

mod rules;

/// An access token of this service or of a trusted issuer whose signature, `typ`, `iss`,
/// `aud` and claims checked.
#[derive(Debug)]
pub struct VerifiedAccess {
    pub claims: AccessClaims,
    pub origin: Origin,
    pub scopes: Vec<String>,
    /// `cnf.jkt` (RFC 9449 §6.1): the key the token is bound to.
    pub jkt: Option<Jkt>,
    /// The properties sealed in `prp`, hidden ones included.
    pub properties: Vec<Property>,
}

/// Who issued a verified token: it decides the checks beyond the signature.
#[derive(Debug, Clone)]
pub enum Origin {
    /// dpopd itself: its own keys, `prp`, revocation.
    Own,
    /// A trusted issuer (`claims.iss`); `set` is its JWK Set whose key verified the token.
    Trusted { set: Arc<JwkSet> },
}

impl VerifiedAccess {
    /// Whether dpopd issued the token (its clients, grants and revocation apply).
    pub fn is_own(&self) -> bool {
        matches!(self.origin, Origin::Own)
    }

    pub fn expires_at(&self) -> UnixTime {
        UnixTime(self.claims.exp)
    }

    pub fn token_type(&self) -> TokenType {
        if self.jkt.is_some() {
            TokenType::DPoP
        } else {
            TokenType::Bearer
        }
    }
}

/// Why an access token is not usable; every variant is `invalid_token` to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// RFC 7515 §5.2, dpopd's own key set: not a compact JWS, an `alg` other than the key's
    /// (`none`, `HS256`), or a signature that does not verify (tampered).
    #[error("token does not verify: {0}")]
    Unverified(VerifyError),
    /// RFC 7515 §5.2, a trusted issuer's key set: not a compact JWS, a forbidden header
    /// member, an `alg` the key does not permit, or a signature that does not verify.
    #[error("token does not verify with the issuer's keys: {0}")]
    Signature(JwksVerifyError),
    /// RFC 9068 §4: `iss` is neither dpopd's issuer nor a trusted issuer's.
    #[error("token issuer is not trusted")]
    UnknownIssuer,
    /// RFC 7517 §4.5: no key of the issuer has the token's `kid` (or the token has none),
    /// also after the refresh an unknown `kid` may cause.
    #[error("no key of the issuer has the token's kid")]
    UnknownKid,
    /// RFC 8725 §3.1: the token's `alg` is not in the issuer's `algs`.
    #[error("token alg is not allowed for the issuer")]
    AlgNotAllowed,
    /// The issuer's key source has no usable set (never fetched, or stale): fail closed.
    #[error("the issuer's keys are unavailable")]
    KeysUnavailable,
    /// RFC 9068 §4: `typ` is not `at+jwt` (or, for an issuer not requiring it, is neither
    /// absent, `JWT` nor `at+jwt`).
    #[error("token typ is not at+jwt")]
    WrongType,
    /// RFC 9068 §2.2: a required claim is missing or mistyped, or `cnf.jkt` or `prp` is unusable.
    #[error("token claims are malformed")]
    Claims,
    /// RFC 9068 §4: `iss` is not the issuer whose key verified the token.
    #[error("token was issued by another issuer")]
    WrongIssuer,
    /// RFC 9068 §4: `aud` holds none of the trusted issuer's `audience` values.
    #[error("token audience is not accepted")]
    WrongAudience,
    /// RFC 9068 §2.2.3: the issuer's scope claim is not a string (`scope`) or an array of
    /// strings (`scp`) of scope tokens (RFC 6749 §3.3).
    #[error("token scope claim is malformed")]
    ScopeClaim,
    /// RFC 7519 §4.1.4.
    #[error("token has expired")]
    Expired,
    /// RFC 7519 §4.1.5/§4.1.6: `nbf` or `iat` lies beyond the clock skew in the future.
    #[error("token is not yet valid")]
    NotYetValid,
    /// RFC 7009 §2: the token's `jti`, or the grant it belongs to, is on the deny list.
    #[error("token has been revoked")]
    Revoked,
    /// The deny list could not be read: fail closed.
    #[error("revocation store unavailable")]
    StoreUnavailable,
}

/// Verified tokens by SHA-256(token). Entries expire with their token or after
/// [`MAX_CACHED_SECS`], whichever is first; capacity is `tokens.verified_cache_entries`.
pub struct AccessCache {
    cache: Cache<[u8; 32], Cached>,
}

#[derive(Clone)]
struct Cached {
    access: Arc<VerifiedAccess>,
    ttl: Duration,
}

/// Per-entry expiry: the TTL computed from the token's `exp` when it was cached.
struct CachedExpiry;

impl Expiry<[u8; 32], Cached> for CachedExpiry {
    fn expire_after_create(
        &self,
        _key: &[u8; 32],
        value: &Cached,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

impl AccessCache {
    /// `max_entries == 0` disables caching: every call verifies the signature.
    pub fn new(max_entries: u64) -> AccessCache {
        AccessCache {
            cache: Cache::builder()
                .max_capacity(max_entries)
                .expire_after(CachedExpiry)
                .build(),
        }
    }

    /// Drops `token` from the cache (revocation); later calls verify it again.
    pub fn forget(&self, token: &str) {
        self.cache.invalidate(&cache_key(token));
    }

    fn get(&self, key: &[u8; 32]) -> Option<Arc<VerifiedAccess>> {
        self.cache.get(key).map(|c| c.access)
    }

    fn put(&self, key: [u8; 32], access: Arc<VerifiedAccess>, now: UnixTime) {
        let secs = (access.claims.exp - now.secs()).clamp(1, MAX_CACHED_SECS);
        self.cache.insert(
            key,
            Cached {
                access,
                ttl: Duration::from_secs(secs as u64),
            },
        );
    }
}

fn cache_key(token: &str) -> [u8; 32] {
    crate::jose::secrets::sha256(token.as_bytes())
}

/// Whether the cache of verified tokens held a token: the `outcome` label of
/// `dpopd_access_token_cache_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    /// The signature was verified.
    Miss,
}

impl CacheOutcome {
    pub const ALL: [CacheOutcome; 2] = [CacheOutcome::Hit, CacheOutcome::Miss];

    pub fn label(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
        }
    }

    fn count(self) {
        crate::telemetry::series()
            .access_token_cache(self)
            .increment(1);
    }
}

/// Every check of the token that needs no store: the signature (on a cache miss only), then
/// the time claims at `now` (always).
pub async fn verify_signed(
    core: &Core,
    token: &str,
    now: UnixTime,
) -> Result<Arc<VerifiedAccess>, AccessError> {
    let key = cache_key(token);
    let skew = core.dpop.policy().clock_skew_secs;
    if let Some(hit) = core.verified_access.get(&key) {
        if still_trusted(core, &hit, now) {
            CacheOutcome::Hit.count();
            check_times(&hit.claims, now, skew)?;
            return Ok(hit);
        }
    }
    CacheOutcome::Miss.count();
    let access = Arc::new(rules::verify_uncached(core, token, now).await?);
    check_times(&access.claims, now, skew)?;
    core.verified_access.put(key, Arc::clone(&access), now);
    Ok(access)
}

/// A cached token of a trusted issuer stands while that issuer is still configured and its
/// current key set is the one that verified the token; dpopd's own keys change only with a
/// reload, which empties the cache ([`Core::follow`]).
fn still_trusted(core: &Core, access: &VerifiedAccess, now: UnixTime) -> bool {
    match &access.origin {
        Origin::Own => true,
        Origin::Trusted { set } => core
            .issuers
            .get(&access.claims.iss)
            .and_then(|issuer| issuer.keys.current(now))
            .is_some_and(|current| Arc::ptr_eq(&current, set)),
    }
}

/// The deny lists (RFC 7009 §2): the token's own `jti`, the grant it belongs to (revoked with
/// its refresh token, on refresh-token reuse or on code reuse), and the "revoked before" marks
/// of its subject, client and pair (`/auth/token/revoke`); read on every call, cached token or
/// not, in one round trip.
async fn check_not_revoked(core: &Core, access: &VerifiedAccess) -> Result<(), AccessError> {
    let claims = &access.claims;
    let marks = Marks::of(&claims.client_id, &claims.sub);
    let mut keys = Vec::with_capacity(5);
    keys.extend(marks.keys());
    keys.push((Namespace::RevokedToken, claims.jti.as_bytes()));
    if let Some(gid) = &claims.gid {
        keys.push((Namespace::GrantRevoked, gid.as_bytes()));
    }
    let values = core
        .store
        .lookup(&keys)
        .await
        .map_err(|_| AccessError::StoreUnavailable)?;
    if values.len() != keys.len() {
        return Err(AccessError::StoreUnavailable);
    }
    let (marked, listed) = values.split_at(3);
    if Marks::revoke(marked, claims.iat) || listed.iter().any(Option::is_some) {
        return Err(AccessError::Revoked);
    }
    Ok(())
}

/// [`verify_signed`] and [`check_not_revoked`]: a token that may be used now.
pub async fn verify(
    core: &Core,
    token: &str,
    now: UnixTime,
) -> Result<Arc<VerifiedAccess>, AccessError> {
    let access = verify_signed(core, token, now).await?;
    if access.is_own() {
        check_not_revoked(core, &access).await?;
    }
    Ok(access)
}

/// Whether `token` has the form of an access token (a compact JWS) rather than of a sealed
/// refresh token (base64url, never a `.`). Revocation and RFC 7662 introspection tell the two
/// apart this way, so `token_type_hint` (RFC 7009 §2.1, RFC 7662 §2.1) is never needed.
pub fn has_access_token_form(token: &str) -> bool {
    token.contains('.')
}

/// RFC 7519 §4.1.4–4.1.6 at `now`, allowing `skew` seconds for `nbf` and `iat`.
fn check_times(claims: &AccessClaims, now: UnixTime, skew: i64) -> Result<(), AccessError> {
    if now.secs() >= claims.exp {
        return Err(AccessError::Expired);
    }
    let nbf = match claims.extra.get("nbf") {
        None => None,
        Some(value) => Some(value.as_i64().ok_or(AccessError::Claims)?),
    };
    let latest = now.secs().saturating_add(skew);
    if claims.iat > latest || nbf.is_some_and(|nbf| nbf > latest) {
        return Err(AccessError::NotYetValid);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
