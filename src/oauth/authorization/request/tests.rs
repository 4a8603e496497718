use super::*;
use crate::config::{ClientSettings, Secret};
use crate::dpop::proof::AlgSet;
use crate::jose::Alg;
use crate::oauth::clients::ClientRegistry;
use crate::oauth::clients::{AuthMethod, GrantType};

const CB: &str = "https://app.example.com/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

fn registry() -> ClientRegistry {
    let public = ClientSettings {
        client_id: "pub".into(),
        client_secret: None,
        client_secret_sha256: None,
        auth_method: AuthMethod::None,
        grant_types: vec![GrantType::AuthorizationCode],
        scopes: vec!["read".into(), "write".into()],
        redirect_uris: vec![CB.into()],
        dpop_bound_access_tokens: false,
        dpop_algs: vec![],
        dpop_nonce_required: false,
        require_par: false,
        audience: vec![],
        id_token_signed_response_alg: crate::jose::Alg::ES256,
        userinfo_signed_response_alg: None,
        jwks: None,
        jwks_uri: None,
        auth_signing_algs: crate::config::default_auth_signing_algs(),
        profile: crate::oauth::fapi2::Profile::None,
    };
    let web = ClientSettings {
        client_id: "web".into(),
        client_secret: Some(Secret::new("s")),
        auth_method: AuthMethod::ClientSecretBasic,
        redirect_uris: vec![CB.into(), "https://app.example.com/other?x=1".into()],
        ..public.clone()
    };
    let par_only = ClientSettings {
        client_id: "par".into(),
        require_par: true,
        ..public.clone()
    };
    let cc_only = ClientSettings {
        client_id: "cc".into(),
        grant_types: vec![GrantType::ClientCredentials],
        ..web.clone()
    };
    let sources = crate::remote_keys::KeySources::default();
    ClientRegistry::new(
        &[public, web, par_only, cc_only],
        AlgSet::of(Alg::ALL),
        &sources,
    )
    .expect("registry")
}

fn run(client: &str, query: &str, endpoint: Endpoint) -> Result<AuthRequest, Refusal> {
    let registry = registry();
    let client = registry.get(client).unwrap();
    validate(client, &Params::parse(query).unwrap(), endpoint)
}

fn pkce() -> String {
    format!("response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256")
}

#[test]
fn a_minimal_public_request_defaults_redirect_uri_and_scopes() {
    let request = run(
        "pub",
        &format!("{}&state=xyz&dpop_jkt={JKT}&prompt=login+consent", pkce()),
        Endpoint::Authorization,
    )
    .unwrap();
    assert_eq!(request.redirect_uri, CB);
    assert!(!request.redirect_uri_given);
    assert_eq!(request.scopes, vec!["read", "write"]);
    assert_eq!(request.state.as_deref(), Some("xyz"));
    assert_eq!(
        request.code_challenge.as_ref().map(CodeChallenge::as_str),
        Some(CHALLENGE)
    );
    assert_eq!(request.dpop_jkt.as_ref().map(Jkt::as_str), Some(JKT));
    assert_eq!(request.prompts, vec![Prompt::Login, Prompt::Consent]);
}

#[test]
fn untrusted_redirect_uris_are_not_redirected() {
    let cases = [
        (
            "not registered",
            "pub",
            format!("{}&redirect_uri=https://evil.example.com/cb", pkce()),
            Untrusted::RedirectUriMismatch,
        ),
        (
            "a trailing slash is another URI",
            "pub",
            format!("{}&redirect_uri={CB}/", pkce()),
            Untrusted::RedirectUriMismatch,
        ),
        (
            "several registered, none sent",
            "web",
            "response_type=code".to_owned(),
            Untrusted::RedirectUriMissing,
        ),
    ];
    for (why, client, query, expected) in cases {
        assert_eq!(
            run(client, &query, Endpoint::Authorization),
            Err(Refusal::Untrusted(expected)),
            "{why}"
        );
    }
    let chosen = run(
        "web",
        "response_type=code&redirect_uri=https://app.example.com/other?x=1",
        Endpoint::Authorization,
    )
    .unwrap();
    assert!(chosen.redirect_uri_given);
}

#[test]
fn problems_with_a_trusted_request_name_their_parameter() {
    let cases: Vec<(&str, &str, String, Endpoint, Problem)> = vec![
        (
            "no response_type",
            "pub",
            "state=s".into(),
            Endpoint::Authorization,
            Problem::ResponseTypeMissing,
        ),
        (
            "implicit flow",
            "pub",
            "response_type=token".into(),
            Endpoint::Authorization,
            Problem::ResponseTypeUnsupported,
        ),
        (
            "client without the grant",
            "cc",
            format!("response_type=code&redirect_uri={CB}"),
            Endpoint::Authorization,
            Problem::UnauthorizedClient,
        ),
        (
            "scope beyond the client's",
            "pub",
            format!("{}&scope=admin", pkce()),
            Endpoint::Authorization,
            Problem::ScopeNotAllowed,
        ),
        (
            "malformed scope",
            "pub",
            format!("{}&scope=a%22b", pkce()),
            Endpoint::Authorization,
            Problem::BadScope,
        ),
        (
            "257 scope values",
            "pub",
            format!("{}&scope={}", pkce(), vec!["read"; 257].join("+")),
            Endpoint::Pushed,
            Problem::TooManyScopes,
        ),
        (
            "public client without PKCE",
            "pub",
            "response_type=code".into(),
            Endpoint::Authorization,
            Problem::Pkce(PkceError::Required),
        ),
        (
            "plain PKCE",
            "pub",
            format!("response_type=code&code_challenge={CHALLENGE}&code_challenge_method=plain"),
            Endpoint::Authorization,
            Problem::Pkce(PkceError::PlainRefused),
        ),
        (
            "short dpop_jkt",
            "pub",
            format!("{}&dpop_jkt=abc", pkce()),
            Endpoint::Authorization,
            Problem::BadDpopJkt,
        ),
        (
            "client must push",
            "par",
            pkce(),
            Endpoint::Authorization,
            Problem::ParRequired,
        ),
        (
            "request_uri inside PAR",
            "pub",
            format!("{}&request_uri=urn:x", pkce()),
            Endpoint::Pushed,
            Problem::RequestUriNotAllowed,
        ),
        (
            "request object",
            "pub",
            format!("{}&request=eyJ", pkce()),
            Endpoint::Authorization,
            Problem::RequestObjectUnsupported,
        ),
        (
            "prompt none with login",
            "pub",
            format!("{}&prompt=none+login", pkce()),
            Endpoint::Authorization,
            Problem::BadPrompt,
        ),
        (
            "unknown prompt",
            "pub",
            format!("{}&prompt=maybe", pkce()),
            Endpoint::Authorization,
            Problem::BadPrompt,
        ),
        (
            "fragment response mode",
            "pub",
            format!("{}&response_mode=fragment", pkce()),
            Endpoint::Authorization,
            Problem::ResponseModeUnsupported,
        ),
    ];
    for (why, client, query, endpoint, expected) in cases {
        match run(client, &query, endpoint) {
            Err(Refusal::Problem { problem, to }) => {
                assert_eq!(problem, expected, "{why}");
                assert_eq!(to.redirect_uri, CB, "{why}");
            }
            other => panic!("{why}: {other:?}"),
        }
    }
    assert!(
        run("par", &pkce(), Endpoint::Pushed).is_ok(),
        "a PAR-only client may push"
    );
}

#[test]
fn an_overlong_state_is_refused_without_being_echoed() {
    let query = format!("{}&state={}", pkce(), "s".repeat(MAX_STATE_CHARS + 1));
    match run("pub", &query, Endpoint::Authorization) {
        Err(Refusal::Problem {
            problem: Problem::StateTooLong,
            to,
        }) => assert_eq!(to.state, None),
        other => panic!("{other:?}"),
    }
}

/// RFC 6749 Appendix A.5: `state = 1*VSCHAR`. The refusal is redirected, without the state.
#[test]
fn a_state_outside_printable_ascii_is_refused_without_being_echoed() {
    let cases = [
        ("a line feed", "ab%0Acd"),
        ("the last control character below space", "%1F"),
        ("DEL", "ab%7F"),
        ("a non-ASCII character", "caf%C3%A9"),
    ];
    for (why, state) in cases {
        match run(
            "pub",
            &format!("{}&state={state}", pkce()),
            Endpoint::Authorization,
        ) {
            Err(Refusal::Problem {
                problem: Problem::StateMalformed,
                to,
            }) => {
                assert_eq!(to.state, None, "{why}");
                assert_eq!(to.redirect_uri, CB, "{why}");
            }
            other => panic!("{why}: {other:?}"),
        }
    }
}

#[test]
fn a_state_of_every_printable_ascii_character_is_accepted_unchanged() {
    let state: String = (0x20..=0x7E_u8).map(char::from).collect();
    let encoded: String = form_urlencoded::byte_serialize(state.as_bytes()).collect();
    let request = run(
        "pub",
        &format!("{}&state={encoded}", pkce()),
        Endpoint::Authorization,
    )
    .unwrap();
    assert_eq!(request.state.as_deref(), Some(state.as_str()));
}

#[test]
fn error_redirects_carry_state_and_iss_and_keep_the_query() {
    let to = ErrorTarget {
        redirect_uri: "https://app.example.com/cb?x=1".into(),
        state: Some("a b&c".into()),
    };
    assert_eq!(
        to.location("https://as.example.com", "access_denied", "The user denied."),
        "https://app.example.com/cb?x=1&error=access_denied&error_description=The+user+denied.&state=a+b%26c&iss=https%3A%2F%2Fas.example.com"
    );
    assert_eq!(
        redirect_location("https://a.example/cb?", &[("code", "c")]),
        "https://a.example/cb?code=c"
    );
    assert_eq!(
        redirect_location("https://a.example/cb", &[("code", "c")]),
        "https://a.example/cb?code=c"
    );
}
