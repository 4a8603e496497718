//! `/auth/revocation` (RFC 7009): what a client revokes is refused by introspection at once —
//! even a token introspection has already verified and cached — and inactive to RFC 7662.
use crate::helpers::*;
use crate::resource::*;
use dpopd::jose::Alg;
use dpopd::store::Namespace;
use serde_json::{json, Value};
use std::time::Duration;

fn revocation(token: &str) -> Value {
    json!({ "parameters": format!("token={token}"), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 })
}

async fn revoke(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/auth/revocation", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn standard(app: &TestApp, token: &str) -> Value {
    let (status, answer) = app
        .post(
            "/auth/introspection/standard",
            &json!({ "parameters": format!("token={token}") }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    content(&answer)
}

#[tokio::test]
async fn a_revoked_access_token_is_refused_by_introspection_even_when_cached() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        introspect(
            &app,
            &introspection(&token, "DPoP", Some(&resource_proof(&key, &token)))
        )
        .await["action"],
        "OK"
    );
    assert_eq!(standard(&app, &token).await["active"], true);

    let answer = revoke(&app, &revocation(&token)).await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("OK"), Some("A059001"))
    );
    assert!(
        answer.get("responseContent").is_none(),
        "RFC 7009 §2.2: an empty body"
    );

    let refused = introspect(
        &app,
        &introspection(&token, "DPoP", Some(&resource_proof(&key, &token))),
    )
    .await;
    assert_challenge(&refused, "UNAUTHORIZED", "DPoP", "invalid_token");
    assert_eq!(refused["resultCode"], "A056305");
    assert_eq!(refused["existent"], false);
    assert_eq!(standard(&app, &token).await, json!({ "active": false }));
    assert_eq!(
        revoke(&app, &revocation(&token)).await["action"],
        "OK",
        "revoking twice is fine"
    );
}

#[tokio::test]
async fn a_jti_denied_elsewhere_is_refused_although_this_node_cached_the_token() {
    let app = spawn_app().await;
    let token = mint(&app, Mint::default());
    assert_eq!(
        introspect(&app, &introspection(&token, "Bearer", None)).await["action"],
        "OK",
        "verified and cached"
    );
    // What a revocation on another replica leaves behind: the deny-list entry, and this node's
    // cache untouched.
    let claims: Value = serde_json::from_slice(
        &dpopd::jose::b64::decode(token.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    let jti = claims["jti"].as_str().unwrap();
    let store = &app.state.live().core.store;
    store
        .insert_if_absent(
            Namespace::RevokedToken,
            jti.as_bytes(),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let refused = introspect(&app, &introspection(&token, "Bearer", None)).await;
    assert_challenge(&refused, "UNAUTHORIZED", "Bearer", "invalid_token");
    assert_eq!(refused["resultCode"], "A056305");
}

#[tokio::test]
async fn a_revoked_refresh_token_revokes_its_family() {
    let app = spawn_app().await;
    let issued = app.client_credentials(None).await;
    let rt = issued["refreshToken"].as_str().unwrap().to_owned();
    assert_eq!(standard(&app, &rt).await["active"], true);
    let answer = revoke(&app, &json!({ "parameters": format!("token={rt}&token_type_hint=refresh_token"), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 })).await;
    assert_eq!(answer["resultCode"], "A059002");
    assert_eq!(standard(&app, &rt).await, json!({ "active": false }));
    let (_, refresh) = app.post("/auth/token", &json!({
        "parameters": format!("grant_type=refresh_token&refresh_token={rt}"), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1,
    })).await;
    assert_eq!(
        (
            content(&refresh)["error"].as_str(),
            refresh["resultCode"].as_str()
        ),
        (Some("invalid_grant"), Some("A053305"))
    );
}

#[tokio::test]
async fn unknown_tokens_and_other_clients_tokens_are_ok_and_left_alone() {
    let app = spawn_app().await;
    for unknown in ["garbage", "a.b.c"] {
        let answer = revoke(&app, &revocation(unknown)).await;
        assert_eq!(
            (answer["action"].as_str(), answer["resultCode"].as_str()),
            (Some("OK"), Some("A059003")),
            "{unknown}"
        );
    }
    let token = app.client_credentials(None).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = revoke(&app, &json!({ "parameters": format!("token={token}&client_id={}&client_secret={}", POST_CLIENT.0, POST_CLIENT.1) })).await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("OK"), Some("A059004"))
    );
    assert_eq!(
        introspect(&app, &introspection(&token, "Bearer", None)).await["action"],
        "OK",
        "still usable"
    );
}

#[tokio::test]
async fn revocation_authenticates_the_client_as_the_token_endpoint_does() {
    let app = spawn_app().await;
    let token = app.client_credentials(None).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        (
            "wrong secret",
            json!({ "parameters": format!("token={token}"), "clientId": CONFIDENTIAL.0, "clientSecret": "no" }),
            "INVALID_CLIENT",
            "invalid_client",
            "A059303",
        ),
        (
            "no client",
            json!({ "parameters": format!("token={token}") }),
            "INVALID_CLIENT",
            "invalid_client",
            "A059303",
        ),
        (
            "two methods",
            json!({ "parameters": format!("token={token}&client_secret=x"), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 }),
            "BAD_REQUEST",
            "invalid_request",
            "A059304",
        ),
        (
            "no token",
            json!({ "parameters": "", "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 }),
            "BAD_REQUEST",
            "invalid_request",
            "A059302",
        ),
        (
            "repeated token",
            json!({ "parameters": "token=a&token=b", "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 }),
            "BAD_REQUEST",
            "invalid_request",
            "A059301",
        ),
    ];
    for (why, body, action, error, code) in cases {
        let answer = revoke(&app, &body).await;
        assert_eq!(answer["action"], action, "{why}");
        assert_eq!(content(&answer)["error"], error, "{why}");
        assert_eq!(answer["resultCode"], code, "{why}");
    }
    assert_eq!(
        introspect(&app, &introspection(&token, "Bearer", None)).await["action"],
        "OK",
        "nothing was revoked"
    );
    let (status, _) = app
        .post_as(
            "/auth/revocation",
            &revocation(&token),
            Some(RS_ONLY_CALLER),
        )
        .await;
    assert_eq!(status, 403, "revocation is an AS API");
    let (status, long) = app.post("/api/auth/revocation", &revocation(&token)).await;
    assert_eq!(
        (status, long["resultCode"].as_str()),
        (200, Some("A059001"))
    );
}
