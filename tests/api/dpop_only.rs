//! DPoP-only resources (docs/api.md, "DPoP-only resources"; RFC 9449 §7.1): with
//! `dpopRequired` or a `dpop_only` caller, introspection and userinfo refuse Bearer and
//! unbound tokens and offer the `DPoP` scheme alone.
use crate::helpers::*;
use crate::resource::*;
use dpopd::config::{CallerSettings, Role, Secret};
use dpopd::jose::Alg;
use serde_json::{json, Value};

const DPOP_ONLY_CALLER: (&str, &str) = ("dpop-only-rs", "dpop-only-secret");

async fn app_with_a_dpop_only_caller() -> TestApp {
    let mut settings = test_settings();
    settings.callers.push(CallerSettings {
        key: DPOP_ONLY_CALLER.0.into(),
        secret: Some(Secret::new(DPOP_ONLY_CALLER.1)),
        secret_sha256: None,
        roles: vec![Role::Rs],
        dpop_only: true,
        explain_per_minute: 30,
    });
    spawn_app_with(settings).await
}

fn required(mut body: Value, required: bool) -> Value {
    body["dpopRequired"] = required.into();
    body
}

/// The challenge has the `DPoP` scheme and no `Bearer` one.
fn assert_dpop_only(answer: &Value) {
    let text = answer["responseContent"].as_str().expect("responseContent");
    let challenges = parse_challenges(text).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        challenges.iter().all(|(scheme, _)| scheme == "DPoP"),
        "{text}"
    );
}

#[tokio::test]
async fn a_bearer_token_is_refused_with_a_dpop_challenge() {
    let app = spawn_app().await;
    let bearer = app.client_credentials(None).await;
    let token = bearer["accessToken"].as_str().unwrap();
    let answer = introspect(&app, &required(introspection(token, "Bearer", None), true)).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    assert_eq!(answer["resultCode"], "A056316");
    assert_dpop_only(&answer);
    // Without the option the same call is accepted.
    let answer = introspect(&app, &introspection(token, "Bearer", None)).await;
    assert_eq!(answer["action"], "OK", "{answer}");
}

#[tokio::test]
async fn an_unbound_token_is_refused_even_with_a_valid_proof() {
    let app = spawn_app().await;
    let bearer = app.client_credentials(None).await;
    let token = bearer["accessToken"].as_str().unwrap();
    let key = TestKey::new(Alg::ES256);
    let body = introspection(token, "DPoP", Some(&resource_proof(&key, token)));
    let answer = introspect(&app, &required(body.clone(), true)).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    assert_eq!(answer["resultCode"], "A056316");
    // Without the option, RFC 9449 §7's unbound-token-with-a-proof answer.
    let answer = introspect(&app, &body).await;
    assert_eq!(answer["resultCode"], "A056002", "{answer}");
}

#[tokio::test]
async fn bound_tokens_need_the_dpop_scheme_and_a_valid_proof() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let issued = app.client_credentials(Some(&key.token_proof())).await;
    let token = issued["accessToken"].as_str().unwrap();
    for (why, body, code) in [
        ("as Bearer", introspection(token, "Bearer", None), "A056306"),
        (
            "without a proof",
            introspection(token, "DPoP", None),
            "A056307",
        ),
    ] {
        let answer = introspect(&app, &required(body, true)).await;
        assert_eq!(answer["resultCode"], code, "{why}: {answer}");
        assert_eq!(answer["action"], "UNAUTHORIZED", "{why}");
        assert_dpop_only(&answer);
    }
    let ok = required(
        introspection(token, "DPoP", Some(&resource_proof(&key, token))),
        true,
    );
    let answer = introspect(&app, &ok).await;
    assert_eq!(answer["action"], "OK", "{answer}");
}

#[tokio::test]
async fn a_request_without_credentials_is_offered_dpop_alone() {
    let app = spawn_app().await;
    let answer = introspect(&app, &json!({ "dpopRequired": true })).await;
    assert_eq!(answer["action"], "UNAUTHORIZED");
    assert_eq!(answer["resultCode"], "A056301");
    assert_eq!(answer["responseContent"], format!("DPoP algs=\"{ALGS}\""));
    let answer = introspect(&app, &json!({})).await;
    assert_eq!(
        answer["responseContent"],
        format!("Bearer, DPoP algs=\"{ALGS}\""),
        "a resource taking Bearer tokens offers both"
    );
}

#[tokio::test]
async fn a_dpop_only_caller_refuses_bearer_tokens_by_default() {
    let app = app_with_a_dpop_only_caller().await;
    let bearer = app.client_credentials(None).await;
    let token = bearer["accessToken"].as_str().unwrap();
    let as_caller = |body: Value| {
        let app = &app;
        async move {
            let (status, answer) = app
                .post_as("/auth/introspection", &body, Some(DPOP_ONLY_CALLER))
                .await;
            assert_eq!(status, 200, "{answer}");
            answer
        }
    };
    let answer = as_caller(introspection(token, "Bearer", None)).await;
    assert_eq!(answer["resultCode"], "A056316", "{answer}");
    assert_dpop_only(&answer);
    let (_, userinfo) = app
        .post_as(
            "/auth/userinfo",
            &json!({ "token": token, "tokenScheme": "Bearer" }),
            Some(DPOP_ONLY_CALLER),
        )
        .await;
    assert_eq!(userinfo["resultCode"], "A056316", "{userinfo}");
    assert_dpop_only(&userinfo);
    // A call may say otherwise.
    let answer = as_caller(required(introspection(token, "Bearer", None), false)).await;
    assert_eq!(answer["action"], "OK", "{answer}");
    // Other callers are not DPoP-only.
    let answer = introspect(&app, &introspection(token, "Bearer", None)).await;
    assert_eq!(answer["action"], "OK", "{answer}");
}
