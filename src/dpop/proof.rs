//! The DPoP proof validator (RFC 9449 §4.3), shared by every endpoint. [`Validator::check`]
//! runs the checks that touch no shared state (1–8 and 10, with the nonce parts of 9), and
//! [`Validator::record`] performs check 11, the atomic replay record, last. Only this module
//! constructs a [`VerifiedProof`].
use super::htu::{Htu, HtuError};
use super::nonce::{NonceError, NonceService};
use crate::clock::UnixTime;
use crate::jose::alg::Alg;
use crate::jose::jwk::{Jkt, JwkError, JwkMembers, PublicJwk, SignatureError};
use crate::jose::jws::{CompactJws, JwsError};
use crate::store::{Inserted, Namespace, SeenStore};
use serde::Deserialize;
use std::borrow::Cow;
use std::time::Duration;

/// The service-wide proof policy, from `[dpop]` configuration.
#[derive(Debug, Clone)]
pub struct ProofPolicy {
    pub algs: AlgSet,
    pub max_proof_bytes: usize,
    pub rsa_min_bits: usize,
    pub rsa_max_bits: usize,
    pub max_age_secs: i64,
    pub clock_skew_secs: i64,
}

impl ProofPolicy {
    /// The policy of `[dpop]` configuration (docs/configuration.md).
    pub fn from_settings(d: &crate::config::DpopSettings) -> ProofPolicy {
        ProofPolicy {
            algs: AlgSet::of(d.algs.iter().copied()),
            max_proof_bytes: d.max_proof_bytes,
            rsa_min_bits: 2048,
            rsa_max_bits: d.rsa_max_bits,
            max_age_secs: d.proof_max_age_secs as i64,
            clock_skew_secs: d.clock_skew_secs as i64,
        }
    }
}

/// A set of JWS algs, small enough to copy into every call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlgSet(u16);

impl AlgSet {
    pub fn of(algs: impl IntoIterator<Item = Alg>) -> AlgSet {
        AlgSet(algs.into_iter().fold(0, |bits, a| bits | (1 << a as u16)))
    }

    pub fn contains(self, alg: Alg) -> bool {
        self.0 & (1 << alg as u16) != 0
    }

    /// Both sets at once: a client's narrowing of the service's list.
    pub fn intersect(self, other: AlgSet) -> AlgSet {
        AlgSet(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Space-separated names, in the order of [`Alg::ALL`] (for `algs="..."` challenges).
    pub fn names(self) -> Vec<&'static str> {
        Alg::ALL
            .into_iter()
            .filter(|a| self.contains(*a))
            .map(Alg::name)
            .collect()
    }
}

/// What the caller expects of one proof.
#[derive(Debug, Clone, Copy)]
pub struct Expectation<'a> {
    /// How many `DPoP` headers the request carried (RFC 9449 §4.3 check 1: exactly one).
    pub header_count: usize,
    pub htm: &'a str,
    pub htu: &'a Htu,
    /// Resource calls: the access token the proof must be bound to with `ath` (check 10).
    pub access_token: Option<&'a str>,
    /// Resource calls with a bound token: the token's `cnf.jkt` (check 10).
    pub bound_jkt: Option<&'a Jkt>,
    pub nonce_required: bool,
    /// The algs allowed for this call (service list, narrowed by the client's).
    pub algs: AlgSet,
    pub now: UnixTime,
}

/// Why a proof was refused; each variant is one check of RFC 9449 §4.3.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DpopError {
    /// Check 1: more than one `DPoP` header.
    #[error("more than one DPoP proof")]
    MultipleProofs,
    /// Check 1: larger than `max_proof_bytes`.
    #[error("proof is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// Check 1: not a compact JWS of JSON objects.
    #[error("proof is not a well-formed JWS: {0}")]
    Malformed(JwsError),
    /// Check 2: `typ` is not `dpop+jwt`.
    #[error("typ is not dpop+jwt")]
    BadTyp,
    /// Check 2: `alg` not in the allow-list (incl. `none`, `HS*`).
    #[error("alg {0} is not allowed")]
    AlgNotAllowed(String),
    /// Check 2: `alg` does not fit the key type.
    #[error("alg does not match the jwk key type")]
    AlgKeyMismatch,
    /// Check 2: `crit` names an extension dpopd does not understand (RFC 7515 §4.1.11).
    #[error("unsupported crit header")]
    Crit,
    /// Check 2: no embedded `jwk` (`kid`, `jku`, `x5u`, `x5c` are never used to find a key).
    #[error("header has no jwk")]
    MissingJwk,
    /// Check 3: the `jwk` is not an acceptable public key.
    #[error("jwk is not acceptable: {0}")]
    BadJwk(JwkError),
    /// Check 2/3: RSA modulus outside the allowed size.
    #[error("RSA key of {bits} bits is outside the allowed size")]
    RsaKeySize { bits: usize },
    /// Check 4: the signature does not verify.
    #[error("signature is invalid: {0}")]
    BadSignature(SignatureError),
    /// Check 5: a required claim is missing.
    #[error("claim {0} is missing")]
    MissingClaim(&'static str),
    /// Check 5: a claim has the wrong JSON type or an out-of-range value.
    #[error("claim {0} is invalid")]
    InvalidClaim(&'static str),
    /// Check 6.
    #[error("htm mismatch: expected {expected}, got {received}")]
    HtmMismatch { expected: String, received: String },
    /// Check 7.
    #[error("htu mismatch: expected {expected}, got {received}")]
    HtuMismatch { expected: String, received: String },
    /// Check 7: the claim is not a usable http(s) URI.
    #[error("htu is not a valid URI: {0}")]
    BadHtu(HtuError),
    /// Check 8: `iat` before the acceptance window.
    #[error("iat {iat} is too old (server time {now})")]
    IatTooOld { iat: i64, now: i64 },
    /// Check 8: `iat` after the acceptance window.
    #[error("iat {iat} is in the future (server time {now})")]
    IatInFuture { iat: i64, now: i64 },
    /// Check 9: a nonce is required and the proof has none that is valid. Answered with
    /// `use_dpop_nonce` and a fresh nonce, never `invalid_dpop_proof`.
    #[error("a valid server nonce is required ({0})")]
    UseNonce(NonceProblem),
    /// Check 10: no `ath` on a resource call.
    #[error("ath is missing")]
    MissingAth,
    /// Check 10: `ath` is not the hash of the presented token.
    #[error("ath does not match the access token")]
    AthMismatch,
    /// Check 10: the proof key is not the key the token is bound to.
    #[error("proof key does not match the token's cnf.jkt")]
    KeyMismatch,
    /// Check 11: `(jkt, jti)` was seen before.
    #[error("proof has been used before")]
    Replayed,
    /// Check 11 could not be made: fail closed.
    #[error("replay store unavailable")]
    StoreUnavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceProblem {
    Missing,
    Invalid(NonceError),
}

impl std::fmt::Display for NonceProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NonceProblem::Missing => f.write_str("no nonce"),
            NonceProblem::Invalid(e) => write!(f, "{e}"),
        }
    }
}

/// The RFC 9449 §4.3 check a refusal is about: the label of `dpopd_dpop_failures_total` and
/// the client-facing description of the refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// (1) One proof, bounded size, a compact JWS of JSON objects.
    Syntax,
    /// (2) `typ`.
    Typ,
    /// (2) `alg` allowed and agreeing with the key; no unknown `crit`.
    Alg,
    /// (2)–(3) The embedded public key.
    Jwk,
    /// (4) The signature.
    Signature,
    /// (5) The required claims and their types.
    Claims,
    /// (6)
    Htm,
    /// (7)
    Htu,
    /// (8)
    Iat,
    /// (9)
    Nonce,
    /// (10) `ath`.
    Ath,
    /// (10) The token's `cnf.jkt`.
    Jkt,
    /// (11)
    Replay,
    /// (11) could not be made.
    Store,
}

impl Check {
    /// Every check: the `check` label values registered at start.
    pub const ALL: [Check; 14] = [
        Check::Syntax,
        Check::Typ,
        Check::Alg,
        Check::Jwk,
        Check::Signature,
        Check::Claims,
        Check::Htm,
        Check::Htu,
        Check::Iat,
        Check::Nonce,
        Check::Ath,
        Check::Jkt,
        Check::Replay,
        Check::Store,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Check::Syntax => "syntax",
            Check::Typ => "typ",
            Check::Alg => "alg",
            Check::Jwk => "jwk",
            Check::Signature => "signature",
            Check::Claims => "claims",
            Check::Htm => "htm",
            Check::Htu => "htu",
            Check::Iat => "iat",
            Check::Nonce => "nonce",
            Check::Ath => "ath",
            Check::Jkt => "jkt",
            Check::Replay => "replay",
            Check::Store => "store",
        }
    }

    /// Client-facing text naming the failed check, never echoing what the client sent.
    pub fn description(self) -> &'static str {
        match self {
            Check::Syntax => "The DPoP proof is not a single well-formed JWS.",
            Check::Typ => "The DPoP proof typ is not dpop+jwt.",
            Check::Alg => "The DPoP proof alg is not allowed or does not match its key.",
            Check::Jwk => "The DPoP proof jwk is not an acceptable public key.",
            Check::Signature => "The DPoP proof signature is invalid.",
            Check::Claims => "The DPoP proof lacks a required claim or has an invalid one.",
            Check::Htm => "The DPoP proof htm does not match the request method.",
            Check::Htu => "The DPoP proof htu does not match the request URL.",
            Check::Iat => "The DPoP proof iat is outside the acceptable window.",
            Check::Nonce => "Authorization server requires nonce in DPoP proof.",
            Check::Ath => "The DPoP proof ath does not match the access token.",
            Check::Jkt => "The DPoP proof key does not match the token binding.",
            Check::Replay => "The DPoP proof has been used before.",
            Check::Store => "The DPoP proof could not be checked.",
        }
    }
}

impl DpopError {
    /// The check that failed.
    pub fn check(&self) -> Check {
        use DpopError::*;
        match self {
            MultipleProofs | TooLarge { .. } | Malformed(_) => Check::Syntax,
            BadTyp => Check::Typ,
            AlgNotAllowed(_) | AlgKeyMismatch | Crit => Check::Alg,
            MissingJwk | BadJwk(_) | RsaKeySize { .. } => Check::Jwk,
            // `from_members` refuses an off-curve key (check 3); a key built otherwise is found
            // out only while verifying, and it is still check 3 that failed.
            BadSignature(SignatureError::PointNotOnCurve) => Check::Jwk,
            BadSignature(_) => Check::Signature,
            MissingClaim(_) | InvalidClaim(_) => Check::Claims,
            HtmMismatch { .. } => Check::Htm,
            HtuMismatch { .. } | BadHtu(_) => Check::Htu,
            IatTooOld { .. } | IatInFuture { .. } => Check::Iat,
            UseNonce(_) => Check::Nonce,
            MissingAth | AthMismatch => Check::Ath,
            KeyMismatch => Check::Jkt,
            Replayed => Check::Replay,
            StoreUnavailable => Check::Store,
        }
    }
}

/// A proof that passed checks 1–10 but is not yet recorded against replay.
#[derive(Debug)]
pub struct CheckedProof {
    proof: VerifiedProof,
    replay_ttl: Duration,
}

impl CheckedProof {
    /// The proof key's thumbprint, for binding checks made before the replay record.
    pub fn jkt(&self) -> &Jkt {
        &self.proof.jkt
    }
}

/// A proof that passed every check. Private fields: only [`Validator::record`] builds one.
#[derive(Debug, Clone)]
pub struct VerifiedProof {
    jkt: Jkt,
    jti: String,
    iat: UnixTime,
    nonce_time: Option<UnixTime>,
    alg: Alg,
}

impl VerifiedProof {
    pub fn jkt(&self) -> &Jkt {
        &self.jkt
    }
    pub fn jti(&self) -> &str {
        &self.jti
    }
    pub fn iat(&self) -> UnixTime {
        self.iat
    }
    /// The issue time of the server nonce the proof carried, when it carried a valid one.
    pub fn nonce_time(&self) -> Option<UnixTime> {
        self.nonce_time
    }
    pub fn alg(&self) -> Alg {
        self.alg
    }
}

/// The header as received; strings borrow from the decoded header unless they had escapes.
#[derive(Deserialize)]
struct ProofHeader<'a> {
    #[serde(borrow)]
    typ: Option<Cow<'a, str>>,
    #[serde(borrow)]
    alg: Option<Cow<'a, str>>,
    #[serde(borrow)]
    jwk: Option<JwkMembers<'a>>,
    /// Present at all is a refusal, `null` included (serde would read `null` as absent).
    #[serde(default, deserialize_with = "present")]
    crit: Option<serde::de::IgnoredAny>,
}

fn present<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<serde::de::IgnoredAny>, D::Error> {
    serde::de::IgnoredAny::deserialize(de).map(Some)
}

/// Claims as received: typed only as far as "some JSON", so a wrong type is reported by name.
#[derive(Deserialize)]
struct ProofClaims<'a> {
    #[serde(borrow)]
    jti: Option<Claim<'a>>,
    #[serde(borrow)]
    htm: Option<Claim<'a>>,
    #[serde(borrow)]
    htu: Option<Claim<'a>>,
    #[serde(borrow)]
    iat: Option<Claim<'a>>,
    #[serde(borrow)]
    ath: Option<Claim<'a>>,
    #[serde(borrow)]
    nonce: Option<Claim<'a>>,
}

/// One claim's value, as far as the checks need it: a string (borrowed from the decoded
/// payload when it had no escapes), a number, or something else. Reading claims this way
/// rather than as `serde_json::Value` allocates nothing for a well-formed proof.
enum Claim<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Claim<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct AnyJson<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for AnyJson<'a> {
            type Value = Claim<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Claim<'a>, E> {
                Ok(Claim::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Claim<'a>, E> {
                Ok(Claim::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Claim<'a>, E> {
                Ok(Claim::Str(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Claim<'a>, E> {
                Ok(Claim::Int(v))
            }
            // Beyond i64 a number is only a float, as for `serde_json::Number::as_i64`.
            fn visit_u64<E>(self, v: u64) -> Result<Claim<'a>, E> {
                Ok(i64::try_from(v).map_or(Claim::Float(v as f64), Claim::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Claim<'a>, E> {
                Ok(Claim::Float(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Claim<'a>, E> {
                Ok(Claim::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Claim<'a>, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Claim::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Claim<'a>, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Claim::Other)
            }
        }
        de.deserialize_any(AnyJson(std::marker::PhantomData))
    }
}

const MAX_JTI_CHARS: usize = 256;

pub struct Validator {
    policy: ProofPolicy,
    nonces: NonceService,
    floor: Option<WindowFloor>,
}

/// The narrower proof window of a configuration a reload replaced ([`Validator::follow`]):
/// until `until`, a proof must also be dated at most `iat_window` seconds before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WindowFloor {
    until: i64,
    iat_window: i64,
}

impl Validator {
    pub fn new(policy: ProofPolicy, nonces: NonceService) -> Validator {
        Validator {
            policy,
            nonces,
            floor: None,
        }
    }

    /// Takes over from `previous`, the validator of the configuration a reload at `now`
    /// replaced. Its replay records (11) last `previous.replay_ttl()`: long enough for its own
    /// window, not for a wider one. When this validator accepts older proofs — a longer
    /// `proof_max_age_secs` + `clock_skew_secs`, or a longer nonce lifetime — a proof accepted
    /// before the reload could come back after its record expired and pass again. So until
    /// both replay lifetimes have passed, a proof must also carry an `iat` within the narrower
    /// window of before, nonce or not: each proof `previous` recorded is refused as too old
    /// before its record goes (docs/configuration.md, "Reload").
    pub fn follow(&mut self, previous: &Validator, now: UnixTime) {
        let carried = previous.floor_at(now);
        let before = carried.map_or(previous.iat_window_secs(), |f| {
            f.iat_window.min(previous.iat_window_secs())
        });
        let widened =
            self.iat_window_secs() > before || self.nonces.lifetime() > previous.nonces.lifetime();
        let until = match (widened, carried) {
            (false, None) => return,
            (false, Some(f)) => f.until,
            (true, _) => {
                let both = previous.replay_ttl() + self.replay_ttl();
                let until = now.secs().saturating_add(both.as_secs() as i64);
                carried.map_or(until, |f| f.until.max(until))
            }
        };
        self.floor = Some(WindowFloor {
            until,
            iat_window: before.min(self.iat_window_secs()),
        });
    }

    /// (8): how long before `now` a proof's `iat` may lie.
    fn iat_window_secs(&self) -> i64 {
        self.policy.max_age_secs + self.policy.clock_skew_secs
    }

    fn floor_at(&self, now: UnixTime) -> Option<WindowFloor> {
        self.floor.filter(|f| now.secs() < f.until)
    }

    pub fn policy(&self) -> &ProofPolicy {
        &self.policy
    }

    pub fn nonces(&self) -> &NonceService {
        &self.nonces
    }

    /// Every check of RFC 9449 §4.3, the replay record last.
    pub async fn verify(
        &self,
        proof: &str,
        expect: &Expectation<'_>,
        store: &dyn SeenStore,
    ) -> Result<VerifiedProof, DpopError> {
        let checked = self.check(proof, expect)?;
        Self::record(checked, store).await
    }

    /// Checks 1–10: everything that touches no shared state. Each step is one of the
    /// functions below, which [`explain`] runs too, so an explanation can never disagree with
    /// this order or these rules.
    pub fn check(&self, proof: &str, expect: &Expectation<'_>) -> Result<CheckedProof, DpopError> {
        // RFC 9449 §4.3 (1): one proof, bounded size, a compact JWS of JSON objects.
        let jws = self.parse(proof, expect.header_count)?;
        let header = header_of(&jws)?;
        // (2) typ, alg, crit; (3) the embedded public key.
        check_typ(&header)?;
        let alg = check_alg(&header, expect.algs)?;
        let members = header.jwk.as_ref().ok_or(DpopError::MissingJwk)?;
        let jwk = PublicJwk::from_members(members).map_err(DpopError::BadJwk)?;
        self.check_key_fits(&jwk, alg)?;
        // (4) the signature, with the key from the header only.
        check_signature(&jws, &jwk, alg)?;
        // (5) required claims and their types.
        let claims = claims_of(&jws, expect.nonce_required)?;
        // (6) htm, (7) htu.
        check_htm(&claims, expect)?;
        check_htu(&claims, expect)?;
        // (9) nonce, then (8) time: a valid server nonce dates the proof.
        let nonce_time = self.check_nonce(&claims, expect)?;
        self.check_iat(claims.iat, nonce_time, expect.now)?;
        // (10) resource calls: `ath` and the key binding.
        check_ath(&claims, expect)?;
        let jkt = jwk.thumbprint_of_members(members);
        check_binding(&jkt, expect)?;
        Ok(CheckedProof {
            proof: VerifiedProof {
                jkt,
                jti: claims.jti.into_owned(),
                iat: UnixTime(claims.iat),
                nonce_time,
                alg,
            },
            replay_ttl: self.replay_ttl(),
        })
    }

    /// (1) The number of `DPoP` headers, the size, and the compact JWS.
    fn parse<'p>(&self, proof: &'p str, header_count: usize) -> Result<CompactJws<'p>, DpopError> {
        if header_count > 1 {
            return Err(DpopError::MultipleProofs);
        }
        if proof.len() > self.policy.max_proof_bytes {
            return Err(DpopError::TooLarge {
                limit: self.policy.max_proof_bytes,
            });
        }
        CompactJws::parse(proof).map_err(DpopError::Malformed)
    }

    /// (2)–(3) An RSA key's size within the policy's bounds, and an alg that fits the key.
    fn check_key_fits(&self, jwk: &PublicJwk, alg: Alg) -> Result<(), DpopError> {
        if !jwk.accepts(alg) {
            return Err(DpopError::AlgKeyMismatch);
        }
        if let Some(bits) = jwk.rsa_bits() {
            if bits < self.policy.rsa_min_bits || bits > self.policy.rsa_max_bits {
                return Err(DpopError::RsaKeySize { bits });
            }
        }
        Ok(())
    }

    /// (9) The server nonce: its issue time when the proof carries a valid one.
    fn check_nonce(
        &self,
        claims: &Claims<'_>,
        expect: &Expectation<'_>,
    ) -> Result<Option<UnixTime>, DpopError> {
        match claims
            .nonce
            .as_deref()
            .map(|n| self.nonces.check(n, expect.now))
        {
            Some(Ok(issued)) => Ok(Some(issued)),
            Some(Err(e)) if expect.nonce_required => {
                Err(DpopError::UseNonce(NonceProblem::Invalid(e)))
            }
            None if expect.nonce_required => Err(DpopError::UseNonce(NonceProblem::Missing)),
            // Not required: a stale nonce from an earlier policy is ignored, `iat` decides.
            _ => Ok(None),
        }
    }

    /// (8) `iat` within `[now − max_age − skew, now + skew]`, unless a nonce dated the proof.
    fn check_iat(
        &self,
        iat: i64,
        nonce_time: Option<UnixTime>,
        now: UnixTime,
    ) -> Result<(), DpopError> {
        // A reload widened the window: records written before it cover only the window of
        // before (`follow`), nonce or not.
        if let Some(floor) = self.floor_at(now) {
            if iat < now.secs() - floor.iat_window {
                return Err(DpopError::IatTooOld {
                    iat,
                    now: now.secs(),
                });
            }
        }
        if nonce_time.is_some() {
            return Ok(());
        }
        let (earliest, latest) = self.iat_window(now);
        let now = now.secs();
        if iat < earliest {
            return Err(DpopError::IatTooOld { iat, now });
        }
        if iat > latest {
            return Err(DpopError::IatInFuture { iat, now });
        }
        Ok(())
    }

    /// The `iat` values check 8 accepts at `now`, both ends included.
    pub fn iat_window(&self, now: UnixTime) -> (i64, i64) {
        let p = &self.policy;
        let now = now.secs();
        (
            now - p.max_age_secs - p.clock_skew_secs,
            now + p.clock_skew_secs,
        )
    }

    /// (11) Records `(jkt, jti)` atomically; a second use is a replay. Fails closed.
    pub async fn record(
        checked: CheckedProof,
        store: &dyn SeenStore,
    ) -> Result<VerifiedProof, DpopError> {
        let key = replay_key(&checked.proof.jkt, &checked.proof.jti);
        match store
            .insert_if_absent(Namespace::DpopJti, &key, checked.replay_ttl)
            .await
        {
            Ok(Inserted::New) => Ok(checked.proof),
            Ok(Inserted::AlreadyPresent(_)) => Err(DpopError::Replayed),
            Err(_) => Err(DpopError::StoreUnavailable),
        }
    }

    /// How long a `jti` must be remembered: as long as any proof carrying it could still pass
    /// check 8. By `iat` it passes from `skew` before to `max_age + skew` after; by a nonce
    /// from one `step` before its issue time (the skew `NonceService::check` allows between
    /// replicas) to `lifetime` after. `now` counts whole seconds while the store's TTL runs in
    /// real time, so each window lasts up to one second longer than its length.
    pub fn replay_ttl(&self) -> Duration {
        let p = &self.policy;
        let iat_window = p.max_age_secs + 2 * p.clock_skew_secs;
        let nonce_window = (self.nonces.lifetime() + self.nonces.step()) as i64;
        Duration::from_secs(iat_window.max(nonce_window).max(0) as u64 + 1)
    }
}

/// RFC 7515 §4.1.9: media types compare case-insensitively, `application/` may be omitted.
fn is_dpop_typ(typ: &str) -> bool {
    crate::jose::jws::typ_is(typ, "dpop+jwt")
}

/// (1) The header, a JSON object.
fn header_of<'j>(jws: &'j CompactJws<'_>) -> Result<ProofHeader<'j>, DpopError> {
    jws.header_borrowed().map_err(DpopError::Malformed)
}

/// (2) `typ`.
fn check_typ(header: &ProofHeader<'_>) -> Result<(), DpopError> {
    match header.typ.as_deref() {
        Some(typ) if is_dpop_typ(typ) => Ok(()),
        _ => Err(DpopError::BadTyp),
    }
}

/// (2) `alg` in the allow-list; no `crit`.
fn check_alg(header: &ProofHeader<'_>, algs: AlgSet) -> Result<Alg, DpopError> {
    let alg_name = header.alg.as_deref().unwrap_or_default();
    let alg = Alg::from_name(alg_name)
        .filter(|a| algs.contains(*a))
        .ok_or_else(|| DpopError::AlgNotAllowed(alg_name.to_owned()))?;
    if header.crit.is_some() {
        return Err(DpopError::Crit);
    }
    Ok(alg)
}

/// (4) The signature, with the key from the header only.
fn check_signature(jws: &CompactJws<'_>, jwk: &PublicJwk, alg: Alg) -> Result<(), DpopError> {
    jwk.verify(alg, jws.signing_input.as_bytes(), &jws.signature)
        .map_err(DpopError::BadSignature)
}

/// The claims check 5 found, typed.
struct Claims<'j> {
    jti: Cow<'j, str>,
    htm: Cow<'j, str>,
    htu: Cow<'j, str>,
    iat: i64,
    ath: Option<Cow<'j, str>>,
    nonce: Option<Cow<'j, str>>,
}

/// (5) The required claims and their types.
fn claims_of<'j>(jws: &'j CompactJws<'_>, nonce_required: bool) -> Result<Claims<'j>, DpopError> {
    let claims: ProofClaims<'j> = jws.payload_borrowed().map_err(DpopError::Malformed)?;
    let jti = required_str(claims.jti, "jti")?;
    if jti.is_empty() || jti.chars().count() > MAX_JTI_CHARS {
        return Err(DpopError::InvalidClaim("jti"));
    }
    let htm = required_str(claims.htm, "htm")?;
    let htu = required_str(claims.htu, "htu")?;
    let iat = match claims.iat {
        None => return Err(DpopError::MissingClaim("iat")),
        Some(Claim::Int(i)) => {
            numeric_date(i as f64, Some(i)).ok_or(DpopError::InvalidClaim("iat"))?
        }
        Some(Claim::Float(f)) => numeric_date(f, None).ok_or(DpopError::InvalidClaim("iat"))?,
        Some(_) => return Err(DpopError::InvalidClaim("iat")),
    };
    let ath = optional_str(claims.ath, "ath")?;
    // A nonce that is no string is a malformed nonce: when one is required, check 9 answers
    // use_dpop_nonce for it (the empty string never passes), not invalid_dpop_proof.
    let nonce = match optional_str(claims.nonce, "nonce") {
        Err(_) if nonce_required => Some(Cow::Borrowed("")),
        other => other?,
    };
    Ok(Claims {
        jti,
        htm,
        htu,
        iat,
        ath,
        nonce,
    })
}

/// (6) `htm`, exactly.
fn check_htm(claims: &Claims<'_>, expect: &Expectation<'_>) -> Result<(), DpopError> {
    if claims.htm != expect.htm {
        return Err(DpopError::HtmMismatch {
            expected: expect.htm.to_owned(),
            received: claims.htm.clone().into_owned(),
        });
    }
    Ok(())
}

/// (7) `htu`, both sides normalised. A claim that is already the expected normal form equals
/// it without parsing: normalisation is idempotent (see `htu`).
fn check_htu(claims: &Claims<'_>, expect: &Expectation<'_>) -> Result<(), DpopError> {
    if claims.htu != expect.htu.as_str() {
        let claimed = Htu::parse(&claims.htu).map_err(DpopError::BadHtu)?;
        if claimed != *expect.htu {
            return Err(DpopError::HtuMismatch {
                expected: expect.htu.as_str().to_owned(),
                received: claimed.as_str().to_owned(),
            });
        }
    }
    Ok(())
}

/// (10) On a resource call, `ath` is the hash of the presented token.
fn check_ath(claims: &Claims<'_>, expect: &Expectation<'_>) -> Result<(), DpopError> {
    if let Some(token) = expect.access_token {
        let ath = claims.ath.as_deref().ok_or(DpopError::MissingAth)?;
        if !crate::jose::ct_eq(ath.as_bytes(), ath_of(token).as_bytes()) {
            return Err(DpopError::AthMismatch);
        }
    }
    Ok(())
}

/// (10) With a bound token, the proof key is the token's `cnf.jkt`.
fn check_binding(jkt: &Jkt, expect: &Expectation<'_>) -> Result<(), DpopError> {
    match expect.bound_jkt {
        Some(bound) if !bound.ct_eq(jkt) => Err(DpopError::KeyMismatch),
        _ => Ok(()),
    }
}

/// A claim that must be a string; `null` counts as absent.
fn required_str<'a>(
    value: Option<Claim<'a>>,
    name: &'static str,
) -> Result<Cow<'a, str>, DpopError> {
    optional_str(value, name)?.ok_or(DpopError::MissingClaim(name))
}

/// A claim that may be absent (or `null`, which serde reads as absent) and is a string.
fn optional_str<'a>(
    value: Option<Claim<'a>>,
    name: &'static str,
) -> Result<Option<Cow<'a, str>>, DpopError> {
    match value {
        None => Ok(None),
        Some(Claim::Str(s)) => Ok(Some(s)),
        Some(_) => Err(DpopError::InvalidClaim(name)),
    }
}

/// RFC 7519 §2 NumericDate: seconds, fractions allowed, within a sane range. `int` is the
/// number when it was an integer that fits `i64`; `float` is the number in any case.
fn numeric_date(float: f64, int: Option<i64>) -> Option<i64> {
    const MAX: f64 = 253_402_300_799.0; // 9999-12-31
    if let Some(i) = int {
        return (0..=MAX as i64).contains(&i).then_some(i);
    }
    Some(float)
        .filter(|f| f.is_finite() && *f >= 0.0 && *f <= MAX)
        .map(|f| f as i64)
}

/// base64url(SHA-256(token)): the `ath` of RFC 9449 §4.2.
pub fn ath_of(token: &str) -> String {
    crate::jose::b64::encode(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

fn replay_key(jkt: &Jkt, jti: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(jkt.as_str().len() + 1 + jti.len());
    key.extend_from_slice(jkt.as_str().as_bytes());
    key.push(0);
    key.extend_from_slice(jti.as_bytes());
    key
}

pub mod explain;

#[cfg(test)]
mod tests;
