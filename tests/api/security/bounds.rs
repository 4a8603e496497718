//! Input at and past dpopd's bounds (docs/configuration.md, "Input limits"). A client's
//! `scope` with more than 256 values is `invalid_scope` with its own code at every endpoint
//! that reads one; the review's request of 16,300 distinct values, once a third of a second of
//! quadratic work, is one of them. A list in the caller's own JSON past its bound is the
//! caller's 400 (A001205) naming the field. Token durations past
//! `tokens.max_lifetime_override_secs` are the caller's mistake (A001206), never capped
//! silently and never wrapped into a negative lifetime. Every bound is shown with the largest
//! accepted input beside the first refused one.
use super::proofs::{cc, token_call};
use super::*;
use crate::code_flow::{authorize, form, public_request, redirect_params};
use crate::helpers::*;
use crate::resource::{introspect, mint, Mint, RS_URL};
use dpopd::clock::UnixTime;
use dpopd::jose::Alg;
use serde_json::{json, Value};

/// The default `tokens.max_lifetime_override_secs`.
const MAX_LIFETIME: u64 = 31_536_000;

/// A client credentials call with `extra` fields, at `/auth/token`.
fn token_body(extra: Value) -> Value {
    let mut body = json!({ "parameters": "grant_type=client_credentials&scope=read",
        "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 });
    merge(&mut body, extra);
    body
}

/// A delegated issuance for the confidential client, with `extra` fields.
fn create_body(extra: Value) -> Value {
    let mut body = json!({ "grantType": "CLIENT_CREDENTIALS", "clientId": CONFIDENTIAL.0, "scopes": ["read"] });
    merge(&mut body, extra);
    body
}

fn merge(body: &mut Value, extra: Value) {
    if let (Some(map), Value::Object(extra)) = (body.as_object_mut(), extra) {
        map.extend(extra);
    }
}

#[tokio::test]
async fn durations_past_the_maximum_are_refused_at_both_issuing_endpoints() {
    let app = spawn_app().await;
    let mut table = Rows::default();
    let too_long = [
        ("u64::MAX", u64::MAX),
        ("i64::MAX + 1", i64::MAX as u64 + 1),
        ("i64::MAX", i64::MAX as u64),
        ("the maximum + 1", MAX_LIFETIME + 1),
    ];
    for (path, body) in [
        ("/auth/token", token_body as fn(Value) -> Value),
        ("/auth/token/create", create_body),
    ] {
        for field in ["accessTokenDuration", "refreshTokenDuration"] {
            for (what, secs) in too_long {
                let name = format!("{path} {field} = {what}");
                let (status, answer) = app.post(path, &body(json!({ field: secs }))).await;
                table.check(&name, || {
                    assert_eq!(
                        (status, answer["resultCode"].as_str()),
                        (400, Some("A001206")),
                        "{name}: {answer}"
                    );
                    let message = answer["resultMessage"].as_str().unwrap();
                    assert!(
                        message.contains(&format!("{field} {secs} ")),
                        "{name}: {message}"
                    );
                    assert!(answer.get("action").is_none(), "{name}: {answer}");
                });
            }
        }
    }
    assert!(table.finish() >= 16);
}

#[tokio::test]
async fn the_maximum_duration_itself_is_issued_as_asked() {
    let app = spawn_app().await;
    let both = json!({ "accessTokenDuration": MAX_LIFETIME, "refreshTokenDuration": MAX_LIFETIME });
    let (_, issued) = app.post("/auth/token", &token_body(both.clone())).await;
    assert_eq!(issued["action"], "OK", "{issued}");
    assert_eq!(issued["accessTokenDuration"], MAX_LIFETIME);
    assert_eq!(content(&issued)["expires_in"], MAX_LIFETIME);
    let lives = |at: &str| issued[at].as_i64().unwrap() / 1000 - UnixTime::now().secs();
    assert!((MAX_LIFETIME as i64 - lives("accessTokenExpiresAt")).abs() <= 5);
    assert!((MAX_LIFETIME as i64 - lives("refreshTokenExpiresAt")).abs() <= 5);

    let created = app.post("/auth/token/create", &create_body(both)).await.1;
    assert_eq!(created["action"], "OK", "{created}");
    assert_eq!(created["expiresIn"], MAX_LIFETIME);
    // 0 still means "not set": the configured lifetime.
    let zero = json!({ "accessTokenDuration": 0, "refreshTokenDuration": 0 });
    let created = app.post("/auth/token/create", &create_body(zero)).await.1;
    assert_eq!(created["expiresIn"], 3600, "{created}");
}

#[tokio::test]
async fn a_refused_duration_consumes_nothing() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let mut body = cc(&key.token_proof());
    body["accessTokenDuration"] = u64::MAX.into();
    let (status, answer) = app.post("/auth/token", &body).await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (400, Some("A001206"))
    );
    body.as_object_mut().unwrap().remove("accessTokenDuration");
    let (_, answer) = app.post("/auth/token", &body).await;
    assert_eq!(
        answer["action"], "OK",
        "the same proof is still unused: {answer}"
    );
}

/// `n` scope values, alternating the two every test client may ask for.
fn read_write(n: usize) -> String {
    ["read", "write"]
        .into_iter()
        .cycle()
        .take(n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The review's scope: `n` distinct 3-character scope tokens.
fn distinct_scopes(n: usize) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..n)
        .map(|i| {
            [i / (62 * 62), i / 62 % 62, i % 62]
                .iter()
                .map(|&d| DIGITS[d] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn too_many_scopes(code: &'static str) -> Refusal {
    Refusal {
        action: "BAD_REQUEST",
        error: "invalid_scope",
        code,
        detail: "scope has more than 256 values",
    }
}

#[tokio::test]
async fn a_token_request_with_more_than_256_scope_values_is_invalid_scope() {
    let app = spawn_app().await;
    let refresh_token = app.client_credentials(None).await["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let cc = |scope: &str| {
        token_body(
            json!({ "parameters": form(&[("grant_type", "client_credentials"), ("scope", scope)]) }),
        )
    };
    let refresh = |scope: &str| {
        token_body(json!({ "parameters": form(&[
            ("grant_type", "refresh_token"), ("refresh_token", &refresh_token), ("scope", scope),
        ]) }))
    };
    let mut table = Rows::default();
    let rows = [
        ("client credentials, 257 values", cc(&read_write(257))),
        (
            "client credentials, 257 repeats of one value",
            cc(&vec!["read"; 257].join(" ")),
        ),
        (
            "client credentials, 16,300 distinct values",
            cc(&distinct_scopes(16_300)),
        ),
        ("refresh, 257 values", refresh(&read_write(257))),
    ];
    for (name, body) in rows {
        let answer = token_call(&app, name, &body).await;
        table.check(name, || {
            assert_refused(name, &answer, &too_many_scopes("A051311"))
        });
    }
    let accepted = [
        (
            "client credentials, 256 values",
            cc(&read_write(256)),
            json!(["read", "write"]),
        ),
        // The refresh token grants `read` only: a narrower scope may be asked for (RFC 6749 §6).
        (
            "refresh, 256 values",
            refresh(&vec!["read"; 256].join(" ")),
            json!(["read"]),
        ),
    ];
    for (name, body, scopes) in accepted {
        let answer = token_call(&app, name, &body).await;
        table.check(name, || {
            assert_eq!(answer["action"], "OK", "{name}: {answer}");
            assert_eq!(answer["scopes"], scopes, "{name}");
        });
    }
    table.finish();
}

#[tokio::test]
async fn an_authorization_request_with_more_than_256_scope_values_is_invalid_scope() {
    let app = spawn_app().await;
    let attack = public_request(&[("scope", &distinct_scopes(16_300))]);
    assert!(
        attack.len() < 65_400,
        "the review's request fits a 64 KiB body"
    );
    let mut table = Rows::default();
    for (name, parameters) in [
        ("257 values", public_request(&[("scope", &read_write(257))])),
        ("16,300 distinct 3-character values", attack),
    ] {
        let answer = authorize(&app, &parameters).await;
        table.check(&format!("authorization: {name}"), || {
            assert_eq!(
                (answer["action"].as_str(), answer["resultCode"].as_str()),
                (Some("LOCATION"), Some("A004314")),
                "{name}: {answer}"
            );
            let params = redirect_params(answer["responseContent"].as_str().unwrap());
            assert_eq!(params["error"], "invalid_scope", "{name}");
            assert_eq!(params["state"], "st-1", "{name}");
        });
        let (status, answer) = app
            .post("/pushed_auth_req", &json!({ "parameters": parameters }))
            .await;
        let name = format!("PAR: {name}");
        table.check(&name, || {
            assert_eq!(status, 200, "{name}");
            assert_refused(&name, &answer, &too_many_scopes("A004314"));
        });
    }
    let answer = authorize(&app, &public_request(&[("scope", &read_write(256))])).await;
    table.check("authorization: 256 values", || {
        assert_eq!(answer["action"], "INTERACTION", "{answer}");
        assert_eq!(
            answer["scopes"],
            json!([{ "name": "read" }, { "name": "write" }])
        );
    });
    table.finish();
}

/// How a caller's list past its bound is refused: 400, A001205, naming the field and count.
fn assert_field_refused(name: &str, status: u16, answer: &Value, detail: &str) {
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (400, Some("A001205")),
        "{name}: {answer}"
    );
    let message = answer["resultMessage"].as_str().unwrap_or_default();
    assert!(message.contains(detail), "{name}: {message}");
}

#[tokio::test]
async fn caller_lists_past_their_bounds_are_the_callers_400() {
    let app = spawn_app().await;
    let list = |n: usize| vec!["read"; n];
    let properties = |n: usize| {
        (0..n)
            .map(|i| json!({ "key": format!("k{i}"), "value": "v" }))
            .collect::<Vec<_>>()
    };
    let claims = |n: usize| {
        let members: serde_json::Map<String, Value> =
            (0..n).map(|i| (format!("c{i}"), Value::from(1))).collect();
        Value::Object(members).to_string()
    };
    let issue = |extra: Value| {
        let mut body = json!({ "ticket": "not-a-ticket", "subject": "alice" });
        merge(&mut body, extra);
        body
    };
    let introspection = |extra: Value| {
        let mut body = json!({ "token": "x", "htu": RS_URL });
        merge(&mut body, extra);
        body
    };
    let rows = [
        (
            "token/create: 257 scopes",
            "/auth/token/create",
            create_body(json!({ "scopes": list(257) })),
            "scopes has 257 entries; at most 256",
        ),
        (
            "token/create: 257 properties",
            "/auth/token/create",
            create_body(json!({ "properties": properties(257) })),
            "properties has 257 entries; at most 256",
        ),
        (
            "token/create: 257 jwtAtClaims",
            "/auth/token/create",
            create_body(json!({ "jwtAtClaims": claims(257) })),
            "jwtAtClaims has 257 members; at most 256",
        ),
        (
            "token: 257 properties",
            "/auth/token",
            token_body(json!({ "properties": properties(257) })),
            "properties has 257 entries; at most 256",
        ),
        (
            "token: 257 jwtAtClaims",
            "/auth/token",
            token_body(json!({ "jwtAtClaims": claims(257) })),
            "jwtAtClaims has 257 members; at most 256",
        ),
        (
            "issue: 257 scopes",
            "/auth/authorization/issue",
            issue(json!({ "scopes": list(257) })),
            "scopes has 257 entries; at most 256",
        ),
        (
            "issue: 257 properties",
            "/auth/authorization/issue",
            issue(json!({ "properties": properties(257) })),
            "properties has 257 entries; at most 256",
        ),
        (
            "issue: 257 jwtAtClaims",
            "/auth/authorization/issue",
            issue(json!({ "jwtAtClaims": claims(257) })),
            "jwtAtClaims has 257 members; at most 256",
        ),
        (
            "introspection: 257 scopes",
            "/auth/introspection",
            introspection(json!({ "scopes": list(257) })),
            "scopes has 257 entries; at most 256",
        ),
        (
            "introspection: 8,000 scopes",
            "/auth/introspection",
            introspection(json!({ "scopes": vec!["r"; 8_000] })),
            "scopes has 8000 entries; at most 256",
        ),
        (
            "introspection: 65 resources",
            "/auth/introspection",
            introspection(json!({ "resources": vec![RS_URL; 65] })),
            "resources has 65 entries; at most 64",
        ),
    ];
    let mut table = Rows::default();
    for (name, path, body, detail) in rows {
        let (status, answer) = app.post(path, &body).await;
        table.check(name, || assert_field_refused(name, status, &answer, detail));
    }
    assert!(table.finish() >= 11);
}

#[tokio::test]
async fn caller_lists_at_their_bounds_are_accepted() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/auth/token/create",
            &create_body(json!({ "scopes": vec!["read"; 256] })),
        )
        .await
        .1;
    assert_eq!(created["action"], "OK", "{created}");
    assert_eq!(created["scopes"], json!(["read"]));
    let claims: serde_json::Map<String, Value> = (0..256)
        .map(|i| (format!("c{i}"), Value::from(1)))
        .collect();
    let issued = app
        .post(
            "/auth/token",
            &token_body(json!({ "jwtAtClaims": Value::Object(claims).to_string() })),
        )
        .await
        .1;
    assert_eq!(issued["action"], "OK", "{issued}");
    // 256 properties are more than a sealed value holds: the list is read, and the call
    // refused for its size (A051201), not for its length.
    let properties: Vec<Value> = (0..256)
        .map(|i| json!({ "key": format!("k{i}"), "value": "v" }))
        .collect();
    let sized = app
        .post(
            "/auth/token",
            &token_body(json!({ "properties": properties })),
        )
        .await
        .1;
    assert_eq!(sized["resultCode"], "A051201", "{sized}");

    let token = mint(
        &app,
        Mint {
            scopes: &["read"],
            ..Mint::default()
        },
    );
    let answer = introspect(
        &app,
        &json!({ "token": token, "htu": RS_URL, "scopes": vec!["read"; 256], "resources": vec!["https://as.example.com"; 64] }),
    )
    .await;
    assert_eq!(answer["action"], "OK", "{answer}");
    let answer = introspect(
        &app,
        &json!({ "token": token, "htu": RS_URL, "scopes": vec!["read"; 255].into_iter().chain(["write"]).collect::<Vec<_>>() }),
    )
    .await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("FORBIDDEN"), Some("A056312")),
        "{answer}"
    );
}
