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
    if nesting_depth(bytes) > MAX_NESTING {
        return Err(JwsError::BadJson {
            part,
            reason: format!("nested deeper than {MAX_NESTING} levels"),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| JwsError::BadJson {
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
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Header {
        alg: String,
        typ: Option<String>,
    }

    fn enc(text: &str) -> String {
        b64::encode(text.as_bytes())
    }

    #[test]
    fn parses_compact_serialisation() {
        let h = enc(r#"{"alg":"ES256","typ":"JWT"}"#);
        let p = enc(r#"{"sub":"a"}"#);
        let token = format!("{h}.{p}.AAEC");
        let jws = CompactJws::parse(&token).unwrap();
        assert_eq!(jws.signing_input, format!("{h}.{p}"));
        assert_eq!(jws.signature, vec![0, 1, 2]);
        assert_eq!(jws.payload, br#"{"sub":"a"}"#);
        let header: Header = jws.header_as().unwrap();
        assert_eq!(
            header,
            Header {
                alg: "ES256".into(),
                typ: Some("JWT".into())
            }
        );
        let payload: serde_json::Map<String, serde_json::Value> = jws.payload_as().unwrap();
        assert_eq!(payload["sub"], "a");
    }

    #[test]
    fn refuses_malformed_tokens() {
        let h = enc(r#"{"alg":"ES256"}"#);
        let cases: Vec<(String, JwsError)> = vec![
            (String::new(), JwsError::NotCompact),
            (h.clone(), JwsError::NotCompact),
            (format!("{h}.e30"), JwsError::NotCompact),
            (format!("{h}.e30.AA.AA"), JwsError::NotCompact),
            (format!("{h}.e30."), JwsError::NotCompact),
            (format!("{h}..AA"), JwsError::NotCompact),
            (".e30.AA".to_owned(), JwsError::NotCompact),
            ("..".to_owned(), JwsError::NotCompact),
            (format!("{h}=.e30.AA"), JwsError::BadBase64("header")),
            (format!(" {h}.e30.AA"), JwsError::BadBase64("header")),
            ("e/0.e30.AA".to_owned(), JwsError::BadBase64("header")),
            (format!("{h}.e30=.AA"), JwsError::BadBase64("payload")),
            (format!("{h}.e3+.AA"), JwsError::BadBase64("payload")),
            (format!("{h}.e30.AA=="), JwsError::BadBase64("signature")),
            (format!("{h}.e30.AB"), JwsError::BadBase64("signature")), // trailing bits
            (format!("{h}.e30.AA\n"), JwsError::BadBase64("signature")),
        ];
        for (token, want) in cases {
            assert_eq!(CompactJws::parse(&token).unwrap_err(), want, "{token:?}");
        }
    }

    #[test]
    fn refuses_non_object_json() {
        let not_object = |part| JwsError::BadJson {
            part,
            reason: "not a JSON object".into(),
        };
        let cases = [
            ("[1]", not_object("header")),
            ("\"x\"", not_object("header")),
            ("null", not_object("header")),
            ("   ", not_object("header")),
            ("\u{feff}{}", not_object("header")),
        ];
        for (header, want) in cases {
            let token = format!("{}.e30.AA", enc(header));
            let jws = CompactJws::parse(&token).unwrap();
            assert_eq!(jws.header_as::<Header>().unwrap_err(), want, "{header:?}");
        }
        let token = format!("{}.{}.AA", enc("{}"), enc("1"));
        let jws = CompactJws::parse(&token).unwrap();
        let err = jws.payload_as::<serde_json::Value>().unwrap_err();
        assert_eq!(err, not_object("payload"));
    }

    #[test]
    fn nesting_is_bounded_in_unknown_members_too() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let too_deep = JwsError::BadJson {
            part: "header",
            reason: "nested deeper than 32 levels".into(),
        };
        let cases: Vec<(String, Option<JwsError>)> = vec![
            // The header object is level 1.
            (format!(r#"{{"alg":"ES256","x":{}}}"#, nested(31)), None),
            (
                format!(r#"{{"alg":"ES256","x":{}}}"#, nested(32)),
                Some(too_deep.clone()),
            ),
            (
                format!(r#"{{"alg":"ES256","x":{}}}"#, nested(200)),
                Some(too_deep.clone()),
            ),
            (
                format!(r#"{{"alg":"ES256","x":{{"y":{}}}}}"#, nested(40)),
                Some(too_deep),
            ),
            // Brackets in strings, escaped quotes included, are not nesting.
            (
                format!(r#"{{"alg":"ES256","x":"\"{}"}}"#, "[".repeat(200)),
                None,
            ),
        ];
        for (header, want) in cases {
            let token = format!("{}.e30.AA", enc(&header));
            let jws = CompactJws::parse(&token).unwrap();
            assert_eq!(jws.header_as::<Header>().err(), want, "{header}");
        }
        assert_eq!(nesting_depth(br#"{"a":[{"b":[]}],"c":{}}"#), 4);
        assert_eq!(nesting_depth(b"]]]{"), 1);
    }

    #[test]
    fn serde_errors_keep_their_reason() {
        let cases = [
            r#"{"alg":"ES256","alg":"none"}"#, // duplicated known member
            r#"{"alg":1}"#,                    // mistyped member
            r#"{"typ":"JWT"}"#,                // missing alg
            r#"{"alg":"ES256"} x"#,            // trailing data
            "\n {\"alg\":\"ES256\"",           // truncated, after leading whitespace
        ];
        for header in cases {
            let token = format!("{}.e30.AA", enc(header));
            let jws = CompactJws::parse(&token).unwrap();
            match jws.header_as::<Header>() {
                Err(JwsError::BadJson {
                    part: "header",
                    reason,
                }) => {
                    assert_ne!(reason, "not a JSON object", "{header:?}")
                }
                other => panic!("{header:?}: {other:?}"),
            }
        }
        let dup = format!("{}.e30.AA", enc(r#"{"alg":"ES256","alg":"none"}"#));
        let err = CompactJws::parse(&dup)
            .unwrap()
            .header_as::<Header>()
            .unwrap_err();
        assert!(err.to_string().contains("duplicate field `alg`"), "{err}");
        let ws = format!("{}.e30.AA", enc(" \t\r\n{\"alg\":\"ES256\"}"));
        assert!(CompactJws::parse(&ws)
            .unwrap()
            .header_as::<Header>()
            .is_ok());
    }
}
