//! JOSE on ring: strict base64url, compact JWS (RFC 7515 §7.1), public JWKs with RFC 7638
//! thumbprints (RFC 7517/7518/8037), the service's own signing keys and key set; for tokens
//! signed by other parties, their JWK Sets (RFC 7517 §5), verification with a key of such a
//! set, and the registered JWT claims (RFC 7519 §4.1); and the one home of every
//! secret-handling primitive: hashing, hex, randomness, constant-time comparison (`secrets`)
//! and AEAD sealing (`seal`). Nothing here knows about DPoP or OAuth.
pub mod alg;
pub mod b64;
pub mod claims;
mod curve;
pub mod jwk;
pub mod jwks;
pub mod jwks_verify;
pub mod jws;
pub mod keys;
mod keyset;
mod load;
mod pem;
pub mod seal;
pub mod secrets;
#[cfg(test)]
pub(crate) mod testdata;
mod verify;

pub use alg::Alg;
pub use jwk::SignatureError;
#[cfg(test)]
pub(crate) use secrets::ct_eq_calls;
pub use secrets::{ct_eq, STAND_IN_SHA256};

pub use jwk::{Jkt, JwkError, JwkMembers, PublicJwk};
pub use jws::{CompactJws, JwsError};
pub use keys::{KeyError, KeySet, SigningKey, VerifiedJwt, VerifyError};

/// Every comparison of a secret, digest, nonce tag or thumbprint goes through [`ct_eq`], for
/// a match and a mismatch alike: each case counts the calls the real code path makes.
/// (Caller secrets are counted the same way in `api::caller`.)
#[cfg(test)]
mod tests;
