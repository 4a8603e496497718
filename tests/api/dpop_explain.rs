//! `/auth/dpop/explain` (docs/api.md, "Explaining a proof"): the token endpoint's and
//! introspection's checks against this server's configuration and clock, every check in the
//! answer, the `jti` never recorded, each caller's calls counted.
use crate::helpers::*;
use crate::resource::*;
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::Alg;
use serde_json::{json, Value};

async fn explain(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/auth/dpop/explain", body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (&answer["action"], &answer["resultCode"]),
        (&json!("OK"), &json!("A061001")),
        "{answer}"
    );
    answer
}

fn verdict<'a>(answer: &'a Value, check: &str) -> &'a str {
    answer["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|r| r["check"] == check)
        .and_then(|r| r["verdict"].as_str())
        .unwrap_or_else(|| panic!("no {check} row: {answer}"))
}

#[tokio::test]
async fn explaining_leaves_the_jti_unspent_and_the_token_endpoint_then_accepts_the_proof() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let proof = key.token_proof();
    for _ in 0..2 {
        let answer = explain(&app, &json!({ "dpop": proof })).await;
        assert_eq!(answer["accepted"], true, "{answer}");
        assert!(answer.get("refusal").is_none(), "{answer}");
        assert_eq!(answer["jkt"], key.jkt());
        assert_eq!(answer["htm"], "POST");
        assert_eq!(answer["htu"], TOKEN_HTU);
        assert_eq!(verdict(&answer, "replay"), "PASS");
        assert_eq!(answer["checks"].as_array().unwrap().len(), 13);
        assert_eq!(answer["header"]["typ"], "dpop+jwt");
    }
    // Nothing was recorded and nothing issued: the same proof gets its token.
    let issued = app.client_credentials(Some(&proof)).await;
    assert_eq!(issued["action"], "OK", "{issued}");
    assert_eq!(issued["tokenType"], "DPoP");
    // Now it has been used: explain says so, and what the token endpoint answers.
    let answer = explain(&app, &json!({ "dpop": proof })).await;
    assert_eq!(answer["accepted"], false);
    assert_eq!(answer["failedCheck"], "replay");
    assert_eq!(verdict(&answer, "replay"), "FAIL");
    assert_eq!(
        answer["refusal"],
        json!({ "action": "BAD_REQUEST", "resultCode": "A254302", "error": "invalid_dpop_proof" })
    );
}

#[tokio::test]
async fn every_check_is_reported_with_the_endpoint_refusal_of_the_first_failure() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let stale = key.proof_with(
        "GET",
        "https://as.example.com/other",
        dpopd::clock::UnixTime::now().plus(-3600),
        &ProofClaims::default(),
    );
    let answer = explain(
        &app,
        &json!({ "dpop": stale, "htm": "POST", "htu": TOKEN_HTU }),
    )
    .await;
    assert_eq!(answer["failedCheck"], "htm", "{answer}");
    for (check, expected) in [
        ("signature", "PASS"),
        ("htm", "FAIL"),
        ("htu", "FAIL"),
        ("iat", "FAIL"),
        ("ath", "SKIP"),
    ] {
        assert_eq!(verdict(&answer, check), expected, "{check}: {answer}");
    }
    assert!(
        (-3601..=-3599).contains(&answer["iatOffset"].as_i64().unwrap()),
        "{answer}"
    );
    assert_eq!(
        answer["refusal"],
        json!({ "action": "BAD_REQUEST", "resultCode": "A254301", "error": "invalid_dpop_proof" })
    );
    // Garbage is explained too: check 1 fails and the rest is skipped.
    let answer = explain(&app, &json!({ "dpop": "not-a-proof" })).await;
    assert_eq!(answer["failedCheck"], "syntax");
    assert_eq!(verdict(&answer, "typ"), "SKIP");
}

#[tokio::test]
async fn a_resource_call_is_explained_with_the_token_binding_and_ath() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let issued = app.client_credentials(Some(&key.token_proof())).await;
    let token = issued["accessToken"].as_str().unwrap();
    let body = |proof: &str| json!({ "dpop": proof, "token": token, "htu": RS_URL });
    let answer = explain(&app, &body(&resource_proof(&key, token))).await;
    assert_eq!(answer["accepted"], true, "{answer}");
    assert_eq!(answer["htm"], "GET");
    assert_eq!(verdict(&answer, "ath"), "PASS");
    assert_eq!(verdict(&answer, "jkt"), "PASS");
    // Another key's proof: introspection's invalid_token for a key mismatch.
    let thief = TestKey::new(Alg::ES256);
    let answer = explain(&app, &body(&resource_proof(&thief, token))).await;
    assert_eq!(answer["failedCheck"], "jkt", "{answer}");
    assert_eq!(
        answer["refusal"],
        json!({ "action": "UNAUTHORIZED", "resultCode": "A056311", "error": "invalid_token" })
    );
    // A token that is not this service's: introspection refuses it before the proof.
    let answer = explain(
        &app,
        &json!({ "dpop": resource_proof(&key, "x.y.z"), "token": "x.y.z", "htu": RS_URL }),
    )
    .await;
    assert_eq!(
        answer["accepted"], true,
        "the proof itself is fine: {answer}"
    );
    assert_eq!(answer["refusal"]["resultCode"], "A056302", "{answer}");
    // Introspection of the bound token still accepts the explained proof.
    let proof = resource_proof(&key, token);
    explain(&app, &body(&proof)).await;
    let answer = introspect(&app, &introspection(token, "DPoP", Some(&proof))).await;
    assert_eq!(answer["action"], "OK", "{answer}");
}

#[tokio::test]
async fn the_servers_nonce_policy_and_the_clients_decide() {
    let mut settings = test_settings();
    settings.dpop.nonce_required = true;
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let answer = explain(&app, &json!({ "dpop": key.token_proof() })).await;
    assert_eq!(answer["failedCheck"], "nonce", "{answer}");
    assert_eq!(answer["refusal"]["error"], "use_dpop_nonce");
    let nonce = answer["dpopNonce"]
        .as_str()
        .expect("the current nonce")
        .to_owned();
    let proof = key.proof_with(
        "POST",
        TOKEN_HTU,
        dpopd::clock::UnixTime::now(),
        &ProofClaims {
            nonce: Some(&nonce),
            ..Default::default()
        },
    );
    let answer = explain(&app, &json!({ "dpop": proof, "clientId": CONFIDENTIAL.0 })).await;
    assert_eq!(answer["accepted"], true, "{answer}");
    assert_eq!(verdict(&answer, "nonce"), "PASS");
    let (status, answer) = app
        .post(
            "/auth/dpop/explain",
            &json!({ "dpop": proof, "clientId": "nobody" }),
        )
        .await;
    assert_eq!((status, &answer["resultCode"]), (400, &json!("A061201")));
    let (status, answer) = app
        .post("/auth/dpop/explain", &json!({ "htm": "POST" }))
        .await;
    assert_eq!(
        (status, &answer["resultCode"]),
        (400, &json!("A001203")),
        "{answer}"
    );
}

#[tokio::test]
async fn each_role_explains_its_endpoints_proofs_within_the_callers_budget() {
    let mut settings = test_settings();
    for caller in &mut settings.callers {
        caller.explain_per_minute = 2;
    }
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let body = json!({ "dpop": key.token_proof() });
    // Each role explains its own endpoint's proofs: rs those presented with a token.
    let issued = app.client_credentials(Some(&key.token_proof())).await;
    let token = issued["accessToken"].as_str().unwrap();
    let resource = json!({ "dpop": resource_proof(&key, token), "token": token, "htu": RS_URL });
    let (status, _) = app
        .post_as("/auth/dpop/explain", &resource, Some(RS_ONLY_CALLER))
        .await;
    assert_eq!(status, 200, "role rs may explain a resource proof");
    let (status, answer) = app
        .post_as("/auth/dpop/explain", &body, Some(RS_ONLY_CALLER))
        .await;
    assert_eq!((status, &answer["resultCode"]), (403, &json!("A001202")));
    let (status, _) = app.post_as("/auth/dpop/explain", &body, None).await;
    assert_eq!(status, 401);
    for _ in 0..2 {
        let (status, _) = app.post("/api/auth/dpop/explain", &body).await;
        assert_eq!(status, 200);
    }
    let response = app
        .http
        .post(format!("{}/auth/dpop/explain", app.address))
        .basic_auth(CALLER.0, Some(CALLER.1))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("60")
    );
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["resultCode"], "A061202");
    // The other caller's budget is its own: one call left.
    let (status, _) = app
        .post_as("/auth/dpop/explain", &resource, Some(RS_ONLY_CALLER))
        .await;
    assert_eq!(status, 200);
}
