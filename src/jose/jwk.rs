//! Public JWKs (RFC 7517, RFC 7518 §6, RFC 8037 §2) as an enum with one variant per key type,
//! and their RFC 7638 SHA-256 thumbprints.
use super::alg::Alg;
use serde::Deserialize;

/// The members of a JWK object as received. Known members are typed so that a duplicated or
/// mistyped member is a parse error; unknown members are ignored (RFC 7517 §4).
#[derive(Debug, Default, Deserialize)]
pub struct JwkMembers {
    pub kty: Option<String>,
    pub crv: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
    pub n: Option<String>,
    pub e: Option<String>,
    // private or symmetric members: their presence alone is a refusal
    pub d: Option<serde::de::IgnoredAny>,
    pub p: Option<serde::de::IgnoredAny>,
    pub q: Option<serde::de::IgnoredAny>,
    pub dp: Option<serde::de::IgnoredAny>,
    pub dq: Option<serde::de::IgnoredAny>,
    pub qi: Option<serde::de::IgnoredAny>,
    pub oth: Option<serde::de::IgnoredAny>,
    pub k: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwkError {
    #[error("jwk has no kty")]
    MissingKty,
    #[error("jwk kty is not supported")]
    UnsupportedKty,
    #[error("jwk curve is not supported")]
    UnsupportedCurve,
    #[error("jwk member {0} is missing")]
    MissingMember(&'static str),
    #[error("jwk member {0} is not valid base64url")]
    BadEncoding(&'static str),
    /// EC coordinates not exactly the curve's length, or RSA `n`/`e` with leading zero octets.
    #[error("jwk member {0} is not in canonical form")]
    NonCanonical(&'static str),
    /// RFC 9449 §4.3 check 3: the proof key must not carry private or symmetric material.
    #[error("jwk carries the private member {0}")]
    PrivateMember(&'static str),
    #[error("jwk is not a valid public key")]
    InvalidKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcCurve {
    P256,
    P384,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicJwk {
    /// `x` and `y` are exactly the curve's coordinate length (32 or 48 octets).
    Ec { curve: EcCurve, x: Vec<u8>, y: Vec<u8> },
    /// `n` and `e` big-endian without leading zero octets.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ed25519 { x: [u8; 32] },
}

/// An RFC 7638 SHA-256 thumbprint, base64url without padding: always 43 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Jkt(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a base64url SHA-256 thumbprint")]
pub struct BadJkt;

impl Jkt {
    /// Accepts only a 43-character base64url string that decodes to 32 octets.
    pub fn parse(text: &str) -> Result<Jkt, BadJkt> {
        unimplemented!()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison.
    pub fn ct_eq(&self, other: &Jkt) -> bool {
        unimplemented!()
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("alg does not match the key type")]
    AlgKeyMismatch,
    /// ECDSA signatures must be raw r||s of twice the coordinate length (RFC 7518 §3.4).
    #[error("signature has the wrong length")]
    BadLength,
    #[error("EC public key is not a point on the curve")]
    PointNotOnCurve,
    #[error("signature does not verify")]
    Invalid,
}

impl PublicJwk {
    /// Parses and canonical-checks a received JWK (check 3 of RFC 9449 §4.3).
    pub fn from_members(m: &JwkMembers) -> Result<PublicJwk, JwkError> {
        unimplemented!()
    }

    /// RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace.
    pub fn thumbprint(&self) -> Jkt {
        unimplemented!()
    }

    /// Bit length of an RSA modulus; `None` for other key types.
    pub fn rsa_bits(&self) -> Option<usize> {
        unimplemented!()
    }

    /// Whether `alg` may be used with this key (ES256↔P-256, ES384↔P-384, RS*/PS*↔RSA, EdDSA↔Ed25519).
    pub fn accepts(&self, alg: Alg) -> bool {
        unimplemented!()
    }

    /// Verifies `signature` over `message` with ring.
    pub fn verify(&self, alg: Alg, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        unimplemented!()
    }

    /// The public members as a JSON object (`kty`, `crv`, `x`, `y` / `n`, `e`).
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        unimplemented!()
    }
}
