//! Unit tests of `oauth::authorization::ticket`.
use super::*;

#[test]
fn every_reason_maps_to_an_oauth_error_with_a_valid_description() {
    let reasons: Vec<FailReason> = serde_json::from_str(
        r#"["UNKNOWN","NOT_LOGGED_IN","MAX_AGE_NOT_SUPPORTED","EXCEEDS_MAX_AGE","DIFFERENT_SUBJECT",
            "ACR_NOT_SATISFIED","DENIED","SERVER_ERROR","NOT_AUTHENTICATED","ACCOUNT_SELECTION_REQUIRED",
            "CONSENT_REQUIRED","INTERACTION_REQUIRED","INVALID_TARGET","TEMPORARILY_UNAVAILABLE"]"#,
    )
    .unwrap();
    for reason in reasons {
        let (error, description) = reason.error();
        assert!(is_description(description), "{reason:?}");
        assert!(
            error.bytes().all(|b| b == b'_' || b.is_ascii_lowercase()),
            "{reason:?}"
        );
    }
    assert_eq!(FailReason::Denied.error().0, "access_denied");
    assert_eq!(FailReason::NotLoggedIn.error().0, "login_required");
}

#[test]
fn descriptions_are_limited_to_the_rfc_6749_character_set() {
    assert!(is_description("The user said no."));
    assert!(!is_description("quote \" inside"));
    assert!(!is_description("back\\slash"));
    assert!(!is_description("newline\n"));
    assert!(!is_description("é"));
    assert!(!is_description(&"a".repeat(MAX_DESCRIPTION_CHARS + 1)));
}
