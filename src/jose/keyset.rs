//! The key set: the active signing key plus verify-only keys for rotation, verification of
//! the service's own compact JWTs by `kid`, and the published JWKS (RFC 7517 §5).
use super::alg::Alg;
use super::jwk::PublicJwk;
use super::jws::{CompactJws, JwsError};
use super::keys::{published_jwk, SigningKey};
use serde::Deserialize;
use serde_json::Value;

/// A verified JWT: the header's `typ` (if any) and the payload bytes whose signature checked.
#[derive(Debug)]
pub struct VerifiedJwt {
    pub kid: String,
    pub typ: Option<String>,
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Jws(#[from] super::jws::JwsError),
    #[error("JWT header has no kid or names an unknown key")]
    UnknownKid,
    #[error("JWT alg does not match the key")]
    AlgMismatch,
    #[error("JWT signature does not verify")]
    BadSignature,
}

/// The header members `KeySet::verify` looks at. `alg` is a string so that `none` or `HS256`
/// reach the comparison with the key's alg and fail there rather than as JSON errors.
#[derive(Deserialize)]
struct JwtHeader {
    alg: Option<String>,
    kid: Option<String>,
    typ: Option<String>,
    crit: Option<serde::de::IgnoredAny>,
}

/// The active signing key plus verify-only keys (rotation: old keys keep verifying), and for
/// ID tokens of another alg than the active key's, the first key of each other alg.
pub struct KeySet {
    active: SigningKey,
    verify_only: Vec<(String, Alg, PublicJwk)>,
    other_algs: Vec<SigningKey>,
}

impl KeySet {
    pub fn new(active: SigningKey, verify_only: Vec<(String, Alg, PublicJwk)>) -> KeySet {
        KeySet {
            active,
            verify_only,
            other_algs: Vec::new(),
        }
    }

    /// Adds keys that sign ID tokens of their alg (OIDC Core §2 `id_token_signed_response_alg`):
    /// the first of each alg other than the active key's counts. They must be among the
    /// verify-only keys too, which the JWKS publishes.
    pub fn with_signers(mut self, keys: Vec<SigningKey>) -> KeySet {
        for key in keys {
            let taken = key.alg() == self.active.alg()
                || self.other_algs.iter().any(|k| k.alg() == key.alg());
            if !taken {
                self.other_algs.push(key);
            }
        }
        self
    }

    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// The algs ID tokens can be signed with: the active key's, then one per other alg.
    pub fn signing_algs(&self) -> Vec<Alg> {
        std::iter::once(&self.active)
            .chain(&self.other_algs)
            .map(SigningKey::alg)
            .collect()
    }

    /// The key that signs with `alg`: the active key, or the first configured key of `alg`.
    pub fn signer(&self, alg: Alg) -> Option<&SigningKey> {
        std::iter::once(&self.active)
            .chain(&self.other_algs)
            .find(|k| k.alg() == alg)
    }

    /// Verifies a compact JWS by its header `kid` against a listed key; `alg` must be the key's.
    pub fn verify(&self, token: &str) -> Result<VerifiedJwt, VerifyError> {
        let jws = CompactJws::parse(token)?;
        let header: JwtHeader = jws.header_as()?;
        // RFC 7515 §4.1.11: no extension is understood here, so any `crit` is refused.
        if header.crit.is_some() {
            let reason = "crit names extensions that are not supported".to_owned();
            return Err(JwsError::BadJson {
                part: "header",
                reason,
            }
            .into());
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKid)?;
        let (alg, key) = self.lookup(&kid).ok_or(VerifyError::UnknownKid)?;
        // The key decides the algorithm (RFC 8725 §3.1); the header must merely agree.
        if header.alg.as_deref() != Some(alg.name()) {
            return Err(VerifyError::AlgMismatch);
        }
        key.verify(alg, jws.signing_input.as_bytes(), &jws.signature)
            .map_err(|_| VerifyError::BadSignature)?;
        Ok(VerifiedJwt {
            kid,
            typ: header.typ,
            payload: jws.payload,
        })
    }

    /// `{"keys":[...]}`: the active key first, then the verify-only keys.
    pub fn jwks(&self) -> serde_json::Value {
        let keys = std::iter::once(self.active.public_jwk())
            .chain(
                self.verify_only
                    .iter()
                    .map(|(kid, alg, key)| published_jwk(kid, *alg, key)),
            )
            .collect();
        serde_json::json!({ "keys": Value::Array(keys) })
    }

    fn lookup(&self, kid: &str) -> Option<(Alg, &PublicJwk)> {
        if self.active.kid() == kid {
            return Some((self.active.alg(), self.active.public()));
        }
        self.verify_only
            .iter()
            .find(|(k, _, _)| k == kid)
            .map(|(_, alg, key)| (*alg, key))
    }
}

#[cfg(test)]
mod tests;
