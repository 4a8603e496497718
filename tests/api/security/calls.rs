//! The API call around a proof (docs/api.md, "Calls" and "State and operations"): the body limit is
//! applied before any proof is
//! read, nesting and duplicated members in the call itself, two `DPoP` headers (or one that
//! was counted and not relayed) at every endpoint that takes a proof, and client text on its
//! way into the operator's `resultMessage` and logs.
use super::proofs::{cc, nested, token_call};
use super::*;
use crate::helpers::*;
use crate::resource::{introspect, introspection, RS_URL};
use dpopd::jose::Alg;
use serde_json::{json, Value};

#[tokio::test]
async fn a_json_body_over_64_kib_is_413_before_any_proof_is_read() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let target = Target {
        key: &key,
        htm: "POST",
        htu: TOKEN_HTU,
        token: None,
    };
    let mut body = cc(&target.proof());
    body["padding"] = "x".repeat(66_000).into();
    let (status, answer) = app.post("/auth/token", &body).await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (413, Some("A001204")),
        "{answer}"
    );
    // The proof was never checked, let alone recorded: it is still good.
    let answer = token_call(
        &app,
        "the same proof afterwards",
        &cc(body["dpop"].as_str().unwrap()),
    )
    .await;
    assert_eq!(answer["action"], "OK", "{answer}");
}

#[tokio::test]
async fn deeply_nested_json_in_the_call_is_ignored_or_refused_never_a_crash() {
    let app = spawn_app().await;
    // An unknown member is ignored (docs/api.md, "Calls"); nested deeper than serde_json's
    // recursion limit (128) it is refused as malformed JSON, never a crash or a hang.
    let text = format!(
        r#"{{"parameters":"grant_type=client_credentials","clientId":"{}","clientSecret":"{}","x":{}}}"#,
        CONFIDENTIAL.0,
        CONFIDENTIAL.1,
        nested(20_000)
    );
    let response = app
        .http
        .post(format!("{}/auth/token", app.address))
        .basic_auth(CALLER.0, Some(CALLER.1))
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let answer: Value = response.json().await.expect("a JSON answer");
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (400, Some("A001203")),
        "{answer}"
    );
    let shallow = format!(
        r#"{{"parameters":"grant_type=client_credentials","clientId":"{}","clientSecret":"{}","x":{}}}"#,
        CONFIDENTIAL.0,
        CONFIDENTIAL.1,
        nested(100)
    );
    let answer: Value = app
        .http
        .post(format!("{}/auth/token", app.address))
        .basic_auth(CALLER.0, Some(CALLER.1))
        .header("content-type", "application/json")
        .body(shallow)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("a JSON answer");
    assert_eq!(answer["resultCode"], "A052001", "{answer}");
    // jwtAtClaims is parsed as JSON text: past serde_json's recursion limit it is the caller's 400.
    let body = json!({ "parameters": "grant_type=client_credentials", "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1,
        "jwtAtClaims": format!(r#"{{"x":{}}}"#, nested(5000)) });
    let (status, answer) = app.post("/auth/token", &body).await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (400, Some("A001205")),
        "{answer}"
    );
}

#[tokio::test]
async fn a_call_relaying_dpop_twice_in_its_json_is_a_caller_error() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let text = format!(
        r#"{{"parameters":"grant_type=client_credentials","clientId":"{}","clientSecret":"{}","dpop":"{}","dpop":"{}"}}"#,
        CONFIDENTIAL.0,
        CONFIDENTIAL.1,
        key.token_proof(),
        key.token_proof()
    );
    let response = app
        .http
        .post(format!("{}/auth/token", app.address))
        .basic_auth(CALLER.0, Some(CALLER.1))
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let answer: Value = response.json().await.expect("a JSON answer");
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (400, Some("A001203")),
        "{answer}"
    );
    assert!(
        answer["resultMessage"]
            .as_str()
            .unwrap()
            .contains("duplicate field `dpop`"),
        "{answer}"
    );
}

/// RFC 9449 §4.3 (1) at every door that takes a client's proof: the token endpoint,
/// introspection, PAR and delegated issuance refuse two `DPoP` headers whatever was relayed.
#[tokio::test]
async fn two_dpop_headers_are_refused_at_every_endpoint() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let mut body = cc(&key.token_proof());
    body["dpopHeaderCount"] = 2.into();
    let answer = token_call(&app, "two DPoP headers at the token endpoint", &body).await;
    assert_refused(
        "two DPoP headers at the token endpoint",
        &answer,
        &bad_proof("more than one DPoP proof"),
    );

    let token = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = introspection(
        &token,
        "DPoP",
        Some(&crate::resource::resource_proof(&key, &token)),
    );
    body["dpopHeaderCount"] = 2.into();
    let answer = introspect(&app, &body).await;
    assert_challenged(
        "two DPoP headers at introspection",
        &answer,
        &bad_resource_proof("more than one DPoP proof"),
    );

    let mut table = Rows::default();
    for (name, path, body) in counted_header_rows(&key) {
        let mut body = body;
        body["dpopHeaderCount"] = 2.into();
        let answer = token_call_at(&app, path, name, &body).await;
        table.check(name, || {
            assert_refused(name, &answer, &bad_proof("more than one DPoP proof"))
        });
        body.as_object_mut().unwrap().remove("dpop");
        let name = format!("{name}, the proof not relayed");
        let answer = token_call_at(&app, path, &name, &body).await;
        table.check(&name, || {
            assert_refused(&name, &answer, &bad_proof("more than one DPoP proof"))
        });
    }
    table.finish();
}

/// A request that had one `DPoP` header, relayed without it, is refused as at the token
/// endpoint (RFC 9449 §4.3 (2): its header is no proof): never a token or `request_uri`
/// without the key binding the client asked for.
#[tokio::test]
async fn a_counted_dpop_header_without_its_proof_is_refused_at_every_endpoint() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let required = |code| Refusal {
        action: "BAD_REQUEST",
        error: "invalid_request",
        code,
        detail: "DPoP proof required",
    };
    let mut cc_body = cc("unused");
    cc_body.as_object_mut().unwrap().remove("dpop");
    cc_body["dpopHeaderCount"] = 1.into();
    let answer = token_call(&app, "the token endpoint", &cc_body).await;
    assert_refused("the token endpoint", &answer, &required("A051309"));

    let mut table = Rows::default();
    for ((name, path, body), code) in counted_header_rows(&key)
        .into_iter()
        .zip(["A051309", "A047207"])
    {
        let mut body = body;
        body.as_object_mut().unwrap().remove("dpop");
        body["dpopHeaderCount"] = 1.into();
        let answer = token_call_at(&app, path, name, &body).await;
        table.check(name, || assert_refused(name, &answer, &required(code)));
    }
    table.finish();

    // With the proof relayed, a count of 1 is what every client sends.
    for (name, path, body) in counted_header_rows(&key) {
        let mut body = body;
        body["dpopHeaderCount"] = 1.into();
        let answer = token_call_at(&app, path, name, &body).await;
        assert!(
            matches!(answer["action"].as_str(), Some("CREATED" | "OK")),
            "{name} with one header: {answer}"
        );
    }
    // A caller that verified the proof itself passes its thumbprint instead of the proof.
    let body = json!({ "grantType": "AUTHORIZATION_CODE", "clientId": PUBLIC, "subject": "alice",
        "scopes": ["read"], "dpopKeyThumbprint": key.jkt(), "dpopHeaderCount": 1 });
    let answer = token_call_at(&app, "/auth/token/create", "a thumbprint", &body).await;
    assert_eq!(answer["action"], "OK", "{answer}");
}

/// A valid call with a proof at PAR and at delegated issuance.
fn counted_header_rows(key: &TestKey) -> [(&'static str, &'static str, Value); 2] {
    [
        (
            "PAR",
            "/pushed_auth_req",
            json!({ "parameters": crate::code_flow::public_request(&[]), "dpop": key.proof("POST", PAR_HTU) }),
        ),
        (
            "delegated issuance",
            "/auth/token/create",
            json!({ "grantType": "AUTHORIZATION_CODE", "clientId": PUBLIC, "subject": "alice",
                "scopes": ["read"], "dpop": key.token_proof() }),
        ),
    ]
}

async fn token_call_at(app: &TestApp, path: &str, name: &str, body: &Value) -> Value {
    let (status, answer) = app.post(path, body).await;
    assert_eq!(status, 200, "{name}: {answer}");
    answer
}

#[tokio::test]
async fn client_text_in_the_operator_message_cannot_forge_a_log_line() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let t = Target {
        key: &key,
        htm: "POST",
        htu: TOKEN_HTU,
        token: None,
    };
    let forged = "\r\n[A052001] The client credentials grant succeeded.";
    let rows = [
        (
            "CR LF in htm",
            cc(&t.sign(
                &t.header(),
                &with(t.claims(), "htm", format!("POST{forged}").into()),
            )),
            "htm mismatch",
        ),
        (
            "LF in alg",
            cc(&t.sign(
                &with(t.header(), "alg", format!("x{forged}").into()),
                &t.claims(),
            )),
            "is not allowed",
        ),
        (
            "U+2028 line separator in htm",
            cc(&t.sign(
                &t.header(),
                &with(t.claims(), "htm", "POST\u{2028}x".into()),
            )),
            "htm mismatch",
        ),
        (
            "an ANSI escape in htm",
            cc(&t.sign(&t.header(), &with(t.claims(), "htm", "\u{1b}[2J".into()))),
            "htm mismatch",
        ),
        (
            "LF in a repeated parameter's name",
            json!({ "parameters": "grant_type=client_credentials&a%0D%0Ab=1&a%0D%0Ab=2", "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 }),
            "is repeated",
        ),
    ];
    let clean = |message: &str| !message.chars().any(|c| c.is_control() || c == '\u{2028}');
    let mut table = Rows::default();
    for (name, body, detail) in &rows {
        let answer = token_call(&app, name, body).await;
        let message = answer["resultMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        table.check(name, || {
            assert_eq!(answer["action"], "BAD_REQUEST", "{name}: {answer}");
            assert!(message.contains(detail), "{name}: {message}");
            assert!(clean(&message), "{name}: {message:?}");
        });
    }
    let token = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let rs = Target {
        key: &key,
        htm: "GET",
        htu: RS_URL,
        token: Some(&token),
    };
    let proof = rs.sign(
        &rs.header(),
        &with(rs.claims(), "htm", format!("GET{forged}").into()),
    );
    let answer = introspect(&app, &introspection(&token, "DPoP", Some(&proof))).await;
    let message = answer["resultMessage"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    table.check("CR LF in htm at introspection", || {
        assert_challenged(
            "CR LF in htm at introspection",
            &answer,
            &bad_resource_proof("htm mismatch"),
        );
        assert!(clean(&message), "{message:?}");
    });
    table.finish();
}
