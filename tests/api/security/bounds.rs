//! Input at and past dpopd's bounds. Token durations past `tokens.max_lifetime_override_secs`
//! are the caller's mistake (A001206), never capped silently and never wrapped into a negative
//! lifetime, at both issuing endpoints and before anything is consumed.
use super::proofs::cc;
use super::*;
use crate::helpers::*;
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
    let endpoints: [(&str, fn(Value) -> Value); 2] = [
        ("/auth/token", token_body),
        ("/auth/token/create", create_body),
    ];
    for (path, body) in endpoints {
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
