//! A client's `Authorization: Basic` header, decoded in one place: the scheme (RFC 9110 §11.1,
//! case-insensitive), base64 (RFC 7617 §2, the standard alphabet of RFC 4648 §4), the split
//! at the first colon, and the `application/x-www-form-urlencoded` decoding of both parts that
//! RFC 6749 §2.3.1 has the client apply before base64 (`+` is a space, `%XX` an octet, the
//! result UTF-8). Each way a header can fail to decode is its own [`HeaderError`].
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;

/// Why a client's `Authorization` header could not be read as Basic credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The scheme is not `Basic`: an authentication method the token endpoint does not
    /// support (RFC 6749 §5.2 `invalid_client`).
    #[error("the Authorization header does not use the Basic scheme")]
    NotBasic,
    /// RFC 7617 §2: the credentials after `Basic` are missing or are not base64.
    #[error("the Basic credentials are missing or not base64")]
    NotBase64,
    /// RFC 7617 §2: the decoded credentials have no colon between user-id and password.
    #[error("the decoded Basic credentials have no colon")]
    NoColon,
    /// RFC 6749 §2.3.1: the client_id or secret is not form-urlencoded UTF-8 (a `%` without
    /// two hex digits, or octets that are not UTF-8).
    #[error("the Basic client_id or secret is not form-urlencoded UTF-8")]
    BadEncoding,
}

/// A client's decoded Basic credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    id: String,
    secret: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl BasicCredentials {
    /// Decodes the value of a client's `Authorization` header.
    pub fn parse(header: &str) -> Result<BasicCredentials, HeaderError> {
        let header = header.trim_matches(is_whitespace);
        let (scheme, rest) = header.split_once(is_whitespace).unwrap_or((header, ""));
        if !scheme.eq_ignore_ascii_case("Basic") {
            return Err(HeaderError::NotBasic);
        }
        // RFC 9110 §11.4: the scheme, whitespace, then a token68 (here base64).
        let token = rest.trim_start_matches(is_whitespace);
        if token.is_empty() {
            return Err(HeaderError::NotBase64);
        }
        // RFC 4648 §4 base64. Padding may be left out (some clients do), but when present it
        // must be complete; bits past the last octet must be zero: one encoding per value.
        let engine = if token.ends_with('=') {
            &STANDARD
        } else {
            &STANDARD_NO_PAD
        };
        let decoded = engine.decode(token).map_err(|_| HeaderError::NotBase64)?;
        let colon = decoded
            .iter()
            .position(|&b| b == b':')
            .ok_or(HeaderError::NoColon)?;
        Ok(BasicCredentials {
            id: form_decode(&decoded[..colon])?,
            secret: form_decode(&decoded[colon + 1..])?,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|d| d as u8)
}

/// RFC 9110 §5.6.3 whitespace (SP, HTAB).
fn is_whitespace(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The inverse of RFC 6749 Appendix B: `+` is a space, `%XX` an octet, every other octet
/// itself; the octets must be UTF-8. A `%` without two hex digits after it is refused rather
/// than kept, so that a value cannot have two readings.
fn form_decode(encoded: &[u8]) -> Result<String, HeaderError> {
    let mut out = Vec::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        out.push(match (byte, rest) {
            (b'+', _) => b' ',
            (b'%', [high, low, tail @ ..]) => {
                rest = tail;
                match (hex_digit(*high), hex_digit(*low)) {
                    (Some(high), Some(low)) => high << 4 | low,
                    _ => return Err(HeaderError::BadEncoding),
                }
            }
            (b'%', _) => return Err(HeaderError::BadEncoding),
            (other, _) => other,
        });
    }
    String::from_utf8(out).map_err(|_| HeaderError::BadEncoding)
}

#[cfg(test)]
mod tests;
