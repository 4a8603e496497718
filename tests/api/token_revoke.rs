//! `/auth/token/revoke` (docs/api.md, "Revoking every token of a user or client"): every token
//! of a subject, a client or a pair issued up to the call is refused at introspection, userinfo,
//! standard introspection and refresh; tokens of others, and tokens issued after the call,
//! work. On one instance, across two replicas sharing Redis, and across a restart on the
//! durable store.
use crate::durable::{durable, DataDir};
use crate::helpers::*;
use crate::replicas::{redis_or_skip, redis_settings};
use crate::resource::*;
use crate::userinfo::userinfo_body;
use dpopd::clock::UnixTime;
use dpopd::jose::Alg;
use serde_json::{json, Value};
use std::time::Duration;

/// The two clients with refresh tokens for a subject: a public one and a confidential one.
const WEB_ID: &str = WEB.0;

/// Tokens of one grant made by `/auth/token/create`, bound to `key`.
struct Grant {
    client_id: &'static str,
    key: TestKey,
    access: String,
    refresh: String,
}

async fn grant(app: &TestApp, client_id: &'static str, subject: &str) -> Grant {
    let key = TestKey::new(Alg::ES256);
    let body = json!({
        "grantType": "AUTHORIZATION_CODE", "clientId": client_id, "subject": subject,
        "scopes": ["read"], "dpop": key.token_proof(),
    });
    let (status, answer) = app.post("/auth/token/create", &body).await;
    assert_eq!(
        (status, answer["action"].as_str()),
        (200, Some("OK")),
        "{answer}"
    );
    Grant {
        client_id,
        access: answer["accessToken"].as_str().unwrap().to_owned(),
        refresh: answer["refreshToken"].as_str().unwrap().to_owned(),
        key,
    }
}

/// What introspection says of the grant's access token, presented with its key.
async fn access_code(app: &TestApp, grant: &Grant) -> String {
    let proof = resource_proof(&grant.key, &grant.access);
    let answer = introspect(app, &introspection(&grant.access, "DPoP", Some(&proof))).await;
    answer["resultCode"].as_str().unwrap().to_owned()
}

async fn refresh_active(app: &TestApp, grant: &Grant) -> bool {
    let body = json!({ "parameters": format!("token={}", grant.refresh) });
    let (_, answer) = app.post("/auth/introspection/standard", &body).await;
    content(&answer)["active"] == true
}

/// The result code of refreshing the grant (which spends its refresh token).
async fn refresh_code(app: &TestApp, grant: &Grant) -> String {
    let mut parameters = format!("grant_type=refresh_token&refresh_token={}", grant.refresh);
    let mut body = json!({ "dpop": grant.key.token_proof() });
    if grant.client_id == WEB_ID {
        body["clientId"] = json!(WEB.0);
        body["clientSecret"] = json!(WEB.1);
    } else {
        parameters.push_str(&format!("&client_id={}", grant.client_id));
    }
    body["parameters"] = json!(parameters);
    let (_, answer) = app.post("/auth/token", &body).await;
    answer["resultCode"].as_str().unwrap().to_owned()
}

async fn revoke_all(app: &TestApp, body: Value) -> Value {
    let (status, answer) = app.post("/auth/token/revoke", &body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Token times are whole seconds: tokens issued "after the call" are those of a later second.
async fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1010 - u64::from(now.subsec_millis()))).await;
}

const OK: &str = "A056001";
const REVOKED: &str = "A056305";
const REFRESHED: &str = "A053001";
const REFRESH_REVOKED: &str = "A053305";

#[tokio::test]
async fn revoking_a_subject_refuses_its_tokens_at_every_client_and_nobody_elses() {
    let app = spawn_app().await;
    let alice_public = grant(&app, PUBLIC, "alice").await;
    let alice_web = grant(&app, WEB_ID, "alice").await;
    let bob = grant(&app, PUBLIC, "bob").await;
    let answer = revoke_all(&app, json!({ "subject": "alice" })).await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("OK"), Some("A062001")),
        "{answer}"
    );
    let before = answer["revokedBefore"].as_i64().unwrap();
    assert!((before - UnixTime::now().secs()).abs() <= 1, "{answer}");

    for alice in [&alice_public, &alice_web] {
        assert_eq!(access_code(&app, alice).await, REVOKED);
        assert!(!refresh_active(&app, alice).await);
        assert_eq!(refresh_code(&app, alice).await, REFRESH_REVOKED);
    }
    assert_eq!(access_code(&app, &bob).await, OK);
    assert!(refresh_active(&app, &bob).await);
    assert_eq!(refresh_code(&app, &bob).await, REFRESHED);
}

#[tokio::test]
async fn tokens_issued_after_the_call_work() {
    let app = spawn_app().await;
    let old = grant(&app, PUBLIC, "alice").await;
    revoke_all(&app, json!({ "subject": "alice" })).await;
    next_second().await;
    let new = grant(&app, PUBLIC, "alice").await;
    assert_eq!(access_code(&app, &old).await, REVOKED);
    assert_eq!(access_code(&app, &new).await, OK);
    assert!(refresh_active(&app, &new).await);
    assert_eq!(refresh_code(&app, &new).await, REFRESHED);
}

#[tokio::test]
async fn revoking_a_client_refuses_the_tokens_of_all_its_subjects_only() {
    let app = spawn_app().await;
    let alice = grant(&app, WEB_ID, "alice").await;
    let bob = grant(&app, WEB_ID, "bob").await;
    let other_client = grant(&app, PUBLIC, "alice").await;
    // Authlete's name for the field is accepted too.
    let answer = revoke_all(&app, json!({ "clientIdentifier": WEB_ID })).await;
    assert_eq!(answer["action"], "OK", "{answer}");
    assert_eq!(access_code(&app, &alice).await, REVOKED);
    assert_eq!(access_code(&app, &bob).await, REVOKED);
    assert_eq!(refresh_code(&app, &bob).await, REFRESH_REVOKED);
    assert_eq!(access_code(&app, &other_client).await, OK);
}

#[tokio::test]
async fn revoking_a_pair_refuses_that_subjects_tokens_at_that_client_only() {
    let app = spawn_app().await;
    let target = grant(&app, WEB_ID, "alice").await;
    let same_subject = grant(&app, PUBLIC, "alice").await;
    let same_client = grant(&app, WEB_ID, "bob").await;
    let answer = revoke_all(&app, json!({ "subject": "alice", "clientId": WEB_ID })).await;
    assert_eq!(answer["action"], "OK", "{answer}");
    assert_eq!(access_code(&app, &target).await, REVOKED);
    assert!(!refresh_active(&app, &target).await);
    assert_eq!(access_code(&app, &same_subject).await, OK);
    assert_eq!(access_code(&app, &same_client).await, OK);
}

#[tokio::test]
async fn userinfo_refuses_a_token_of_a_revoked_subject() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = mint(
        &app,
        Mint {
            scopes: &["openid"],
            jkt: Some(key.jkt()),
            ..Mint::default()
        },
    );
    let (_, before) = app
        .post("/auth/userinfo", &userinfo_body(&token, &key))
        .await;
    assert_eq!(before["action"], "OK", "{before}");
    revoke_all(&app, json!({ "subject": "alice" })).await;
    let (_, after) = app
        .post("/auth/userinfo", &userinfo_body(&token, &key))
        .await;
    assert_eq!(
        (after["action"].as_str(), after["resultCode"].as_str()),
        (Some("UNAUTHORIZED"), Some(REVOKED)),
        "{after}"
    );
}

#[tokio::test]
async fn a_call_without_a_usable_target_is_refused_and_revokes_nothing() {
    let app = spawn_app().await;
    let alice = grant(&app, WEB_ID, "alice").await;
    let cases = [
        (json!({}), "A062201"),
        (json!({ "subject": "", "clientId": "" }), "A062201"),
        (json!({ "clientId": "no-such-client" }), "A062202"),
        (
            json!({ "subject": "alice", "clientId": "no-such-client" }),
            "A062202",
        ),
        (json!({ "accessTokenIdentifier": alice.access }), "A062203"),
        (
            json!({ "subject": "alice", "refreshTokenIdentifier": "x" }),
            "A062203",
        ),
    ];
    for (body, code) in cases {
        let answer = revoke_all(&app, body.clone()).await;
        assert_eq!(
            (answer["action"].as_str(), answer["resultCode"].as_str()),
            (Some("BAD_REQUEST"), Some(code)),
            "{body} → {answer}"
        );
        assert!(answer.get("revokedBefore").is_none(), "{answer}");
    }
    assert_eq!(access_code(&app, &alice).await, OK);
}

#[tokio::test]
async fn only_an_as_caller_may_revoke() {
    let app = spawn_app().await;
    let (status, answer) = app
        .post_as(
            "/auth/token/revoke",
            &json!({ "subject": "alice" }),
            Some(RS_ONLY_CALLER),
        )
        .await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (403, Some("A001202"))
    );
    let (status, _) = app
        .post_as(
            "/auth/token/revoke",
            &json!({ "subject": "alice" }),
            Some(("nobody", "x")),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .post_as("/auth/token/revoke", &json!({ "subject": "alice" }), None)
        .await;
    assert_eq!(status, 401);
}

/// A store with no room for the mark refuses the call (fail closed: the caller learns that
/// nothing was revoked) instead of answering OK.
#[tokio::test]
async fn a_full_store_refuses_the_call_instead_of_pretending() {
    let mut settings = test_settings();
    settings.store.max_entries_per_owner = 1;
    let app = spawn_app_with(settings).await;
    let first = revoke_all(&app, json!({ "subject": "alice", "clientId": WEB_ID })).await;
    assert_eq!(first["action"], "OK", "{first}");
    // The same owner (client and subject) holds its one long-lived record already.
    let grant = grant(&app, WEB_ID, "alice").await;
    let revocation = json!({
        "parameters": format!("token={}", grant.access), "clientId": WEB.0, "clientSecret": WEB.1,
    });
    let (_, refused) = app.post("/auth/revocation", &revocation).await;
    assert_eq!(refused["action"], "INTERNAL_SERVER_ERROR", "{refused}");
    let mut settings = test_settings();
    settings.store.max_entries = 100; // one record for marks
    let app = spawn_app_with(settings).await;
    assert_eq!(
        revoke_all(&app, json!({ "subject": "a" })).await["action"],
        "OK"
    );
    let full = revoke_all(&app, json!({ "subject": "b" })).await;
    assert_eq!(
        (full["action"].as_str(), full["resultCode"].as_str()),
        (Some("INTERNAL_SERVER_ERROR"), Some("A062101")),
        "{full}"
    );
    assert!(full.get("revokedBefore").is_none(), "{full}");
}

#[tokio::test]
async fn a_revocation_on_one_replica_is_honoured_by_the_other() {
    let Some(redis) = redis_or_skip("token revoke across replicas") else {
        return;
    };
    let settings = redis_settings(&redis);
    let (a, b) = (
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    );
    let alice = grant(&a, WEB_ID, "alice").await;
    let bob = grant(&a, WEB_ID, "bob").await;
    assert_eq!(access_code(&b, &alice).await, OK);
    assert_eq!(
        revoke_all(&a, json!({ "subject": "alice" })).await["action"],
        "OK"
    );
    assert_eq!(access_code(&b, &alice).await, REVOKED);
    assert!(!refresh_active(&b, &alice).await);
    assert_eq!(refresh_code(&b, &alice).await, REFRESH_REVOKED);
    assert_eq!(access_code(&b, &bob).await, OK);
    // A mark only moves later: a replica whose call comes second keeps the later one.
    next_second().await;
    let later = revoke_all(&b, json!({ "subject": "alice" })).await;
    let earlier = revoke_all(&a, json!({ "subject": "alice" })).await;
    assert!(earlier["revokedBefore"].as_i64() >= later["revokedBefore"].as_i64());
}

#[tokio::test]
async fn a_revocation_survives_a_restart_on_the_durable_store() {
    let dir = DataDir::new("token-revoke");
    let settings = durable(&test_settings(), dir.path());
    let first = spawn_app_with(settings.clone()).await;
    let alice = grant(&first, WEB_ID, "alice").await;
    let bob = grant(&first, WEB_ID, "bob").await;
    assert_eq!(
        revoke_all(&first, json!({ "subject": "alice" })).await["action"],
        "OK"
    );
    // What the disk holds while the first instance still runs: what kill -9 would leave.
    let copy = dir.crash_copy();
    let app = spawn_app_with(durable(&settings, copy.path())).await;
    assert_eq!(access_code(&app, &alice).await, REVOKED);
    assert_eq!(refresh_code(&app, &alice).await, REFRESH_REVOKED);
    assert_eq!(access_code(&app, &bob).await, OK);
}
