//! Sealed values: refresh tokens, and later codes, tickets and `request_uri`s, are
//! AES-256-GCM ciphertexts (ring) of their own content, so dpopd needs no database. The
//! purpose is authenticated data, so a value sealed as one thing never opens as another.
//! Keys rotate: the first configured key seals, every listed key opens. A sealed value is at
//! most [`MAX_SEALED_CHARS`] long, which `open` enforces on what it is given and `seal` on
//! what it makes, so nothing issued is too long to be redeemed.
//!
//! Format: base64url( version 0x01 ‖ key tag (4) ‖ nonce (12) ‖ ciphertext ‖ tag (16) ).
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

const VERSION: u8 = 1;
const KEY_TAG_LEN: usize = 4;
const HEADER_LEN: usize = 1 + KEY_TAG_LEN + NONCE_LEN;
/// The AES-256-GCM tag (`AES_256_GCM.tag_len()`, which is not a `const fn`).
const TAG_LEN: usize = 16;
/// Sealed values are bounded so opening attacker input costs little.
pub const MAX_SEALED_CHARS: usize = 8192;
/// The longest plaintext whose sealed value is within [`MAX_SEALED_CHARS`]: base64url without
/// padding spends 4 characters on 3 octets, and version, key tag, nonce and tag take 33.
/// [`Sealer::seal`] refuses anything longer rather than issue a value `open` would refuse.
pub const MAX_PLAINTEXT_OCTETS: usize = MAX_SEALED_CHARS / 4 * 3 - HEADER_LEN - TAG_LEN;

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
    /// The plaintext is longer than [`MAX_PLAINTEXT_OCTETS`]: its sealed value could never be
    /// opened, so none is made.
    #[error("plaintext is too large to seal")]
    TooLarge,
}

impl SealError {
    /// `too_large` for [`SealError::TooLarge`] (the caller gave too much), `failed` for any
    /// other error (sealing itself failed): the one distinction each caller of `seal` answers.
    pub fn too_large_or<E>(self, too_large: E, failed: E) -> E {
        match self {
            SealError::TooLarge => too_large,
            _ => failed,
        }
    }
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
                    .map(|k| SealKey {
                        tag,
                        key: LessSafeKey::new(k),
                    })
                    .map_err(|_| SealError::SealFailed)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sealer {
            keys,
            rng: SystemRandom::new(),
        })
    }

    /// The sealed value of `plaintext` for `purpose`, at most [`MAX_SEALED_CHARS`] long;
    /// [`SealError::TooLarge`] for a plaintext over [`MAX_PLAINTEXT_OCTETS`].
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Result<String, SealError> {
        if plaintext.len() > MAX_PLAINTEXT_OCTETS {
            return Err(SealError::TooLarge);
        }
        let active = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| SealError::SealFailed)?;
        let mut buf = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        buf.push(VERSION);
        buf.extend_from_slice(&active.tag);
        buf.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        active
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut body,
            )
            .map_err(|_| SealError::SealFailed)?;
        buf.extend_from_slice(&body);
        Ok(crate::jose::b64::encode(&buf))
    }

    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
        if sealed.len() > MAX_SEALED_CHARS {
            return Err(SealError::Malformed);
        }
        let raw = crate::jose::b64::decode(sealed).map_err(|_| SealError::Malformed)?;
        if raw.len() < HEADER_LEN + TAG_LEN || raw[0] != VERSION {
            return Err(SealError::Malformed);
        }
        let tag = &raw[1..1 + KEY_TAG_LEN];
        let key = self
            .keys
            .iter()
            .find(|k| k.tag == tag)
            .ok_or(SealError::UnknownKey)?;
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&raw[1 + KEY_TAG_LEN..HEADER_LEN]);
        let mut body = raw[HEADER_LEN..].to_vec();
        let plain = key
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut body,
            )
            .map_err(|_| SealError::Forged)?;
        Ok(plain.to_vec())
    }

    /// Seals a record as JSON: tickets, codes and `request_uri`s are such records.
    /// [`SealError::TooLarge`] when its JSON is longer than [`MAX_PLAINTEXT_OCTETS`].
    pub fn seal_json<T: serde::Serialize>(
        &self,
        purpose: &str,
        record: &T,
    ) -> Result<String, SealError> {
        let json = serde_json::to_vec(record).map_err(|_| SealError::SealFailed)?;
        self.seal(purpose, &json)
    }

    /// Opens a record sealed by [`Sealer::seal_json`] for the same purpose.
    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        purpose: &str,
        sealed: &str,
    ) -> Result<T, SealError> {
        let json = self.open(purpose, sealed)?;
        serde_json::from_slice(&json).map_err(|_| SealError::Malformed)
    }
}

#[cfg(test)]
mod tests;
