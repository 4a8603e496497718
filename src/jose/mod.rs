//! JOSE on ring: strict base64url, compact JWS (RFC 7515 §7.1), public JWKs with RFC 7638
//! thumbprints (RFC 7517/7518/8037), and the service's own signing keys and key set.
//! Nothing here knows about DPoP or OAuth.
pub mod alg;
pub mod b64;
pub mod jwk;
pub mod jws;
pub mod keys;
mod keyset;
mod load;
mod pem;
#[cfg(test)]
pub(crate) mod testdata;
mod verify;

pub use alg::Alg;
pub use jwk::SignatureError;

/// Constant-time equality for every secret, digest, nonce, PKCE verifier and thumbprint
/// comparison: the time taken depends on the lengths only, never on where bytes differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
pub use jwk::{Jkt, JwkError, JwkMembers, PublicJwk};
pub use jws::{CompactJws, JwsError};
pub use keys::{KeyError, KeySet, SigningKey, VerifiedJwt, VerifyError};
