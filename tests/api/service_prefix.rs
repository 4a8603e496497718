//! The Authlete V3 paths `/api/{serviceId}/...` (docs/api.md, "Calls"; README.md, "Point an
//! Authlete SDK at dpopd"): every `/api/...` route answers the same under the prefix with the
//! configured `service.id`, another id is refused 404 with `A001207`, and callers authenticate
//! with `Authorization: Bearer <service access token>` as V3 SDKs send it.
use crate::helpers::*;
use crate::resource::*;
use dpopd::api::service_prefix::{ServiceId, TEMPLATE};
use dpopd::jose::Alg;
use serde_json::{json, Value};

const SERVICE_ID: &str = "715948317";

async fn spawn_with_id(id: Option<&str>) -> TestApp {
    let mut settings = test_settings();
    settings.service.id = id.map(|id| ServiceId::parse(id).expect("service id"));
    spawn_app_with(settings).await
}

/// Every V3 path `openapi.yaml` must describe, each with the `/api/...` path it stands for.
fn v3_paths() -> Vec<(String, String)> {
    let paths: Vec<(String, String)> = dpopd::api::all_paths()
        .into_iter()
        .filter_map(|template| {
            let rest = template.strip_prefix(TEMPLATE)?.to_owned();
            Some((format!("/api/{SERVICE_ID}{rest}"), format!("/api{rest}")))
        })
        .collect();
    assert!(paths.len() >= 12, "{paths:?}");
    paths
}

enum Auth<'a> {
    None,
    Basic((&'a str, &'a str)),
    Bearer(&'a str),
}

/// Calls `path` with `method`, the JSON `body` and `auth`; the status and the answer (JSON
/// when it is JSON) and the `WWW-Authenticate` header.
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    body: &Value,
    auth: Auth<'_>,
) -> (u16, Value, Option<String>) {
    let mut request = app
        .http
        .request(
            method.parse().expect("method"),
            format!("{}{path}", app.address),
        )
        .json(body);
    request = match auth {
        Auth::None => request,
        Auth::Basic((key, secret)) => request.basic_auth(key, Some(secret)),
        Auth::Bearer(token) => request.bearer_auth(token),
    };
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ASCII").to_owned());
    let text = response.text().await.expect("body");
    let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, answer, challenge)
}

/// Each route, called with the same request at its `/api/...` path and under the prefix,
/// gives the same answer: an empty body (a call error or a refusal), and for JWKS and the
/// configuration the document itself.
#[tokio::test]
async fn every_api_route_answers_under_the_prefix_as_at_its_api_path() {
    let app = spawn_with_id(Some(SERVICE_ID)).await;
    for (v3, v2) in v3_paths() {
        for method in ["POST", "GET"] {
            let body = json!({});
            let at_v2 = call(&app, method, &v2, &body, Auth::Basic(CALLER)).await;
            let at_v3 = call(&app, method, &v3, &body, Auth::Basic(CALLER)).await;
            assert_ne!(at_v2.0, 404, "{method} {v2}");
            assert_eq!(at_v3, at_v2, "{method} {v3} and {v2}");
        }
    }
}

/// A token issued under the prefix with a proof, introspected under the prefix with a proof
/// carrying `ath`: a V3 SDK's whole round trip, the caller authenticated by Bearer.
#[tokio::test]
async fn a_bearer_caller_gets_and_introspects_a_dpop_token_under_the_prefix() {
    let app = spawn_with_id(Some(SERVICE_ID)).await;
    let key = TestKey::new(Alg::ES256);
    let (status, issued, _) = call(
        &app,
        "POST",
        &format!("/api/{SERVICE_ID}/auth/token"),
        &json!({
            "parameters": "grant_type=client_credentials&scope=read",
            "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1,
            "dpop": key.token_proof(), "htm": "POST", "htu": TOKEN_HTU,
        }),
        Auth::Bearer(CALLER.1),
    )
    .await;
    assert_eq!((status, &issued["action"]), (200, &json!("OK")), "{issued}");
    assert_eq!(issued["jkt"], key.jkt());
    let token = issued["accessToken"].as_str().expect("access token");
    let body = introspection(token, "DPoP", Some(&resource_proof(&key, token)));
    let (status, answer, _) = call(
        &app,
        "POST",
        &format!("/api/{SERVICE_ID}/auth/introspection"),
        &body,
        Auth::Bearer(RS_ONLY_CALLER.1),
    )
    .await;
    assert_eq!((status, &answer["action"]), (200, &json!("OK")), "{answer}");
    assert_eq!(answer["jkt"], key.jkt());
    // The proof was recorded under the prefix: the same one at the V2 path is a replay.
    let (_, replayed, _) = call(
        &app,
        "POST",
        "/api/auth/introspection",
        &body,
        Auth::Basic(CALLER),
    )
    .await;
    assert_eq!(replayed["resultCode"], "A056309", "{replayed}");
}

#[tokio::test]
async fn another_service_id_is_refused_404_with_a_result_code() {
    let app = spawn_with_id(Some(SERVICE_ID)).await;
    for (v3, _) in v3_paths() {
        for other in ["715948318", "7159483170", "71594831", "demo-service", "%37"] {
            let path = v3.replacen(SERVICE_ID, other, 1);
            for auth in [Auth::Bearer(CALLER.1), Auth::None] {
                let (status, answer, _) = call(&app, "POST", &path, &json!({}), auth).await;
                assert_eq!(status, 404, "{path}: {answer}");
                assert_eq!(answer["resultCode"], "A001207", "{path}: {answer}");
                assert!(
                    answer["resultMessage"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("[A001207]")),
                    "{answer}"
                );
            }
        }
    }
}

/// With no `service.id` (production's default) no V3 path is served, whatever the id.
#[tokio::test]
async fn without_a_service_id_every_prefixed_route_is_refused_404() {
    let app = spawn_with_id(None).await;
    for (v3, v2) in v3_paths() {
        let (status, answer, _) = call(&app, "POST", &v3, &json!({}), Auth::Basic(CALLER)).await;
        assert_eq!(
            (status, &answer["resultCode"]),
            (404, &json!("A001207")),
            "{v3}"
        );
        let (status, _, _) = call(&app, "POST", &v2, &json!({}), Auth::Basic(CALLER)).await;
        assert_ne!(status, 404, "{v2}");
    }
}

/// The prefix serves only what is served under `/api/`: the unprefixed and operations paths
/// and unknown paths are plain 404s, and nothing but the id is taken from the path.
#[tokio::test]
async fn the_prefix_serves_only_the_api_paths() {
    let app = spawn_with_id(Some(SERVICE_ID)).await;
    for path in [
        "/api/715948317/token",
        "/api/715948317/healthz",
        "/api/715948317/auth/nothing",
        "/api/715948317/api/auth/token",
        "/api/715948317/715948317/auth/token",
        "/api/715948317",
    ] {
        let (status, answer, _) = call(&app, "POST", path, &json!({}), Auth::Basic(CALLER)).await;
        assert_eq!(status, 404, "{path}");
        assert_ne!(answer["resultCode"], "A001207", "{path}");
    }
    // The query of a V3 call reaches the route, as Authlete SDKs send `?pretty=true`.
    let (status, jwks, _) = call(
        &app,
        "GET",
        "/api/715948317/service/jwks/get?pretty=true&includePrivateKeys=false",
        &json!({}),
        Auth::None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        jwks["keys"].as_array().is_some_and(|k| !k.is_empty()),
        "{jwks}"
    );
}

/// A service id spelled like a V2 path's first segment does not take the V2 paths over.
#[tokio::test]
async fn a_service_id_named_auth_leaves_the_v2_paths_alone() {
    let app = spawn_with_id(Some("auth")).await;
    let body = json!({ "parameters": "grant_type=client_credentials&scope=read",
        "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 });
    for path in ["/api/auth/token", "/api/auth/auth/token"] {
        let (status, answer, _) = call(&app, "POST", path, &body, Auth::Basic(CALLER)).await;
        assert_eq!(
            (status, &answer["action"]),
            (200, &json!("OK")),
            "{path}: {answer}"
        );
    }
}

/// Caller authentication is the same under the prefix: a wrong or missing credential is
/// answered 401 with the challenge, a caller without the role 403, before any route runs.
#[tokio::test]
async fn bearer_callers_are_checked_under_the_prefix() {
    let app = spawn_with_id(Some(SERVICE_ID)).await;
    let token_path = format!("/api/{SERVICE_ID}/auth/token");
    let body = json!({ "parameters": "grant_type=client_credentials&scope=read",
        "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 });
    let cases = [
        ("no Authorization header", Auth::None, 401, "A001201"),
        (
            "a wrong access token",
            Auth::Bearer("not-the-token"),
            401,
            "A001201",
        ),
        ("an empty access token", Auth::Bearer(""), 401, "A001201"),
        (
            "the caller's key instead of its secret",
            Auth::Bearer(CALLER.0),
            401,
            "A001201",
        ),
        (
            "a token one character short",
            Auth::Bearer(&CALLER.1[..CALLER.1.len() - 1]),
            401,
            "A001201",
        ),
        (
            "an rs caller at an as route",
            Auth::Bearer(RS_ONLY_CALLER.1),
            403,
            "A001202",
        ),
    ];
    for (what, auth, expected_status, code) in cases {
        let (status, answer, challenge) = call(&app, "POST", &token_path, &body, auth).await;
        assert_eq!(status, expected_status, "{what}: {answer}");
        assert_eq!(answer["resultCode"], code, "{what}");
        assert!(answer.get("action").is_none(), "{what}: {answer}");
        if expected_status == 401 {
            assert_eq!(
                challenge.as_deref(),
                Some("Basic realm=\"dpopd\", Bearer realm=\"dpopd\""),
                "{what}"
            );
        }
    }
    for (what, auth) in [
        ("Bearer", Auth::Bearer(CALLER.1)),
        ("Basic", Auth::Basic(CALLER)),
    ] {
        let (status, answer, _) = call(&app, "POST", &token_path, &body, auth).await;
        assert_eq!((status, &answer["action"]), (200, &json!("OK")), "{what}");
    }
}
