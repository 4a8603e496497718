//! Unit tests of `api::refusals`.
use super::*;
use crate::oauth::authorization::RequestUriProblem;

/// RFC 6749 §4.1.2.1: `error_description` travels in the redirect the client sees.
fn is_description(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

#[test]
fn redirected_errors_use_only_rfc_6749_characters() {
    let problems = [
        Problem::ResponseTypeMissing,
        Problem::ResponseTypeUnsupported,
        Problem::UnauthorizedClient,
        Problem::BadScope,
        Problem::TooManyScopes,
        Problem::ScopeNotAllowed,
        Problem::Pkce(PkceError::Required),
        Problem::Pkce(PkceError::PlainRefused),
        Problem::Pkce(PkceError::BadChallenge),
        Problem::BadDpopJkt,
        Problem::ParRequired,
        Problem::RequestUriNotAllowed,
        Problem::RequestObjectUnsupported,
        Problem::BadPrompt,
        Problem::ResponseModeUnsupported,
        Problem::StateTooLong,
        Problem::StateMalformed,
    ];
    let untrusted = [
        Untrusted::MissingClientId,
        Untrusted::RedirectUriMismatch,
        Untrusted::RequestUri(RequestUriProblem::Used),
    ];
    let mapped = problems
        .iter()
        .map(problem)
        .chain(untrusted.iter().map(self::untrusted));
    for refusal in mapped {
        let error = refusal.error.unwrap_or_default();
        assert!(
            is_description(refusal.description)
                && error.bytes().all(|b| b == b'_' || b.is_ascii_lowercase()),
            "{}",
            refusal.code.code()
        );
    }
}
