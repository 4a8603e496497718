//! Compact JWS serialisation (RFC 7515 §7.1): split, strict base64url decoding, and the
//! signing input. Header and payload interpretation is left to the caller's typed structs.
use serde::de::DeserializeOwned;

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
        unimplemented!()
    }

    /// Deserialises the header into `T`; the header must be a JSON object.
    pub fn header_as<T: DeserializeOwned>(&self) -> Result<T, JwsError> {
        unimplemented!()
    }

    /// Deserialises the payload into `T`; the payload must be a JSON object.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, JwsError> {
        unimplemented!()
    }
}
