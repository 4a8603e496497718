//! Verification of a compact JWS signed by another party with a key of its JWK Set: the
//! protected header (RFC 7515 §4.1), key selection by `kid` (RFC 7517 §4.5), and the signature
//! (RFC 7515 §5.2) with ring through [`PublicJwk::verify`](super::jwk::PublicJwk::verify).
//!
//! The key is only ever looked up in the set the caller trusts for the signer: `jku`, `jwk`,
//! `x5u` and `x5c` in a header would name a key of the token's own choosing (RFC 8725 §3.10)
//! and are refused, as is `crit` (RFC 7515 §4.1.11: no extension is understood). The header's
//! `alg` must be in the caller's allow-list — which never holds `none` or an `HS*` MAC, as no
//! [`Alg`] names them — and be permitted by the key (RFC 8725 §3.1).
use super::alg::Alg;
use super::jwk::{present, SignatureError};
use super::jwks::{JwkSet, VerificationKey};
use super::jws::{self, CompactJws, JwsError};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

/// Why a JWS was not verified with a set; one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksVerifyError {
    /// RFC 7515 §7.1, §4: not a compact JWS of a JSON header, or a header without `alg`.
    #[error("not a well-formed JWS: {0}")]
    Malformed(JwsError),
    /// RFC 7515 §4.1.11 (`crit`) and RFC 8725 §3.10 (`jku`, `jwk`, `x5u`, `x5c`): a header
    /// member this verifier refuses, named.
    #[error("header member {0} is not accepted")]
    ForbiddenHeader(&'static str),
    /// RFC 8725 §3.1: `alg` is not in the allow-list (`none`, `HS256`, unknown names), shown
    /// truncated to 16 characters.
    #[error("alg {0:?} is not allowed")]
    AlgNotAllowed(String),
    /// RFC 7517 §4.5: no usable key of the set has the header's `kid`, or, with no `kid`, no
    /// usable key permits `alg`.
    #[error("no usable key has this kid")]
    UnknownKid,
    /// The header has no `kid` and more than one usable key permits `alg`: which key signed
    /// is not said, and trying each would let a token choose among them.
    #[error("header has no kid and several keys fit")]
    KidRequired,
    /// RFC 7517 §4.4, RFC 7518 §3.1: the key named by `kid` does not permit `alg` (its own
    /// `alg` member differs, or its key type does not fit).
    #[error("alg is not permitted for the key named by kid")]
    AlgKeyMismatch,
    /// RFC 7515 §5.2 step 8: the signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

impl From<JwsError> for JwksVerifyError {
    fn from(e: JwsError) -> JwksVerifyError {
        JwksVerifyError::Malformed(e)
    }
}

/// The header members read or refused here. `alg` is a string so that `none` and `HS256`
/// reach the allow-list and are refused there, not as JSON errors.
#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
    typ: Option<String>,
    // Present at all, even as `null`, is a refusal.
    #[serde(default, deserialize_with = "present")]
    crit: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    jku: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    jwk: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    x5u: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    x5c: Option<IgnoredAny>,
}

/// A JWS whose header passed every rule that needs no key; nothing in it is verified yet.
/// Parsed once, it can be matched against a set, and again against a refreshed one.
#[derive(Debug)]
pub struct UnverifiedJws<'a> {
    jws: CompactJws<'a>,
    alg: Alg,
    kid: Option<String>,
    typ: Option<String>,
}

/// A JWS whose signature verified with a key of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJws {
    pub kid: Option<String>,
    pub alg: Alg,
    pub typ: Option<String>,
    pub payload: Vec<u8>,
}

impl VerifiedJws {
    /// The payload as claims `T`; it must be a JSON object of bounded nesting (RFC 7519 §7.2).
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, JwsError> {
        jws::json_object("payload", &self.payload)
    }
}

impl<'a> UnverifiedJws<'a> {
    /// Splits `token` and checks its protected header against `algs`.
    pub fn parse(token: &'a str, algs: &[Alg]) -> Result<UnverifiedJws<'a>, JwksVerifyError> {
        let jws = CompactJws::parse(token)?;
        let header: Header = jws.header_as()?;
        let forbidden = [
            ("crit", header.crit.is_some()),
            ("jku", header.jku.is_some()),
            ("jwk", header.jwk.is_some()),
            ("x5u", header.x5u.is_some()),
            ("x5c", header.x5c.is_some()),
        ];
        if let Some((name, _)) = forbidden.iter().find(|(_, present)| *present) {
            return Err(JwksVerifyError::ForbiddenHeader(name));
        }
        // RFC 7515 §4.1.1: `alg` is required.
        let name = header.alg.ok_or_else(|| JwsError::BadJson {
            part: "header",
            reason: "alg is missing".to_owned(),
        })?;
        let alg = Alg::from_name(&name)
            .filter(|alg| algs.contains(alg))
            .ok_or_else(|| JwksVerifyError::AlgNotAllowed(name.chars().take(16).collect()))?;
        Ok(UnverifiedJws {
            jws,
            alg,
            kid: header.kid,
            typ: header.typ,
        })
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// The key of `set` that must have signed this JWS.
    pub fn select<'s>(&self, set: &'s JwkSet) -> Result<&'s VerificationKey, JwksVerifyError> {
        match self.kid.as_deref() {
            Some(kid) => {
                let mut named = set
                    .keys()
                    .iter()
                    .filter(|k| k.kid() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Err(JwksVerifyError::UnknownKid);
                }
                // At most one key per kid permits a given alg (`JwkSet` skips the others).
                named
                    .find(|k| k.permits(self.alg))
                    .ok_or(JwksVerifyError::AlgKeyMismatch)
            }
            None => {
                let mut fitting = set.keys().iter().filter(|k| k.permits(self.alg));
                match (fitting.next(), fitting.next()) {
                    (Some(only), None) => Ok(only),
                    (None, _) => Err(JwksVerifyError::UnknownKid),
                    (Some(_), Some(_)) => Err(JwksVerifyError::KidRequired),
                }
            }
        }
    }

    /// Verifies the signature with `key` (normally the one [`select`](Self::select) chose).
    pub fn verify_with(self, key: &VerificationKey) -> Result<VerifiedJws, JwksVerifyError> {
        if !key.permits(self.alg) {
            return Err(JwksVerifyError::AlgKeyMismatch);
        }
        let input = self.jws.signing_input.as_bytes();
        match key.key().verify(self.alg, input, &self.jws.signature) {
            Ok(()) => Ok(VerifiedJws {
                kid: self.kid,
                alg: self.alg,
                typ: self.typ,
                payload: self.jws.payload,
            }),
            Err(SignatureError::AlgKeyMismatch) => Err(JwksVerifyError::AlgKeyMismatch),
            Err(_) => Err(JwksVerifyError::BadSignature),
        }
    }
}

/// The claims of `token` read without any verification: only to learn who claims to have
/// signed it (a client assertion's `sub`), so as to choose the keys that must verify it.
pub fn peek_claims<T: DeserializeOwned>(token: &str) -> Result<T, JwsError> {
    let jws = CompactJws::parse(token)?;
    jws::json_object("payload", &jws.payload)
}

/// Parses `token`, selects its key in `set` and verifies the signature: the whole of this
/// module for a set held in hand.
pub fn verify_jws(token: &str, set: &JwkSet, algs: &[Alg]) -> Result<VerifiedJws, JwksVerifyError> {
    let jws = UnverifiedJws::parse(token, algs)?;
    let key = jws.select(set)?;
    jws.verify_with(key)
}

#[cfg(test)]
mod tests;
