//! Unit tests of `oauth::pkce`.
use super::*;

// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[test]
fn rfc7636_appendix_b_s256_verifier_matches_its_challenge() {
    let challenge = CodeChallenge::from_request(Some(CHALLENGE), Some("S256"))
        .unwrap()
        .unwrap();
    assert_eq!(challenge.verify(VERIFIER), Ok(()));
    assert_eq!(check(Some(&challenge), Some(VERIFIER)), Ok(()));
}

#[test]
fn authorization_request_refusals() {
    let cases: &[(&str, Option<&str>, Option<&str>, PkceError)] = &[
        (
            "plain named explicitly",
            Some(CHALLENGE),
            Some("plain"),
            PkceError::PlainRefused,
        ),
        (
            "no method means plain (RFC 7636 §4.3)",
            Some(CHALLENGE),
            None,
            PkceError::PlainRefused,
        ),
        (
            "unknown method",
            Some(CHALLENGE),
            Some("S512"),
            PkceError::UnknownMethod,
        ),
        (
            "method alone",
            None,
            Some("S256"),
            PkceError::MethodWithoutChallenge,
        ),
        (
            "challenge too short",
            Some("abc"),
            Some("S256"),
            PkceError::BadChallenge,
        ),
        (
            "challenge not base64url",
            Some(&"+".repeat(43)),
            Some("S256"),
            PkceError::BadChallenge,
        ),
    ];
    for (why, challenge, method, expected) in cases {
        assert_eq!(
            CodeChallenge::from_request(*challenge, *method),
            Err(*expected),
            "{why}"
        );
    }
    assert_eq!(CodeChallenge::from_request(None, None), Ok(None));
}

#[test]
fn token_request_refusals() {
    let challenge = CodeChallenge::from_request(Some(CHALLENGE), Some("S256"))
        .unwrap()
        .unwrap();
    let other = "x".repeat(43);
    let cases: &[(&str, Option<&CodeChallenge>, Option<&str>, VerifierError)] = &[
        (
            "wrong verifier",
            Some(&challenge),
            Some(&other),
            VerifierError::Mismatch,
        ),
        (
            "no verifier",
            Some(&challenge),
            None,
            VerifierError::Missing,
        ),
        (
            "verifier too short",
            Some(&challenge),
            Some("short"),
            VerifierError::Malformed,
        ),
        (
            "verifier with a forbidden character",
            Some(&challenge),
            Some(&"a+".repeat(22)),
            VerifierError::Malformed,
        ),
        (
            "verifier for a code without challenge",
            None,
            Some(VERIFIER),
            VerifierError::Unexpected,
        ),
    ];
    for (why, challenge, verifier, expected) in cases {
        assert_eq!(check(*challenge, *verifier), Err(*expected), "{why}");
    }
    assert_eq!(check(None, None), Ok(()));
}
