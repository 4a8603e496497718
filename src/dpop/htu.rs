//! `htu` comparison (RFC 9449 §4.3 check 7): both URIs are normalised per RFC 3986 §6.2.2
//! (case, percent-encoding, dot segments) and §6.2.3 (default port, empty path), and compared
//! without query and fragment.

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
        unimplemented!()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
