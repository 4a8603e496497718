//! Verification against a set: tokens signed for the real-world-shaped sets of the jwks tests,
//! then one row per refusal — header rules, key selection, the signature.
use super::*;
use crate::jose::b64;
use crate::jose::claims::{Audience, RegisteredClaims};
use crate::jose::jwk::PublicJwk;
use crate::jose::jwks::tests::{AUTH0, ENTRA, GOOGLE, KEYCLOAK};
use crate::jose::jwks::JwksLimits;
use crate::jose::keys::SigningKey;
use crate::jose::testdata;

fn set(json: &str) -> JwkSet {
    JwkSet::parse(json.as_bytes(), &JwksLimits::default()).unwrap()
}

fn rsa_key(alg: Alg) -> SigningKey {
    SigningKey::from_pem(testdata::RSA_PKCS8, Some(alg), None).unwrap()
}

fn ec_key() -> SigningKey {
    SigningKey::from_pem(testdata::EC_P256_PKCS8, Some(Alg::ES256), None).unwrap()
}

/// A compact JWS of `header` and `payload` signed by `key`, whatever the header says.
fn token(key: &SigningKey, header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(payload.as_bytes())
    );
    let sig = key.sign_raw(input.as_bytes()).unwrap();
    format!("{input}.{}", b64::encode(&sig))
}

fn header(alg: &str, kid: &str) -> String {
    format!(r#"{{"alg":"{alg}","kid":"{kid}","typ":"at+jwt"}}"#)
}

const PAYLOAD: &str =
    r#"{"iss":"https://issuer.example.com","aud":"https://rs.example.com","exp":1700000300}"#;

#[test]
fn tokens_verify_with_keys_of_real_world_shaped_sets() {
    let ed = SigningKey::from_pem(testdata::ED25519_PKCS8, Some(Alg::EdDSA), None).unwrap();
    let cases: Vec<(&str, &str, SigningKey, &str)> = vec![
        (
            "Google",
            GOOGLE,
            rsa_key(Alg::RS256),
            "b9ac601d131fd4ffd556ff032aab1888880cde3b",
        ),
        (
            "Auth0",
            AUTH0,
            rsa_key(Alg::RS256),
            "NjVBRjY5MDlCMUIwNzU4RTA2QzZFMDQ4QzQ2MDAyQjVDNjk1RTM2Qg",
        ),
        (
            "Entra ID RS256",
            ENTRA,
            rsa_key(Alg::RS256),
            "YW0Xd-MaS-3xCRUH7r5hdUFdJUo",
        ),
        (
            "Entra ID PS256 (no alg member)",
            ENTRA,
            rsa_key(Alg::PS256),
            "YW0Xd-MaS-3xCRUH7r5hdUFdJUo",
        ),
        (
            "Keycloak RS256",
            KEYCLOAK,
            rsa_key(Alg::RS256),
            "Lh6TlyJvNVg0K8ZC_1ZsJcW5Lo8lQwSfJh8iM4kbxdQ",
        ),
        (
            "Keycloak ES256",
            KEYCLOAK,
            ec_key(),
            "2WQh2D7YAhYfN6qEaeFMV2U5LvoQCgRbvEJ2eu2iXUU",
        ),
        (
            "Keycloak EdDSA",
            KEYCLOAK,
            ed,
            "r0eHqCQwWgFz0ucSFeFXmWmTJR6bnbYCBEYPkmsLJxo",
        ),
    ];
    for (description, json, key, kid) in cases {
        let jwt = token(&key, &header(key.alg().name(), kid), PAYLOAD);
        let verified = verify_jws(&jwt, &set(json), &Alg::ALL)
            .unwrap_or_else(|e| panic!("{description}: {e}"));
        assert_eq!(verified.kid.as_deref(), Some(kid), "{description}");
        assert_eq!(verified.alg, key.alg(), "{description}");
        assert_eq!(verified.typ.as_deref(), Some("at+jwt"), "{description}");
        assert_eq!(verified.payload, PAYLOAD.as_bytes(), "{description}");
    }
}

#[test]
fn a_leading_zero_modulus_verifies_like_the_canonical_one() {
    let json = include_str!("../testdata/jwks/signed_integers.json");
    let jwt = token(
        &rsa_key(Alg::RS256),
        &header("RS256", "rsa-signed"),
        PAYLOAD,
    );
    assert!(verify_jws(&jwt, &set(json), &[Alg::RS256]).is_ok());
}

#[test]
fn header_rules_refuse_before_any_key_is_used() {
    let key = rsa_key(Alg::RS256);
    let kid = "b9ac601d131fd4ffd556ff032aab1888880cde3b";
    let with = |extra: &str| format!(r#"{{"alg":"RS256","kid":"{kid}"{extra}}}"#);
    let not_allowed = |alg: &str| JwksVerifyError::AlgNotAllowed(alg.into());
    let cases: Vec<(&str, String, JwksVerifyError)> = vec![
        (
            "crit",
            with(r#","crit":["exp"],"exp":1"#),
            JwksVerifyError::ForbiddenHeader("crit"),
        ),
        (
            "jku",
            with(r#","jku":"https://attacker.example/jwks""#),
            JwksVerifyError::ForbiddenHeader("jku"),
        ),
        (
            "jwk",
            with(r#","jwk":{"kty":"EC"}"#),
            JwksVerifyError::ForbiddenHeader("jwk"),
        ),
        (
            "x5u",
            with(r#","x5u":"https://attacker.example/cert""#),
            JwksVerifyError::ForbiddenHeader("x5u"),
        ),
        (
            "x5c",
            with(r#","x5c":["MIIB"]"#),
            JwksVerifyError::ForbiddenHeader("x5c"),
        ),
        (
            "jku as null",
            with(r#","jku":null"#),
            JwksVerifyError::ForbiddenHeader("jku"),
        ),
        (
            "alg none",
            format!(r#"{{"alg":"none","kid":"{kid}"}}"#),
            not_allowed("none"),
        ),
        (
            "alg HS256",
            format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#),
            not_allowed("HS256"),
        ),
        (
            "alg ES512",
            format!(r#"{{"alg":"ES512","kid":"{kid}"}}"#),
            not_allowed("ES512"),
        ),
        (
            "alg in lower case",
            format!(r#"{{"alg":"rs256","kid":"{kid}"}}"#),
            not_allowed("rs256"),
        ),
        (
            "alg shown truncated",
            format!(r#"{{"alg":"{}","kid":"{kid}"}}"#, "A".repeat(100)),
            not_allowed(&"A".repeat(16)),
        ),
        (
            "alg missing",
            format!(r#"{{"kid":"{kid}"}}"#),
            JwksVerifyError::Malformed(JwsError::BadJson {
                part: "header",
                reason: "alg is missing".into(),
            }),
        ),
    ];
    let google = set(GOOGLE);
    for (description, header, want) in cases {
        let jwt = token(&key, &header, PAYLOAD);
        assert_eq!(
            verify_jws(&jwt, &google, &Alg::ALL),
            Err(want),
            "{description}"
        );
    }
    // A known alg outside the caller's allow-list, though the key would permit it.
    let jwt = token(&key, &header("RS256", kid), PAYLOAD);
    assert_eq!(
        verify_jws(&jwt, &google, &[Alg::ES256, Alg::PS256]),
        Err(not_allowed("RS256"))
    );
    // x5t is a certificate thumbprint, not a key: Entra ID sends it beside kid.
    let entra_kid = "YW0Xd-MaS-3xCRUH7r5hdUFdJUo";
    let header =
        format!(r#"{{"typ":"JWT","alg":"RS256","x5t":"{entra_kid}","kid":"{entra_kid}"}}"#);
    assert!(verify_jws(&token(&key, &header, PAYLOAD), &set(ENTRA), &Alg::ALL).is_ok());
}

#[test]
fn malformed_tokens_are_malformed() {
    let jwt = token(&ec_key(), &header("ES256", "k"), PAYLOAD);
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let enc = |json: &str| b64::encode(json.as_bytes());
    let cases = [
        String::new(),
        input.to_owned(),
        format!("{input}.{sig}.{sig}"),
        format!("{input}=.{sig}"),
        format!("{}.e30.{sig}", enc("[]")),
        format!("{}.e30.{sig}", enc(r#"{"alg":"ES256","alg":"none"}"#)),
        format!("{}.e30.{sig}", enc(r#"{"alg":"ES256","kid":1}"#)),
    ];
    for bad in cases {
        let got = verify_jws(&bad, &set(KEYCLOAK), &Alg::ALL);
        assert!(
            matches!(got, Err(JwksVerifyError::Malformed(_))),
            "{bad:?}: {got:?}"
        );
    }
}

/// RFC 8725 §2.1: a verifier that took `alg` from the token would check an HS256 MAC keyed
/// with the public key — which the attacker has. No [`Alg`] is a MAC, so it never gets that far.
#[test]
fn hmac_keyed_with_the_public_key_is_refused() {
    use ring::hmac;
    let google = set(GOOGLE);
    let PublicJwk::Rsa { n, .. } = google.keys()[0].key() else {
        panic!("RSA key expected")
    };
    let published: serde_json::Value = serde_json::from_str(GOOGLE).unwrap();
    let jwk_text = published["keys"][0].to_string();
    for secret in [n.as_slice(), jwk_text.as_bytes(), GOOGLE.as_bytes()] {
        let header = r#"{"alg":"HS256","kid":"b9ac601d131fd4ffd556ff032aab1888880cde3b"}"#;
        let input = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(PAYLOAD.as_bytes())
        );
        let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
        let forged = format!("{input}.{}", b64::encode(mac.as_ref()));
        assert_eq!(
            verify_jws(&forged, &google, &Alg::ALL),
            Err(JwksVerifyError::AlgNotAllowed("HS256".into()))
        );
    }
}

#[test]
fn keys_are_selected_by_kid() {
    let rsa = rsa_key(Alg::RS256);
    let ps = rsa_key(Alg::PS256);
    let ec = ec_key();
    let rsa_jwk = rsa.public().to_json();
    let ec_jwk = ec.public().to_json();
    let with = |jwk: &serde_json::Map<String, serde_json::Value>, extra: serde_json::Value| {
        let mut jwk = jwk.clone();
        jwk.extend(extra.as_object().unwrap().clone());
        serde_json::Value::Object(jwk)
    };
    let json = |keys: Vec<serde_json::Value>| serde_json::json!({ "keys": keys }).to_string();
    let named = set(&json(vec![
        with(&rsa_jwk, serde_json::json!({"kid":"rsa","alg":"RS256"})),
        with(&ec_jwk, serde_json::json!({"kid":"ec"})),
        with(&ec_jwk, serde_json::json!({"kid":"enc","use":"enc"})),
    ]));
    let one_unnamed = set(&json(vec![with(&ec_jwk, serde_json::json!({}))]));
    let two_unnamed = set(&json(vec![
        with(&ec_jwk, serde_json::json!({})),
        with(&ec_jwk, serde_json::json!({"kid":"x"})),
    ]));
    let mixed_unnamed = set(&json(vec![
        with(&rsa_jwk, serde_json::json!({})),
        with(&ec_jwk, serde_json::json!({})),
    ]));
    let empty = JwkSet::default();
    let no_kid = |alg: &str| format!(r#"{{"alg":"{alg}"}}"#);
    /// Description, set, header, signing key, and the `kid` verified or the refusal.
    type Row<'a> = (
        &'a str,
        &'a JwkSet,
        String,
        &'a SigningKey,
        Result<Option<&'a str>, JwksVerifyError>,
    );
    let cases: Vec<Row> = vec![
        (
            "kid found",
            &named,
            header("RS256", "rsa"),
            &rsa,
            Ok(Some("rsa")),
        ),
        (
            "kid unknown",
            &named,
            header("RS256", "other"),
            &rsa,
            Err(JwksVerifyError::UnknownKid),
        ),
        (
            "kid in another case",
            &named,
            header("RS256", "RSA"),
            &rsa,
            Err(JwksVerifyError::UnknownKid),
        ),
        (
            "kid of a skipped key",
            &named,
            header("ES256", "enc"),
            &ec,
            Err(JwksVerifyError::UnknownKid),
        ),
        (
            "alg other than the key's alg",
            &named,
            header("PS256", "rsa"),
            &ps,
            Err(JwksVerifyError::AlgKeyMismatch),
        ),
        (
            "alg of another key type",
            &named,
            header("RS256", "ec"),
            &rsa,
            Err(JwksVerifyError::AlgKeyMismatch),
        ),
        (
            "no kid, one key",
            &one_unnamed,
            no_kid("ES256"),
            &ec,
            Ok(None),
        ),
        (
            "no kid, two keys",
            &two_unnamed,
            no_kid("ES256"),
            &ec,
            Err(JwksVerifyError::KidRequired),
        ),
        (
            "no kid, one key fits the alg",
            &mixed_unnamed,
            no_kid("ES256"),
            &ec,
            Ok(None),
        ),
        (
            "no kid, no key fits the alg",
            &one_unnamed,
            no_kid("RS256"),
            &rsa,
            Err(JwksVerifyError::UnknownKid),
        ),
        (
            "no kid, in a named set",
            &named,
            no_kid("RS256"),
            &rsa,
            Ok(None),
        ),
        (
            "empty set",
            &empty,
            header("ES256", "ec"),
            &ec,
            Err(JwksVerifyError::UnknownKid),
        ),
    ];
    for (description, set, header, key, want) in cases {
        let jwt = token(key, &header, PAYLOAD);
        let got = verify_jws(&jwt, set, &Alg::ALL);
        assert_eq!(
            got.map(|v| v.kid),
            want.map(|k| k.map(str::to_owned)),
            "{description}"
        );
    }
}

#[test]
fn signatures_are_checked() {
    let ec = ec_key();
    let kid = "2WQh2D7YAhYfN6qEaeFMV2U5LvoQCgRbvEJ2eu2iXUU";
    let keycloak = set(KEYCLOAK);
    let good = token(&ec, &header("ES256", kid), PAYLOAD);
    let (input, sig) = good.rsplit_once('.').unwrap();
    let (head, _) = input.split_once('.').unwrap();
    let raw = b64::decode(sig).unwrap();
    let impostor = SigningKey::generate(Alg::ES256, Some(kid.into())).unwrap();
    let other_payload = PAYLOAD.replace("rs.example.com", "rs.example.org");
    let cases = [
        (
            "payload changed",
            format!("{head}.{}.{sig}", b64::encode(other_payload.as_bytes())),
        ),
        (
            "another key with the same kid",
            token(&impostor, &header("ES256", kid), PAYLOAD),
        ),
        (
            "signature truncated",
            format!("{input}.{}", b64::encode(&raw[..63])),
        ),
        (
            "signature zero",
            format!("{input}.{}", b64::encode(&[0; 64])),
        ),
    ];
    for (description, jwt) in cases {
        assert_eq!(
            verify_jws(&jwt, &keycloak, &Alg::ALL),
            Err(JwksVerifyError::BadSignature),
            "{description}"
        );
    }
    assert!(verify_jws(&good, &keycloak, &Alg::ALL).is_ok());
}

#[test]
fn a_parsed_token_is_matched_again_after_a_refresh() {
    let ec = ec_key();
    let kid = "2WQh2D7YAhYfN6qEaeFMV2U5LvoQCgRbvEJ2eu2iXUU";
    let jwt = token(&ec, &header("ES256", kid), PAYLOAD);
    let parsed = UnverifiedJws::parse(&jwt, &[Alg::ES256]).unwrap();
    assert_eq!(
        (parsed.alg(), parsed.kid(), parsed.typ()),
        (Alg::ES256, Some(kid), Some("at+jwt"))
    );
    assert_eq!(
        parsed.select(&set(GOOGLE)).err(),
        Some(JwksVerifyError::UnknownKid)
    );
    let keycloak = set(KEYCLOAK);
    let key = parsed.select(&keycloak).unwrap();
    let verified = parsed.verify_with(key).unwrap();
    let claims: RegisteredClaims = verified.claims().unwrap();
    assert_eq!(
        claims.aud,
        Some(Audience::One("https://rs.example.com".into()))
    );
    // A key chosen by hand that does not permit the alg is refused, not tried.
    let parsed = UnverifiedJws::parse(&jwt, &[Alg::ES256]).unwrap();
    let google = set(GOOGLE);
    assert_eq!(
        parsed.verify_with(&google.keys()[0]),
        Err(JwksVerifyError::AlgKeyMismatch)
    );
}
