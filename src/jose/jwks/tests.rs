//! JWK Set reading: sets shaped like those Google, Auth0, Okta, Keycloak and Microsoft Entra
//! ID publish (member names, order and extra members as their public documentation shows;
//! the key values are the jose test keys and fresh keys, the `x5c` certificates self-signed
//! test certificates), then one row per reason a key or a set is refused.
use super::*;
use crate::jose::jwk::tests::{RFC7638_N, RFC9449_X, RFC9449_Y};
use crate::jose::jwk::JwkError;

pub(crate) const GOOGLE: &str = include_str!("../testdata/jwks/google.json");
pub(crate) const AUTH0: &str = include_str!("../testdata/jwks/auth0.json");
pub(crate) const OKTA: &str = include_str!("../testdata/jwks/okta.json");
pub(crate) const KEYCLOAK: &str = include_str!("../testdata/jwks/keycloak.json");
pub(crate) const ENTRA: &str = include_str!("../testdata/jwks/entra.json");
/// Big integers as an encoder of signed integers writes them: RSA `n` with a leading zero
/// octet, an EC `x` shortened by its leading zero octet (`x_full` is the canonical form,
/// carried for the test).
const SIGNED_INTEGERS: &str = include_str!("../testdata/jwks/signed_integers.json");

fn parse(json: &str) -> Result<JwkSet, JwksError> {
    JwkSet::parse(json.as_bytes(), &JwksLimits::default())
}

fn kids(set: &JwkSet) -> Vec<&str> {
    set.keys().iter().filter_map(VerificationKey::kid).collect()
}

#[test]
fn real_world_sets_keep_their_signature_keys() {
    let cases: [(&str, &str, &[&str], Option<Alg>); 5] = [
        (
            "Google",
            GOOGLE,
            &[
                "b9ac601d131fd4ffd556ff032aab1888880cde3b",
                "89ce3598c473af1bda4bff95e6c8736450206fba",
            ],
            Some(Alg::RS256),
        ),
        (
            "Auth0",
            AUTH0,
            &["NjVBRjY5MDlCMUIwNzU4RTA2QzZFMDQ4QzQ2MDAyQjVDNjk1RTM2Qg"],
            Some(Alg::RS256),
        ),
        (
            "Okta",
            OKTA,
            &[
                "sZ4JIsvYrRthWcHzfFX0pxHAdDr0Mq4oEj1Q2U4mZ9g",
                "Y8Ex7vC62FNp0Xe3uCUXzL9w1qbqNW2q81sJyxz3sAE",
            ],
            Some(Alg::RS256),
        ),
        (
            "Entra ID (no alg member)",
            ENTRA,
            &["WP9zQTRBZVXhhIfHb7yEeuqQ1qE", "YW0Xd-MaS-3xCRUH7r5hdUFdJUo"],
            None,
        ),
        (
            "Keycloak (RS256 after the encryption key)",
            KEYCLOAK,
            &["Lh6TlyJvNVg0K8ZC_1ZsJcW5Lo8lQwSfJh8iM4kbxdQ"],
            Some(Alg::RS256),
        ),
    ];
    for (provider, json, want_kids, want_alg) in cases {
        let set = parse(json).unwrap_or_else(|e| panic!("{provider}: {e}"));
        let rsa: Vec<&VerificationKey> = set
            .keys()
            .iter()
            .filter(|k| matches!(k.key(), PublicJwk::Rsa { .. }))
            .collect();
        let rsa_kids: Vec<&str> = rsa.iter().filter_map(|k| k.kid()).collect();
        assert_eq!(rsa_kids, want_kids, "{provider}");
        assert!(rsa.iter().all(|k| k.alg() == want_alg), "{provider}");
        assert!(
            rsa.iter().all(|k| k.key().rsa_bits() == Some(2048)),
            "{provider}"
        );
    }
}

#[test]
fn keycloak_set_skips_its_encryption_key_and_keeps_ec_and_okp_keys() {
    let set = parse(KEYCLOAK).unwrap();
    assert_eq!(
        kids(&set),
        [
            "Lh6TlyJvNVg0K8ZC_1ZsJcW5Lo8lQwSfJh8iM4kbxdQ",
            "2WQh2D7YAhYfN6qEaeFMV2U5LvoQCgRbvEJ2eu2iXUU",
            "r0eHqCQwWgFz0ucSFeFXmWmTJR6bnbYCBEYPkmsLJxo",
        ]
    );
    let algs: Vec<Option<Alg>> = set.keys().iter().map(VerificationKey::alg).collect();
    assert_eq!(algs, [Some(Alg::RS256), Some(Alg::ES256), Some(Alg::EdDSA)]);
    assert_eq!(
        set.skipped(),
        [SkippedKey {
            index: 0,
            kid: Some("xrnqBdQ2-3J3r4dTG9w0nW8wKXzVtHgP3sZtnB2jg4I".into()),
            reason: SkipReason::Encryption,
        }]
    );
}

#[test]
fn leading_zero_octets_are_read_as_the_same_key() {
    let set = parse(SIGNED_INTEGERS).unwrap();
    assert!(set.skipped().is_empty(), "{:?}", set.skipped());
    let doc: Value = serde_json::from_str(SIGNED_INTEGERS).unwrap();
    // RSA: the modulus without its zero octet is the RS256 key of Google's set.
    let google = parse(GOOGLE).unwrap();
    assert_eq!(set.keys()[0].key(), google.keys()[0].key());
    let sent_n = b64::decode(doc["keys"][0]["n"].as_str().unwrap()).unwrap();
    assert_eq!((sent_n[0], sent_n.len()), (0, 257));
    // EC: the shortened coordinate is padded back to 32 octets.
    let PublicJwk::Ec { x, .. } = set.keys()[1].key() else {
        panic!("EC key expected")
    };
    assert_eq!(
        b64::encode(x),
        doc["keys"][1]["x_full"].as_str().unwrap(),
        "x is the full-length coordinate"
    );
    assert_eq!(
        b64::decode(doc["keys"][1]["x"].as_str().unwrap())
            .unwrap()
            .len(),
        31
    );
}

fn ec_p256(extra: &str) -> String {
    format!(r#"{{"kty":"EC","crv":"P-256","x":"{RFC9449_X}","y":"{RFC9449_Y}"{extra}}}"#)
}

/// The RFC 7638 modulus with the exponent `e`.
fn rsa_e(e: &[u8]) -> String {
    format!(
        r#"{{"kty":"RSA","n":"{RFC7638_N}","e":"{}"}}"#,
        b64::encode(e)
    )
}

fn rsa(extra: &str) -> String {
    format!(r#"{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB"{extra}}}"#)
}

#[test]
fn unusable_keys_are_skipped_with_their_reason() {
    let rsa_1024 = b64::encode(&[0xc5; 128]);
    let padded_x = format!("{RFC9449_X}=");
    let cases: Vec<(&str, String, SkipReason)> = vec![
        (
            "EC private key",
            ec_p256(r#","d":"AAAA""#),
            SkipReason::Key(JwkError::PrivateMember("d")),
        ),
        (
            "RSA private key",
            rsa(r#","d":"AA","p":"AA","q":"AA""#),
            SkipReason::Key(JwkError::PrivateMember("d")),
        ),
        (
            "private and for encryption",
            rsa(r#","use":"enc","qi":"AA""#),
            SkipReason::Key(JwkError::PrivateMember("qi")),
        ),
        (
            "symmetric key",
            r#"{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}"#.into(),
            SkipReason::Key(JwkError::PrivateMember("k")),
        ),
        ("use enc", rsa(r#","use":"enc""#), SkipReason::Encryption),
        (
            "use unknown",
            rsa(r#","use":"tls""#),
            SkipReason::UnknownUse,
        ),
        (
            "key_ops without verify",
            rsa(r#","key_ops":["encrypt","wrapKey"]"#),
            SkipReason::NoVerifyOp,
        ),
        (
            "key_ops sign only",
            ec_p256(r#","key_ops":["sign"]"#),
            SkipReason::NoVerifyOp,
        ),
        (
            "alg RSA-OAEP without use",
            rsa(r#","alg":"RSA-OAEP""#),
            SkipReason::UnsupportedAlg,
        ),
        (
            "alg HS256 on an RSA key",
            rsa(r#","alg":"HS256""#),
            SkipReason::UnsupportedAlg,
        ),
        (
            "alg none",
            ec_p256(r#","alg":"none""#),
            SkipReason::UnsupportedAlg,
        ),
        (
            "alg in another case",
            ec_p256(r#","alg":"es256""#),
            SkipReason::UnsupportedAlg,
        ),
        (
            "alg ES256 on an RSA key",
            rsa(r#","alg":"ES256""#),
            SkipReason::AlgKeyMismatch,
        ),
        (
            "alg ES384 on a P-256 key",
            ec_p256(r#","alg":"ES384""#),
            SkipReason::AlgKeyMismatch,
        ),
        (
            "alg RS256 on an EC key",
            ec_p256(r#","alg":"RS256""#),
            SkipReason::AlgKeyMismatch,
        ),
        (
            "RSA 1024",
            format!(r#"{{"kty":"RSA","n":"{rsa_1024}","e":"AQAB"}}"#),
            SkipReason::RsaSize { bits: 1024 },
        ),
        (
            "RSA exponent of 41 bits",
            rsa_e(&[1, 0, 0, 0, 0, 1]),
            SkipReason::Key(JwkError::InvalidKey),
        ),
        (
            "RSA exponent of 34 bits",
            rsa_e(&[2, 0, 0, 0, 1]),
            SkipReason::Key(JwkError::InvalidKey),
        ),
        (
            "no kty",
            r#"{"kid":"k","n":"AQAB"}"#.into(),
            SkipReason::Key(JwkError::MissingKty),
        ),
        (
            "P-521",
            r#"{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}"#.into(),
            SkipReason::Key(JwkError::UnsupportedCurve),
        ),
        (
            "X25519",
            format!(r#"{{"kty":"OKP","crv":"X25519","x":"{RFC9449_X}"}}"#),
            SkipReason::Key(JwkError::UnsupportedCurve),
        ),
        (
            "off the curve",
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{RFC9449_Y}","y":"{RFC9449_X}"}}"#),
            SkipReason::Key(JwkError::PointNotOnCurve),
        ),
        (
            "padded base64",
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{padded_x}","y":"{RFC9449_Y}"}}"#),
            SkipReason::Key(JwkError::BadEncoding("x")),
        ),
        (
            "EC coordinate too long",
            format!(
                r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{RFC9449_Y}"}}"#,
                b64::encode(&[1; 33])
            ),
            SkipReason::Key(JwkError::NonCanonical("x")),
        ),
    ];
    for (description, bad, want) in cases {
        // A good key beside the bad one stays usable: one key never fails the set.
        let json = format!(r#"{{"keys":[{bad},{}]}}"#, ec_p256(r#","kid":"good""#));
        let set = parse(&json).unwrap_or_else(|e| panic!("{description}: {e}"));
        assert_eq!(kids(&set), ["good"], "{description}");
        assert_eq!(set.skipped().len(), 1, "{description}");
        assert_eq!(set.skipped()[0].reason, want, "{description}");
        assert_eq!(set.skipped()[0].index, 0, "{description}");
    }
}

#[test]
fn mistyped_entries_are_skipped_as_malformed() {
    for bad in [
        r#""a string""#,
        r#"["EC","P-256"]"#,
        "null",
        r#"{"kty":"EC","kid":7}"#,
        r#"{"kty":"EC","crv":"P-256","x":1}"#,
        r#"{"kty":"RSA","key_ops":"verify"}"#,
        r#"{"kty":"RSA","use":["sig"]}"#,
    ] {
        let json = format!(r#"{{"keys":[{bad},{}]}}"#, ec_p256(r#","kid":"good""#));
        let set = parse(&json).unwrap();
        assert_eq!(kids(&set), ["good"], "{bad}");
        assert!(
            matches!(set.skipped()[0].reason, SkipReason::Malformed(_)),
            "{bad}: {:?}",
            set.skipped()
        );
    }
}

#[test]
fn usable_keys_keep_use_key_ops_and_alg() {
    let json = format!(
        r#"{{"keys":[{},{},{}]}}"#,
        ec_p256(r#","kid":"a","use":"sig","alg":"ES256""#),
        rsa(
            r#","kid":"b","key_ops":["verify","sign"],"x5c":["MIIB"],"x5t":"abc","x5u":"https://x""#
        ),
        rsa(r#","kid":"c","alg":"PS384""#),
    );
    let set = parse(&json).unwrap();
    assert_eq!(kids(&set), ["a", "b", "c"]);
    let [a, b, c] = set.keys() else {
        panic!("three keys")
    };
    assert!(a.permits(Alg::ES256) && !a.permits(Alg::ES384));
    assert!(b.alg().is_none());
    for alg in Alg::ALL {
        let rsa_alg = alg.name().starts_with("RS") || alg.name().starts_with("PS");
        assert_eq!(b.permits(alg), rsa_alg, "{alg}");
        assert_eq!(c.permits(alg), alg == Alg::PS384, "{alg}");
    }
    // ring's largest exponent, 2^33 - 1, and 2^32 + 1 are usable.
    for e in [[1u8, 255, 255, 255, 255], [1, 0, 0, 0, 1]] {
        let set = parse(&format!(r#"{{"keys":[{}]}}"#, rsa_e(&e))).unwrap();
        assert_eq!((set.len(), set.skipped()), (1, &[][..]), "{e:?}");
    }
}

#[test]
fn a_kid_repeats_only_for_different_algorithms() {
    // RFC 7517 §4.5: one kid for keys of different types is allowed.
    let json = format!(
        r#"{{"keys":[{},{},{},{}]}}"#,
        ec_p256(r#","kid":"k""#),
        rsa(r#","kid":"k""#),
        rsa(r#","kid":"k","alg":"RS256""#),
        ec_p256(r#","kid":"p","alg":"ES256""#),
    );
    let set = parse(&json).unwrap();
    assert_eq!(kids(&set), ["k", "k", "p"]);
    assert_eq!(
        set.skipped(),
        [SkippedKey {
            index: 2,
            kid: Some("k".into()),
            reason: SkipReason::DuplicateKid
        }]
    );
}

#[test]
fn whole_sets_are_refused_only_for_their_shape_and_bounds() {
    let limits = JwksLimits {
        max_bytes: 4096,
        max_keys: 3,
    };
    let key = ec_p256("");
    let three = format!(r#"{{"keys":[{key},{key},{key}]}}"#);
    let four = format!(r#"{{"keys":[{key},{key},{key},"x"]}}"#);
    let big = format!(r#"{{"keys":[],"pad":"{}"}}"#, "a".repeat(4096));
    let cases: Vec<(&str, &str, Option<JwksError>)> = vec![
        ("three keys", &three, None),
        ("no keys", r#"{"keys":[]}"#, None),
        ("other members", r#"{"keys":[],"issuer":"x"}"#, None),
        (
            "four entries",
            &four,
            Some(JwksError::TooManyKeys { count: 4, limit: 3 }),
        ),
        ("too large", &big, Some(JwksError::TooLarge { limit: 4096 })),
        ("an array", "[]", Some(JwksError::NotASet)),
        ("keys missing", "{}", Some(JwksError::NotASet)),
        ("keys an object", r#"{"keys":{}}"#, Some(JwksError::NotASet)),
        ("keys null", r#"{"keys":null}"#, Some(JwksError::NotASet)),
        ("a single JWK", &key, Some(JwksError::NotASet)),
    ];
    for (description, json, want) in cases {
        let got = JwkSet::parse(json.as_bytes(), &limits);
        assert_eq!(got.err(), want, "{description}");
    }
    for not_json in ["", "<html>", r#"{"keys":[]"#, r#"{"keys":[]} x"#] {
        let got = JwkSet::parse(not_json.as_bytes(), &limits);
        assert!(matches!(got, Err(JwksError::NotJson(_))), "{not_json:?}");
    }
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let got = JwkSet::parse(deep.as_bytes(), &limits);
    assert!(matches!(got, Err(JwksError::NotJson(_))), "recursion limit");
}
