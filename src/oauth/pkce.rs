//! PKCE (RFC 7636): the code challenge an authorization request carries and the verifier the
//! token request must match. Only `S256` is accepted: `plain` protects nothing once the
//! authorization request leaks, so it is refused (RFC 9700 §2.1.1), and a challenge without a
//! method means `plain` (RFC 7636 §4.3). The verifier is compared in constant time.
use crate::jose::b64;
use serde::{Deserialize, Serialize};

/// An `S256` code challenge: base64url (no padding) of a SHA-256 digest, 43 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

/// Why an authorization request's PKCE parameters are refused (`invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// RFC 7636 §4.4.1: a public client must send a challenge (dpopd requires one from them).
    #[error("code_challenge is required for public clients")]
    Required,
    /// RFC 7636 §4.3 / RFC 9700 §2.1.1: `plain`, explicit or by default, is not supported.
    #[error("code_challenge_method plain is not supported")]
    PlainRefused,
    /// RFC 7636 §4.3: a method other than `S256` or `plain`.
    #[error("code_challenge_method is not supported")]
    UnknownMethod,
    /// A method without a challenge.
    #[error("code_challenge_method without code_challenge")]
    MethodWithoutChallenge,
    /// RFC 7636 §4.2: an `S256` challenge is the base64url of 32 octets.
    #[error("code_challenge is malformed")]
    BadChallenge,
}

/// Why a token request's `code_verifier` is refused (`invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifierError {
    /// RFC 7636 §4.5: the code was issued with a challenge and the request has no verifier.
    #[error("code_verifier is missing")]
    Missing,
    /// RFC 7636 §4.1: 43–128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
    #[error("code_verifier is malformed")]
    Malformed,
    /// RFC 7636 §4.6: BASE64URL(SHA256(verifier)) differs from the challenge.
    #[error("code_verifier does not match the code_challenge")]
    Mismatch,
    /// A verifier for a code issued without a challenge (RFC 9700 §2.1.1: PKCE downgrade).
    #[error("code_verifier sent for a code issued without code_challenge")]
    Unexpected,
}

impl CodeChallenge {
    /// The challenge of an authorization request, if any.
    pub fn from_request(
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<Option<CodeChallenge>, PkceError> {
        match (challenge, method) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(PkceError::MethodWithoutChallenge),
            (Some(_), None | Some("plain")) => Err(PkceError::PlainRefused),
            (Some(_), Some(m)) if m != "S256" => Err(PkceError::UnknownMethod),
            (Some(c), Some(_)) => match b64::decode(c) {
                Ok(digest) if c.len() == 43 && digest.len() == 32 => {
                    Ok(Some(CodeChallenge(c.to_owned())))
                }
                _ => Err(PkceError::BadChallenge),
            },
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 7636 §4.6: `BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge`.
    pub fn verify(&self, verifier: &str) -> Result<(), VerifierError> {
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !well_formed {
            return Err(VerifierError::Malformed);
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        let computed = b64::encode(digest.as_ref());
        if crate::jose::ct_eq(computed.as_bytes(), self.0.as_bytes()) {
            Ok(())
        } else {
            Err(VerifierError::Mismatch)
        }
    }
}

/// The token request's side: a code issued with a challenge needs the matching verifier; a
/// code issued without one accepts no verifier.
pub fn check(
    challenge: Option<&CodeChallenge>,
    verifier: Option<&str>,
) -> Result<(), VerifierError> {
    match (challenge, verifier) {
        (Some(c), Some(v)) => c.verify(v),
        (Some(_), None) => Err(VerifierError::Missing),
        (None, Some(_)) => Err(VerifierError::Unexpected),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
