//! Strict base64url without padding (RFC 7515 §2): padding, `+`, `/`, whitespace and
//! non-canonical trailing bits are all refused.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64url")]
pub struct B64Error;

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends the encoding of `bytes` to `out`, so a caller assembling a token can size one
/// buffer up front instead of allocating per part.
pub fn encode_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// The number of characters `encode` produces for `len` input octets.
pub fn encoded_len(len: usize) -> usize {
    // Four characters per full three octets, plus 2 or 3 for a trailing partial group.
    len / 3 * 4 + [0, 2, 3][len % 3]
}

pub fn decode(text: &str) -> Result<Vec<u8>, B64Error> {
    // The engine's default config requires no padding and rejects non-zero trailing bits,
    // so every accepted string is the one canonical encoding of its octets.
    // Into a `Vec` sized here: the engine's own `decode` zeroes its buffer through `calloc`,
    // which glibc serves without its per-thread cache, and a proof decodes several parts.
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3 + 3);
    URL_SAFE_NO_PAD
        .decode_vec(text, &mut bytes)
        .map_err(|_| B64Error)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests;
