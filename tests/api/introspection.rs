//! `/auth/introspection`: the resource server's decision (docs/api.md, "Introspection and
//! userinfo"; RFC 6750 §3, RFC 9449 §7).
//! Every refusal is checked for its `action`, OAuth error and exact challenge scheme.
use crate::helpers::*;
use crate::resource::*;
use dpopd::clock::UnixTime;
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::{b64, Alg};
use dpopd::oauth::introspection::{self, IntrospectionCall};
use serde_json::{json, Value};

/// A DPoP-bound token of the confidential client (scope `read`) and the key it is bound to.
async fn bound_token(app: &TestApp) -> (TestKey, String) {
    let key = TestKey::new(Alg::ES256);
    let issued = app.client_credentials(Some(&key.token_proof())).await;
    (
        key,
        issued["accessToken"]
            .as_str()
            .expect("access token")
            .to_owned(),
    )
}

#[tokio::test]
async fn a_bound_token_with_its_proof_is_ok() {
    let app = spawn_app().await;
    let (key, token) = bound_token(&app).await;
    let answer = introspect(
        &app,
        &introspection(&token, "DPoP", Some(&resource_proof(&key, &token))),
    )
    .await;
    assert_eq!(answer["action"], "OK", "{answer}");
    assert_eq!(answer["resultCode"], "A056001");
    assert_eq!(answer["jkt"], key.jkt());
    assert_eq!(
        (answer["clientId"].as_str(), answer["subject"].as_str()),
        (Some(CONFIDENTIAL.0), Some(CONFIDENTIAL.0))
    );
    assert_eq!(answer["scopes"], json!(["read"]));
    assert!(answer["expiresAt"].as_i64().unwrap() > UnixTime::now().millis());
    assert_eq!(
        (
            answer["existent"].as_bool(),
            answer["usable"].as_bool(),
            answer["sufficient"].as_bool()
        ),
        (Some(true), Some(true), Some(true))
    );
    assert!(answer.get("responseContent").is_none() && answer.get("dpopNonce").is_none());
    let (_, long) = app
        .post(
            "/api/auth/introspection",
            &introspection(&token, "DPoP", Some(&resource_proof(&key, &token))),
        )
        .await;
    assert_eq!(
        long["action"], "OK",
        "the Authlete path answers too: {long}"
    );
}

#[tokio::test]
async fn a_proof_by_another_key_is_invalid_token_and_a_bad_proof_invalid_dpop_proof() {
    let app = spawn_app().await;
    let (key, token) = bound_token(&app).await;
    let thief = TestKey::new(Alg::ES256);
    let answer = introspect(
        &app,
        &introspection(&token, "DPoP", Some(&resource_proof(&thief, &token))),
    )
    .await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    assert_eq!(answer["resultCode"], "A056311");
    let flags = |a: &Value| {
        (
            a["existent"].as_bool(),
            a["usable"].as_bool(),
            a["sufficient"].as_bool(),
        )
    };
    assert_eq!(
        flags(&answer),
        (Some(true), Some(true), Some(true)),
        "the token itself is fine"
    );
    let mut wider = introspection(&token, "DPoP", Some(&resource_proof(&thief, &token)));
    wider["scopes"] = json!(["read", "write"]);
    let answer = introspect(&app, &wider).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    assert_eq!(
        flags(&answer),
        (Some(true), Some(true), Some(false)),
        "401 before 403, and the scopes are still judged"
    );

    let no_ath = key.proof_with("GET", RS_URL, UnixTime::now(), &ProofClaims::default());
    let other_ath = resource_proof(&key, "another-token");
    let unsigned = format!(
        "{}.",
        resource_proof(&key, &token).rsplit_once('.').unwrap().0
    );
    for (why, proof) in [
        ("no ath", no_ath),
        ("ath of another token", other_ath),
        ("no signature", unsigned),
    ] {
        let answer = introspect(&app, &introspection(&token, "DPoP", Some(&proof))).await;
        assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
        assert_eq!(answer["resultCode"], "A056308", "{why}");
    }
    let answer = introspect(&app, &introspection(&token, "DPoP", None)).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
    assert_eq!(
        answer["resultCode"], "A056307",
        "a bound token needs a proof"
    );
}

#[tokio::test]
async fn a_bound_token_presented_as_bearer_is_refused_as_a_downgrade() {
    let app = spawn_app().await;
    let (key, token) = bound_token(&app).await;
    for proof in [None, Some(resource_proof(&key, &token))] {
        let answer = introspect(&app, &introspection(&token, "Bearer", proof.as_deref())).await;
        assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
        assert_eq!(answer["resultCode"], "A056306");
    }
}

#[tokio::test]
async fn an_unbound_token_with_the_dpop_scheme_and_a_valid_proof_is_accepted_and_reported() {
    let app = spawn_app().await;
    let token = app.client_credentials(None).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = TestKey::new(Alg::EdDSA);
    let answer = introspect(
        &app,
        &introspection(&token, "DPoP", Some(&resource_proof(&key, &token))),
    )
    .await;
    assert_eq!(answer["action"], "OK", "{answer}");
    assert_eq!(answer["resultCode"], "A056002", "the proof is reported");
    assert!(answer.get("jkt").is_none(), "the token is not bound");
    let bad = introspect(
        &app,
        &introspection(&token, "DPoP", Some(&resource_proof(&key, "other"))),
    )
    .await;
    assert_challenge(&bad, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
    let bearer = introspect(&app, &introspection(&token, "Bearer", None)).await;
    assert_eq!(
        (bearer["action"].as_str(), bearer["resultCode"].as_str()),
        (Some("OK"), Some("A056001"))
    );
}

#[tokio::test]
async fn unusable_tokens_are_invalid_token() {
    let app = spawn_app().await;
    let now = UnixTime::now();
    let good = mint(&app, Mint::default());
    let (header, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let none = b64::encode(br#"{"alg":"none","typ":"at+jwt","kid":"test-key-1"}"#);
    let claims: Value = serde_json::from_slice(&b64::decode(payload).unwrap()).unwrap();
    let mut widened = claims.clone();
    widened["scope"] = "read write admin".into();
    let tampered = b64::encode(widened.to_string().as_bytes());
    let elsewhere = spawn_app().await;
    let cases = [
        (
            "expired",
            mint(
                &app,
                Mint {
                    iat: now.plus(-7200),
                    ..Mint::default()
                },
            ),
            "A056303",
        ),
        (
            "not yet valid",
            mint(
                &app,
                Mint {
                    iat: now.plus(600),
                    ..Mint::default()
                },
            ),
            "A056304",
        ),
        (
            "signed by another service's key of the same kid",
            mint(&elsewhere, Mint::default()),
            "A056302",
        ),
        (
            "tampered claims",
            format!("{header}.{tampered}.{signature}"),
            "A056302",
        ),
        (
            "alg none",
            format!("{none}.{payload}.{signature}"),
            "A056302",
        ),
        (
            "alg none, no signature",
            format!("{none}.{payload}."),
            "A056302",
        ),
        ("malformed", "not a token".to_owned(), "A056302"),
    ];
    for (why, token, code) in cases {
        for (scheme, dpop) in [
            ("Bearer", None),
            (
                "DPoP",
                Some(resource_proof(&TestKey::new(Alg::ES256), &token)),
            ),
        ] {
            let answer = introspect(&app, &introspection(&token, scheme, dpop.as_deref())).await;
            assert_challenge(&answer, "UNAUTHORIZED", scheme, "invalid_token");
            assert_eq!(answer["resultCode"], code, "{why} as {scheme}");
            assert_eq!(answer["usable"], false, "{why}");
        }
    }
}

#[tokio::test]
async fn missing_scope_subject_or_resource_is_forbidden() {
    let app = spawn_app().await;
    let (key, token) = bound_token(&app).await;
    let bearer = mint(
        &app,
        Mint {
            scopes: &["read", "write"],
            ..Mint::default()
        },
    );
    let with = |token: &str, key: Option<&TestKey>, extra: Value| {
        let mut body = introspection(
            token,
            if key.is_some() { "DPoP" } else { "Bearer" },
            key.map(|k| resource_proof(k, token)).as_deref(),
        );
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let answer = introspect(
        &app,
        &with(&bearer, None, json!({ "scopes": ["read", "admin"] })),
    )
    .await;
    let params = assert_challenge(&answer, "FORBIDDEN", "Bearer", "insufficient_scope");
    assert!(
        params.contains(&("scope".into(), "read admin".into())),
        "{params:?}"
    );
    assert_eq!(
        (
            answer["resultCode"].as_str(),
            answer["sufficient"].as_bool()
        ),
        (Some("A056312"), Some(false))
    );
    assert_eq!(
        answer["subject"], "alice",
        "the token's data comes with a 403"
    );

    let answer = introspect(
        &app,
        &with(&token, Some(&key), json!({ "scopes": ["write"] })),
    )
    .await;
    let params = assert_challenge(&answer, "FORBIDDEN", "DPoP", "insufficient_scope");
    assert!(
        params.contains(&("scope".into(), "write".into())),
        "{params:?}"
    );

    let answer = introspect(&app, &with(&bearer, None, json!({ "subject": "bob" }))).await;
    assert_challenge(&answer, "FORBIDDEN", "Bearer", "insufficient_scope");
    assert_eq!(answer["resultCode"], "A056313");
    let answer = introspect(
        &app,
        &with(
            &bearer,
            None,
            json!({ "subject": "alice", "resources": ["https://as.example.com"] }),
        ),
    )
    .await;
    assert_eq!(
        answer["action"], "OK",
        "the default audience is the issuer: {answer}"
    );
    let answer = introspect(
        &app,
        &with(
            &bearer,
            None,
            json!({ "resources": ["https://other.example.com"] }),
        ),
    )
    .await;
    assert_challenge(&answer, "FORBIDDEN", "Bearer", "insufficient_scope");
    assert_eq!(answer["resultCode"], "A056314");
    let (status, answer) = app
        .post(
            "/auth/introspection",
            &with(&bearer, None, json!({ "scopes": ["bad\"scope"] })),
        )
        .await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (400, Some("A001205")),
        "required scopes are the caller's input"
    );
}

#[tokio::test]
async fn no_token_at_all_offers_both_schemes_without_an_error() {
    let app = spawn_app().await;
    for body in [json!({ "htu": RS_URL }), json!({ "token": null })] {
        let answer = introspect(&app, &body).await;
        assert_eq!(answer["action"], "UNAUTHORIZED", "{answer}");
        assert_eq!(answer["resultCode"], "A056301");
        let content = answer["responseContent"].as_str().unwrap();
        assert_eq!(content, format!("Bearer, DPoP algs=\"{ALGS}\""));
        assert!(parse_challenges(content).is_ok());
    }
}

#[tokio::test]
async fn an_empty_token_is_invalid_request() {
    let app = spawn_app().await;
    let answer = introspect(&app, &json!({ "token": "", "htu": RS_URL })).await;
    assert_eq!(answer["action"], "BAD_REQUEST", "{answer}");
    assert_eq!(answer["resultCode"], "A056315");
    assert_eq!(
        answer["responseContent"],
        r#"Bearer error="invalid_request", error_description="The access token is empty.""#
    );
}

#[tokio::test]
async fn the_rs_nonce_is_required_by_setting_or_per_call() {
    let mut settings = test_settings();
    settings.dpop.rs_nonce_required = true;
    let app = spawn_app_with(settings).await;
    let (key, token) = bound_token(&app).await;
    let answer = introspect(
        &app,
        &introspection(&token, "DPoP", Some(&resource_proof(&key, &token))),
    )
    .await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "use_dpop_nonce");
    assert_eq!(answer["resultCode"], "A056310");
    let nonce = answer["dpopNonce"]
        .as_str()
        .expect("dpopNonce with the challenge")
        .to_owned();
    let proof = key.proof_with(
        "GET",
        RS_URL,
        UnixTime::now(),
        &ProofClaims {
            access_token: Some(&token),
            nonce: Some(&nonce),
            ..Default::default()
        },
    );
    let ok = introspect(&app, &introspection(&token, "DPoP", Some(&proof))).await;
    assert_eq!(ok["action"], "OK", "{ok}");
    assert!(
        ok["dpopNonce"].is_string(),
        "the nonce comes with success too"
    );

    let plain = spawn_app().await;
    let (key, token) = bound_token(&plain).await;
    let mut body = introspection(&token, "DPoP", Some(&resource_proof(&key, &token)));
    body["dpopNonceRequired"] = true.into();
    let answer = introspect(&plain, &body).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "use_dpop_nonce");
    assert!(answer["dpopNonce"].is_string());
}

#[tokio::test]
async fn a_proof_for_another_url_or_method_is_invalid_dpop_proof() {
    let app = spawn_app().await;
    let (key, token) = bound_token(&app).await;
    let claims = ProofClaims {
        access_token: Some(&token),
        ..Default::default()
    };
    let cases = [
        (
            "another htu",
            key.proof_with(
                "GET",
                "https://rs.example.com/other",
                UnixTime::now(),
                &claims,
            ),
            "/other",
        ),
        (
            "another htm",
            key.proof_with("POST", RS_URL, UnixTime::now(), &claims),
            "POST",
        ),
    ];
    for (why, proof, mentioned) in cases {
        let answer = introspect(&app, &introspection(&token, "DPoP", Some(&proof))).await;
        let params = assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
        assert!(
            answer["resultMessage"]
                .as_str()
                .unwrap()
                .contains(mentioned),
            "{why}: the operator sees the values"
        );
        assert!(
            !params.iter().any(|(_, v)| v.contains(mentioned)),
            "{why}: the client text does not echo input"
        );
    }
}

#[tokio::test]
async fn a_replayed_resource_proof_is_rejected() {
    let app = spawn_app().await;
    let (key, token) = bound_token(&app).await;
    let body = introspection(&token, "DPoP", Some(&resource_proof(&key, &token)));
    assert_eq!(introspect(&app, &body).await["action"], "OK");
    let again = introspect(&app, &body).await;
    assert_challenge(&again, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
    assert_eq!(again["resultCode"], "A056309");
}

#[tokio::test]
async fn the_cache_never_serves_an_expired_token() {
    let app = spawn_app().await;
    let token = mint(
        &app,
        Mint {
            lifetime: 60,
            ..Mint::default()
        },
    );
    assert_eq!(
        introspect(&app, &introspection(&token, "Bearer", None)).await["action"],
        "OK",
        "verified and cached"
    );
    // The app's own core and cache, at a clock pinned past the token's exp.
    let call = IntrospectionCall {
        token: Some(&token),
        ..Default::default()
    };
    let later = UnixTime::now().plus(61);
    let outcome = introspection::introspect(&app.state.live().core, &call, later).await;
    assert!(matches!(
        outcome.result,
        Err(introspection::IntrospectionError::InvalidToken(
            dpopd::oauth::access::AccessError::Expired
        ))
    ));
}

#[tokio::test]
async fn introspection_needs_the_rs_role_and_a_usable_htu() {
    let app = spawn_app().await;
    let body = introspection("x", "Bearer", None);
    assert_eq!(app.post_as("/auth/introspection", &body, None).await.0, 401);
    assert_eq!(
        app.post_as("/auth/introspection", &body, Some(RS_ONLY_CALLER))
            .await
            .0,
        200
    );
    let (key, token) = bound_token(&app).await;
    let mut body = introspection(&token, "DPoP", Some(&resource_proof(&key, &token)));
    body["htu"] = "not a url".into();
    let (status, answer) = app.post("/auth/introspection", &body).await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (400, Some("A001205"))
    );
    body["tokenScheme"] = "MAC".into();
    assert_eq!(app.post("/auth/introspection", &body).await.0, 400);
}
