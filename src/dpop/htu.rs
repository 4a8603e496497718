//! `htu` comparison (RFC 9449 §4.3 check 7): both URIs are normalised per RFC 3986 §6.2.2
//! (case, percent-encoding, dot segments) and §6.2.3 (default port, empty path), and compared
//! without query and fragment.
//!
//! Decisions beyond the RFC text, so that two replicas (or two reviewers) agree:
//! - Percent-encoded unreserved characters are decoded *before* dot-segment removal, so
//!   `/a/%2E%2E/b` is `/b`: RFC 3986 §6.2.2.2 says such URIs are equivalent to their decoded
//!   form, and §6.2.2.3 then applies to the decoded path.
//! - `%2F` stays encoded (upper-case) and is never a segment separator.
//! - Userinfo is refused: a URI carrying credentials is never a legitimate `htu`.
//! - Percent-encoding and IPvFuture/zone ids in the host are refused (DNS names and IP
//!   literals never need them).
//! - Query and fragment are dropped (RFC 9449 §4.2); they are only checked for characters
//!   RFC 3986 allows at all, not parsed.

use std::fmt::Write as _;

/// RFC 9449 gives no limit; 4096 bytes is far beyond any real endpoint URI and bounds the work.
const MAX_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HtuError {
    #[error("not an absolute http(s) URI")]
    NotHttpUri,
    #[error("URI has no host")]
    MissingHost,
    #[error("URI has an invalid port")]
    BadPort,
    #[error("URI has invalid percent-encoding")]
    BadPercentEncoding,
    #[error("URI contains a character that is not allowed")]
    BadCharacter,
    #[error("URI is too long")]
    TooLong,
}

/// An `http`/`https` URI in normal form, without query and fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Htu(String);

impl Htu {
    pub fn parse(uri: &str) -> Result<Htu, HtuError> {
        if uri.len() > MAX_LEN {
            return Err(HtuError::TooLong);
        }
        let bytes = uri.as_bytes();
        // Anything outside RFC 3986 §2 (unreserved, reserved, '%') can never be part of a URI;
        // checking first also rules out non-ASCII, so byte indexing below is on char boundaries.
        if !bytes.iter().all(|&b| is_uri_char(b)) {
            return Err(HtuError::BadCharacter);
        }

        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 §3.1). A relative
        // reference has no scheme: a '/', '?' or '#' comes before any ':'.
        let colon = bytes
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.'))
            .filter(|&i| bytes[i] == b':')
            .ok_or(HtuError::NotHttpUri)?;
        let scheme = &uri[..colon];
        let (scheme, default_port) = if scheme.eq_ignore_ascii_case("https") {
            ("https", 443)
        } else if scheme.eq_ignore_ascii_case("http") {
            ("http", 80)
        } else {
            return Err(HtuError::NotHttpUri);
        };

        // http(s) URIs require an authority with a non-empty host (RFC 9110 §4.2.1/§4.2.2).
        let rest = uri[colon + 1..]
            .strip_prefix("//")
            .ok_or(HtuError::MissingHost)?;
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let after_authority = &rest[authority_end..];
        let path_end = after_authority
            .find(['?', '#'])
            .unwrap_or(after_authority.len());
        let path = &after_authority[..path_end];

        // The normal form is never longer than the input plus the '/' of an empty path.
        let mut out = String::with_capacity(uri.len() + 1);
        out.push_str(scheme);
        out.push_str("://");
        push_authority(&mut out, authority, default_port)?;
        push_path(&mut out, path)?;
        // The "/" of an empty path can take a limit-length input past the limit; refusing it
        // keeps every normal form parseable again (normalisation stays idempotent).
        if out.len() > MAX_LEN {
            return Err(HtuError::TooLong);
        }
        Ok(Htu(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Configuration names endpoint URLs; they are read as `Htu`s, so an unusable one stops
/// start-up naming its key.
impl<'de> serde::Deserialize<'de> for Htu {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        Htu::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Htu {
    fn serialize<S: serde::Serializer>(&self, se: S) -> Result<S::Ok, S::Error> {
        se.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Htu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// unreserved / reserved / '%' (RFC 3986 §2.1–§2.3).
fn is_uri_char(b: u8) -> bool {
    is_unreserved(b)
        || is_sub_delim(b)
        || matches!(b, b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@' | b'%')
}

/// Appends host (lower-cased, RFC 3986 §6.2.2.1) and a non-default port (§6.2.3).
fn push_authority(out: &mut String, authority: &str, default_port: u16) -> Result<(), HtuError> {
    if authority.contains('@') {
        return Err(HtuError::BadCharacter);
    }
    let (host, port) = if let Some(literal) = authority.strip_prefix('[') {
        // IP-literal (RFC 3986 §3.2.2), IPv6 only: hex digits, ':' and '.' (embedded IPv4).
        let close = literal.find(']').ok_or(HtuError::BadCharacter)?;
        let inner = &literal[..close];
        if inner.is_empty() {
            return Err(HtuError::MissingHost);
        }
        if !inner
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(HtuError::BadCharacter);
        }
        let after = &literal[close + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err(HtuError::BadCharacter),
        };
        (&authority[..close + 2], port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(HtuError::MissingHost);
    }
    // reg-name without pct-encoded: unreserved / sub-delims.
    if !host.starts_with('[') && !host.bytes().all(|b| is_unreserved(b) || is_sub_delim(b)) {
        return Err(HtuError::BadCharacter);
    }
    out.extend(host.chars().map(|c| c.to_ascii_lowercase()));

    // port = *DIGIT; empty means default (RFC 3986 §3.2.3, §6.2.3).
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HtuError::BadPort);
        }
        // Leading zeros do not change the port number; they must not change the comparison.
        let digits = port.trim_start_matches('0');
        if digits.len() > 5 {
            return Err(HtuError::BadPort);
        }
        let number: u32 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| HtuError::BadPort)?
        };
        let number = u16::try_from(number).map_err(|_| HtuError::BadPort)?;
        if number != default_port {
            // Writing to a String cannot fail.
            let _ = write!(out, ":{number}");
        }
    }
    Ok(())
}

/// Appends the path with unreserved percent-encodings decoded, the others upper-cased
/// (RFC 3986 §6.2.2.1, §6.2.2.2), dot segments removed (§5.2.4, §6.2.2.3), and an empty path
/// replaced by "/" (§6.2.3).
///
/// Dot-segment removal runs in place on `out`: each segment is decoded onto its end, then a
/// "." is dropped and a ".." also drops the previous segment. Decoded segments never contain a
/// literal '/' (`%2F` stays encoded), so the previous segment starts at the last '/'.
fn push_path(out: &mut String, path: &str) -> Result<(), HtuError> {
    let base = out.len();
    // The authority ends at the first '/', so a non-empty path starts with one (path-abempty).
    let mut segments = path.split('/').skip(1).peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        out.push('/');
        let start = out.len();
        push_segment(out, segment)?;
        match &out[start..] {
            "." => {
                // "/a/." is "/a/": the final "." leaves an empty last segment.
                out.truncate(if last { start } else { start - 1 });
            }
            ".." => {
                out.truncate(start - 1);
                if out.len() > base {
                    let previous = out[base..].rfind('/').map_or(base, |i| base + i);
                    out.truncate(previous);
                }
                if last {
                    out.push('/');
                }
            }
            _ => {}
        }
    }
    if out.len() == base {
        out.push('/');
    }
    Ok(())
}

/// segment = *pchar (RFC 3986 §3.3), normalised percent-encoding.
fn push_segment(out: &mut String, segment: &str) -> Result<(), HtuError> {
    let bytes = segment.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let (hi, lo) = match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(&hi), Some(&lo)) => (hex_value(hi), hex_value(lo)),
                _ => (None, None),
            };
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(HtuError::BadPercentEncoding);
            };
            let decoded = hi << 4 | lo;
            if is_unreserved(decoded) {
                out.push(char::from(decoded));
            } else {
                out.push('%');
                out.push(char::from(HEX_UPPER[usize::from(hi)]));
                out.push(char::from(HEX_UPPER[usize::from(lo)]));
            }
            i += 3;
        } else if is_unreserved(b) || is_sub_delim(b) || b == b':' || b == b'@' {
            out.push(char::from(b));
            i += 1;
        } else {
            // '[' and ']' are reserved but not allowed in a path.
            return Err(HtuError::BadCharacter);
        }
    }
    Ok(())
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
