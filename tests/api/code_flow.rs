//! The client and AS side of the code flow, for the tests: authorization requests, tickets,
//! codes and their redemption at `/auth/token`, as an AS would forward them to dpopd.
use crate::helpers::*;
use dpopd::jose::CompactJws;
use serde_json::{json, Value};
use std::collections::HashMap;

// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const ISSUER: &str = "https://as.example.com";

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}

/// A valid request of the public client, plus `extra`.
pub fn public_request(extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", PUBLIC),
        ("state", "st-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    form(&pairs)
}

/// The query parameters of a redirect.
pub fn redirect_params(location: &str) -> HashMap<String, String> {
    let (_, query) = location.split_once('?').expect("a query");
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

pub fn claims(token: &str) -> Value {
    CompactJws::parse(token)
        .expect("a JWS")
        .payload_as()
        .expect("JSON claims")
}

pub async fn authorize(app: &TestApp, parameters: &str) -> Value {
    let (status, answer) = app
        .post("/auth/authorization", &json!({ "parameters": parameters }))
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

pub async fn issue(app: &TestApp, ticket: &str) -> Value {
    let (status, answer) = app
        .post(
            "/auth/authorization/issue",
            &json!({ "ticket": ticket, "subject": "alice" }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Authorization request → ticket → code, for the public client.
pub async fn code_for(app: &TestApp, parameters: &str) -> String {
    let interaction = authorize(app, parameters).await;
    assert_eq!(interaction["action"], "INTERACTION", "{interaction}");
    let issued = issue(app, interaction["ticket"].as_str().unwrap()).await;
    assert_eq!(issued["action"], "LOCATION", "{issued}");
    redirect_params(issued["responseContent"].as_str().unwrap())["code"].clone()
}

pub async fn redeem(app: &TestApp, code: &str, verifier: &str, dpop: Option<&str>) -> Value {
    let parameters = form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("client_id", PUBLIC),
    ]);
    let (status, answer) = app
        .post(
            "/auth/token",
            &json!({ "parameters": parameters, "dpop": dpop }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

pub async fn refresh(app: &TestApp, rt: &str, key: &TestKey) -> Value {
    let parameters = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("client_id", PUBLIC),
    ]);
    app.post(
        "/auth/token",
        &json!({ "parameters": parameters, "dpop": key.token_proof() }),
    )
    .await
    .1
}
