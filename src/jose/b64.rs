//! Strict base64url without padding (RFC 7515 §2): padding, `+`, `/`, whitespace and
//! non-canonical trailing bits are all refused.

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64url")]
pub struct B64Error;

pub fn encode(bytes: &[u8]) -> String {
    unimplemented!()
}

pub fn decode(text: &str) -> Result<Vec<u8>, B64Error> {
    unimplemented!()
}
