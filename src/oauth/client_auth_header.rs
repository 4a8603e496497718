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
mod tests {
    use super::*;

    /// What a client following RFC 6749 §2.3.1 sends for `id` and `secret`.
    fn header(id: &str, secret: &str) -> String {
        let encode =
            |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
        )
    }

    fn basic_of(raw: &[u8]) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn ids_and_secrets_come_back_as_the_client_had_them() {
        let cases = [
            ("unreserved characters", "demo-client", "demo-client-secret"),
            ("dot, underscore, tilde", "a.b_c~d", "s.e_c~r-t"),
            ("colons in both", "urn:client:1", "pa:ss:word"),
            ("percent signs", "100%", "50%+50%"),
            ("plus signs", "a+b", "c+d"),
            ("spaces", "my client", " secret with spaces "),
            ("non-ASCII", "clïent-ü", "秘密🔑"),
            ("everything", "-._~:%+ é", "-._~:%+ é"),
            ("an empty secret", "client", ""),
            ("an empty id", "", "secret"),
        ];
        for (why, id, secret) in cases {
            let parsed = BasicCredentials::parse(&header(id, secret))
                .unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!((parsed.id(), parsed.secret()), (id, secret), "{why}");
        }
    }

    #[test]
    fn the_header_is_read_as_rfc_7617_and_rfc_9110_allow() {
        let encoded = STANDARD.encode("demo-client:demo-client-secret");
        let unpadded = STANDARD_NO_PAD.encode("demo-client:s");
        let cases = [
            (
                "percent-encoded hyphens",
                "Basic ZGVtbyUyRGNsaWVudDpkZW1vJTJEY2xpZW50JTJEc2VjcmV0".to_owned(),
                ("demo-client", "demo-client-secret"),
            ),
            (
                "raw unreserved characters",
                format!("Basic {encoded}"),
                ("demo-client", "demo-client-secret"),
            ),
            (
                "lower-case scheme",
                format!("basic {encoded}"),
                ("demo-client", "demo-client-secret"),
            ),
            (
                "upper-case scheme",
                format!("BASIC {encoded}"),
                ("demo-client", "demo-client-secret"),
            ),
            (
                "several spaces",
                format!("Basic   {encoded}"),
                ("demo-client", "demo-client-secret"),
            ),
            (
                "surrounding whitespace",
                format!(" \tBasic {encoded} "),
                ("demo-client", "demo-client-secret"),
            ),
            (
                "no padding",
                format!("Basic {unpadded}"),
                ("demo-client", "s"),
            ),
            (
                "a raw colon in the secret",
                basic_of(b"id:pa:ss"),
                ("id", "pa:ss"),
            ),
            (
                "raw UTF-8",
                basic_of("ïd:sécret".as_bytes()),
                ("ïd", "sécret"),
            ),
            ("lower-case hex", basic_of(b"a%2db:%c3%a9"), ("a-b", "é")),
        ];
        for (why, header, (id, secret)) in cases {
            let parsed = BasicCredentials::parse(&header).unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!((parsed.id(), parsed.secret()), (id, secret), "{why}");
        }
    }

    #[test]
    fn each_malformation_is_refused_with_its_own_error() {
        use HeaderError::*;
        let cases = [
            ("Bearer", "Bearer abc".to_owned(), NotBasic),
            ("Digest", "Digest username=\"a\"".to_owned(), NotBasic),
            (
                "a scheme run into its credentials",
                "BasicZGVtbzpz".to_owned(),
                NotBasic,
            ),
            ("no scheme", STANDARD.encode("a:b"), NotBasic),
            ("empty", String::new(), NotBasic),
            ("no credentials", "Basic".to_owned(), NotBase64),
            (
                "only spaces after the scheme",
                "Basic   ".to_owned(),
                NotBase64,
            ),
            ("not base64", "Basic ***".to_owned(), NotBase64),
            (
                "the base64url alphabet",
                "Basic ZGVt-_-_".to_owned(),
                NotBase64,
            ),
            ("a space inside", "Basic ZGVt bzpz".to_owned(), NotBase64),
            ("auth-params", "Basic realm=\"x\"".to_owned(), NotBase64),
            ("a length of 4n+1", "Basic ZGVtb".to_owned(), NotBase64),
            ("incomplete padding", "Basic YTpiYw=".to_owned(), NotBase64),
            (
                "padding in the middle",
                "Basic YQ==YQ==".to_owned(),
                NotBase64,
            ),
            (
                "non-zero trailing bits",
                "Basic YTpiYx==".to_owned(),
                NotBase64,
            ),
            ("no colon", basic_of(b"democlient"), NoColon),
            ("only an encoded colon", basic_of(b"demo%3Aclient"), NoColon),
            ("% and no digits", basic_of(b"id%:secret"), BadEncoding),
            ("% and one digit", basic_of(b"id:secret%2"), BadEncoding),
            (
                "% and non-hex digits",
                basic_of(b"id%zz:secret"),
                BadEncoding,
            ),
            ("% and a sign", basic_of(b"id%+1:secret"), BadEncoding),
            (
                "percent-encoded non-UTF-8",
                basic_of(b"id:%FF%FE"),
                BadEncoding,
            ),
            ("raw non-UTF-8", basic_of(b"id\xff:secret"), BadEncoding),
        ];
        for (why, header, want) in cases {
            assert_eq!(BasicCredentials::parse(&header), Err(want), "{why}");
        }
    }

    #[test]
    fn debug_output_keeps_the_secret_out() {
        let parsed = BasicCredentials::parse(&header("client", "hunter2")).unwrap();
        let shown = format!("{parsed:?}");
        assert!(
            shown.contains("client") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
