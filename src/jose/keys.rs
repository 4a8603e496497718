//! The service's own keys: signing keys loaded from private JWKs or PEM (PKCS#8, PKCS#1 for RSA)
//! or generated, and the key set that signs with the active key and verifies with any listed key.
use super::alg::Alg;
use super::jwk::PublicJwk;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key material is invalid: {0}")]
    Invalid(String),
    #[error("alg {0} is not supported for this operation")]
    Unsupported(&'static str),
    #[error("signing failed")]
    SignFailed,
}

/// A private key able to sign, with its `kid`, `alg` and public JWK.
pub struct SigningKey { /* private */ }

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey {{ kid: {:?}, alg: {} }}", self.kid(), self.alg())
    }
}

impl SigningKey {
    /// A fresh key (ES256, ES384 or EdDSA; ring cannot generate RSA). `kid` defaults to the
    /// key's RFC 7638 thumbprint.
    pub fn generate(alg: Alg, kid: Option<String>) -> Result<SigningKey, KeyError> {
        unimplemented!()
    }

    /// A private JWK object (EC with `d`, OKP Ed25519 with `d`, RSA with `d`,`p`,`q`,`dp`,`dq`,`qi`).
    /// `alg` comes from the JWK's `alg` member, else ES256/ES384/EdDSA/RS256 by key type.
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<SigningKey, KeyError> {
        unimplemented!()
    }

    /// A PEM file: `PRIVATE KEY` (PKCS#8: EC P-256/P-384, Ed25519, RSA) or `RSA PRIVATE KEY`.
    pub fn from_pem(pem: &str, alg: Option<Alg>, kid: Option<String>) -> Result<SigningKey, KeyError> {
        unimplemented!()
    }

    pub fn kid(&self) -> &str {
        unimplemented!()
    }

    pub fn alg(&self) -> Alg {
        unimplemented!()
    }

    pub fn public(&self) -> &PublicJwk {
        unimplemented!()
    }

    /// Compact JWS with protected header `{"alg","typ","kid"}` over `payload` (JSON bytes).
    pub fn sign_compact(&self, typ: &str, payload: &[u8]) -> Result<String, KeyError> {
        unimplemented!()
    }

    /// The private JWK (with `kid`, `alg`), for `dpopd keygen`. Secret: never log it.
    pub fn private_jwk(&self) -> serde_json::Value {
        unimplemented!()
    }

    /// The public JWK as published in JWKS: key members plus `kid`, `alg`, `use: "sig"`.
    pub fn public_jwk(&self) -> serde_json::Value {
        unimplemented!()
    }
}

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

/// The active signing key plus verify-only keys (rotation: old keys keep verifying).
pub struct KeySet { /* private */ }

impl KeySet {
    pub fn new(active: SigningKey, verify_only: Vec<(String, Alg, PublicJwk)>) -> KeySet {
        unimplemented!()
    }

    pub fn active(&self) -> &SigningKey {
        unimplemented!()
    }

    /// Verifies a compact JWS by its header `kid` against a listed key; `alg` must be the key's.
    pub fn verify(&self, token: &str) -> Result<VerifiedJwt, VerifyError> {
        unimplemented!()
    }

    /// `{"keys":[...]}`: the active key first, then the verify-only keys.
    pub fn jwks(&self) -> serde_json::Value {
        unimplemented!()
    }
}
