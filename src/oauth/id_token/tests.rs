//! Unit tests of `oauth::id_token`: the request's parameters, which claims the caller may
//! release, and the minted token.
use super::*;
use crate::jose::SigningKey;
use std::collections::HashMap;

fn request(pairs: &[(&str, &str)]) -> Result<OidcRequest, OidcProblem> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    OidcRequest::parse(|name| map.get(name).map(String::as_str))
}

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const NOW: UnixTime = UnixTime(1_700_000_000);

#[test]
fn the_parameters_are_read_and_bounded() {
    let parsed = request(&[
        ("nonce", "n-123"),
        ("max_age", "300"),
        ("acr_values", "urn:a urn:b"),
        (
            "claims",
            r#"{"id_token":{"birthdate":{"essential":true}},"userinfo":{"picture":null}}"#,
        ),
        ("login_hint", "alice@example.com"),
        ("ui_locales", "fr-CA en"),
    ])
    .unwrap();
    assert_eq!(parsed.nonce.as_deref(), Some("n-123"));
    assert_eq!(parsed.max_age, Some(300));
    assert_eq!(parsed.acr_values, ["urn:a", "urn:b"]);
    assert_eq!(parsed.id_token_claims, ["birthdate"]);
    assert_eq!(parsed.userinfo_claims, ["picture"]);
    assert_eq!(parsed.ui_locales, ["fr-CA", "en"]);
    assert_eq!(request(&[]).unwrap(), OidcRequest::default());
}

#[test]
fn malformed_parameters_are_refused_one_rule_each() {
    let long_nonce = "n".repeat(MAX_NONCE_CHARS + 1);
    let huge_claims = format!(
        r#"{{"id_token":{{"{}":null}}}}"#,
        "x".repeat(MAX_CLAIMS_PARAM_BYTES)
    );
    for (pairs, problem) in [
        (vec![("nonce", long_nonce.as_str())], OidcProblem::BadNonce),
        (vec![("nonce", "caf\u{e9}")], OidcProblem::BadNonce),
        (vec![("max_age", "-1")], OidcProblem::BadMaxAge),
        (vec![("max_age", "ten")], OidcProblem::BadMaxAge),
        (vec![("claims", "[1]")], OidcProblem::BadClaims),
        (
            vec![("claims", r#"{"id_token":[]}"#)],
            OidcProblem::BadClaims,
        ),
        (vec![("claims", "{")], OidcProblem::BadClaims),
        (
            vec![("claims", huge_claims.as_str())],
            OidcProblem::BadClaims,
        ),
        (vec![("login_hint", "a\tb")], OidcProblem::BadHint),
    ] {
        assert_eq!(request(&pairs), Err(problem), "{pairs:?}");
    }
}

#[test]
fn requested_claims_come_from_scopes_and_the_claims_parameter_once_each() {
    let parsed = request(&[("claims", r#"{"id_token":{"email":null,"birthdate":null}}"#)]).unwrap();
    let names = parsed.requested_claims(&scopes(&["openid", "email"]));
    assert_eq!(names, ["email", "email_verified", "birthdate"]);
}

fn input(claims: &str) -> AuthenticationInput<'_> {
    AuthenticationInput {
        auth_time: Some(NOW.secs() - 60),
        acr: Some("urn:mace:incommon:iap:silver"),
        amr: vec!["pwd".into(), "otp".into()],
        sid: Some("s-1"),
        claims: Some(claims),
    }
}

#[test]
fn only_the_claims_the_request_asked_for_are_kept_and_registered_ones_never() {
    let parsed = request(&[
        ("nonce", "n"),
        ("claims", r#"{"id_token":{"birthdate":null}}"#),
    ])
    .unwrap();
    let given = r#"{"email":"a@example.com","birthdate":"2000-01-01","phone_number":"+1","iss":"https://evil.example","sub":"mallory","nonce":"other"}"#;
    let a = Authentication::new(&parsed, &scopes(&["openid", "email"]), input(given), NOW).unwrap();
    let mut kept: Vec<&str> = a.claims.keys().map(String::as_str).collect();
    kept.sort();
    assert_eq!(kept, ["birthdate", "email"]);
    assert_eq!(
        a.nonce.as_deref(),
        Some("n"),
        "the request's nonce, not the caller's"
    );
    assert_eq!(a.for_refresh().nonce, None);
    assert_eq!(a.for_refresh().auth_time, a.auth_time);
}

#[test]
fn the_callers_account_is_checked() {
    let parsed = OidcRequest::default();
    let openid = scopes(&["openid"]);
    let mut future = input("{}");
    future.auth_time = Some(NOW.secs() + 1);
    assert_eq!(
        Authentication::new(&parsed, &openid, future, NOW),
        Err(AuthenticationProblem::BadAuthTime)
    );
    let mut empty_acr = input("{}");
    empty_acr.acr = Some("");
    assert_eq!(
        Authentication::new(&parsed, &openid, empty_acr, NOW),
        Err(AuthenticationProblem::BadValue)
    );
    assert_eq!(
        Authentication::new(&parsed, &openid, input("[1]"), NOW),
        Err(AuthenticationProblem::BadClaims)
    );
}

#[test]
fn the_id_token_is_signed_by_the_key_of_the_clients_alg_with_every_claim() {
    let es = SigningKey::generate(Alg::ES256, Some("es".into())).unwrap();
    let ed = SigningKey::generate(Alg::EdDSA, Some("ed".into())).unwrap();
    let ed_public = (ed.kid().to_owned(), ed.alg(), ed.public().clone());
    let keys = KeySet::new(es, vec![ed_public]).with_signers(vec![ed]);
    let parsed = request(&[
        ("nonce", "n-1"),
        ("claims", r#"{"id_token":{"birthdate":null}}"#),
    ])
    .unwrap();
    let a = Authentication::new(
        &parsed,
        &scopes(&["openid"]),
        input(r#"{"birthdate":"2000-01-01"}"#),
        NOW,
    )
    .unwrap();
    for (alg, kid) in [(Alg::ES256, "es"), (Alg::EdDSA, "ed")] {
        let to = Audience {
            issuer: "https://as.example",
            client_id: "client-1",
            subject: "alice",
            alg,
            lifetime_secs: 600,
        };
        let token = mint(&keys, to, &a, NOW).unwrap();
        let verified = keys.verify(&token).unwrap();
        assert_eq!(verified.kid, kid);
        let claims: Value = serde_json::from_slice(&verified.payload).unwrap();
        assert_eq!(claims["iss"], "https://as.example");
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["aud"], "client-1");
        assert_eq!(claims["azp"], "client-1");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["exp"], NOW.secs() + 600);
        assert_eq!(claims["auth_time"], NOW.secs() - 60);
        assert_eq!(claims["acr"], "urn:mace:incommon:iap:silver");
        assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));
        assert_eq!(claims["sid"], "s-1");
        assert_eq!(claims["birthdate"], "2000-01-01");
    }
    let ps = Audience {
        issuer: "i",
        client_id: "c",
        subject: "s",
        alg: Alg::PS256,
        lifetime_secs: 600,
    };
    assert_eq!(
        mint(&keys, ps, &a, NOW),
        Err(IdTokenError::NoKey(Alg::PS256))
    );
}
