//! Compact JWS serialisation (RFC 7515 §7.1): split, strict base64url decoding, and the
//! signing input. Header and payload interpretation is left to the caller's typed structs.
use super::b64;
use serde::de::{Deserialize, DeserializeOwned};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS: expected three dot-separated parts")]
    NotCompact,
    #[error("JWS {0} is not valid base64url")]
    BadBase64(&'static str),
    /// Not a JSON object, a duplicated or mistyped known member, or nesting past the limit.
    #[error("JWS {part} is not a valid JSON object: {reason}")]
    BadJson { part: &'static str, reason: String },
}

/// A compact JWS split into its parts; nothing in it is verified yet.
#[derive(Debug)]
pub struct CompactJws<'a> {
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes the signature covers.
    pub signing_input: &'a str,
    pub header: Vec<u8>,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

impl<'a> CompactJws<'a> {
    pub fn parse(text: &'a str) -> Result<CompactJws<'a>, JwsError> {
        // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
        let (signing_input, signature) = text.rsplit_once('.').ok_or(JwsError::NotCompact)?;
        let (header, payload) = signing_input.split_once('.').ok_or(JwsError::NotCompact)?;
        // A third dot lands in `payload`; an empty part is an unsigned or detached-payload
        // JWS, neither of which is accepted here.
        if payload.contains('.') || header.is_empty() || payload.is_empty() || signature.is_empty()
        {
            return Err(JwsError::NotCompact);
        }
        // Strict decoding also refuses every character outside the base64url alphabet.
        Ok(CompactJws {
            signing_input,
            header: b64::decode(header).map_err(|_| JwsError::BadBase64("header"))?,
            payload: b64::decode(payload).map_err(|_| JwsError::BadBase64("payload"))?,
            signature: b64::decode(signature).map_err(|_| JwsError::BadBase64("signature"))?,
        })
    }

    /// Deserialises the header into `T`; the header must be a JSON object.
    pub fn header_as<T: DeserializeOwned>(&self) -> Result<T, JwsError> {
        json_object("header", &self.header)
    }

    /// Deserialises the payload into `T`; the payload must be a JSON object.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, JwsError> {
        json_object("payload", &self.payload)
    }

    /// [`header_as`](Self::header_as) for a `T` that borrows strings from the decoded header.
    pub fn header_borrowed<'de, T: Deserialize<'de>>(&'de self) -> Result<T, JwsError> {
        json_object("header", &self.header)
    }

    /// [`payload_as`](Self::payload_as) for a `T` that borrows strings from the decoded payload.
    pub fn payload_borrowed<'de, T: Deserialize<'de>>(&'de self) -> Result<T, JwsError> {
        json_object("payload", &self.payload)
    }
}

/// RFC 7515 §4.1.9: whether a `typ` header names `media_type` (given without `application/`):
/// media types compare case-insensitively and the `application/` prefix may be omitted.
pub fn typ_is(typ: &str, media_type: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    bare.eq_ignore_ascii_case(media_type)
}

/// How deep arrays and objects may nest in a header or payload. A proof header nests two
/// levels (`jwk` in the header); serde_json's own recursion limit covers only the members a
/// type reads and skips unknown ones without it, so the limit is applied here, to all of them.
const MAX_NESTING: usize = 32;

/// RFC 7515 §4 / RFC 7519 §7.2: header and claims are JSON objects. The first-byte check
/// keeps a `T` that would also accept an array or a string from seeing one; serde's derive
/// refuses duplicated known members and serde_json trailing data and invalid UTF-8.
pub(super) fn json_object<'de, T: Deserialize<'de>>(
    part: &'static str,
    bytes: &'de [u8],
) -> Result<T, JwsError> {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        return Err(JwsError::BadJson {
            part,
            reason: "not a JSON object".to_owned(),
        });
    }
    // Nesting needs an opening bracket per level, so text with few of them (every proof and
    // token header and payload dpopd issues) skips the byte-by-byte walk.
    let openers = bytes.iter().filter(|&&b| b == b'{' || b == b'[').count();
    if openers > MAX_NESTING && nesting_depth(bytes) > MAX_NESTING {
        return Err(JwsError::BadJson {
            part,
            reason: format!("nested deeper than {MAX_NESTING} levels"),
        });
    }
    crate::json::from_bytes(bytes).map_err(|e| JwsError::BadJson {
        part,
        reason: e.to_string(),
    })
}

/// The deepest nesting of arrays and objects in JSON text, brackets inside strings aside.
/// Unbalanced text is left to the parser.
fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests;
