//! Hostile token-endpoint bodies and client credentials (RFC 6749 §2.3, §3.1, §3.2): repeated
//! parameters, broken percent-encoding and UTF-8, and every way of presenting a client
//! ambiguously or with the wrong method, decoded by the caller or relayed as the header
//! itself (`clientAuthorization`), each refused before any grant is looked at.
use super::*;
use crate::helpers::*;
use serde_json::{json, Value};

/// The confidential (`client_secret_basic`) client's call with `params`.
fn basic(params: &str) -> Value {
    json!({ "parameters": params, "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 })
}

/// A call relaying the client's `Authorization: Basic` header, whose credentials are `raw`.
fn relayed(params: &str, raw: &str) -> Value {
    use base64::Engine;
    let header = base64::engine::general_purpose::STANDARD.encode(raw);
    json!({ "parameters": params, "clientAuthorization": format!("Basic {header}") })
}

/// A call with no `Authorization: Basic` at all.
fn body_only(params: &str) -> Value {
    json!({ "parameters": params })
}

fn malformed(detail: &'static str) -> Refusal {
    Refusal {
        action: "BAD_REQUEST",
        error: "invalid_request",
        code: "A051301",
        detail,
    }
}

fn ambiguous(detail: &'static str) -> Refusal {
    Refusal {
        action: "BAD_REQUEST",
        error: "invalid_request",
        code: "A051306",
        detail,
    }
}

fn invalid_client(detail: &'static str) -> Refusal {
    Refusal {
        action: "INVALID_CLIENT",
        error: "invalid_client",
        code: "A051305",
        detail,
    }
}

fn form_rows() -> Vec<(&'static str, Value, Refusal)> {
    let cc = "grant_type=client_credentials";
    let post = |extra: &str| {
        body_only(&format!(
            "{cc}&client_id={}&client_secret={}{extra}",
            POST_CLIENT.0, POST_CLIENT.1
        ))
    };
    let too_many: String = (0..64).map(|i| format!("&p{i}=v")).collect();
    vec![
        // RFC 6749 §3.1: parameters must not be included more than once
        (
            "grant_type twice",
            basic(&format!("{cc}&{cc}")),
            malformed("parameter grant_type is repeated"),
        ),
        (
            "grant_type twice with different grants",
            basic(&format!("{cc}&grant_type=refresh_token")),
            malformed("parameter grant_type is repeated"),
        ),
        (
            "grant_type twice, once with a percent-encoded name",
            basic(&format!("{cc}&grant%5Ftype=client_credentials")),
            malformed("parameter grant_type is repeated"),
        ),
        (
            "client_id twice",
            post(&format!("&client_id={}", POST_CLIENT.0)),
            malformed("parameter client_id is repeated"),
        ),
        (
            "client_id twice naming two clients",
            post(&format!("&client_id={}", CONFIDENTIAL.0)),
            malformed("parameter client_id is repeated"),
        ),
        (
            "client_secret twice",
            post("&client_secret=guess"),
            malformed("parameter client_secret is repeated"),
        ),
        (
            "scope twice",
            basic(&format!("{cc}&scope=read&scope=write")),
            malformed("parameter scope is repeated"),
        ),
        (
            "65 parameters",
            basic(&format!("{cc}{too_many}")),
            malformed("too many parameters"),
        ),
        // application/x-www-form-urlencoded decoding
        (
            "%zz in a value",
            basic(&format!("{cc}&scope=%zz")),
            malformed("parameters contain invalid percent-encoding"),
        ),
        (
            "%4, a truncated escape",
            basic(&format!("{cc}&scope=read%4")),
            malformed("parameters contain invalid percent-encoding"),
        ),
        (
            "a lone % at the end",
            basic(&format!("{cc}&scope=%")),
            malformed("parameters contain invalid percent-encoding"),
        ),
        (
            "%zz in a name",
            basic(&format!("{cc}&sc%zzope=read")),
            malformed("parameters contain invalid percent-encoding"),
        ),
        (
            "%ff, invalid UTF-8",
            basic(&format!("{cc}&scope=%ff")),
            malformed("parameters are not valid UTF-8"),
        ),
        (
            "%C0%AF, an overlong UTF-8 /",
            basic(&format!("{cc}&scope=%C0%AF")),
            malformed("parameters are not valid UTF-8"),
        ),
        (
            "%ED%A0%80, a UTF-8 surrogate",
            basic(&format!("{cc}&scope=%ED%A0%80")),
            malformed("parameters are not valid UTF-8"),
        ),
        // RFC 6749 §2.3: one authentication method, one client
        (
            "client_secret both in Basic and in the body",
            basic(&format!("{cc}&client_secret={}", CONFIDENTIAL.1)),
            ambiguous("more than one client authentication method"),
        ),
        (
            "client_secret in Basic and another client's in the body",
            basic(&format!(
                "{cc}&client_id={}&client_secret={}",
                POST_CLIENT.0, POST_CLIENT.1
            )),
            ambiguous("more than one client authentication method"),
        ),
        (
            "client_id in the body differing from Basic",
            basic(&format!("{cc}&client_id={}", POST_CLIENT.0)),
            ambiguous("client_id in the body differs from the authenticated client"),
        ),
        (
            "client_id in the body differing from Basic only in case",
            basic(&format!("{cc}&client_id=Confidential")),
            ambiguous("client_id in the body differs from the authenticated client"),
        ),
        // RFC 6749 §2.3.1: the registered method, with the right secret
        (
            "a confidential client without a secret",
            body_only(&format!("{cc}&client_id={}", CONFIDENTIAL.0)),
            invalid_client("client used none but is registered for client_secret_basic"),
        ),
        (
            "a confidential client with an empty Basic secret",
            json!({ "parameters": cc, "clientId": CONFIDENTIAL.0, "clientSecret": "" }),
            invalid_client("client authentication failed"),
        ),
        (
            "a confidential client with Basic id but no secret",
            json!({ "parameters": cc, "clientId": CONFIDENTIAL.0 }),
            invalid_client("client authentication failed"),
        ),
        (
            "a confidential client's secret in another case",
            json!({ "parameters": cc, "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1.to_uppercase() }),
            invalid_client("client authentication failed"),
        ),
        (
            "a confidential client's secret with a trailing space",
            json!({ "parameters": cc, "clientId": CONFIDENTIAL.0, "clientSecret": format!("{} ", CONFIDENTIAL.1) }),
            invalid_client("client authentication failed"),
        ),
        (
            "a Basic client posting its secret in the body",
            body_only(&format!(
                "{cc}&client_id={}&client_secret={}",
                CONFIDENTIAL.0, CONFIDENTIAL.1
            )),
            invalid_client(
                "client used client_secret_post but is registered for client_secret_basic",
            ),
        ),
        (
            "a post client using Basic",
            json!({ "parameters": cc, "clientId": POST_CLIENT.0, "clientSecret": POST_CLIENT.1 }),
            invalid_client(
                "client used client_secret_basic but is registered for client_secret_post",
            ),
        ),
        (
            "a public client sending a secret in the body",
            body_only(&format!("{cc}&client_id={PUBLIC}&client_secret=guess")),
            invalid_client("client used client_secret_post but is registered for none"),
        ),
        (
            "a public client sending a secret by Basic",
            json!({ "parameters": cc, "clientId": PUBLIC, "clientSecret": "guess" }),
            invalid_client("client used client_secret_basic but is registered for none"),
        ),
        (
            "a public client sending an empty Basic secret",
            json!({ "parameters": cc, "clientId": PUBLIC, "clientSecret": "" }),
            invalid_client("client used client_secret_basic but is registered for none"),
        ),
        (
            "a Basic secret without a Basic client id",
            json!({ "parameters": format!("{cc}&client_id={PUBLIC}"), "clientSecret": "guess" }),
            invalid_client("no client identifier"),
        ),
        (
            "an unknown client",
            json!({ "parameters": cc, "clientId": "mallory", "clientSecret": "x" }),
            invalid_client("unknown client"),
        ),
        (
            "a client id with an encoded trailing space",
            body_only(&format!("{cc}&client_id={PUBLIC}%20")),
            invalid_client("unknown client"),
        ),
        (
            "no client at all",
            body_only(cc),
            invalid_client("no client identifier"),
        ),
        // RFC 6749 §2.3.1 and RFC 7617: the header itself, relayed as clientAuthorization
        (
            "a relayed Basic header and a posted secret",
            relayed(
                &format!("{cc}&client_secret={}", CONFIDENTIAL.1),
                &format!("{}:{}", CONFIDENTIAL.0, CONFIDENTIAL.1),
            ),
            ambiguous("more than one client authentication method"),
        ),
        (
            "a relayed Basic header and another client_id in the body",
            relayed(
                &format!("{cc}&client_id={PUBLIC}"),
                &format!("{}:{}", CONFIDENTIAL.0, CONFIDENTIAL.1),
            ),
            ambiguous("client_id in the body differs from the authenticated client"),
        ),
        (
            "a relayed Basic header whose id decodes with a NUL octet",
            relayed(cc, &format!("{PUBLIC}%00:guess")),
            invalid_client("unknown client"),
        ),
        (
            "a relayed Basic header for a public client",
            relayed(cc, &format!("{PUBLIC}:")),
            invalid_client("client used client_secret_basic but is registered for none"),
        ),
        (
            "a relayed Basic header whose + decodes to a space",
            relayed(
                cc,
                &format!("{}:{}", CONFIDENTIAL.0, CONFIDENTIAL.1.replace('-', "+")),
            ),
            invalid_client("client authentication failed"),
        ),
        (
            "a relayed Digest header",
            json!({ "parameters": cc, "clientAuthorization": "Digest username=\"confidential\"" }),
            Refusal {
                action: "INVALID_CLIENT",
                error: "invalid_client",
                code: "A060301",
                detail: "does not use the Basic scheme",
            },
        ),
        (
            "a relayed Basic header in base64url",
            json!({ "parameters": cc, "clientAuthorization": "Basic Y29uZmlkZW50aWFs_-_-" }),
            Refusal {
                action: "INVALID_CLIENT",
                error: "invalid_client",
                code: "A060302",
                detail: "missing or not base64",
            },
        ),
        // the grant itself
        (
            "grant_type in another case",
            basic("grant_type=Client_Credentials"),
            Refusal {
                action: "BAD_REQUEST",
                error: "unsupported_grant_type",
                code: "A051303",
                detail: "unsupported grant type",
            },
        ),
        (
            "; as a parameter separator",
            basic("grant_type=client_credentials;scope=read"),
            Refusal {
                action: "BAD_REQUEST",
                error: "unsupported_grant_type",
                code: "A051303",
                detail: "unsupported grant type",
            },
        ),
        (
            "scope with a double quote",
            basic(&format!("{cc}&scope=read%22")),
            Refusal {
                action: "BAD_REQUEST",
                error: "invalid_scope",
                code: "A051310",
                detail: "scope is malformed",
            },
        ),
        (
            "scope with a newline",
            basic(&format!("{cc}&scope=read%0Awrite")),
            Refusal {
                action: "BAD_REQUEST",
                error: "invalid_scope",
                code: "A051310",
                detail: "scope is malformed",
            },
        ),
        (
            "a DPoP-bound client without a proof",
            json!({ "parameters": cc, "clientId": DPOP_BOUND.0, "clientSecret": DPOP_BOUND.1 }),
            Refusal {
                action: "BAD_REQUEST",
                error: "invalid_request",
                code: "A051309",
                detail: "DPoP proof required",
            },
        ),
    ]
}

#[tokio::test]
async fn hostile_forms_and_client_credentials_are_refused_before_any_grant() {
    let app = spawn_app().await;
    let mut table = Rows::default();
    for (name, body, want) in form_rows() {
        let (status, answer) = app.post("/auth/token", &body).await;
        table.check(name, || {
            assert_eq!(status, 200, "{name}: {answer}");
            assert_refused(name, &answer, &want);
        });
    }
    assert!(table.finish() >= 42);
}
