//! `/auth/token`: client credentials and refresh grants with DPoP (RFC 9449 §5), nonces,
//! replay, caller authentication, and the token itself checked against `/service/jwks`.
use crate::helpers::*;
use dpopd::clock::UnixTime;
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::{Alg, CompactJws, JwkMembers, PublicJwk};
use dpopd::oauth::refresh::RefreshRecord;
use serde_json::{json, Value};

fn cc_body(dpop: Option<&str>) -> Value {
    json!({
        "parameters": "grant_type=client_credentials&scope=read",
        "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1, "dpop": dpop,
    })
}

async fn verify_with_jwks(app: &TestApp, token: &str) -> Value {
    let (status, jwks) = app.get("/service/jwks").await;
    assert_eq!(status, 200);
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    let jws = CompactJws::parse(token).unwrap();
    let header: Value = jws.header_as().unwrap();
    assert_eq!(header["typ"], "at+jwt", "RFC 9068 §2.1");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("kid is published");
    let members = <JwkMembers as serde::Deserialize>::deserialize(jwk).unwrap();
    let public = PublicJwk::from_members(&members).unwrap();
    let alg = Alg::from_name(header["alg"].as_str().unwrap()).unwrap();
    public
        .verify(alg, jws.signing_input.as_bytes(), &jws.signature)
        .expect("signature verifies with the published key");
    jws.payload_as().unwrap()
}

#[tokio::test]
async fn client_credentials_with_each_proof_algorithm_issues_a_bound_token() {
    let app = spawn_app().await;
    for key in [
        TestKey::new(Alg::ES256),
        TestKey::rsa(Alg::PS256),
        TestKey::rsa(Alg::RS256),
        TestKey::new(Alg::EdDSA),
    ] {
        let answer = app.client_credentials(Some(&key.token_proof())).await;
        assert_eq!(answer["action"], "OK", "{answer}");
        assert_eq!(answer["resultCode"], "A052001");
        assert_eq!(answer["tokenType"], "DPoP");
        assert_eq!(answer["jkt"], key.jkt());
        let body = content(&answer);
        assert_eq!(body["token_type"], "DPoP");
        assert_eq!(body["scope"], "read");
        let claims = verify_with_jwks(&app, body["access_token"].as_str().unwrap()).await;
        assert_eq!(
            claims["cnf"]["jkt"],
            key.jkt(),
            "cnf.jkt is the proof key's RFC 7638 thumbprint"
        );
        assert_eq!(claims["client_id"], CONFIDENTIAL.0);
        assert_eq!(claims["sub"], CONFIDENTIAL.0);
        assert_eq!(claims["iss"], "https://as.example.com");
    }
}

#[tokio::test]
async fn without_a_proof_the_token_is_a_bearer_token() {
    let app = spawn_app().await;
    let answer = app.client_credentials(None).await;
    assert_eq!(answer["action"], "OK");
    assert_eq!(answer["tokenType"], "Bearer");
    assert!(answer.get("jkt").is_none());
    let claims = verify_with_jwks(&app, answer["accessToken"].as_str().unwrap()).await;
    assert!(claims.get("cnf").is_none());
}

#[tokio::test]
async fn a_client_registered_for_dpop_without_a_proof_gets_invalid_request() {
    let app = spawn_app().await;
    let (_, answer) = app.post("/auth/token", &json!({
        "parameters": "grant_type=client_credentials", "clientId": DPOP_BOUND.0, "clientSecret": DPOP_BOUND.1,
    })).await;
    assert_eq!(answer["action"], "BAD_REQUEST");
    assert_eq!(content(&answer)["error"], "invalid_request");
    assert_eq!(answer["resultCode"], "A051309");
}

#[tokio::test]
async fn replayed_proof_is_rejected_with_invalid_dpop_proof() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let proof = key.token_proof();
    assert_eq!(app.client_credentials(Some(&proof)).await["action"], "OK");
    let again = app.client_credentials(Some(&proof)).await;
    assert_eq!(again["action"], "BAD_REQUEST");
    assert_eq!(content(&again)["error"], "invalid_dpop_proof");
    assert_eq!(again["resultCode"], "A254302");
}

#[tokio::test]
async fn nonce_round_trip_and_a_second_instance_accepts_the_nonce() {
    let mut settings = test_settings();
    settings.dpop.nonce_required = true;
    let app = spawn_app_with(settings.clone()).await;
    let key = TestKey::new(Alg::ES256);
    let first = app.client_credentials(Some(&key.token_proof())).await;
    assert_eq!(first["action"], "BAD_REQUEST");
    assert_eq!(content(&first)["error"], "use_dpop_nonce");
    assert_eq!(first["resultCode"], "A254307");
    let nonce = first["dpopNonce"]
        .as_str()
        .expect("dpopNonce on the challenge")
        .to_owned();

    let with_nonce = |n: &str| {
        key.proof_with(
            "POST",
            TOKEN_HTU,
            UnixTime::now(),
            &ProofClaims {
                nonce: Some(n),
                ..Default::default()
            },
        )
    };
    let retry = app.client_credentials(Some(&with_nonce(&nonce))).await;
    assert_eq!(retry["action"], "OK", "{retry}");
    assert!(
        retry["dpopNonce"].is_string(),
        "the nonce is returned on success too"
    );

    let replica = spawn_app_with(settings).await;
    let elsewhere = replica.client_credentials(Some(&with_nonce(&nonce))).await;
    assert_eq!(
        elsewhere["action"], "OK",
        "a replica with the same secret accepts the nonce: {elsewhere}"
    );
}

#[tokio::test]
async fn a_stale_or_foreign_nonce_gets_a_fresh_use_dpop_nonce_challenge() {
    let mut settings = test_settings();
    settings.dpop.nonce_required = true;
    let app = spawn_app_with(settings.clone()).await;
    let key = TestKey::new(Alg::ES256);
    let stale = app
        .state
        .live()
        .core
        .dpop
        .nonces()
        .current(UnixTime::now().plus(-3600));
    let mut other = test_settings();
    other.dpop.nonce_required = true;
    let foreign = spawn_app_with(other)
        .await
        .state
        .live()
        .core
        .dpop
        .nonces()
        .current(UnixTime::now());
    for (why, nonce) in [("stale", stale), ("issued under another secret", foreign)] {
        let proof = key.proof_with(
            "POST",
            TOKEN_HTU,
            UnixTime::now(),
            &ProofClaims {
                nonce: Some(&nonce),
                ..Default::default()
            },
        );
        let answer = app.client_credentials(Some(&proof)).await;
        assert_eq!(content(&answer)["error"], "use_dpop_nonce", "{why}");
        assert_ne!(
            answer["dpopNonce"].as_str(),
            Some(nonce.as_str()),
            "{why}: a fresh nonce"
        );
    }
}

#[tokio::test]
async fn htu_and_iat_failures_tell_the_operator_what_was_expected() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let wrong_htu = app
        .client_credentials(Some(
            &key.proof("POST", "https://as.example.com/oauth/token"),
        ))
        .await;
    assert_eq!(content(&wrong_htu)["error"], "invalid_dpop_proof");
    let message = wrong_htu["resultMessage"].as_str().unwrap();
    assert!(
        message.contains("https://as.example.com/token") && message.contains("/oauth/token"),
        "{message}"
    );
    assert!(
        !content(&wrong_htu)["error_description"]
            .as_str()
            .unwrap()
            .contains("oauth/token"),
        "the client text does not echo input"
    );

    let old = key.proof_with(
        "POST",
        TOKEN_HTU,
        UnixTime::now().plus(-600),
        &ProofClaims::default(),
    );
    let stale = app.client_credentials(Some(&old)).await;
    assert!(
        stale["resultMessage"]
            .as_str()
            .unwrap()
            .contains("server time"),
        "{stale}"
    );
}

fn public_refresh_token(app: &TestApp, jkt: Option<String>) -> String {
    let now = UnixTime::now();
    RefreshRecord {
        jti: "rt-1".into(),
        family: "family-1".into(),
        generation: 0,
        client_id: PUBLIC.into(),
        subject: "alice".into(),
        scopes: vec!["read".into()],
        iat: now.secs(),
        exp: now.plus(3600).secs(),
        jkt: jkt.map(|j| dpopd::jose::Jkt::parse(&j).unwrap()),
        properties: vec![],
        extra_claims: Default::default(),
        oidc: None,
    }
    .seal(&app.state.live().core.sealer)
    .unwrap()
}

fn refresh_body(rt: &str, client_id: &str, dpop: Option<&str>) -> Value {
    json!({ "parameters": format!("grant_type=refresh_token&refresh_token={rt}&client_id={client_id}"), "dpop": dpop })
}

#[tokio::test]
async fn public_client_refresh_needs_the_bound_key_and_rotates() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let rt = public_refresh_token(&app, Some(key.jkt()));

    let thief = TestKey::new(Alg::ES256);
    let (_, stolen) = app
        .post(
            "/auth/token",
            &refresh_body(&rt, PUBLIC, Some(&thief.token_proof())),
        )
        .await;
    assert_eq!(content(&stolen)["error"], "invalid_grant");
    assert_eq!(stolen["resultCode"], "A053303");
    let (_, no_proof) = app
        .post("/auth/token", &refresh_body(&rt, PUBLIC, None))
        .await;
    assert_eq!(
        content(&no_proof)["error"],
        "invalid_grant",
        "a bound refresh token needs a proof"
    );

    let (_, ok) = app
        .post(
            "/auth/token",
            &refresh_body(&rt, PUBLIC, Some(&key.token_proof())),
        )
        .await;
    assert_eq!(ok["action"], "OK", "failed attempts consumed nothing: {ok}");
    assert_eq!(ok["resultCode"], "A053001");
    assert_eq!(ok["subject"], "alice");
    assert_eq!(ok["jkt"], key.jkt());
    let next = ok["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(next, rt, "public clients' refresh tokens rotate");

    let (_, reused) = app
        .post(
            "/auth/token",
            &refresh_body(&rt, PUBLIC, Some(&key.token_proof())),
        )
        .await;
    assert_eq!(
        reused["resultCode"], "A053304",
        "reuse of a rotated token is detected"
    );
    let (_, family) = app
        .post(
            "/auth/token",
            &refresh_body(&next, PUBLIC, Some(&key.token_proof())),
        )
        .await;
    assert_eq!(
        content(&family)["error"],
        "invalid_grant",
        "the whole family is revoked"
    );
    assert_eq!(family["resultCode"], "A053305");
}

#[tokio::test]
async fn a_refresh_token_survives_a_use_dpop_nonce_answer() {
    let mut settings = test_settings();
    settings.dpop.nonce_required = true;
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let rt = public_refresh_token(&app, Some(key.jkt()));
    let (_, challenge) = app
        .post(
            "/auth/token",
            &refresh_body(&rt, PUBLIC, Some(&key.token_proof())),
        )
        .await;
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
    let (_, ok) = app
        .post("/auth/token", &refresh_body(&rt, PUBLIC, Some(&proof)))
        .await;
    assert_eq!(ok["action"], "OK", "{ok}");
}

#[tokio::test]
async fn confidential_refresh_binds_the_new_access_token_to_the_current_proof() {
    let app = spawn_app().await;
    let first = TestKey::new(Alg::ES256);
    let issued = app.client_credentials(Some(&first.token_proof())).await;
    let rt = issued["refreshToken"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let second = TestKey::new(Alg::EdDSA);
    let (_, refreshed) = app.post("/auth/token", &json!({
        "parameters": format!("grant_type=refresh_token&refresh_token={rt}"),
        "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1, "dpop": second.token_proof(),
    })).await;
    assert_eq!(refreshed["action"], "OK", "{refreshed}");
    assert_eq!(refreshed["jkt"], second.jkt());
    assert_eq!(
        refreshed["refreshToken"],
        rt.as_str(),
        "confidential clients keep their refresh token"
    );
    let (_, other_client) = app.post("/auth/token", &json!({
        "parameters": format!("grant_type=refresh_token&refresh_token={rt}&client_id={}&client_secret={}", POST_CLIENT.0, POST_CLIENT.1),
    })).await;
    assert_eq!(other_client["resultCode"], "A053302");
}

#[tokio::test]
async fn caller_authentication_and_roles() {
    let app = spawn_app().await;
    let (status, body) = app.post_as("/auth/token", &cc_body(None), None).await;
    assert_eq!(
        (status, body["resultCode"].as_str()),
        (401, Some("A001201"))
    );
    let (status, _) = app
        .post_as("/auth/token", &cc_body(None), Some((CALLER.0, "wrong")))
        .await;
    assert_eq!(status, 401);
    let (status, body) = app
        .post_as("/auth/token", &cc_body(None), Some(RS_ONLY_CALLER))
        .await;
    assert_eq!(
        (status, body["resultCode"].as_str()),
        (403, Some("A001202"))
    );
    let bearer = app
        .http
        .post(format!("{}/auth/token", app.address))
        .bearer_auth(CALLER.1)
        .json(&cc_body(None))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bearer.status().as_u16(),
        200,
        "Bearer <secret> authenticates too"
    );
}

#[tokio::test]
async fn an_unknown_caller_key_is_answered_exactly_like_a_wrong_secret() {
    let app = spawn_app().await;
    let url = format!("{}/auth/token", app.address);
    let mut answers = Vec::new();
    for (key, secret) in [
        (CALLER.0, "wrong"),
        ("no-such-caller", "wrong"),
        ("no-such-caller", CALLER.1),
    ] {
        let response = app
            .http
            .post(&url)
            .basic_auth(key, Some(secret))
            .json(&cc_body(None))
            .send()
            .await
            .unwrap();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        answers.push((
            response.status().as_u16(),
            challenge,
            response.text().await.unwrap(),
        ));
    }
    assert_eq!(answers[0].0, 401);
    assert_eq!(answers[1], answers[0], "unknown key vs wrong secret");
    assert_eq!(
        answers[2], answers[0],
        "unknown key with another caller's secret"
    );
}

#[tokio::test]
async fn properties_too_large_to_seal_are_refused_with_their_own_code() {
    let app = spawn_app().await;
    let mut request = cc_body(None);
    request["properties"] =
        json!([{ "key": "k", "value": "v".repeat(dpopd::jose::seal::MAX_PLAINTEXT_OCTETS) }]);
    let (status, answer) = app.post("/auth/token", &request).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A051201")),
        "{answer}"
    );
    assert_eq!(content(&answer)["error"], "invalid_request");
    assert!(answer.get("accessToken").is_none());
}

#[tokio::test]
async fn the_authlete_path_answers_like_the_short_path() {
    let app = spawn_app().await;
    let (status, short) = app.post("/auth/token", &cc_body(None)).await;
    let (status2, long) = app.post("/api/auth/token", &cc_body(None)).await;
    assert_eq!((status, status2), (200, 200));
    for field in [
        "action",
        "resultCode",
        "tokenType",
        "clientId",
        "scopes",
        "grantType",
    ] {
        assert_eq!(short[field], long[field], "{field}");
    }
}

#[tokio::test]
async fn malformed_and_oversized_calls_get_their_own_status() {
    let app = spawn_app().await;
    let url = format!("{}/auth/token", app.address);
    let bad_json = app
        .http
        .post(&url)
        .basic_auth(CALLER.0, Some(CALLER.1))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status().as_u16(), 400);
    let (status, body) = app.post("/auth/token", &json!({ "clientId": "x" })).await;
    assert_eq!(
        (status, body["resultCode"].as_str()),
        (400, Some("A001203")),
        "parameters is required"
    );
    let huge = json!({ "parameters": "x".repeat(70_000) });
    let (status, body) = app.post("/auth/token", &huge).await;
    assert_eq!(
        (status, body["resultCode"].as_str()),
        (413, Some("A001204"))
    );
}

#[tokio::test]
async fn oauth_request_errors_map_to_their_codes() {
    let app = spawn_app().await;
    let basic = |params: &str| json!({ "parameters": params, "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 });
    let cases = [
        (
            "scope the client may not have",
            basic("grant_type=client_credentials&scope=admin"),
            "invalid_scope",
            "A051308",
        ),
        (
            "unsupported grant",
            basic("grant_type=password"),
            "unsupported_grant_type",
            "A051303",
        ),
        (
            "client not registered for authorization_code",
            basic("grant_type=authorization_code&code=x"),
            "unauthorized_client",
            "A051307",
        ),
        (
            "no grant_type",
            basic("scope=read"),
            "invalid_request",
            "A051302",
        ),
        (
            "repeated parameter",
            basic("grant_type=client_credentials&grant_type=client_credentials"),
            "invalid_request",
            "A051301",
        ),
        (
            "bad secret",
            json!({ "parameters": "grant_type=client_credentials", "clientId": CONFIDENTIAL.0, "clientSecret": "no" }),
            "invalid_client",
            "A051305",
        ),
        (
            "public client may not use client_credentials",
            json!({ "parameters": format!("grant_type=client_credentials&client_id={PUBLIC}") }),
            "unauthorized_client",
            "A051307",
        ),
        (
            "garbage refresh token",
            basic("grant_type=refresh_token&refresh_token=abc"),
            "invalid_grant",
            "A053301",
        ),
    ];
    for (why, body, error, code) in cases {
        let (status, answer) = app.post("/auth/token", &body).await;
        assert_eq!(status, 200, "{why}");
        assert_eq!(content(&answer)["error"], error, "{why}");
        assert_eq!(answer["resultCode"], code, "{why}");
    }
}

#[tokio::test]
async fn properties_durations_and_extra_claims_reach_the_token() {
    let app = spawn_app().await;
    let (_, answer) = app.post("/auth/token", &json!({
        "parameters": "grant_type=client_credentials",
        "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1,
        "accessTokenDuration": 120,
        "jwtAtClaims": "{\"tenant\":\"acme\"}",
        "properties": [{ "key": "shown", "value": "1" }, { "key": "secret", "value": "2", "hidden": true }],
    })).await;
    assert_eq!(answer["accessTokenDuration"], 120);
    let body = content(&answer);
    assert_eq!(body["expires_in"], 120);
    assert_eq!(body["shown"], "1");
    assert!(
        body.get("secret").is_none(),
        "hidden properties are not shown to the client"
    );
    let claims = verify_with_jwks(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["tenant"], "acme");
    assert!(
        !claims.to_string().contains("\"secret\""),
        "hidden properties are sealed in the token"
    );
    let (status, reserved) = app.post("/auth/token", &json!({
        "parameters": "grant_type=client_credentials", "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1,
        "jwtAtClaims": "{\"sub\":\"root\"}",
    })).await;
    assert_eq!(
        (status, reserved["resultCode"].as_str()),
        (400, Some("A001205"))
    );
}

#[tokio::test]
async fn discovery_lists_the_dpop_algs() {
    let app = spawn_app().await;
    let (status, text) = app.get("/service/configuration").await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let algs: Vec<&str> = doc["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        algs.contains(&"ES256") && algs.contains(&"EdDSA") && !algs.contains(&"ES384"),
        "{algs:?}"
    );
    assert_eq!(app.get("/healthz").await.0, 200);
    assert_eq!(app.get("/readyz").await.0, 200);
}
