//! `/auth/userinfo` (OIDC Core §5.3) and `/auth/introspection/standard` (RFC 7662): the other
//! two resource-server APIs, built on the same token and proof checks as introspection.
use crate::helpers::*;
use crate::resource::*;
use dpopd::clock::UnixTime;
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::Alg;
use serde_json::{json, Value};

const USERINFO_URL: &str = "https://as.example.com/userinfo";

/// A userinfo call for `token` with a fresh proof of `key` carrying `ath`.
pub(crate) fn userinfo_body(token: &str, key: &TestKey) -> Value {
    let proof = key.proof_with(
        "GET",
        USERINFO_URL,
        UnixTime::now(),
        &ProofClaims {
            access_token: Some(token),
            ..Default::default()
        },
    );
    json!({ "token": token, "dpop": proof, "htm": "GET", "htu": USERINFO_URL })
}

#[tokio::test]
async fn userinfo_answers_the_subject_of_an_openid_token() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = mint(
        &app,
        Mint {
            scopes: &["openid", "profile"],
            jkt: Some(key.jkt()),
            ..Mint::default()
        },
    );
    let (status, answer) = app
        .post("/auth/userinfo", &userinfo_body(&token, &key))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("OK"), Some("A058001")),
        "{answer}"
    );
    assert_eq!(answer["subject"], "alice");
    assert_eq!(answer["scopes"], json!(["openid", "profile"]));
    assert_eq!(answer["clientId"], CONFIDENTIAL.0);
    let (_, long) = app
        .post("/api/auth/userinfo", &userinfo_body(&token, &key))
        .await;
    assert_eq!(long["action"], "OK", "{long}");
}

#[tokio::test]
async fn userinfo_refuses_tokens_without_openid_and_bad_presentations() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let plain = mint(
        &app,
        Mint {
            scopes: &["profile"],
            jkt: Some(key.jkt()),
            ..Mint::default()
        },
    );
    let (_, answer) = app
        .post("/auth/userinfo", &userinfo_body(&plain, &key))
        .await;
    let params = assert_challenge(&answer, "FORBIDDEN", "DPoP", "insufficient_scope");
    assert!(
        params.contains(&("scope".into(), "openid".into())),
        "{params:?}"
    );
    assert_eq!(answer["resultCode"], "A058301");

    let openid = mint(
        &app,
        Mint {
            scopes: &["openid"],
            jkt: Some(key.jkt()),
            ..Mint::default()
        },
    );
    let (_, answer) = app
        .post(
            "/auth/userinfo",
            &userinfo_body(&openid, &TestKey::new(Alg::ES256)),
        )
        .await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    let (_, answer) = app
        .post(
            "/auth/userinfo",
            &json!({ "token": openid, "tokenScheme": "Bearer" }),
        )
        .await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    let (_, answer) = app
        .post("/auth/userinfo", &json!({ "token": "nope" }))
        .await;
    assert_challenge(&answer, "UNAUTHORIZED", "Bearer", "invalid_token");
    let (_, answer) = app.post("/auth/userinfo", &json!({})).await;
    assert_eq!(
        (
            answer["action"].as_str(),
            answer["responseContent"].as_str()
        ),
        (
            Some("UNAUTHORIZED"),
            Some(format!("Bearer, DPoP algs=\"{ALGS}\"").as_str())
        )
    );
}

async fn standard(app: &TestApp, parameters: &str) -> (Value, Value) {
    let (status, answer) = app
        .post(
            "/auth/introspection/standard",
            &json!({ "parameters": parameters }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let body = content(&answer);
    (answer, body)
}

#[tokio::test]
async fn standard_introspection_describes_active_tokens_per_rfc7662() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let issued = app.client_credentials(Some(&key.token_proof())).await;
    let (answer, body) = standard(
        &app,
        &format!("token={}", issued["accessToken"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("OK"), Some("A057001"))
    );
    assert_eq!(body["active"], true);
    assert_eq!(
        (
            body["scope"].as_str(),
            body["client_id"].as_str(),
            body["sub"].as_str()
        ),
        (Some("read"), Some(CONFIDENTIAL.0), Some(CONFIDENTIAL.0))
    );
    assert_eq!(
        (body["iss"].as_str(), body["aud"].as_str()),
        (
            Some("https://as.example.com"),
            Some("https://as.example.com")
        )
    );
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(body["cnf"]["jkt"], key.jkt());
    assert!(body["exp"].as_i64().unwrap() > body["iat"].as_i64().unwrap());

    let bearer = app.client_credentials(None).await;
    let (_, body) = standard(
        &app,
        &format!(
            "token={}&token_type_hint=access_token",
            bearer["accessToken"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        (body["active"].as_bool(), body["token_type"].as_str()),
        (Some(true), Some("Bearer"))
    );
    assert!(body.get("cnf").is_none());
    let (_, body) = standard(
        &app,
        &format!(
            "token={}&token_type_hint=refresh_token",
            bearer["refreshToken"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        (
            body["active"].as_bool(),
            body["client_id"].as_str(),
            body["scope"].as_str()
        ),
        (Some(true), Some(CONFIDENTIAL.0), Some("read"))
    );
}

#[tokio::test]
async fn standard_introspection_says_only_inactive_for_anything_unusable() {
    let app = spawn_app().await;
    let expired = mint(
        &app,
        Mint {
            iat: UnixTime::now().plus(-7200),
            ..Mint::default()
        },
    );
    let foreign = mint(&spawn_app().await, Mint::default());
    for token in [expired.as_str(), foreign.as_str(), "garbage", "a.b.c"] {
        let (answer, body) = standard(&app, &format!("token={token}")).await;
        assert_eq!(body, json!({ "active": false }), "{token}");
        assert_eq!(
            (answer["action"].as_str(), answer["resultCode"].as_str()),
            (Some("OK"), Some("A057002"))
        );
    }
    let (answer, body) = standard(&app, "token_type_hint=access_token").await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A057302"))
    );
    assert_eq!(body["error"], "invalid_request");
    let (status, _) = app
        .post_as(
            "/auth/introspection/standard",
            &json!({ "parameters": "token=x" }),
            None,
        )
        .await;
    assert_eq!(status, 401);
}
