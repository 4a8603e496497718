//! Unit tests of `api::answer`.
use super::*;
use crate::jose::Alg;

#[test]
fn challenges_are_rfc9110_auth_params() {
    let algs = AlgSet::of([Alg::ES256, Alg::EdDSA]);
    let params = [
        ("error", "invalid_token"),
        ("error_description", "The access token is invalid."),
    ];
    assert_eq!(
        challenge(TokenType::DPoP, &params, algs),
        r#"DPoP error="invalid_token", error_description="The access token is invalid.", algs="ES256 EdDSA""#
    );
    assert_eq!(
        challenge(TokenType::Bearer, &params, algs),
        r#"Bearer error="invalid_token", error_description="The access token is invalid.""#
    );
    assert_eq!(
        challenge(TokenType::DPoP, &[], algs),
        r#"DPoP algs="ES256 EdDSA""#
    );
}

#[test]
fn quoted_strings_escape_quotes_and_backslashes_and_drop_controls() {
    let mut out = String::new();
    push_quoted(&mut out, "a\"b\\c\r\nd\u{7f}é");
    assert_eq!(out, r#""a\"b\\cd""#);
}

/// A refusal's body follows its kind: the JSON error, the challenge (none for a dpopd
/// failure, a bare one without an error code), the redirect.
#[test]
fn each_body_is_written_from_the_refusal() {
    #[derive(Debug)]
    struct Fixed(Refusal);
    impl std::fmt::Display for Fixed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("detail\r\nforged")
        }
    }
    impl Refuse for Fixed {
        fn refusal(&self) -> Refusal {
            self.0
        }
    }
    let algs = AlgSet::of([Alg::ES256]);
    let invalid = Fixed(Refusal::new(
        Action::Unauthorized,
        ResultCode::AccessTokenInvalid,
        "invalid_token",
        "The access token is invalid.",
    ));
    let challenge_with = |error: &Fixed, scheme, bearer| {
        refuse(
            Api::Introspection,
            error,
            Body::Challenge {
                scheme,
                bearer,
                algs,
                scope: None,
            },
        )
        .response_content
    };
    let challenge_of = |error: &Fixed, scheme| challenge_with(error, scheme, true);
    assert_eq!(
        challenge_of(&invalid, TokenType::Bearer).as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="The access token is invalid.""#)
    );
    let bare = Fixed(Refusal {
        error: None,
        ..invalid.0
    });
    assert_eq!(
        challenge_of(&bare, TokenType::Bearer).as_deref(),
        Some(r#"Bearer, DPoP algs="ES256""#)
    );
    // A DPoP-only resource offers no Bearer scheme (RFC 9449 §7.1).
    assert_eq!(
        challenge_with(&bare, TokenType::DPoP, false).as_deref(),
        Some(r#"DPoP algs="ES256""#)
    );
    let server = Fixed(Refusal::server(ResultCode::IntrospectionStoreUnavailable));
    assert_eq!(challenge_of(&server, TokenType::DPoP), None);
    let json = refuse(Api::Token, &invalid, Body::Json);
    assert_eq!(
        json.response_content.as_deref(),
        Some(r#"{"error":"invalid_token","error_description":"The access token is invalid."}"#)
    );
    assert_eq!(json.action, Action::Unauthorized);
    assert_eq!(
        json.result_message,
        "[A056302] The access token is not a valid token of this service. detail\\r\\nforged"
    );
}
