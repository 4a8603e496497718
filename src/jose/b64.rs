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
    URL_SAFE_NO_PAD.decode(text).map_err(|_| B64Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for len in 0..40usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text.len(), encoded_len(len), "len {len}");
            assert_eq!(decode(&text), Ok(bytes));
        }
        let mut appended = String::from("x.");
        encode_into(&[0xfb, 0xff], &mut appended);
        assert_eq!(appended, "x.-_8");
    }

    #[test]
    fn accepts_canonical_text() {
        let cases: &[(&str, &[u8])] = &[
            ("", b""),
            ("Zg", b"f"),
            ("Zm8", b"fo"),
            ("Zm9v", b"foo"),
            ("-_-_", &[0xfb, 0xff, 0xbf]),
        ];
        for (text, bytes) in cases {
            assert_eq!(decode(text).as_deref(), Ok(*bytes), "{text:?}");
        }
    }

    #[test]
    fn rejects_non_strict_text() {
        let cases = [
            "Zg==",   // padding
            "Zm8=",   // padding
            "+_8",    // standard alphabet '+'
            "-/8",    // standard alphabet '/'
            "Zm 9v",  // inner space
            "Zm9v\n", // trailing newline
            " Zm9v",  // leading space
            "Zh",     // non-zero trailing bits: canonical form of b"f" is "Zg"
            "Zm9",    // non-zero trailing bits: canonical form of b"fo" is "Zm8"
            "Z",      // impossible length
            "Zm9vY",  // impossible length
            "Zm9v.",  // separator
            "Zm9vé",  // non-ASCII
        ];
        for text in cases {
            assert_eq!(decode(text), Err(B64Error), "{text:?}");
        }
    }
}
