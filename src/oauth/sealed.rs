//! Sealed values: refresh tokens, and later codes, tickets and `request_uri`s, are
//! AES-256-GCM ciphertexts (ring) of their own content, so dpopd needs no database. The
//! purpose is authenticated data, so a value sealed as one thing never opens as another.
//! Keys rotate: the first configured key seals, every listed key opens.
//!
//! Format: base64url( version 0x01 ‖ key tag (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16) ).
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

const VERSION: u8 = 1;
const KEY_TAG_LEN: usize = 4;
const HEADER_LEN: usize = 1 + KEY_TAG_LEN + NONCE_LEN;
/// Sealed values are bounded so opening attacker input costs little.
pub const MAX_SEALED_CHARS: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value was sealed with an unknown key")]
    UnknownKey,
    #[error("sealed value does not authenticate")]
    Forged,
    #[error("sealing failed")]
    SealFailed,
}

struct SealKey {
    tag: [u8; KEY_TAG_LEN],
    key: LessSafeKey,
}

pub struct Sealer {
    keys: Vec<SealKey>,
    rng: SystemRandom,
}

impl Sealer {
    /// `keys`: (kid, 32 key octets); the first seals.
    pub fn new(keys: &[(String, [u8; 32])]) -> Result<Sealer, SealError> {
        if keys.is_empty() {
            return Err(SealError::SealFailed);
        }
        let keys = keys
            .iter()
            .map(|(kid, bytes)| {
                let digest = ring::digest::digest(&ring::digest::SHA256, kid.as_bytes());
                let mut tag = [0u8; KEY_TAG_LEN];
                tag.copy_from_slice(&digest.as_ref()[..KEY_TAG_LEN]);
                UnboundKey::new(&AES_256_GCM, bytes)
                    .map(|k| SealKey { tag, key: LessSafeKey::new(k) })
                    .map_err(|_| SealError::SealFailed)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sealer { keys, rng: SystemRandom::new() })
    }

    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Result<String, SealError> {
        let active = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SealError::SealFailed)?;
        let mut buf = Vec::with_capacity(HEADER_LEN + plaintext.len() + AES_256_GCM.tag_len());
        buf.push(VERSION);
        buf.extend_from_slice(&active.tag);
        buf.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        active
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(purpose.as_bytes()), &mut body)
            .map_err(|_| SealError::SealFailed)?;
        buf.extend_from_slice(&body);
        Ok(crate::jose::b64::encode(&buf))
    }

    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        if sealed.len() > MAX_SEALED_CHARS {
            return Err(SealError::Malformed);
        }
        let raw = crate::jose::b64::decode(sealed).map_err(|_| SealError::Malformed)?;
        if raw.len() < HEADER_LEN + AES_256_GCM.tag_len() || raw[0] != VERSION {
            return Err(SealError::Malformed);
        }
        let tag = &raw[1..1 + KEY_TAG_LEN];
        let key = self.keys.iter().find(|k| k.tag == tag).ok_or(SealError::UnknownKey)?;
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&raw[1 + KEY_TAG_LEN..HEADER_LEN]);
        let mut body = raw[HEADER_LEN..].to_vec();
        let plain = key
            .key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(purpose.as_bytes()), &mut body)
            .map_err(|_| SealError::Forged)?;
        Ok(plain.to_vec())
    }

    /// Seals a record as JSON: tickets, codes and `request_uri`s are such records.
    pub fn seal_json<T: serde::Serialize>(&self, purpose: &str, record: &T) -> Result<String, SealError> {
        let json = serde_json::to_vec(record).map_err(|_| SealError::SealFailed)?;
        self.seal(purpose, &json)
    }

    /// Opens a record sealed by [`Sealer::seal_json`] for the same purpose.
    pub fn open_json<T: serde::de::DeserializeOwned>(&self, purpose: &str, sealed: &str) -> Result<T, SealError> {
        let json = self.open(purpose, sealed)?;
        serde_json::from_slice(&json).map_err(|_| SealError::Malformed)
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(kids: &[(&str, u8)]) -> Sealer {
        let keys: Vec<(String, [u8; 32])> = kids.iter().map(|(k, b)| (k.to_string(), [*b; 32])).collect();
        Sealer::new(&keys).unwrap()
    }

    #[test]
    fn round_trip_and_purpose_binding() {
        let s = sealer(&[("k1", 1)]);
        let sealed = s.seal("rt", b"hello").unwrap();
        assert_eq!(s.open("rt", &sealed).unwrap(), b"hello");
        assert_eq!(s.open("code", &sealed), Err(SealError::Forged));
    }

    #[test]
    fn rotation_opens_with_any_listed_key_and_seals_with_the_first() {
        let old = sealer(&[("k1", 1)]);
        let sealed_old = old.seal("rt", b"x").unwrap();
        let rotated = sealer(&[("k2", 2), ("k1", 1)]);
        assert_eq!(rotated.open("rt", &sealed_old).unwrap(), b"x");
        let sealed_new = rotated.seal("rt", b"y").unwrap();
        assert_eq!(old.open("rt", &sealed_new), Err(SealError::UnknownKey));
        let removed = sealer(&[("k2", 2)]);
        assert_eq!(removed.open("rt", &sealed_old), Err(SealError::UnknownKey));
    }

    #[test]
    fn tampering_and_garbage_are_refused() {
        let s = sealer(&[("k1", 1)]);
        let sealed = s.seal("rt", b"payload").unwrap();
        let mut raw = crate::jose::b64::decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(s.open("rt", &crate::jose::b64::encode(&raw)), Err(SealError::Forged));
        assert_eq!(s.open("rt", "not base64!"), Err(SealError::Malformed));
        assert_eq!(s.open("rt", "AQ"), Err(SealError::Malformed));
        assert_eq!(s.open("rt", &"A".repeat(MAX_SEALED_CHARS + 1)), Err(SealError::Malformed));
        // a key with the same tag but other bytes cannot forge
        let same_kid_other_key = sealer(&[("k1", 9)]);
        assert_eq!(same_kid_other_key.open("rt", &sealed), Err(SealError::Forged));
    }
}
