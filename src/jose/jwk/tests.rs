//! Unit tests of `jose::jwk`.
use super::*;

/// RFC 7638 §3.1 example key.
pub(crate) const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
/// The same modulus with a leading zero octet.
const RFC7638_N_PADDED: &str = "ANL8e2oKHmxnEErrj4iyV2abTfZ53a0Jm1xKbNmogBW1oTO_C4VseHG23wALVU_Os8LtUSu2jxRcboQ0dS-rUqHPwSRAj3m1ikV4wWQohVeJ96JJ44TLLZ-uLWf9lvuSbBmOB3OZ_cgVwK8Jfd5are_0TecOgn9IeEMkOb_uuWBo0EdPxQ1tkL86mN-vEEDInALWkqs7PCiWYJ2G_XO3dM4HQGR87uqjEL0S-YWo659Z_dQmzqWyEg9PKjS8q3ZLfmxU1oQCOLzEBYelnmbtHzOJRXdjXEcK91z5LCDR2kPhv8QZ4iKm8NC7NYxeOPnLBQrq_pBIFPGsGqScyp6gyoM";
/// RFC 8037 Appendix A.2 public key.
pub(crate) const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/// RFC 9449 §4.1 Figure 4 proof key.
pub(crate) const RFC9449_X: &str = "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs";
pub(crate) const RFC9449_Y: &str = "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA";

pub(crate) fn parse(json: &str) -> Result<PublicJwk, JwkError> {
    let members: JwkMembers = serde_json::from_str(json).expect("test JWK is valid JSON");
    PublicJwk::from_members(&members)
}

fn rsa(n: &str, e: &str) -> String {
    format!(r#"{{"kty":"RSA","n":"{n}","e":"{e}"}}"#)
}

fn ec(crv: &str, x: &str, y: &str) -> String {
    format!(r#"{{"kty":"EC","crv":"{crv}","x":"{x}","y":"{y}"}}"#)
}

#[test]
fn rfc7638_section_3_1_thumbprint() {
    let key = parse(&rsa(RFC7638_N, "AQAB")).unwrap();
    assert_eq!(
        key.thumbprint().as_str(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    assert_eq!(key.rsa_bits(), Some(2048));
}

#[test]
fn rfc8037_appendix_a_3_thumbprint() {
    let key = parse(&format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}"}}"#
    ));
    let key = key.unwrap();
    assert_eq!(
        key.thumbprint().as_str(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
    assert_eq!(key.rsa_bits(), None);
}

#[test]
fn rfc9449_ec_key_thumbprint() {
    let key = parse(&ec("P-256", RFC9449_X, RFC9449_Y)).unwrap();
    assert_eq!(
        key.thumbprint().as_str(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
    // Unknown and extra members do not change the key or its thumbprint (RFC 7638 §3.2).
    let extra = format!(
        r#"{{"y":"{RFC9449_Y}","use":"sig","x":"{RFC9449_X}","kty":"EC","crv":"P-256","n":"AQAB","kid":"k"}}"#
    );
    assert_eq!(parse(&extra).unwrap(), key);
}

#[test]
fn refuses_bad_keys() {
    let x32 = RFC9449_X;
    let x48 = b64::encode(&[7u8; 48]);
    let x31 = b64::encode(&[7u8; 31]);
    let x33 = b64::encode(&[7u8; 33]);
    let cases: Vec<(String, JwkError)> = vec![
        // Private and symmetric members win over every other problem.
        (
            r#"{"kty":"EC","d":"AA"}"#.into(),
            JwkError::PrivateMember("d"),
        ),
        (r#"{"d":null}"#.into(), JwkError::PrivateMember("d")),
        (
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB","p":"x"}"#.into(),
            JwkError::PrivateMember("p"),
        ),
        (
            r#"{"kty":"RSA","q":1}"#.into(),
            JwkError::PrivateMember("q"),
        ),
        (
            r#"{"kty":"RSA","dp":"x"}"#.into(),
            JwkError::PrivateMember("dp"),
        ),
        (
            r#"{"kty":"RSA","dq":"x"}"#.into(),
            JwkError::PrivateMember("dq"),
        ),
        (
            r#"{"kty":"RSA","qi":"x"}"#.into(),
            JwkError::PrivateMember("qi"),
        ),
        (
            r#"{"kty":"RSA","oth":[]}"#.into(),
            JwkError::PrivateMember("oth"),
        ),
        (
            r#"{"kty":"oct","k":"AAAA"}"#.into(),
            JwkError::PrivateMember("k"),
        ),
        (r#"{"kty":"oct"}"#.into(), JwkError::PrivateMember("k")),
        (
            r#"{"kty":"nope","k":"AAAA"}"#.into(),
            JwkError::PrivateMember("k"),
        ),
        (
            format!(
                r#"{{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}}"#
            ),
            JwkError::PrivateMember("d"),
        ),
        // kty
        ("{}".into(), JwkError::MissingKty),
        (r#"{"kty":"ec"}"#.into(), JwkError::UnsupportedKty),
        (r#"{"kty":"EC2"}"#.into(), JwkError::UnsupportedKty),
        // EC
        (
            r#"{"kty":"EC","x":"AA","y":"AA"}"#.into(),
            JwkError::MissingMember("crv"),
        ),
        (ec("P-521", x32, x32), JwkError::UnsupportedCurve),
        (ec("secp256k1", x32, x32), JwkError::UnsupportedCurve),
        (ec("p-256", x32, x32), JwkError::UnsupportedCurve),
        (
            r#"{"kty":"EC","crv":"P-256"}"#.into(),
            JwkError::MissingMember("x"),
        ),
        (
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{x32}"}}"#),
            JwkError::MissingMember("y"),
        ),
        (ec("P-256", "AA==", x32), JwkError::BadEncoding("x")),
        (ec("P-256", x32, "+AAA"), JwkError::BadEncoding("y")),
        (ec("P-256", &x31, x32), JwkError::NonCanonical("x")),
        (ec("P-256", &x33, x32), JwkError::NonCanonical("x")),
        (ec("P-256", x32, &x31), JwkError::NonCanonical("y")),
        (ec("P-256", &x48, &x48), JwkError::NonCanonical("x")),
        (ec("P-384", x32, x32), JwkError::NonCanonical("x")),
        (ec("P-384", &x48, x32), JwkError::NonCanonical("y")),
        (ec("P-256", x32, x32), JwkError::PointNotOnCurve),
        (ec("P-256", RFC9449_Y, RFC9449_X), JwkError::PointNotOnCurve),
        (
            ec("P-256", x32, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            JwkError::PointNotOnCurve,
        ),
        (
            // x = p, the field's prime: not a field element.
            ec(
                "P-256",
                "_____wAAAAEAAAAAAAAAAAAAAAD_______________8",
                RFC9449_Y,
            ),
            JwkError::PointNotOnCurve,
        ),
        (ec("P-384", &x48, &x48), JwkError::PointNotOnCurve),
        // RSA
        (rsa(RFC7638_N, "AAEAAQ"), JwkError::NonCanonical("e")),
        (rsa(RFC7638_N_PADDED, "AQAB"), JwkError::NonCanonical("n")),
        (
            r#"{"kty":"RSA","e":"AQAB"}"#.into(),
            JwkError::MissingMember("n"),
        ),
        (
            format!(r#"{{"kty":"RSA","n":"{RFC7638_N}"}}"#),
            JwkError::MissingMember("e"),
        ),
        (rsa("", "AQAB"), JwkError::InvalidKey),
        (rsa(RFC7638_N, ""), JwkError::InvalidKey),
        (rsa(RFC7638_N, "AQ"), JwkError::InvalidKey), // e = 1
        (rsa(RFC7638_N, "Ag"), JwkError::InvalidKey), // e = 2
        (rsa(RFC7638_N, "AQAA"), JwkError::InvalidKey), // e = 65536
        (rsa("0vx7=", "AQAB"), JwkError::BadEncoding("n")),
        (rsa(RFC7638_N, "AQAB "), JwkError::BadEncoding("e")),
        // OKP
        (
            format!(r#"{{"kty":"OKP","crv":"X25519","x":"{RFC8037_X}"}}"#),
            JwkError::UnsupportedCurve,
        ),
        (
            format!(r#"{{"kty":"OKP","crv":"Ed448","x":"{RFC8037_X}"}}"#),
            JwkError::UnsupportedCurve,
        ),
        (
            format!(r#"{{"kty":"OKP","x":"{RFC8037_X}"}}"#),
            JwkError::MissingMember("crv"),
        ),
        (
            r#"{"kty":"OKP","crv":"Ed25519"}"#.into(),
            JwkError::MissingMember("x"),
        ),
        (
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x31}"}}"#),
            JwkError::NonCanonical("x"),
        ),
        (
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x33}"}}"#),
            JwkError::NonCanonical("x"),
        ),
    ];
    for (json, want) in cases {
        assert_eq!(parse(&json), Err(want), "{json}");
    }
    assert_eq!(parse(&rsa(RFC7638_N, "Aw")).unwrap().rsa_bits(), Some(2048));
    // e = 3
}

#[test]
fn ed25519_keys_of_small_order_are_refused() {
    for point in ED25519_SMALL_ORDER {
        for sign in [0, 0x80] {
            let mut x = point;
            x[31] |= sign;
            let json = format!(
                r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
                b64::encode(&x)
            );
            assert_eq!(parse(&json), Err(JwkError::InvalidKey), "{json}");
        }
    }
    // The identity point "verifies" R = identity, S = 0 over any message.
    let identity = PublicJwk::Ed25519 {
        x: ED25519_SMALL_ORDER[1],
    };
    let mut forged = ED25519_SMALL_ORDER[1].to_vec();
    forged.extend_from_slice(&[0; 32]);
    assert_eq!(
        identity.verify(crate::jose::Alg::EdDSA, b"any message", &forged),
        Ok(())
    );
}

#[test]
fn duplicated_or_mistyped_members_are_parse_errors() {
    for json in [
        r#"{"kty":"EC","kty":"EC"}"#,
        r#"{"kty":"EC","crv":"P-256","x":"AA","x":"AB"}"#,
        r#"{"kty":"EC","d":1,"d":2}"#,
        r#"{"kty":1}"#,
        r#"{"kty":"RSA","n":["AQAB"]}"#,
        r#"["EC","P-256","AA","AA"]"#,
        r#"[]"#,
        r#""EC""#,
    ] {
        assert!(serde_json::from_str::<JwkMembers>(json).is_err(), "{json}");
    }
}

#[test]
fn jkt_parse_and_compare() {
    let good = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let jkt = Jkt::parse(good).unwrap();
    assert_eq!(jkt.as_str(), good);
    assert!(jkt.ct_eq(
        &parse(&ec("P-256", RFC9449_X, RFC9449_Y))
            .unwrap()
            .thumbprint()
    ));
    assert!(!jkt.ct_eq(&Jkt::parse("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k").unwrap()));
    for bad in [
        "",
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4", // 42 chars
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I=", // padded
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4J", // non-canonical trailing bits
        "0ZcOCORZNYy+DWpqq30jZyJGHTN0d2HglBV3uiguA4I", // standard alphabet
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I0ZcO", // 47 chars
    ] {
        assert_eq!(Jkt::parse(bad), Err(BadJkt), "{bad:?}");
    }
}

#[test]
fn to_json_has_public_members_only() {
    let key = parse(&ec("P-256", RFC9449_X, RFC9449_Y)).unwrap();
    let json = serde_json::Value::Object(key.to_json());
    let want = serde_json::json!({"kty":"EC","crv":"P-256","x":RFC9449_X,"y":RFC9449_Y});
    assert_eq!(json, want);
    let key = parse(&rsa(RFC7638_N, "AQAB")).unwrap();
    let want = serde_json::json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB"});
    assert_eq!(serde_json::Value::Object(key.to_json()), want);
    let key = parse(&format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}"}}"#
    ))
    .unwrap();
    let want = serde_json::json!({"kty":"OKP","crv":"Ed25519","x":RFC8037_X});
    assert_eq!(serde_json::Value::Object(key.to_json()), want);
    // to_json output parses back into the same key.
    let members = <JwkMembers as Deserialize>::deserialize(&want).unwrap();
    assert_eq!(PublicJwk::from_members(&members), Ok(key));
}
