//! Stateless DPoP server nonces (RFC 9449 §8, §9): HMAC-SHA256 of a time-step counter under a
//! configured secret, so every replica with the same secret accepts every other's nonces and
//! no storage is needed. Comparison is constant-time.
use crate::clock::UnixTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    #[error("nonce is malformed")]
    Malformed,
    #[error("nonce was not issued by this service")]
    Foreign,
    #[error("nonce has expired")]
    Expired,
}

pub struct NonceService { /* private */ }

impl NonceService {
    /// `step`: seconds per nonce value; a nonce is accepted for `lifetime` seconds after its
    /// step began (`lifetime >= step`).
    pub fn new(secret: &[u8], step: u64, lifetime: u64) -> NonceService {
        unimplemented!()
    }

    /// The nonce for the step containing `now`.
    pub fn current(&self, now: UnixTime) -> String {
        unimplemented!()
    }

    /// Checks a nonce and returns the time it was issued (the start of its step).
    pub fn check(&self, nonce: &str, now: UnixTime) -> Result<UnixTime, NonceError> {
        unimplemented!()
    }

    pub fn lifetime(&self) -> u64 {
        unimplemented!()
    }
}
