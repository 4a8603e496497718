//! The `fapi2` client profile (FAPI 2.0 Security Profile §5.3.2, README "FAPI 2.0") through
//! the API: a compliant flow — PAR with a DPoP proof, `private_key_jwt`, PKCE and
//! `redirect_uri`, then authorization, issue, the code and a refresh, each with a proof — and
//! one refusal per rule, with its result code and OAuth error.
use crate::code_flow::{authorize, form, issue, redirect_params, CHALLENGE, ISSUER, VERIFIER};
use crate::helpers::*;
use crate::private_key_jwt::{assertion, authenticated, claims, jwks_value, key, with};
use dpopd::clock::UnixTime;
use dpopd::config::{ClientSettings, InlineJwks, Settings};
use dpopd::jose::{Alg, SigningKey};
use dpopd::oauth::clients::{AuthMethod, GrantType};
use dpopd::oauth::code::CodeRecord;
use dpopd::oauth::fapi2::Profile;
use serde_json::{json, Value};

const FAPI: &str = "fapi2-client";
const FAPI_REDIRECT: &str = "https://fapi.example.com/cb";

/// The test settings with `FAPI`, whose assertions `key` signs, and lifetimes longer than the
/// profile allows: the profile's caps must win.
fn settings(key: &SigningKey) -> Settings {
    let mut s = test_settings();
    s.tokens.code_lifetime_secs = 600;
    s.tokens.request_uri_lifetime_secs = 3600;
    s.service.client_assertion_audiences = vec![TOKEN_HTU.into()];
    s.clients.push(ClientSettings {
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        redirect_uris: vec![FAPI_REDIRECT.into()],
        jwks: Some(InlineJwks(jwks_value(&[key]))),
        profile: Profile::Fapi2,
        ..client(FAPI, None, AuthMethod::PrivateKeyJwt)
    });
    s
}

/// A compliant pushed request, without the pairs named in `drop`, with `extra` added.
fn request(drop: &[&str], extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", FAPI),
        ("redirect_uri", FAPI_REDIRECT),
        ("scope", "read"),
        ("state", "st-f"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    pairs.retain(|(name, _)| !drop.contains(name));
    pairs.extend_from_slice(extra);
    form(&pairs)
}

/// `parameters` with a fresh assertion of `FAPI` signed by `key`.
fn signed(key: &SigningKey, parameters: &str) -> String {
    format!(
        "{parameters}&{}",
        authenticated(&assertion(key, &claims(FAPI)))
    )
}

async fn push(app: &TestApp, parameters: String, dpop: Option<String>) -> Value {
    let (status, answer) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": parameters, "dpop": dpop }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn token(app: &TestApp, parameters: String, dpop: Option<String>) -> Value {
    let (status, answer) = app
        .post(
            "/auth/token",
            &json!({ "parameters": parameters, "dpop": dpop }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// The action, result code and OAuth error of a refusal.
fn outcome(answer: &Value) -> [String; 3] {
    let error = answer["responseContent"]
        .as_str()
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .map(|c| c["error"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    [
        answer["action"].as_str().unwrap_or_default().to_owned(),
        answer["resultCode"].as_str().unwrap_or_default().to_owned(),
        error,
    ]
}

/// PAR (with a proof by `dpop`) → authorization → issue: the code.
async fn code(app: &TestApp, assertion_key: &SigningKey, dpop: &TestKey) -> String {
    let pushed = push(
        app,
        signed(assertion_key, &request(&[], &[])),
        Some(dpop.proof("POST", PAR_HTU)),
    )
    .await;
    assert_eq!(pushed["action"], "CREATED", "{pushed}");
    let request_uri = content(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let interaction = authorize(
        app,
        &form(&[("client_id", FAPI), ("request_uri", &request_uri)]),
    )
    .await;
    assert_eq!(interaction["action"], "INTERACTION", "{interaction}");
    let issued = issue(app, interaction["ticket"].as_str().unwrap()).await;
    redirect_params(issued["responseContent"].as_str().unwrap())["code"].clone()
}

fn redemption(code: &str) -> String {
    form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", VERIFIER),
        ("redirect_uri", FAPI_REDIRECT),
    ])
}

#[tokio::test]
async fn a_compliant_fapi2_flow_runs_from_par_to_a_refresh_with_dpop_bound_tokens() {
    let k = key("f1");
    let app = spawn_app_with(settings(&k)).await;
    let dpop = TestKey::new(Alg::ES256);

    let pushed = push(
        &app,
        signed(&k, &request(&[], &[])),
        Some(dpop.proof("POST", PAR_HTU)),
    )
    .await;
    assert_eq!(
        (pushed["action"].as_str(), pushed["resultCode"].as_str()),
        (Some("CREATED"), Some("A046001")),
        "{pushed}"
    );
    assert_eq!(pushed["jkt"], dpop.jkt(), "the proof binds the code");
    let body = content(&pushed);
    assert_eq!(
        body["expires_in"], 599,
        "FAPI 2.0 §5.3.2.2: under 600 s, whatever tokens.request_uri_lifetime_secs says"
    );
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();

    let interaction = authorize(
        &app,
        &form(&[("client_id", FAPI), ("request_uri", &request_uri)]),
    )
    .await;
    assert_eq!(interaction["action"], "INTERACTION", "{interaction}");
    assert_eq!(interaction["dpopJkt"], dpop.jkt());
    let issued = issue(&app, interaction["ticket"].as_str().unwrap()).await;
    let location = issued["responseContent"].as_str().unwrap();
    assert!(
        location.starts_with(&format!("{FAPI_REDIRECT}?")),
        "{location}"
    );
    let params = redirect_params(location);
    assert_eq!(params["iss"], ISSUER, "RFC 9207 iss in the response");
    assert_eq!(params["state"], "st-f");
    let code = params["code"].clone();
    let core = &app.state.live().core;
    let record = CodeRecord::open(&core.sealer, &code, UnixTime::now()).expect("code");
    assert_eq!(
        record.exp - record.iat,
        60,
        "FAPI 2.0 §5.3.2.2: at most 60 s, whatever tokens.code_lifetime_secs says"
    );

    let answer = token(
        &app,
        signed(&k, &redemption(&code)),
        Some(dpop.token_proof()),
    )
    .await;
    assert_eq!(answer["resultCode"], "A050001", "{answer}");
    assert_eq!(answer["tokenType"], "DPoP");
    let refresh_token = answer["refreshToken"].as_str().expect("refresh").to_owned();

    let refreshed = token(
        &app,
        signed(
            &k,
            &form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token),
            ]),
        ),
        Some(dpop.token_proof()),
    )
    .await;
    assert_eq!(refreshed["resultCode"], "A053001", "{refreshed}");
    assert_eq!(refreshed["tokenType"], "DPoP");
    assert_eq!(
        refreshed["refreshToken"], refresh_token,
        "FAPI 2.0 §5.3.2.1: no rotation for a confidential client"
    );
}

#[tokio::test]
async fn each_broken_request_rule_at_par_is_refused_with_its_own_code() {
    let k = key("f1");
    let app = spawn_app_with(settings(&k)).await;
    let dpop = TestKey::new(Alg::ES256);
    let proof = || Some(dpop.proof("POST", PAR_HTU));
    let cases = [
        (
            "no redirect_uri, though only one is registered",
            request(&["redirect_uri"], &[]),
            proof(),
            ["BAD_REQUEST", "A004317", "invalid_request"],
        ),
        (
            "no PKCE",
            request(&["code_challenge", "code_challenge_method"], &[]),
            proof(),
            ["BAD_REQUEST", "A004318", "invalid_request"],
        ),
        (
            "PKCE plain",
            request(
                &["code_challenge_method"],
                &[("code_challenge_method", "plain")],
            ),
            proof(),
            ["BAD_REQUEST", "A004307", "invalid_request"],
        ),
        (
            "neither a DPoP proof nor dpop_jkt",
            request(&[], &[]),
            None,
            ["BAD_REQUEST", "A046305", "invalid_request"],
        ),
        (
            "a DPoP proof signed with RS256, outside FAPI 2.0 §5.4.1",
            request(&[], &[]),
            Some(TestKey::rsa(Alg::RS256).proof("POST", PAR_HTU)),
            ["BAD_REQUEST", "A254301", "invalid_dpop_proof"],
        ),
        (
            "response_type other than code",
            request(&["response_type"], &[("response_type", "code id_token")]),
            proof(),
            ["BAD_REQUEST", "A004305", "unsupported_response_type"],
        ),
    ];
    for (description, parameters, dpop, expected) in cases {
        let answer = push(&app, signed(&k, &parameters), dpop).await;
        assert_eq!(outcome(&answer), expected, "{description}: {answer}");
    }
    let bound_by_jkt = push(
        &app,
        signed(&k, &request(&[], &[("dpop_jkt", &dpop.jkt())])),
        None,
    )
    .await;
    assert_eq!(
        bound_by_jkt["action"], "CREATED",
        "dpop_jkt alone binds the code"
    );
}

#[tokio::test]
async fn a_request_that_is_not_pushed_is_redirected_with_its_own_code() {
    let k = key("f1");
    let app = spawn_app_with(settings(&k)).await;
    let answer = authorize(&app, &request(&[], &[])).await;
    assert_eq!(answer["action"], "LOCATION", "{answer}");
    assert_eq!(answer["resultCode"], "A004316");
    let params = redirect_params(answer["responseContent"].as_str().unwrap());
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["iss"], ISSUER);
}

#[tokio::test]
async fn a_token_request_without_a_proof_is_refused_for_the_code_and_the_refresh() {
    let k = key("f1");
    let app = spawn_app_with(settings(&k)).await;
    let dpop = TestKey::new(Alg::ES256);
    let code = code(&app, &k, &dpop).await;
    let refused = token(&app, signed(&k, &redemption(&code)), None).await;
    assert_eq!(
        outcome(&refused),
        ["BAD_REQUEST", "A051312", "invalid_request"],
        "{refused}"
    );
    let answer = token(
        &app,
        signed(&k, &redemption(&code)),
        Some(dpop.token_proof()),
    )
    .await;
    assert_eq!(
        answer["resultCode"], "A050001",
        "the refusal spent nothing: {answer}"
    );
    let refresh = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", answer["refreshToken"].as_str().unwrap()),
    ]);
    let refused = token(&app, signed(&k, &refresh), None).await;
    assert_eq!(
        outcome(&refused),
        ["BAD_REQUEST", "A051312", "invalid_request"],
        "{refused}"
    );
}

#[tokio::test]
async fn client_authentication_is_private_key_jwt_with_the_issuer_as_a_string_aud() {
    let k = key("f1");
    let app = spawn_app_with(settings(&k)).await;
    let dpop = TestKey::new(Alg::ES256);
    let code = code(&app, &k, &dpop).await;
    let redeem = |credentials: String| {
        token(
            &app,
            format!("{}&{credentials}", redemption(&code)),
            Some(dpop.token_proof()),
        )
    };
    let cases = [
        (
            "the issuer in a one-member array",
            authenticated(&assertion(&k, &with(FAPI, json!({ "aud": [ISSUER] })))),
            "A063310",
        ),
        (
            "the token endpoint, configured in client_assertion_audiences",
            authenticated(&assertion(&k, &with(FAPI, json!({ "aud": TOKEN_HTU })))),
            "A063310",
        ),
        ("no assertion", format!("client_id={FAPI}"), "A051305"),
    ];
    for (description, credentials, code) in cases {
        let refused = redeem(credentials).await;
        assert_eq!(
            outcome(&refused),
            ["INVALID_CLIENT", code, "invalid_client"],
            "{description}: {refused}"
        );
    }
    let answer = redeem(authenticated(&assertion(&k, &claims(FAPI)))).await;
    assert_eq!(answer["resultCode"], "A050001", "{answer}");
}
