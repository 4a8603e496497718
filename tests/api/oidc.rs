//! OpenID Connect on the code flow (OIDC Core §3.1): the request's parameters reach the
//! caller's login page, the caller's account of the authentication and the claims it gives
//! become the ID token of the code, and a refresh brings a new one (§12.2).
use crate::code_flow::*;
use crate::helpers::*;
use dpopd::jose::{Alg, SigningKey};
use serde_json::{json, Value};

async fn oidc_app() -> TestApp {
    let mut settings = test_settings();
    for client in &mut settings.clients {
        client
            .scopes
            .extend(["openid", "email", "profile", "phone"].map(String::from));
    }
    spawn_app_with(settings).await
}

/// Authorization request → `INTERACTION` answer.
async fn interaction(app: &TestApp, extra: &[(&str, &str)]) -> Value {
    let answer = authorize(app, &public_request(extra)).await;
    assert_eq!(answer["action"], "INTERACTION", "{answer}");
    answer
}

async fn issue_with(app: &TestApp, ticket: &str, fields: Value) -> Value {
    let mut body = json!({ "ticket": ticket, "subject": "alice" });
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    let (status, answer) = app.post("/auth/authorization/issue", &body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

const GIVEN: &str = r#"{"email":"alice@example.com","email_verified":true,"birthdate":"2000-01-01","phone_number":"+15550100","iss":"https://evil.example","nonce":"forged","sub":"mallory"}"#;

/// The code flow of the public client with `extra` request parameters; the issue call gives
/// `GIVEN` and an authentication account. Returns the token answer.
async fn tokens(app: &TestApp, extra: &[(&str, &str)], key: &TestKey) -> Value {
    let answer = interaction(app, extra).await;
    let issued = issue_with(
        app,
        answer["ticket"].as_str().unwrap(),
        json!({ "authTime": 1_700_000_000, "acr": "urn:example:loa:2", "amr": ["pwd", "otp"], "sid": "sess-1", "claims": GIVEN }),
    )
    .await;
    assert_eq!(issued["action"], "LOCATION", "{issued}");
    let code = redirect_params(issued["responseContent"].as_str().unwrap())["code"].clone();
    let answer = redeem(app, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(answer["action"], "OK", "{answer}");
    answer
}

/// Verifies `id_token` with the service's published keys and returns its header and claims.
async fn verified(app: &TestApp, id_token: &str) -> (Value, Value) {
    let (_, jwks) = app.get("/service/jwks").await;
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    let set = dpopd::jose::jwks::JwkSet::parse(
        jwks.to_string().as_bytes(),
        &dpopd::jose::jwks::JwksLimits::default(),
    )
    .expect("the service JWKS parses");
    let jws = dpopd::jose::jwks_verify::UnverifiedJws::parse(
        id_token,
        &[Alg::ES256, Alg::EdDSA, Alg::PS256],
    )
    .expect("an ID token");
    let key = jws.select(&set).expect("signed by a published key");
    let verified = jws.verify_with(key).expect("the signature verifies");
    let header = dpopd::jose::CompactJws::parse(id_token)
        .unwrap()
        .header_as::<Value>()
        .unwrap();
    (header, serde_json::from_slice(&verified.payload).unwrap())
}

#[tokio::test]
async fn the_interaction_answer_carries_the_openid_parameters() {
    let app = oidc_app().await;
    let answer = interaction(
        &app,
        &[
            ("scope", "openid email"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("max_age", "300"),
            ("acr_values", "urn:example:loa:2 urn:example:loa:1"),
            ("login_hint", "alice@example.com"),
            ("ui_locales", "fr-CA en"),
            (
                "claims",
                r#"{"id_token":{"birthdate":{"essential":true}},"userinfo":{"picture":null}}"#,
            ),
        ],
    )
    .await;
    assert_eq!(answer["maxAge"], 300);
    assert_eq!(
        answer["acrs"],
        json!(["urn:example:loa:2", "urn:example:loa:1"])
    );
    assert_eq!(answer["loginHint"], "alice@example.com");
    assert_eq!(answer["uiLocales"], json!(["fr-CA", "en"]));
    assert_eq!(answer["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(
        answer["claims"],
        json!(["email", "email_verified", "birthdate", "picture"])
    );
}

#[tokio::test]
async fn the_code_gives_an_id_token_with_the_nonce_as_sent_and_only_requested_claims() {
    let app = oidc_app().await;
    let key = TestKey::new(Alg::ES256);
    let nonce = "n-0S6_WzA2Mj ~!'()*";
    let answer = tokens(
        &app,
        &[
            ("scope", "openid email"),
            ("nonce", nonce),
            ("claims", r#"{"id_token":{"birthdate":null}}"#),
        ],
        &key,
    )
    .await;
    let id_token = answer["idToken"].as_str().expect("idToken");
    let content: Value = serde_json::from_str(answer["responseContent"].as_str().unwrap()).unwrap();
    assert_eq!(
        content["id_token"], id_token,
        "the client gets it in the token response"
    );
    let (header, claims) = verified(&app, id_token).await;
    assert_eq!(header["alg"], "ES256");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], PUBLIC);
    assert_eq!(claims["azp"], PUBLIC);
    assert_eq!(claims["nonce"], nonce, "exactly as sent");
    assert_eq!(claims["auth_time"], 1_700_000_000);
    assert_eq!(claims["acr"], "urn:example:loa:2");
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(claims["sid"], "sess-1");
    assert_eq!(claims["email"], "alice@example.com", "requested by scope");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(
        claims["birthdate"], "2000-01-01",
        "requested by the claims parameter"
    );
    assert!(
        claims.get("phone_number").is_none(),
        "not requested: not released"
    );
    let exp = claims["exp"].as_i64().unwrap();
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(exp - iat, 3600);
}

#[tokio::test]
async fn without_openid_there_is_no_id_token() {
    let app = oidc_app().await;
    let key = TestKey::new(Alg::ES256);
    let answer = tokens(&app, &[("scope", "read"), ("nonce", "n")], &key).await;
    assert!(answer.get("idToken").is_none(), "{answer}");
    let content: Value = serde_json::from_str(answer["responseContent"].as_str().unwrap()).unwrap();
    assert!(content.get("id_token").is_none());
}

#[tokio::test]
async fn consent_that_drops_openid_drops_the_id_token() {
    let app = oidc_app().await;
    let key = TestKey::new(Alg::ES256);
    let answer = interaction(&app, &[("scope", "openid read")]).await;
    let issued = issue_with(
        &app,
        answer["ticket"].as_str().unwrap(),
        json!({ "scopes": ["read"] }),
    )
    .await;
    let code = redirect_params(issued["responseContent"].as_str().unwrap())["code"].clone();
    let answer = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(answer["action"], "OK", "{answer}");
    assert!(answer.get("idToken").is_none());
}

#[tokio::test]
async fn a_refresh_brings_a_new_id_token_without_the_nonce() {
    let app = oidc_app().await;
    let key = TestKey::new(Alg::ES256);
    let first = tokens(&app, &[("scope", "openid email"), ("nonce", "n-1")], &key).await;
    let rt = first["refreshToken"].as_str().expect("a refresh token");
    let refreshed = refresh(&app, rt, &key).await;
    assert_eq!(refreshed["action"], "OK", "{refreshed}");
    let (_, claims) = verified(&app, refreshed["idToken"].as_str().expect("idToken")).await;
    assert_eq!(claims["sub"], "alice");
    assert_eq!(
        claims["auth_time"], 1_700_000_000,
        "the original authentication's"
    );
    assert_eq!(claims["email"], "alice@example.com");
    assert!(claims.get("nonce").is_none(), "OIDC Core §12.2");
}

#[tokio::test]
async fn prompt_none_is_no_interaction() {
    let app = oidc_app().await;
    let answer = authorize(
        &app,
        &public_request(&[("scope", "openid"), ("prompt", "none")]),
    )
    .await;
    assert_eq!(answer["action"], "NO_INTERACTION", "{answer}");
    assert_eq!(answer["resultCode"], "A004002");
    // The caller finds nobody logged in and fails it: login_required goes to the client.
    let (_, failed) = app
        .post(
            "/auth/authorization/fail",
            &json!({ "ticket": answer["ticket"], "reason": "NOT_LOGGED_IN" }),
        )
        .await;
    assert_eq!(failed["action"], "LOCATION");
    let params = redirect_params(failed["responseContent"].as_str().unwrap());
    assert_eq!(params["error"], "login_required");
}

#[tokio::test]
async fn malformed_openid_parameters_are_redirected_as_invalid_request() {
    let app = oidc_app().await;
    let long_nonce = "n".repeat(513);
    for extra in [
        vec![("max_age", "-5")],
        vec![("claims", "[]")],
        vec![("claims", r#"{"id_token":"birthdate"}"#)],
        vec![("nonce", long_nonce.as_str())],
        vec![("login_hint", "a\u{1}b")],
    ] {
        let mut pairs = vec![("scope", "openid")];
        pairs.extend(extra.iter().copied());
        let answer = authorize(&app, &public_request(&pairs)).await;
        assert_eq!(answer["action"], "LOCATION", "{extra:?}: {answer}");
        assert_eq!(answer["resultCode"], "A004315", "{extra:?}");
        let params = redirect_params(answer["responseContent"].as_str().unwrap());
        assert_eq!(params["error"], "invalid_request");
    }
}

#[tokio::test]
async fn a_malformed_account_of_the_authentication_is_refused_at_issue() {
    let app = oidc_app().await;
    for fields in [
        json!({ "authTime": 4_000_000_000_i64 }),
        json!({ "acr": "" }),
        json!({ "claims": "not json" }),
        json!({ "claims": "[1,2]" }),
        json!({ "amr": ["pwd", ""] }),
    ] {
        let answer = interaction(&app, &[("scope", "openid")]).await;
        let issued = issue_with(&app, answer["ticket"].as_str().unwrap(), fields.clone()).await;
        assert_eq!(issued["action"], "BAD_REQUEST", "{fields}: {issued}");
        assert_eq!(issued["resultCode"], "A040206", "{fields}");
    }
}

#[tokio::test]
async fn the_clients_id_token_alg_picks_the_signing_key_and_must_exist() {
    let mut settings = test_settings();
    let ed = SigningKey::generate(Alg::EdDSA, Some("ed-1".into())).unwrap();
    settings
        .keys
        .signing
        .push(dpopd::config::SigningKeySettings {
            jwk: Some(dpopd::config::Secret::new(ed.private_jwk().to_string())),
            ..Default::default()
        });
    for client in &mut settings.clients {
        client.scopes.push("openid".into());
        if client.client_id == PUBLIC {
            client.id_token_signed_response_alg = Alg::EdDSA;
        }
    }
    let app = spawn_app_with(settings.clone()).await;
    let key = TestKey::new(Alg::ES256);
    let answer = tokens(&app, &[("scope", "openid")], &key).await;
    let (header, _) = verified(&app, answer["idToken"].as_str().unwrap()).await;
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], "ed-1");
    // The access token is still signed by the active key.
    let at_header = dpopd::jose::CompactJws::parse(answer["accessToken"].as_str().unwrap())
        .unwrap()
        .header_as::<Value>()
        .unwrap();
    assert_eq!(at_header["alg"], "ES256");

    for client in &mut settings.clients {
        if client.client_id == PUBLIC {
            client.id_token_signed_response_alg = Alg::PS256;
        }
    }
    let refused = dpopd::startup::Application::build(settings).await;
    let message = refused.err().expect("no PS256 key: refused").to_string();
    assert!(
        message.contains("id_token_signed_response_alg"),
        "{message}"
    );
}

#[tokio::test]
async fn discovery_is_complete_and_every_url_comes_from_configuration() {
    let mut settings = test_settings();
    settings.service.jwks_uri = "https://as.example.com/jwks".into();
    settings.service.introspection_endpoint = "https://as.example.com/introspect".into();
    settings.service.revocation_endpoint = "https://as.example.com/revoke".into();
    settings.service.userinfo_endpoint = "https://as.example.com/userinfo".into();
    settings.service.require_pushed_authorization_requests = true;
    for client in &mut settings.clients {
        client.scopes.extend(["openid", "email"].map(String::from));
    }
    let app = spawn_app_with(settings).await;
    let doc: Value = serde_json::from_str(&app.get("/service/configuration").await.1).unwrap();
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["jwks_uri"], "https://as.example.com/jwks");
    assert_eq!(
        doc["introspection_endpoint"],
        "https://as.example.com/introspect"
    );
    assert_eq!(doc["revocation_endpoint"], "https://as.example.com/revoke");
    assert_eq!(doc["userinfo_endpoint"], "https://as.example.com/userinfo");
    assert_eq!(doc["token_endpoint"], TOKEN_HTU);
    assert_eq!(doc["pushed_authorization_request_endpoint"], PAR_HTU);
    assert_eq!(doc["require_pushed_authorization_requests"], true);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["response_modes_supported"], json!(["query"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        doc["scopes_supported"],
        json!(["email", "openid", "read", "write"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let claims: Vec<&str> = doc["claims_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for claim in ["sub", "nonce", "auth_time", "email", "email_verified"] {
        assert!(claims.contains(&claim), "{claim} in {claims:?}");
    }
    assert!(
        !claims.contains(&"phone_number"),
        "no client may ask for phone"
    );

    // The service-wide PAR requirement is enforced, not only published.
    let answer = authorize(&app, &public_request(&[])).await;
    assert_eq!(answer["resultCode"], "A004309", "{answer}");
}

#[tokio::test]
async fn unset_urls_are_left_out_of_discovery() {
    let app = spawn_app().await;
    let doc: Value = serde_json::from_str(&app.get("/service/configuration").await.1).unwrap();
    for name in [
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
    ] {
        assert!(doc.get(name).is_none(), "{name}: {doc}");
    }
}

#[tokio::test]
async fn protected_resource_metadata_follows_rfc_9728() {
    let app = spawn_app().await;
    let (status, body) = app
        .get("/service/resource_configuration?resource=https%3A%2F%2Frs.example.com%2Fapi&dpopRequired=true")
        .await;
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["resource"], "https://rs.example.com/api");
    assert_eq!(doc["authorization_servers"], json!([ISSUER]));
    assert_eq!(doc["dpop_bound_access_tokens_required"], true);
    assert!(doc["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("ES256")));
    for bad in [
        "",
        "?resource=rs.example.com",
        "?resource=https%3A%2F%2Frs.example.com%2F%23frag",
        "?resource=ftp%3A%2F%2Fx",
        "?resource=https%3A%2F%2Frs.example.com&dpopRequired=yes",
    ] {
        let (status, body) = app
            .get(&format!("/service/resource_configuration{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("A001205"), "{body}");
    }
}

async fn userinfo(app: &TestApp, token: &str, key: &TestKey) -> Value {
    let proof = crate::resource::resource_proof(key, token);
    let (status, answer) = app
        .post(
            "/auth/userinfo",
            &json!({ "token": token, "tokenScheme": "DPoP", "dpop": proof, "htm": "GET", "htu": crate::resource::RS_URL }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn userinfo_issue(app: &TestApp, token: &str, claims: &str) -> (u16, Value) {
    app.post(
        "/auth/userinfo/issue",
        &json!({ "token": token, "claims": claims }),
    )
    .await
}

const USER: &str = r#"{"sub":"mallory","email":"alice@example.com","email_verified":true,"picture":"https://example.com/a.png","phone_number":"+15550100","name":"Alice"}"#;

#[tokio::test]
async fn userinfo_names_the_allowed_claims_and_issue_releases_only_those() {
    let app = oidc_app().await;
    let key = TestKey::new(Alg::ES256);
    let answer = tokens(
        &app,
        &[
            ("scope", "openid email"),
            ("claims", r#"{"userinfo":{"picture":null}}"#),
        ],
        &key,
    )
    .await;
    let token = answer["accessToken"].as_str().unwrap();
    let checked = userinfo(&app, token, &key).await;
    assert_eq!(checked["action"], "OK", "{checked}");
    assert_eq!(checked["subject"], "alice");
    assert_eq!(
        checked["claims"],
        json!(["email", "email_verified", "picture"])
    );

    let (status, issued) = userinfo_issue(&app, token, USER).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["action"], "OK", "{issued}");
    assert_eq!(issued["resultCode"], "A058002");
    assert_eq!(issued["contentType"], "application/json");
    let body: Value = serde_json::from_str(issued["responseContent"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({ "sub": "alice", "email": "alice@example.com", "email_verified": true, "picture": "https://example.com/a.png" }),
        "sub is the token's; phone_number and name were not asked for"
    );
}

#[tokio::test]
async fn a_client_with_a_userinfo_alg_gets_a_signed_response() {
    let mut settings = test_settings();
    for client in &mut settings.clients {
        client
            .scopes
            .extend(["openid", "profile"].map(String::from));
        if client.client_id == PUBLIC {
            client.userinfo_signed_response_alg = Some(Alg::ES256);
        }
    }
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let answer = tokens(&app, &[("scope", "openid profile")], &key).await;
    let token = answer["accessToken"].as_str().unwrap();
    let (_, issued) = userinfo_issue(&app, token, USER).await;
    assert_eq!(issued["contentType"], "application/jwt", "{issued}");
    let (_, claims) = verified(&app, issued["responseContent"].as_str().unwrap()).await;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], PUBLIC);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["name"], "Alice");
    assert!(claims.get("email").is_none());
}

#[tokio::test]
async fn userinfo_issue_refuses_what_userinfo_refuses() {
    let app = oidc_app().await;
    let key = TestKey::new(Alg::ES256);
    // No openid: insufficient_scope with scope="openid".
    let plain = tokens(&app, &[("scope", "read")], &key).await;
    let (_, answer) = userinfo_issue(&app, plain["accessToken"].as_str().unwrap(), USER).await;
    assert_eq!(answer["action"], "FORBIDDEN", "{answer}");
    assert_eq!(answer["resultCode"], "A058301");
    assert!(answer["responseContent"]
        .as_str()
        .unwrap()
        .contains(r#"scope="openid""#));
    // A revoked token: invalid_token.
    let openid = tokens(&app, &[("scope", "openid")], &key).await;
    let token = openid["accessToken"].as_str().unwrap();
    let (_, revoked) = app
        .post(
            "/auth/revocation",
            &json!({ "parameters": form(&[("token", token), ("client_id", PUBLIC)]) }),
        )
        .await;
    assert_eq!(revoked["action"], "OK", "{revoked}");
    let (_, answer) = userinfo_issue(&app, token, USER).await;
    assert_eq!(answer["action"], "UNAUTHORIZED", "{answer}");
    assert!(answer["responseContent"]
        .as_str()
        .unwrap()
        .contains("invalid_token"));
    // Not a token at all.
    let (_, answer) = userinfo_issue(&app, "not-a-token", USER).await;
    assert_eq!(answer["action"], "UNAUTHORIZED");
}

#[tokio::test]
async fn userinfo_issue_takes_claims_as_a_json_object_from_an_rs_caller() {
    let app = oidc_app().await;
    let key = TestKey::new(Alg::ES256);
    let answer = tokens(&app, &[("scope", "openid")], &key).await;
    let token = answer["accessToken"].as_str().unwrap();
    for bad in ["[1]", "{", "\"text\""] {
        let (status, answer) = userinfo_issue(&app, token, bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(answer["resultCode"], "A001205");
    }
    let (status, _) = app
        .post_as(
            "/auth/userinfo/issue",
            &json!({ "token": token, "claims": "{}" }),
            Some(("nobody", "wrong")),
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_caller_cannot_forge_the_userinfo_claims_of_an_access_token() {
    let app = oidc_app().await;
    let (_, answer) = app
        .post(
            "/auth/token/create",
            &json!({ "grantType": "CLIENT_CREDENTIALS", "clientId": CONFIDENTIAL.0, "subject": "alice", "scopes": ["openid"], "jwtAtClaims": r#"{"uic":["phone_number"]}"# }),
        )
        .await;
    assert_eq!(answer["resultCode"], "A001205", "uic is reserved: {answer}");
    assert!(
        answer["resultMessage"].as_str().unwrap().contains("uic"),
        "{answer}"
    );
}
