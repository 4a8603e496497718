//! `clientAuthorization`: the client's `Authorization` header relayed verbatim and decoded by
//! dpopd (RFC 7617, RFC 6749 §2.3.1) at every endpoint that authenticates clients — the token
//! endpoint, PAR and revocation — with one refusal per way the header cannot be decoded.
//! (Standard introspection authenticates no client: its caller is the protected resource.)
use crate::helpers::*;
use crate::security::{assert_not_echoed, assert_refused, Refusal, Rows};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// An endpoint that authenticates clients, and how it answers.
struct Endpoint {
    name: &'static str,
    path: &'static str,
    /// The client's id and secret (registered `client_secret_basic`).
    client: (&'static str, &'static str),
    parameters: String,
    success: (&'static str, &'static str),
    /// The action and code of failed client authentication.
    unauthenticated: (&'static str, &'static str),
}

async fn endpoints(app: &TestApp) -> [Endpoint; 3] {
    let token = app.client_credentials(None).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    [
        Endpoint {
            name: "the token endpoint",
            path: "/auth/token",
            client: CONFIDENTIAL,
            parameters: "grant_type=client_credentials&scope=read".into(),
            success: ("OK", "A052001"),
            unauthenticated: ("INVALID_CLIENT", "A051305"),
        },
        Endpoint {
            name: "PAR",
            path: "/pushed_auth_req",
            client: WEB,
            parameters: crate::code_flow::form(&[
                ("response_type", "code"),
                ("redirect_uri", WEB_REDIRECT_URIS[0]),
            ]),
            success: ("CREATED", "A046001"),
            unauthenticated: ("UNAUTHORIZED", "A046301"),
        },
        Endpoint {
            name: "revocation",
            path: "/auth/revocation",
            client: CONFIDENTIAL,
            parameters: format!("token={token}"),
            success: ("OK", "A059001"),
            unauthenticated: ("INVALID_CLIENT", "A059303"),
        },
    ]
}

impl Endpoint {
    async fn call(&self, app: &TestApp, extra: Value) -> (u16, Value) {
        let mut body = json!({ "parameters": self.parameters });
        for (name, value) in extra.as_object().expect("an object") {
            body[name] = value.clone();
        }
        app.post(self.path, &body).await
    }

    async fn relay(&self, app: &TestApp, header: &str) -> Value {
        let (status, answer) = self
            .call(app, json!({ "clientAuthorization": header }))
            .await;
        assert_eq!(status, 200, "{}: {answer}", self.name);
        answer
    }
}

/// `text` with every octet but letters and digits percent-encoded, as a client applying
/// RFC 6749 §2.3.1 strictly may send it (`demo-client` becomes `demo%2Dclient`).
fn percent_all(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn basic(raw: &str) -> String {
    format!("Basic {}", STANDARD.encode(raw))
}

#[tokio::test]
async fn each_endpoint_authenticates_a_client_by_its_relayed_authorization_header() {
    let app = spawn_app().await;
    for endpoint in endpoints(&app).await {
        let (id, secret) = endpoint.client;
        let name = endpoint.name;
        for (how, header) in [
            (
                "form-urlencoded",
                basic(&format!("{}:{}", percent_all(id), percent_all(secret))),
            ),
            ("raw", basic(&format!("{id}:{secret}"))),
            (
                "lower-case scheme, unpadded",
                format!(
                    "basic {}",
                    STANDARD
                        .encode(format!("{id}:{secret}"))
                        .trim_end_matches('=')
                ),
            ),
        ] {
            let answer = endpoint.relay(&app, &header).await;
            assert_eq!(
                (answer["action"].as_str(), answer["resultCode"].as_str()),
                (Some(endpoint.success.0), Some(endpoint.success.1)),
                "{name}, {how}: {answer}"
            );
        }
        let wrong = endpoint
            .relay(&app, &basic(&format!("{id}:{}", percent_all("nope"))))
            .await;
        assert_eq!(
            (wrong["action"].as_str(), wrong["resultCode"].as_str()),
            (
                Some(endpoint.unauthenticated.0),
                Some(endpoint.unauthenticated.1)
            ),
            "{name}, a wrong secret: {wrong}"
        );
    }
}

/// Before `clientAuthorization`, a caller that relayed `demo%2Dclient` as `clientId` got
/// `invalid_client`: the decoding the client applied was nobody's job.
#[tokio::test]
async fn the_decoding_a_caller_skips_turns_a_valid_client_into_an_invalid_one() {
    let app = spawn_app().await;
    let encoded = (percent_all(CONFIDENTIAL.0), percent_all(CONFIDENTIAL.1));
    let (_, undecoded) = app
        .post(
            "/auth/token",
            &json!({ "parameters": "grant_type=client_credentials", "clientId": encoded.0, "clientSecret": encoded.1 }),
        )
        .await;
    assert_eq!(undecoded["action"], "INVALID_CLIENT", "{undecoded}");
    let (_, relayed) = app
        .post(
            "/auth/token",
            &json!({ "parameters": "grant_type=client_credentials",
                "clientAuthorization": basic(&format!("{}:{}", encoded.0, encoded.1)) }),
        )
        .await;
    assert_eq!(relayed["action"], "OK", "{relayed}");
    assert_eq!(relayed["clientId"], CONFIDENTIAL.0, "{relayed}");
}

#[tokio::test]
async fn each_endpoint_refuses_an_undecodable_header_with_its_own_code() {
    let app = spawn_app().await;
    let mut table = Rows::default();
    for endpoint in endpoints(&app).await {
        let id = endpoint.client.0;
        let rows = [
            (
                "a Bearer header",
                "Bearer 2YotnFZFEjr1zCsicMWpAA".to_owned(),
                endpoint.unauthenticated.0,
                "invalid_client",
                "A060301",
                "does not use the Basic scheme",
            ),
            (
                "credentials that are not base64",
                "Basic ***not-base64***".to_owned(),
                endpoint.unauthenticated.0,
                "invalid_client",
                "A060302",
                "missing or not base64",
            ),
            (
                "no colon",
                basic(id),
                endpoint.unauthenticated.0,
                "invalid_client",
                "A060303",
                "have no colon",
            ),
            (
                "a percent sign without two hex digits",
                basic(&format!("{id}:100%-secret")),
                endpoint.unauthenticated.0,
                "invalid_client",
                "A060304",
                "not form-urlencoded UTF-8",
            ),
            (
                "octets that are not UTF-8",
                basic(&format!("{id}:%FF%FE")),
                endpoint.unauthenticated.0,
                "invalid_client",
                "A060304",
                "not form-urlencoded UTF-8",
            ),
        ];
        for (what, header, action, error, code, detail) in rows {
            let name = format!("{}, {what}", endpoint.name);
            let answer = endpoint.relay(&app, &header).await;
            let want = Refusal {
                action,
                error,
                code,
                detail,
            };
            table.check(&name, || {
                assert_refused(&name, &answer, &want);
                assert_not_echoed(&name, &answer, &header);
            });
        }
    }
    table.finish();
}

#[tokio::test]
async fn relaying_the_header_both_decoded_and_verbatim_is_the_callers_mistake() {
    let app = spawn_app().await;
    for endpoint in endpoints(&app).await {
        let (id, secret) = endpoint.client;
        let header = basic(&format!("{id}:{secret}"));
        for (what, extra) in [
            (
                "with clientId and clientSecret",
                json!({ "clientAuthorization": header, "clientId": id, "clientSecret": secret }),
            ),
            (
                "with clientId alone",
                json!({ "clientAuthorization": header, "clientId": id }),
            ),
            (
                "with clientSecret alone",
                json!({ "clientAuthorization": header, "clientSecret": secret }),
            ),
        ] {
            let (status, answer) = endpoint.call(&app, extra).await;
            assert_eq!(
                (status, answer["resultCode"].as_str()),
                (400, Some("A001205")),
                "{}, {what}: {answer}",
                endpoint.name
            );
            let message = answer["resultMessage"].as_str().unwrap();
            assert!(
                message.contains("clientAuthorization"),
                "{}: {message}",
                endpoint.name
            );
            assert!(answer.get("action").is_none(), "{answer}");
        }
    }
}

#[tokio::test]
async fn an_empty_client_authorization_counts_as_absent() {
    let app = spawn_app().await;
    for endpoint in endpoints(&app).await {
        let (id, secret) = endpoint.client;
        for blank in ["", " ", "\t "] {
            let (status, answer) = endpoint
                .call(
                    &app,
                    json!({ "clientAuthorization": blank, "clientId": id, "clientSecret": secret }),
                )
                .await;
            assert_eq!(
                (status, answer["action"].as_str()),
                (200, Some(endpoint.success.0)),
                "{}, {blank:?}: {answer}",
                endpoint.name
            );
        }
        let (_, alone) = endpoint
            .call(&app, json!({ "clientAuthorization": "" }))
            .await;
        assert_eq!(
            alone["action"], endpoint.unauthenticated.0,
            "{}: no credentials at all: {alone}",
            endpoint.name
        );
    }
}
