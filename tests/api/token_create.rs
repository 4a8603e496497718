//! `/auth/token/create`: delegated issuance bound to a proof dpopd validates, or to a
//! thumbprint the caller verified (RFC 9449 §6.1 `cnf.jkt`), within the client's scopes.
use crate::helpers::*;
use dpopd::jose::seal::MAX_PLAINTEXT_OCTETS;
use dpopd::jose::{Alg, CompactJws};
use serde_json::{json, Value};

fn claims(token: &str) -> Value {
    CompactJws::parse(token)
        .expect("a JWS")
        .payload_as()
        .expect("JSON claims")
}

/// A request for the public client's user alice, with `extra` fields.
fn body(extra: Value) -> Value {
    let mut body = json!({ "grantType": "AUTHORIZATION_CODE", "clientId": PUBLIC, "subject": "alice", "scopes": ["read"] });
    if let (Some(map), Value::Object(extra)) = (body.as_object_mut(), extra) {
        map.extend(extra);
    }
    body
}

async fn create(app: &TestApp, body: Value) -> Value {
    let (status, answer) = app.post("/auth/token/create", &body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// A bound public refresh token works with its key only: the binding is real.
async fn refreshes_with(app: &TestApp, rt: &str, key: &TestKey) -> bool {
    let (_, answer) = app.post("/auth/token", &json!({
        "parameters": format!("grant_type=refresh_token&refresh_token={rt}&client_id={PUBLIC}"), "dpop": key.token_proof(),
    })).await;
    answer["action"] == "OK"
}

#[tokio::test]
async fn token_create_with_a_proof_binds_the_tokens_to_the_proof_key() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let answer = create(
        &app,
        body(json!({ "dpop": key.token_proof(), "accessTokenDuration": 300 })),
    )
    .await;
    assert_eq!(answer["action"], "OK", "{answer}");
    assert_eq!(answer["resultCode"], "A047001");
    assert_eq!(answer["tokenType"], "DPoP");
    assert_eq!(answer["jkt"], key.jkt());
    assert_eq!(answer["expiresIn"], 300);
    assert!(
        answer["expiresAt"].as_i64().unwrap() > 1_000_000_000_000,
        "milliseconds"
    );
    let access = claims(answer["accessToken"].as_str().unwrap());
    assert_eq!(access["cnf"]["jkt"], key.jkt());
    assert_eq!(
        (access["sub"].as_str(), access["scope"].as_str()),
        (Some("alice"), Some("read"))
    );
    assert_eq!(
        serde_json::from_str::<Value>(answer["responseContent"].as_str().unwrap()).unwrap()
            ["token_type"],
        "DPoP"
    );
    let rt = answer["refreshToken"].as_str().unwrap();
    assert!(!refreshes_with(&app, rt, &TestKey::new(Alg::ES256)).await);
    assert!(refreshes_with(&app, rt, &key).await);

    let proof = key.token_proof();
    assert_eq!(
        create(&app, body(json!({ "dpop": proof }))).await["action"],
        "OK"
    );
    let replayed = create(&app, body(json!({ "dpop": proof }))).await;
    assert_eq!(
        replayed["resultCode"], "A254302",
        "dpopd records the proof against replay"
    );
}

#[tokio::test]
async fn token_create_with_a_thumbprint_binds_the_tokens_to_it() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::EdDSA);
    let answer = create(&app, body(json!({ "dpopKeyThumbprint": key.jkt() }))).await;
    assert_eq!(answer["action"], "OK", "{answer}");
    assert_eq!(answer["jkt"], key.jkt());
    assert_eq!(
        claims(answer["accessToken"].as_str().unwrap())["cnf"]["jkt"],
        key.jkt()
    );
    assert!(refreshes_with(&app, answer["refreshToken"].as_str().unwrap(), &key).await);

    let malformed = create(&app, body(json!({ "dpopKeyThumbprint": "abc" }))).await;
    assert_eq!(
        (
            malformed["action"].as_str(),
            malformed["resultCode"].as_str()
        ),
        (Some("BAD_REQUEST"), Some("A047205"))
    );
}

#[tokio::test]
async fn token_create_with_a_proof_and_a_different_thumbprint_is_refused() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let other = TestKey::new(Alg::ES256);
    let answer = create(
        &app,
        body(json!({ "dpop": key.token_proof(), "dpopKeyThumbprint": other.jkt() })),
    )
    .await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A047206"))
    );
    assert!(answer.get("accessToken").is_none());
    let agreeing = create(
        &app,
        body(json!({ "dpop": key.token_proof(), "dpopKeyThumbprint": key.jkt() })),
    )
    .await;
    assert_eq!(agreeing["action"], "OK", "{agreeing}");
}

#[tokio::test]
async fn token_create_with_a_scope_the_client_may_not_have_is_forbidden() {
    let app = spawn_app().await;
    let answer = create(&app, body(json!({ "scopes": ["read", "admin"] }))).await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("FORBIDDEN"), Some("A047209"))
    );
    assert!(answer.get("accessToken").is_none());
}

#[tokio::test]
async fn token_create_refusals_name_their_cause() {
    let app = spawn_app().await;
    let cases = [
        (
            "grant the client is not registered for",
            json!({ "grantType": "AUTHORIZATION_CODE", "clientId": CONFIDENTIAL.0, "subject": "a" }),
            "FORBIDDEN",
            "A047208",
        ),
        (
            "unsupported grant",
            body(json!({ "grantType": "PASSWORD" })),
            "BAD_REQUEST",
            "A047201",
        ),
        (
            "unknown client",
            body(json!({ "clientId": "nobody" })),
            "BAD_REQUEST",
            "A047202",
        ),
        (
            "no subject",
            body(json!({ "subject": null })),
            "BAD_REQUEST",
            "A047203",
        ),
        (
            "malformed scope",
            body(json!({ "scopes": ["a b"] })),
            "BAD_REQUEST",
            "A047204",
        ),
        (
            "a client that must use DPoP",
            json!({ "grantType": "CLIENT_CREDENTIALS", "clientId": DPOP_BOUND.0 }),
            "BAD_REQUEST",
            "A047207",
        ),
        (
            "a proof for another URL",
            body(
                json!({ "dpop": TestKey::new(Alg::ES256).proof("POST", "https://elsewhere.example/token") }),
            ),
            "BAD_REQUEST",
            "A254301",
        ),
    ];
    for (why, request, action, code) in cases {
        let answer = create(&app, request).await;
        assert_eq!(
            (answer["action"].as_str(), answer["resultCode"].as_str()),
            (Some(action), Some(code)),
            "{why}: {answer}"
        );
    }
}

#[tokio::test]
async fn client_credentials_by_delegation_default_the_subject_to_the_client() {
    let app = spawn_app().await;
    let (status, answer) = app
        .post(
            "/api/auth/token/create",
            &json!({ "grantType": "CLIENT_CREDENTIALS", "clientId": CONFIDENTIAL.0 }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(answer["action"], "OK", "{answer}");
    assert_eq!(answer["subject"], CONFIDENTIAL.0);
    assert_eq!(answer["tokenType"], "Bearer");
    assert_eq!(answer["scopes"], json!([]));
    let (status, body) = app
        .post_as(
            "/auth/token/create",
            &json!({ "grantType": "CLIENT_CREDENTIALS", "clientId": CONFIDENTIAL.0 }),
            Some(RS_ONLY_CALLER),
        )
        .await;
    assert_eq!(
        (status, body["resultCode"].as_str()),
        (403, Some("A001202"))
    );
}

#[tokio::test]
async fn token_create_refuses_what_is_too_large_to_seal_and_issues_what_fits() {
    let app = spawn_app().await;
    let big = "v".repeat(MAX_PLAINTEXT_OCTETS);
    let cases = [
        (
            "properties too large for the prp claim",
            json!({ "properties": [{ "key": "k", "value": big }] }),
        ),
        (
            "jwtAtClaims too large for the refresh token",
            json!({ "jwtAtClaims": json!({ "big": big }).to_string() }),
        ),
    ];
    for (why, extra) in cases {
        let answer = create(&app, body(extra)).await;
        assert_eq!(
            (answer["action"].as_str(), answer["resultCode"].as_str()),
            (Some("BAD_REQUEST"), Some("A047210")),
            "{why}: {answer}"
        );
        assert_eq!(content(&answer)["error"], "invalid_request", "{why}");
        assert!(
            answer.get("accessToken").is_none() && answer.get("refreshToken").is_none(),
            "{why}: nothing issued"
        );
    }
    let key = TestKey::new(Alg::ES256);
    let half = "v".repeat(MAX_PLAINTEXT_OCTETS / 2);
    let answer = create(
        &app,
        body(json!({ "properties": [{ "key": "k", "value": half }], "dpop": key.token_proof() })),
    )
    .await;
    assert_eq!(answer["action"], "OK", "{answer}");
    assert!(
        refreshes_with(&app, answer["refreshToken"].as_str().unwrap(), &key).await,
        "what is issued is redeemed"
    );
}
