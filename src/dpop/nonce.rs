//! Stateless DPoP server nonces (RFC 9449 §8, §9): HMAC-SHA256 of a time-step counter under a
//! configured secret, so every replica with the same secret accepts every other's nonces and
//! no storage is needed. Comparison is constant-time.
//!
//! Wire form: base64url (no padding) of `counter (8 bytes, big-endian) || tag (16 bytes)`, where
//! `tag` is the first 16 bytes of `HMAC-SHA256(secret, "dpopd-nonce-v1" || counter)`: 32
//! characters. A 128-bit tag is ample against forgery (NIST SP 800-107 §5.3.3) and keeps the
//! nonce short; the version label lets a future format coexist under the same secret.
use crate::clock::UnixTime;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

const DOMAIN: &[u8] = b"dpopd-nonce-v1";
const COUNTER_LEN: usize = 8;
const TAG_LEN: usize = 16;
const RAW_LEN: usize = COUNTER_LEN + TAG_LEN;
/// base64url of 24 bytes, unpadded.
const NONCE_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    #[error("nonce is malformed")]
    Malformed,
    #[error("nonce was not issued by this service")]
    Foreign,
    #[error("nonce has expired")]
    Expired,
}

#[derive(Clone)]
pub struct NonceService {
    key: ring::hmac::Key,
    step: u64,
    lifetime: u64,
}

impl std::fmt::Debug for NonceService {
    // The key stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceService")
            .field("step", &self.step)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl NonceService {
    /// `step`: seconds per nonce value; a nonce is accepted for `lifetime` seconds after its
    /// step began (`lifetime >= step`).
    ///
    /// Out-of-range values are clamped rather than refused (configuration is validated
    /// elsewhere): `step >= 1`, `lifetime >= step`, so a nonce is always valid for the whole
    /// step it was issued in.
    pub fn new(secret: &[u8], step: u64, lifetime: u64) -> NonceService {
        let step = step.max(1);
        NonceService {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            step,
            lifetime: lifetime.max(step),
        }
    }

    /// The nonce for the step containing `now`.
    pub fn current(&self, now: UnixTime) -> String {
        // Before the epoch there is nothing to distinguish: step 0.
        let counter = u64::try_from(now.secs()).unwrap_or(0) / self.step;
        let mut raw = [0u8; RAW_LEN];
        raw[..COUNTER_LEN].copy_from_slice(&counter.to_be_bytes());
        raw[COUNTER_LEN..].copy_from_slice(&self.tag(counter));
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks a nonce and returns the time it was issued (the start of its step).
    pub fn check(&self, nonce: &str, now: UnixTime) -> Result<UnixTime, NonceError> {
        // Length first: bounds the decoding work and rejects padded forms.
        if nonce.len() != NONCE_LEN {
            return Err(NonceError::Malformed);
        }
        let mut raw = [0u8; RAW_LEN];
        match URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw) {
            Ok(RAW_LEN) => {}
            _ => return Err(NonceError::Malformed),
        }
        let mut counter_be = [0u8; COUNTER_LEN];
        counter_be.copy_from_slice(&raw[..COUNTER_LEN]);
        let counter = u64::from_be_bytes(counter_be);

        let expected = self.tag(counter);
        if !crate::jose::ct_eq(expected.as_ref(), &raw[COUNTER_LEN..]) {
            return Err(NonceError::Foreign);
        }

        // Authentic but not issuable by a sane clock (overflow, or a step that has not begun
        // yet beyond one step of skew between replicas): treat as not ours.
        let issued_at = counter
            .checked_mul(self.step)
            .and_then(|t| i64::try_from(t).ok())
            .ok_or(NonceError::Foreign)?;
        let now = i128::from(now.secs());
        let issued = i128::from(issued_at);
        if issued > now + i128::from(self.step) {
            return Err(NonceError::Foreign);
        }
        if now - issued > i128::from(self.lifetime) {
            return Err(NonceError::Expired);
        }
        Ok(UnixTime(issued_at))
    }

    pub fn lifetime(&self) -> u64 {
        self.lifetime
    }

    /// Seconds per nonce value (after clamping).
    pub fn step(&self) -> u64 {
        self.step
    }

    fn tag(&self, counter: u64) -> [u8; TAG_LEN] {
        let mut ctx = ring::hmac::Context::with_key(&self.key);
        ctx.update(DOMAIN);
        ctx.update(&counter.to_be_bytes());
        let full = ctx.sign();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full.as_ref()[..TAG_LEN]);
        tag
    }
}

#[cfg(test)]
mod tests;
