//! Unit tests of `jose::keyset`.
use super::*;
use crate::jose::b64;
use crate::jose::jws::JwsError;
use crate::jose::keys::VerifyError;
use crate::jose::testdata;

fn key_set() -> (KeySet, SigningKey) {
    let active = SigningKey::generate(Alg::ES256, Some("active".into())).unwrap();
    let old =
        SigningKey::from_pem(testdata::RSA_PKCS8, Some(Alg::PS256), Some("old".into())).unwrap();
    let ed = SigningKey::generate(Alg::EdDSA, None).unwrap();
    let verify_only = vec![
        ("old".to_owned(), Alg::PS256, old.public().clone()),
        (ed.kid().to_owned(), Alg::EdDSA, ed.public().clone()),
    ];
    (KeySet::new(active, verify_only), old)
}

/// `header` and `payload` with the signature `key` made over a different header: the
/// header is what an attacker would rewrite.
fn rewritten_header(key: &SigningKey, header: &str, payload: &str) -> String {
    let token = key.sign_compact("JWT", payload.as_bytes()).unwrap();
    let sig = token.rsplit_once('.').unwrap().1;
    format!(
        "{}.{}.{sig}",
        b64::encode(header.as_bytes()),
        b64::encode(payload.as_bytes())
    )
}

#[test]
fn verifies_active_and_verify_only_keys() {
    let (set, old) = key_set();
    let token = set
        .active()
        .sign_compact("at+jwt", br#"{"sub":"a"}"#)
        .unwrap();
    let jwt = set.verify(&token).unwrap();
    assert_eq!(
        (jwt.kid.as_str(), jwt.typ.as_deref()),
        ("active", Some("at+jwt"))
    );
    assert_eq!(jwt.payload, br#"{"sub":"a"}"#);
    let token = old.sign_compact("JWT", b"{}").unwrap();
    let jwt = set.verify(&token).unwrap();
    assert_eq!((jwt.kid.as_str(), jwt.typ.as_deref()), ("old", Some("JWT")));
}

#[test]
fn refuses_bad_tokens() {
    let (set, old) = key_set();
    let active = set.active();
    let good = active.sign_compact("at+jwt", br#"{"sub":"a"}"#).unwrap();
    let (input, sig) = good.rsplit_once('.').unwrap();
    let (header, _) = input.split_once('.').unwrap();
    let stranger = SigningKey::generate(Alg::ES256, Some("stranger".into())).unwrap();
    let impostor = SigningKey::generate(Alg::ES256, Some("active".into())).unwrap();
    let enc = |json: &str| b64::encode(json.as_bytes());
    let payload = enc(r#"{"sub":"a"}"#);
    let short = b64::encode(&b64::decode(sig).unwrap()[..61]);
    let cases: Vec<(String, VerifyError)> = vec![
        // kid
        (
            stranger.sign_compact("at+jwt", b"{}").unwrap(),
            VerifyError::UnknownKid,
        ),
        (
            format!("{}.{payload}.{sig}", enc(r#"{"alg":"ES256"}"#)),
            VerifyError::UnknownKid,
        ),
        (
            format!(
                "{}.{payload}.{sig}",
                enc(r#"{"alg":"ES256","kid":"ACTIVE"}"#)
            ),
            VerifyError::UnknownKid,
        ),
        // alg must be the key's
        (
            format!(
                "{}.{payload}.{sig}",
                enc(r#"{"alg":"none","kid":"active"}"#)
            ),
            VerifyError::AlgMismatch,
        ),
        (
            format!("{}.{payload}.", enc(r#"{"alg":"none","kid":"active"}"#)),
            VerifyError::Jws(JwsError::NotCompact),
        ),
        (
            format!(
                "{}.{payload}.{sig}",
                enc(r#"{"alg":"HS256","kid":"active"}"#)
            ),
            VerifyError::AlgMismatch,
        ),
        (
            format!(
                "{}.{payload}.{sig}",
                enc(r#"{"alg":"ES384","kid":"active"}"#)
            ),
            VerifyError::AlgMismatch,
        ),
        (
            format!("{}.{payload}.{sig}", enc(r#"{"kid":"active"}"#)),
            VerifyError::AlgMismatch,
        ),
        (
            format!("{}.{payload}.{sig}", enc(r#"{"alg":"RS256","kid":"old"}"#)),
            VerifyError::AlgMismatch,
        ),
        // signature
        (
            format!("{header}.{}.{sig}", enc(r#"{"sub":"b"}"#)),
            VerifyError::BadSignature,
        ),
        (
            format!("{header}.{payload}.{short}"),
            VerifyError::BadSignature,
        ),
        (
            rewritten_header(&old, r#"{"alg":"PS256","kid":"old","typ":"x"}"#, "{}"),
            VerifyError::BadSignature,
        ),
        (
            impostor.sign_compact("at+jwt", br#"{"sub":"a"}"#).unwrap(),
            VerifyError::BadSignature,
        ),
        // structure
        (
            format!(
                "{}.{payload}.{sig}",
                enc(r#"{"alg":"ES256","kid":"active","crit":["exp"]}"#)
            ),
            VerifyError::Jws(JwsError::BadJson {
                part: "header",
                reason: "crit names extensions that are not supported".into(),
            }),
        ),
        ("a.b".into(), VerifyError::Jws(JwsError::NotCompact)),
        (
            format!("{header}.{payload}={sig}"),
            VerifyError::Jws(JwsError::NotCompact),
        ),
        (
            format!("{header}=.{payload}.{sig}"),
            VerifyError::Jws(JwsError::BadBase64("header")),
        ),
    ];
    for (i, (token, want)) in cases.into_iter().enumerate() {
        assert_eq!(set.verify(&token).unwrap_err(), want, "case {i}: {token}");
    }
    // A duplicated header member is a JSON error, not a second chance at `alg`.
    let dup = format!(
        "{}.{payload}.{sig}",
        enc(r#"{"alg":"ES256","kid":"active","alg":"none"}"#)
    );
    assert!(matches!(
        set.verify(&dup),
        Err(VerifyError::Jws(JwsError::BadJson { part: "header", .. }))
    ));
}

#[test]
fn jwks_lists_active_key_first() {
    let (set, old) = key_set();
    let jwks = set.jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0], set.active().public_jwk());
    assert_eq!(keys[1], old.public_jwk());
    assert_eq!(keys[2]["kty"], "OKP");
    assert_eq!(keys[2]["alg"], "EdDSA");
    assert_eq!(keys[2]["use"], "sig");
    assert!(keys
        .iter()
        .all(|k| k.get("d").is_none() && k["kid"].is_string()));
}
