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
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn service() -> NonceService {
        NonceService::new(SECRET, 60, 300)
    }

    #[test]
    fn round_trip() {
        let s = service();
        let now = UnixTime(1_700_000_030);
        let nonce = s.current(now);
        assert_eq!(nonce.len(), NONCE_LEN);
        assert!(nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        // Issued at the start of the step.
        assert_eq!(s.check(&nonce, now), Ok(UnixTime(1_699_999_980)));
        assert_eq!(s.check(&nonce, now).unwrap().secs() % 60, 0);
    }

    #[test]
    fn same_step_same_nonce_next_step_differs() {
        let s = service();
        assert_eq!(
            s.current(UnixTime(1_700_000_040)),
            s.current(UnixTime(1_700_000_099))
        );
        assert_ne!(
            s.current(UnixTime(1_700_000_099)),
            s.current(UnixTime(1_700_000_100))
        );
    }

    #[test]
    fn accepted_at_step_boundary_and_after_rollover() {
        let s = service();
        let start = UnixTime(1_700_000_040); // multiple of 60
        let nonce = s.current(start);
        assert_eq!(s.check(&nonce, start), Ok(start));
        assert_eq!(s.check(&nonce, start.plus(59)), Ok(start));
        // Next step: `current` has changed, the old nonce still holds within the lifetime.
        assert_ne!(s.current(start.plus(60)), nonce);
        assert_eq!(s.check(&nonce, start.plus(60)), Ok(start));
        assert_eq!(s.check(&nonce, start.plus(300)), Ok(start));
    }

    #[test]
    fn expired_after_lifetime() {
        let s = service();
        let start = UnixTime(1_700_000_040);
        let nonce = s.current(start);
        assert_eq!(s.check(&nonce, start.plus(301)), Err(NonceError::Expired));
        assert_eq!(
            s.check(&nonce, start.plus(100_000)),
            Err(NonceError::Expired)
        );
    }

    #[test]
    fn from_the_future_is_foreign() {
        let s = service();
        let start = UnixTime(1_700_000_040);
        let nonce = s.current(start.plus(120));
        // One step of skew between replicas is tolerated, more is not.
        assert_eq!(s.check(&nonce, start.plus(60)), Ok(start.plus(120)));
        assert_eq!(s.check(&nonce, start), Err(NonceError::Foreign));
    }

    #[test]
    fn foreign_for_another_secret_and_shared_across_replicas() {
        let s = service();
        let now = UnixTime(1_700_000_000);
        let nonce = s.current(now);
        let other = NonceService::new(b"another secret", 60, 300);
        assert_eq!(other.check(&nonce, now), Err(NonceError::Foreign));
        // A replica configured with the same secret accepts it.
        let replica = NonceService::new(SECRET, 60, 300);
        assert!(replica.check(&nonce, now).is_ok());
    }

    #[test]
    fn malformed() {
        let s = service();
        let now = UnixTime(1_700_000_000);
        let nonce = s.current(now);
        for bad in [
            String::new(),
            "garbage".to_owned(),
            "!".repeat(NONCE_LEN),
            format!("{nonce}="),
            format!("{}=", &nonce[..NONCE_LEN - 1]),
            format!("{nonce}AAAA"),
            nonce[..NONCE_LEN - 1].to_owned(),
            format!("+{}", &nonce[1..]),
            "é".repeat(NONCE_LEN / 2),
        ] {
            assert_eq!(s.check(&bad, now), Err(NonceError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn tampered_is_rejected() {
        let s = service();
        let now = UnixTime(1_700_000_000);
        let nonce = s.current(now);
        for i in 0..NONCE_LEN {
            let mut bytes = nonce.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            let result = s.check(&tampered, now);
            assert!(
                matches!(
                    result,
                    Err(NonceError::Foreign) | Err(NonceError::Malformed)
                ),
                "position {i}: {result:?}"
            );
        }
    }

    #[test]
    fn clamps_instead_of_panicking() {
        let s = NonceService::new(b"", 0, 0);
        assert_eq!(s.step(), 1);
        assert_eq!(s.lifetime(), 1);
        let s = NonceService::new(SECRET, 60, 10);
        assert_eq!(s.lifetime(), 60);
        // Before the epoch: step 0, still checkable.
        let nonce = s.current(UnixTime(-5));
        assert_eq!(s.check(&nonce, UnixTime(0)), Ok(UnixTime(0)));
        assert_eq!(
            s.check(&nonce, UnixTime(i64::MIN)),
            Err(NonceError::Foreign)
        );
    }

    #[test]
    fn lifetime_is_reported() {
        assert_eq!(service().lifetime(), 300);
    }
}
