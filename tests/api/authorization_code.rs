//! The `authorization_code` grant at `/auth/token` (RFC 6749 §4.1.3) after PAR or a direct
//! authorization request: PKCE (RFC 7636), codes bound by `dpop_jkt` or a proof at PAR
//! (RFC 9449 §10), single use with revocation on reuse, expiry at a pinned clock, and the
//! rotating DPoP-bound refresh tokens of public clients.
use crate::code_flow::*;
use crate::helpers::*;
use crate::resource::{introspect, introspection, resource_proof};
use dpopd::clock::UnixTime;
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::Alg;
use dpopd::oauth::grants::{self, GrantProblem, TokenCall, TokenError};
use dpopd::store::{contains, Namespace};
use serde_json::json;

#[tokio::test]
async fn par_with_dpop_then_authorization_issue_and_token_bind_every_step_to_one_key() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let (status, pushed) = app.post("/pushed_auth_req", &json!({
        "parameters": public_request(&[("scope", "read")]), "dpop": key.proof("POST", PAR_HTU),
    })).await;
    assert_eq!(status, 200);
    assert_eq!(pushed["action"], "CREATED", "{pushed}");
    assert_eq!(pushed["resultCode"], "A046001");
    assert_eq!(
        pushed["jkt"],
        key.jkt(),
        "the proof's key binds the request"
    );
    let body = content(&pushed);
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(
        request_uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{request_uri}"
    );
    assert_eq!(body["expires_in"], 60);

    let interaction = authorize(
        &app,
        &form(&[("client_id", PUBLIC), ("request_uri", &request_uri)]),
    )
    .await;
    assert_eq!(interaction["action"], "INTERACTION", "{interaction}");
    assert_eq!(interaction["resultCode"], "A004001");
    assert_eq!(interaction["clientId"], PUBLIC);
    assert_eq!(interaction["scopes"], json!([{ "name": "read" }]));
    assert_eq!(interaction["state"], "st-1");
    assert_eq!(interaction["redirectUri"], REDIRECT_URI);
    assert_eq!(interaction["dpopJkt"], key.jkt());
    assert_eq!(interaction["pushed"], true);

    let issued = issue(&app, interaction["ticket"].as_str().unwrap()).await;
    assert_eq!(issued["resultCode"], "A040001");
    let location = issued["responseContent"].as_str().unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT_URI}?")),
        "{location}"
    );
    let params = redirect_params(location);
    assert_eq!(params["state"], "st-1");
    assert_eq!(params["iss"], ISSUER, "RFC 9207 iss");
    assert_eq!(
        params["code"],
        issued["authorizationCode"].as_str().unwrap()
    );

    let token = redeem(&app, &params["code"], VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(token["action"], "OK", "{token}");
    assert_eq!(token["resultCode"], "A050001");
    assert_eq!(token["grantType"], "AUTHORIZATION_CODE");
    assert_eq!(token["subject"], "alice");
    assert_eq!(token["tokenType"], "DPoP");
    assert_eq!(
        claims(token["accessToken"].as_str().unwrap())["cnf"]["jkt"],
        key.jkt()
    );
    assert!(
        token["refreshToken"].is_string(),
        "the public client may refresh"
    );
}

#[tokio::test]
async fn a_code_bound_at_par_is_refused_with_another_key() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let (_, pushed) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": public_request(&[]), "dpop": key.proof("POST", PAR_HTU) }),
        )
        .await;
    let request_uri = content(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let code = code_for(
        &app,
        &form(&[("client_id", PUBLIC), ("request_uri", &request_uri)]),
    )
    .await;
    let thief = TestKey::new(Alg::ES256);
    let stolen = redeem(&app, &code, VERIFIER, Some(&thief.token_proof())).await;
    assert_eq!(content(&stolen)["error"], "invalid_grant");
    assert_eq!(stolen["resultCode"], "A050306");
}

#[tokio::test]
async fn dpop_jkt_in_the_authorization_request_binds_the_code() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::EdDSA);
    let code = code_for(&app, &public_request(&[("dpop_jkt", &key.jkt())])).await;
    let other = redeem(
        &app,
        &code,
        VERIFIER,
        Some(&TestKey::new(Alg::ES256).token_proof()),
    )
    .await;
    assert_eq!(other["resultCode"], "A050306", "{other}");
    let none = redeem(&app, &code, VERIFIER, None).await;
    assert_eq!(
        content(&none)["error"],
        "invalid_grant",
        "a bound code needs a proof"
    );
    let ok = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(
        ok["action"], "OK",
        "refused attempts consumed nothing: {ok}"
    );
    assert_eq!(ok["jkt"], key.jkt());
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_invalid_grant() {
    let app = spawn_app().await;
    let code = code_for(&app, &public_request(&[])).await;
    let wrong = redeem(&app, &code, &"w".repeat(43), None).await;
    assert_eq!(content(&wrong)["error"], "invalid_grant");
    assert_eq!(wrong["resultCode"], "A050305");
    let parameters = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("client_id", PUBLIC),
    ]);
    let (_, missing) = app
        .post("/auth/token", &json!({ "parameters": parameters }))
        .await;
    assert_eq!(
        missing["resultCode"], "A050305",
        "a code issued with a challenge needs a verifier"
    );
    assert_eq!(redeem(&app, &code, VERIFIER, None).await["action"], "OK");
}

#[tokio::test]
async fn a_reused_code_fails_and_revokes_the_tokens_it_produced() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let code = code_for(&app, &public_request(&[])).await;
    let first = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(first["action"], "OK", "{first}");
    let access_token = first["accessToken"].as_str().unwrap().to_owned();
    let gid = claims(&access_token)["gid"].as_str().unwrap().to_owned();
    let store = app.state.live().core.store.clone();
    assert!(
        !contains(store.as_ref(), Namespace::GrantRevoked, gid.as_bytes())
            .await
            .unwrap()
    );
    let at_resource = || {
        introspection(
            &access_token,
            "DPoP",
            Some(&resource_proof(&key, &access_token)),
        )
    };
    assert_eq!(introspect(&app, &at_resource()).await["action"], "OK");

    let second = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(content(&second)["error"], "invalid_grant");
    assert_eq!(second["resultCode"], "A050307");
    assert!(
        contains(store.as_ref(), Namespace::GrantRevoked, gid.as_bytes())
            .await
            .unwrap(),
        "the grant of the first redemption is revoked"
    );
    assert_eq!(
        introspect(&app, &at_resource()).await["resultCode"],
        "A056305",
        "and resource servers refuse it"
    );
    let refreshed = refresh(&app, first["refreshToken"].as_str().unwrap(), &key).await;
    assert_eq!(
        refreshed["resultCode"], "A053305",
        "the refresh family of the first redemption is revoked: {refreshed}"
    );
}

#[tokio::test]
async fn an_expired_code_is_refused_at_a_pinned_clock() {
    let app = spawn_app().await;
    let code = code_for(&app, &public_request(&[])).await;
    let parameters = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("code_verifier", VERIFIER),
        ("client_id", PUBLIC),
    ]);
    let call = || TokenCall {
        parameters: &parameters,
        ..TokenCall::default()
    };
    let at = |secs| UnixTime::now().plus(secs);
    let late = grants::token(&app.state.live().core, call(), at(61)).await;
    assert_eq!(
        late.result.unwrap_err(),
        TokenError::InvalidGrant(GrantProblem::CodeExpired),
        "60 s is the default lifetime"
    );
    let in_time = grants::token(&app.state.live().core, call(), at(30)).await;
    assert!(in_time.result.is_ok(), "the late attempt consumed nothing");
}

#[tokio::test]
async fn refresh_tokens_from_a_code_rotate_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let code = code_for(&app, &public_request(&[])).await;
    let issued = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    let rt1 = issued["refreshToken"].as_str().unwrap().to_owned();
    let thief = refresh(&app, &rt1, &TestKey::new(Alg::ES256)).await;
    assert_eq!(
        thief["resultCode"], "A053303",
        "the refresh token is bound to the key"
    );
    let rotated = refresh(&app, &rt1, &key).await;
    assert_eq!(rotated["action"], "OK", "{rotated}");
    let rt2 = rotated["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2, "public clients' refresh tokens rotate");
    assert_eq!(
        refresh(&app, &rt1, &key).await["resultCode"],
        "A053304",
        "reuse of the rotated token"
    );
    assert_eq!(
        refresh(&app, &rt2, &key).await["resultCode"],
        "A053305",
        "the whole family is revoked"
    );
}

#[tokio::test]
async fn a_code_survives_a_use_dpop_nonce_answer() {
    let mut settings = test_settings();
    settings.dpop.nonce_required = true;
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let code = code_for(&app, &public_request(&[("dpop_jkt", &key.jkt())])).await;
    let challenge = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(content(&challenge)["error"], "use_dpop_nonce");
    let nonce = challenge["dpopNonce"].as_str().unwrap();
    let proof = key.proof_with(
        "POST",
        TOKEN_HTU,
        UnixTime::now(),
        &ProofClaims {
            nonce: Some(nonce),
            ..Default::default()
        },
    );
    let ok = redeem(&app, &code, VERIFIER, Some(&proof)).await;
    assert_eq!(ok["action"], "OK", "{ok}");
}

#[tokio::test]
async fn a_confidential_client_pushes_authenticates_and_must_repeat_its_redirect_uri() {
    let app = spawn_app().await;
    let parameters = form(&[
        ("response_type", "code"),
        ("redirect_uri", WEB_REDIRECT_URIS[1]),
        ("scope", "write"),
    ]);
    let (_, wrong) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": parameters, "clientId": WEB.0, "clientSecret": "nope" }),
        )
        .await;
    assert_eq!(
        (wrong["action"].as_str(), wrong["resultCode"].as_str()),
        (Some("UNAUTHORIZED"), Some("A046301"))
    );
    assert_eq!(content(&wrong)["error"], "invalid_client");
    let (_, pushed) = app
        .post(
            "/api/pushed_auth_req",
            &json!({ "parameters": parameters, "clientId": WEB.0, "clientSecret": WEB.1 }),
        )
        .await;
    assert_eq!(pushed["action"], "CREATED", "{pushed}");
    let request_uri = content(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let interaction = authorize(
        &app,
        &form(&[("client_id", WEB.0), ("request_uri", &request_uri)]),
    )
    .await;
    let code = redirect_params(
        issue(&app, interaction["ticket"].as_str().unwrap()).await["responseContent"]
            .as_str()
            .unwrap(),
    )["code"]
        .clone();
    let token = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        pairs.extend_from_slice(extra);
        json!({ "parameters": form(&pairs), "clientId": WEB.0, "clientSecret": WEB.1 })
    };
    let (_, without) = app.post("/auth/token", &token(&[])).await;
    assert_eq!(
        without["resultCode"], "A050304",
        "RFC 6749 §4.1.3: the request named redirect_uri, so must the token request"
    );
    let (_, other) = app
        .post(
            "/auth/token",
            &token(&[("redirect_uri", WEB_REDIRECT_URIS[0])]),
        )
        .await;
    assert_eq!(other["resultCode"], "A050304");
    let (_, ok) = app
        .post(
            "/auth/token",
            &token(&[("redirect_uri", WEB_REDIRECT_URIS[1])]),
        )
        .await;
    assert_eq!(ok["action"], "OK", "{ok}");
    assert_eq!(ok["scopes"], json!(["write"]));
    assert_eq!(ok["tokenType"], "Bearer");
}
