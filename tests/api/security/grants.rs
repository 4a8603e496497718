//! Grants under attack: a store filled on purpose keeps every live record and refuses instead
//! (docs/configuration.md, "What full does"); a public client's refresh token becomes bound
//! once a proof is shown (RFC 9449 §5); and revoking a grant — its refresh token, a reused
//! rotated refresh token, a reused code — reaches every access token of it (RFC 7009 §2.1,
//! RFC 9700 §4.14.2, RFC 6749 §4.1.2).
use crate::code_flow::*;
use crate::helpers::*;
use crate::resource::*;
use dpopd::config::Settings;
use dpopd::jose::Alg;
use serde_json::{json, Value};

fn revocation_by(client: (&str, &str), token: &str) -> Value {
    json!({ "parameters": format!("token={token}"), "clientId": client.0, "clientSecret": client.1 })
}

fn public_revocation(token: &str) -> Value {
    json!({ "parameters": format!("token={token}&client_id={PUBLIC}") })
}

async fn revoke(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/auth/revocation", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Client credentials with a refresh token, for the confidential client.
async fn token_with_refresh(app: &TestApp, client: (&str, &str), key: &TestKey) -> Value {
    let (status, answer) = app
        .post(
            "/auth/token",
            &json!({
                "parameters": "grant_type=client_credentials&scope=read",
                "clientId": client.0, "clientSecret": client.1, "dpop": key.token_proof(),
            }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["action"], "OK", "{answer}");
    answer
}

async fn introspect_bound(app: &TestApp, key: &TestKey, token: &str) -> Value {
    introspect(
        app,
        &introspection(token, "DPoP", Some(&resource_proof(key, token))),
    )
    .await
}

async fn standard_active(app: &TestApp, token: &str) -> bool {
    let (_, answer) = app
        .post(
            "/auth/introspection/standard",
            &json!({ "parameters": format!("token={token}") }),
        )
        .await;
    content(&answer)["active"] == true
}

fn text(answer: &Value, field: &str) -> String {
    answer[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {answer}"))
        .to_owned()
}

fn small_store(max_entries: u64, per_owner: u64) -> Settings {
    let mut settings = test_settings();
    settings.store.max_entries = max_entries;
    settings.store.max_entries_per_owner = per_owner;
    settings
}

/// The review's reproduction, with a store of 100 entries (4 for revoked access tokens, 4 for
/// revoked grants): a revoked token stays revoked however many revocations follow; the ones
/// that do not fit are refused (INTERNAL_SERVER_ERROR, nothing revoked) and `/readyz` says so.
#[tokio::test]
async fn a_full_store_refuses_new_records_and_never_forgets_a_revocation() {
    let app = spawn_app_with(small_store(100, 1000)).await;
    let key = TestKey::new(Alg::ES256);
    let first = token_with_refresh(&app, CONFIDENTIAL, &key).await;
    let first_at = text(&first, "accessToken");
    let revoked = revoke(&app, &revocation_by(CONFIDENTIAL, &first_at)).await;
    assert_eq!(revoked["resultCode"], "A059001");
    assert_eq!(
        introspect_bound(&app, &key, &first_at).await["resultCode"],
        "A056305"
    );

    let mut refused = 0;
    for _ in 0..8 {
        let issued = token_with_refresh(&app, CONFIDENTIAL, &key).await;
        let answer = revoke(
            &app,
            &revocation_by(CONFIDENTIAL, &text(&issued, "refreshToken")),
        )
        .await;
        match answer["action"].as_str() {
            Some("OK") => assert_eq!(answer["resultCode"], "A059002"),
            _ => {
                assert_eq!(
                    (answer["action"].as_str(), answer["resultCode"].as_str()),
                    (Some("INTERNAL_SERVER_ERROR"), Some("A059101")),
                    "{answer}"
                );
                assert_eq!(content(&answer)["error"], "server_error");
                refused += 1;
            }
        }
    }
    assert_eq!(
        refused, 4,
        "four grant revocations fit, the other four are refused"
    );
    assert_eq!(
        introspect_bound(&app, &key, &first_at).await["resultCode"],
        "A056305",
        "the first revocation survived the pressure"
    );
    let (status, ready) = app.get("/readyz").await;
    assert_eq!(status, 503, "{ready}");
    assert!(ready.contains("store full"), "{ready}");
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(r#"dpopd_store_refusals_total{namespace="grant_revoked",reason="full"}"#),
        "{metrics}"
    );
}

/// The replay namespace has its own room: a proof accepted before revocations filled theirs is
/// still a replay after, and once the replay room is full a fresh proof is refused with a
/// server error rather than accepted unrecorded.
#[tokio::test]
async fn a_full_replay_table_refuses_proofs_and_keeps_the_ones_it_holds() {
    // Three replay records fit: 72 % of five.
    let app = spawn_app_with(small_store(5, 1000)).await;
    let key = TestKey::new(Alg::ES256);
    let proof = key.token_proof();
    assert_eq!(app.client_credentials(Some(&proof)).await["action"], "OK");
    for _ in 0..2 {
        assert_eq!(
            app.client_credentials(Some(&key.token_proof())).await["action"],
            "OK"
        );
    }
    let answer = app.client_credentials(Some(&key.token_proof())).await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("INTERNAL_SERVER_ERROR"), Some("A051101")),
        "{answer}"
    );
    assert!(answer.get("accessToken").is_none());
    let replayed = app.client_credentials(Some(&proof)).await;
    assert_eq!(replayed["resultCode"], "A254302", "{replayed}");
}

/// One confidential client revoking in a loop fills its own quota, not the room of others.
#[tokio::test]
async fn one_client_cannot_use_up_the_revocation_room_of_another() {
    let app = spawn_app_with(small_store(1_000_000, 2)).await;
    let key = TestKey::new(Alg::ES256);
    for expected in ["OK", "OK", "INTERNAL_SERVER_ERROR"] {
        let issued = token_with_refresh(&app, CONFIDENTIAL, &key).await;
        let answer = revoke(
            &app,
            &revocation_by(CONFIDENTIAL, &text(&issued, "refreshToken")),
        )
        .await;
        assert_eq!(answer["action"], expected, "{answer}");
    }
    let other = token_with_refresh(&app, DPOP_BOUND, &key).await;
    let answer = revoke(
        &app,
        &revocation_by(DPOP_BOUND, &text(&other, "refreshToken")),
    )
    .await;
    assert_eq!(answer["resultCode"], "A059002", "{answer}");
    let (_, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(r#"reason="owner_quota""#),
        "the refusal is counted: {metrics}"
    );
}

/// RFC 9449 §5: a public client's refresh token issued without a proof becomes bound to the
/// key of the first proof that refreshes it; from then on every refresh needs that key.
#[tokio::test]
async fn a_public_clients_refresh_token_is_bound_once_a_proof_is_presented() {
    let app = spawn_app().await;
    let code = code_for(&app, &public_request(&[])).await;
    let issued = redeem(&app, &code, VERIFIER, None).await;
    assert_eq!(issued["tokenType"], "Bearer", "{issued}");
    let rt1 = text(&issued, "refreshToken");
    let k1 = TestKey::new(Alg::ES256);
    let second = refresh(&app, &rt1, &k1).await;
    assert_eq!(second["action"], "OK", "{second}");
    assert_eq!(second["tokenType"], "DPoP");
    let rt2 = text(&second, "refreshToken");

    let without_proof = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &rt2),
        ("client_id", PUBLIC),
    ]);
    let (_, answer) = app
        .post("/auth/token", &json!({ "parameters": without_proof }))
        .await;
    assert_eq!(
        (
            answer["resultCode"].as_str(),
            content(&answer)["error"].as_str()
        ),
        (Some("A053303"), Some("invalid_grant")),
        "no proof: {answer}"
    );
    let k2 = TestKey::new(Alg::ES256);
    let answer = refresh(&app, &rt2, &k2).await;
    assert_eq!(
        (
            answer["resultCode"].as_str(),
            content(&answer)["error"].as_str()
        ),
        (Some("A053303"), Some("invalid_grant")),
        "another key: {answer}"
    );
    assert_eq!(refresh(&app, &rt2, &k1).await["action"], "OK");
}

/// The review's reproduction: revoking the rotated refresh token RT2 revokes AT2, which a
/// refresh minted, and AT1 from the code, at every resource-server API.
#[tokio::test]
async fn revoking_a_refresh_token_revokes_every_access_token_of_its_grant() {
    let app = spawn_app().await;
    let k1 = TestKey::new(Alg::ES256);
    let code = code_for(&app, &public_request(&[])).await;
    let first = redeem(&app, &code, VERIFIER, Some(&k1.token_proof())).await;
    let (at1, rt1) = (text(&first, "accessToken"), text(&first, "refreshToken"));
    let second = refresh(&app, &rt1, &k1).await;
    let (at2, rt2) = (text(&second, "accessToken"), text(&second, "refreshToken"));
    for at in [&at1, &at2] {
        assert_eq!(introspect_bound(&app, &k1, at).await["action"], "OK");
    }

    let answer = revoke(&app, &public_revocation(&rt2)).await;
    assert_eq!(answer["resultCode"], "A059002", "{answer}");
    for at in [&at1, &at2] {
        assert_eq!(
            introspect_bound(&app, &k1, at).await["resultCode"],
            "A056305"
        );
        let (_, userinfo) = app
            .post(
                "/auth/userinfo",
                &json!({ "token": at, "dpop": resource_proof(&k1, at), "htm": "GET", "htu": RS_URL, "tokenScheme": "DPoP" }),
            )
            .await;
        assert_eq!(userinfo["resultCode"], "A056305", "{userinfo}");
        assert!(!standard_active(&app, at).await);
    }
    assert!(!standard_active(&app, &rt2).await);
    assert_eq!(refresh(&app, &rt2, &k1).await["resultCode"], "A053305");
}

/// A confidential client's grant: the refresh token is kept, and revoking it reaches the
/// access tokens of the first issuance and of every refresh.
#[tokio::test]
async fn revoking_a_confidential_clients_refresh_token_revokes_its_access_tokens() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let first = token_with_refresh(&app, CONFIDENTIAL, &key).await;
    let rt = text(&first, "refreshToken");
    let parameters = form(&[("grant_type", "refresh_token"), ("refresh_token", &rt)]);
    let (_, second) = app
        .post(
            "/auth/token",
            &json!({ "parameters": parameters, "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1, "dpop": key.token_proof() }),
        )
        .await;
    assert_eq!(second["action"], "OK", "{second}");
    assert_eq!(text(&second, "refreshToken"), rt, "kept, not rotated");
    revoke(&app, &revocation_by(CONFIDENTIAL, &rt)).await;
    for answer in [&first, &second] {
        let at = text(answer, "accessToken");
        assert_eq!(
            introspect_bound(&app, &key, &at).await["resultCode"],
            "A056305"
        );
    }
}

/// RFC 9700 §4.14.2: a rotated refresh token that comes back revokes the grant, and with it
/// the access token the legitimate refresh produced.
#[tokio::test]
async fn refresh_token_reuse_revokes_the_access_tokens_minted_by_refreshes() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let code = code_for(&app, &public_request(&[])).await;
    let first = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    let rt1 = text(&first, "refreshToken");
    let second = refresh(&app, &rt1, &key).await;
    let at2 = text(&second, "accessToken");
    assert_eq!(introspect_bound(&app, &key, &at2).await["action"], "OK");
    assert_eq!(refresh(&app, &rt1, &key).await["resultCode"], "A053304");
    assert_eq!(
        introspect_bound(&app, &key, &at2).await["resultCode"],
        "A056305"
    );
    let rt2 = text(&second, "refreshToken");
    assert_eq!(refresh(&app, &rt2, &key).await["resultCode"], "A053305");
}

/// RFC 6749 §4.1.2: a code redeemed twice revokes the grant of the first redemption,
/// including access tokens refreshed from it afterwards.
#[tokio::test]
async fn code_reuse_revokes_access_tokens_refreshed_from_the_first_redemption() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let code = code_for(&app, &public_request(&[])).await;
    let first = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    let refreshed = refresh(&app, &text(&first, "refreshToken"), &key).await;
    let at2 = text(&refreshed, "accessToken");
    assert_eq!(introspect_bound(&app, &key, &at2).await["action"], "OK");
    let again = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(again["resultCode"], "A050307");
    assert_eq!(
        introspect_bound(&app, &key, &at2).await["resultCode"],
        "A056305"
    );
}

/// An access token of a grant never outlives the grant: refreshed near the end of the refresh
/// token's life, it expires with it, so the grant's revocation record, kept until then, covers
/// it.
#[tokio::test]
async fn an_access_token_never_outlives_its_grant() {
    let mut settings = test_settings();
    settings.tokens.refresh_token_lifetime_secs = 600;
    settings.tokens.access_token_lifetime_secs = 3600;
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let first = token_with_refresh(&app, CONFIDENTIAL, &key).await;
    let refresh_ends = first["refreshTokenExpiresAt"].as_i64().unwrap();
    assert_eq!(
        first["accessTokenExpiresAt"].as_i64().unwrap(),
        refresh_ends
    );
    let at = text(&first, "accessToken");
    let exp = claims(&at)["exp"].as_i64().unwrap();
    assert_eq!(exp * 1000, refresh_ends);
    assert!(content(&first)["expires_in"].as_i64().unwrap() <= 600);
}
