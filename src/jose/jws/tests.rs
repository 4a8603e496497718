//! Unit tests of `jose::jws`.
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

#[test]
fn text_that_is_not_utf8_is_judged_as_serde_json_judges_the_bytes() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    // Refused with serde_json's reason; or, where serde_json skips the string (an unknown
    // member's value), accepted as it always was.
    for (bytes, accepted) in [
        (&b"{\"alg\":\"\xff\"}"[..], false),
        (b"{\"\xed\xa0\x80\":1}", false),
        (b"{\"alg\":\"ES256\",\"x\":\"\xc3\"}", true),
    ] {
        let token = format!("{}.e30.AA", URL_SAFE_NO_PAD.encode(bytes));
        let got = CompactJws::parse(&token).unwrap().header_as::<Header>();
        match serde_json::from_slice::<Header>(bytes) {
            Ok(want) => assert_eq!(got, Ok(want), "{bytes:?}"),
            Err(e) => assert_eq!(
                got,
                Err(JwsError::BadJson {
                    part: "header",
                    reason: e.to_string()
                }),
                "{bytes:?}"
            ),
        }
        assert_eq!(got.is_ok(), accepted, "{bytes:?}");
    }
}
