//! Gateway mode (docs/gateway.md): the sub-requests of nginx `auth_request`, Caddy/Traefik
//! forward auth and Envoy `ext_authz`, answered with statuses and headers. Each refusal rule has
//! its test; tests/interop/gateway drives real nginx and Caddy.
use crate::helpers::*;
use crate::resource::{parse_challenges, resource_proof, RS_URL};
use base64::Engine;
use dpopd::api::gateway::settings::RouteSettings;
use dpopd::clock::UnixTime;
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::Alg;
use reqwest::header::HeaderMap;

/// `RS_URL` is `https://rs.example.com/resource`.
const ORIGIN: &str = "https://rs.example.com";
const PATH: &str = "/resource";

fn route(name: &str, origin: Option<&str>, scopes: &[&str], dpop_required: bool) -> RouteSettings {
    RouteSettings {
        name: name.into(),
        origin: origin.map(str::to_owned),
        trust_forwarded_headers: origin.is_none(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        dpop_required,
        nonce_required: false,
    }
}

async fn gateway_app() -> TestApp {
    let mut settings = test_settings();
    settings.gateway.routes = vec![
        route("api", Some(ORIGIN), &["read"], true),
        route("admin", Some(ORIGIN), &["admin"], true),
        route("mixed", Some(ORIGIN), &[], false),
        route("forwarded", None, &[], true),
    ];
    spawn_app_with(settings).await
}

fn caller_header((key, secret): (&str, &str)) -> String {
    let text = format!("{key}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The one challenge: its scheme and `error`.
    fn challenge(&self) -> (String, Option<String>) {
        let text = self.header("www-authenticate").expect("WWW-Authenticate");
        let parsed = parse_challenges(text).unwrap_or_else(|e| panic!("{e}"));
        let (scheme, params) = parsed.into_iter().next().expect("a challenge");
        let error = params
            .into_iter()
            .find(|(k, _)| k == "error")
            .map(|(_, v)| v);
        (scheme, error)
    }
}

/// A sub-request to `/gateway/{protocol}/{route}` as nginx would send it for `GET PATH`.
async fn nginx(app: &TestApp, route: &str, headers: &[(&str, &str)]) -> Answer {
    let mut all = vec![("x-original-method", "GET"), ("x-original-uri", PATH)];
    all.extend_from_slice(headers);
    send(
        app,
        "GET",
        &format!("/gateway/nginx/{route}"),
        &all,
        Some(CALLER),
    )
    .await
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    caller: Option<(&str, &str)>,
) -> Answer {
    let mut request = app
        .http
        .request(method.parse().unwrap(), format!("{}{path}", app.address));
    if let Some(caller) = caller {
        request = request.header("x-dpopd-caller", caller_header(caller));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

async fn bound_token(app: &TestApp, key: &TestKey) -> String {
    let issued = app.client_credentials(Some(&key.token_proof())).await;
    issued["accessToken"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn a_bound_token_with_its_proof_is_200_with_the_identity_headers() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    let proof = resource_proof(&key, &token);
    let answer = nginx(&app, "api", &[("authorization", &auth), ("dpop", &proof)]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("x-dpopd-client-id"), Some(CONFIDENTIAL.0));
    assert_eq!(answer.header("x-dpopd-subject"), Some(CONFIDENTIAL.0));
    assert_eq!(answer.header("x-dpopd-scopes"), Some("read"));
    assert_eq!(answer.header("x-dpopd-jkt"), Some(key.jkt().as_str()));
    assert_eq!(
        answer.header("x-dpopd-issuer"),
        Some("https://as.example.com")
    );
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert!(answer.header("www-authenticate").is_none());
}

#[tokio::test]
async fn the_same_proof_twice_is_a_replay() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    let proof = resource_proof(&key, &token);
    let first = nginx(&app, "api", &[("authorization", &auth), ("dpop", &proof)]).await;
    assert_eq!(first.status, 200);
    let again = nginx(&app, "api", &[("authorization", &auth), ("dpop", &proof)]).await;
    assert_eq!(again.status, 401);
    assert_eq!(
        again.challenge(),
        ("DPoP".into(), Some("invalid_dpop_proof".into()))
    );
    assert!(again.header("x-dpopd-subject").is_none());
}

#[tokio::test]
async fn a_proof_of_another_key_is_refused() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let other = TestKey::new(Alg::ES256);
    let auth = format!("DPoP {token}");
    let proof = resource_proof(&other, &token);
    let answer = nginx(&app, "api", &[("authorization", &auth), ("dpop", &proof)]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.challenge(),
        ("DPoP".into(), Some("invalid_token".into()))
    );
}

#[tokio::test]
async fn a_bound_token_as_bearer_is_a_downgrade() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("Bearer {token}");
    let answer = nginx(&app, "mixed", &[("authorization", &auth)]).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.challenge(),
        ("DPoP".into(), Some("invalid_token".into()))
    );
}

#[tokio::test]
async fn a_proof_without_ath_or_with_another_tokens_ath_is_refused() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    let no_ath = key.proof("GET", RS_URL);
    let wrong_ath = resource_proof(&key, "another-token");
    for proof in [no_ath, wrong_ath] {
        let answer = nginx(&app, "api", &[("authorization", &auth), ("dpop", &proof)]).await;
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.challenge(),
            ("DPoP".into(), Some("invalid_dpop_proof".into()))
        );
    }
}

#[tokio::test]
async fn a_proof_for_another_url_or_method_is_refused() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    let claims = ProofClaims {
        access_token: Some(&token),
        ..Default::default()
    };
    let other_url = key.proof_with(
        "GET",
        "https://rs.example.com/other",
        UnixTime::now(),
        &claims,
    );
    let other_method = key.proof_with("POST", RS_URL, UnixTime::now(), &claims);
    for proof in [other_url, other_method] {
        let answer = nginx(&app, "api", &[("authorization", &auth), ("dpop", &proof)]).await;
        assert_eq!(
            answer.status,
            401,
            "{:?}",
            answer.header("dpopd-result-code")
        );
        assert_eq!(
            answer.challenge(),
            ("DPoP".into(), Some("invalid_dpop_proof".into()))
        );
    }
}

#[tokio::test]
async fn no_token_is_a_bare_dpop_challenge_and_a_missing_scope_is_403() {
    let app = gateway_app().await;
    let bare = nginx(&app, "api", &[]).await;
    assert_eq!(bare.status, 401);
    assert_eq!(bare.challenge(), ("DPoP".into(), None));

    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    let proof = resource_proof(&key, &token);
    let answer = nginx(&app, "admin", &[("authorization", &auth), ("dpop", &proof)]).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.challenge(),
        ("DPoP".into(), Some("insufficient_scope".into()))
    );
}

#[tokio::test]
async fn two_dpop_headers_or_a_comma_joined_one_are_refused() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    let (a, b) = (resource_proof(&key, &token), resource_proof(&key, &token));
    let joined = format!("{a}, {b}");
    let two = nginx(
        &app,
        "api",
        &[("authorization", &auth), ("dpop", &a), ("dpop", &b)],
    )
    .await;
    let comma = nginx(&app, "api", &[("authorization", &auth), ("dpop", &joined)]).await;
    for answer in [two, comma] {
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.challenge(),
            ("DPoP".into(), Some("invalid_dpop_proof".into()))
        );
    }
    // Neither proof was recorded: the first one still works alone.
    let alone = nginx(&app, "api", &[("authorization", &auth), ("dpop", &a)]).await;
    assert_eq!(alone.status, 200);
}

#[tokio::test]
async fn an_authorization_with_both_schemes_is_invalid_request() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let proof = resource_proof(&key, &token);
    let joined = format!("DPoP {token}, Bearer {token}");
    let (a, b) = (format!("DPoP {token}"), format!("Bearer {token}"));
    let to_nginx = nginx(&app, "api", &[("authorization", &joined), ("dpop", &proof)]).await;
    assert_eq!(to_nginx.status, 401, "nginx relays only 401 and 403");
    assert_eq!(
        to_nginx.challenge(),
        ("DPoP".into(), Some("invalid_request".into()))
    );
    assert_eq!(to_nginx.header("dpopd-result-code"), Some("A070301"));
    let headers = [
        ("x-forwarded-method", "GET"),
        ("x-forwarded-uri", PATH),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "rs.example.com"),
        ("authorization", a.as_str()),
        ("authorization", b.as_str()),
        ("dpop", proof.as_str()),
    ];
    let to_caddy = send(
        &app,
        "GET",
        "/gateway/forward-auth/forwarded",
        &headers,
        Some(CALLER),
    )
    .await;
    assert_eq!(to_caddy.status, 400);
    assert_eq!(
        to_caddy.challenge(),
        ("DPoP".into(), Some("invalid_request".into()))
    );
    assert_eq!(to_caddy.body, r#"{"error":"invalid_request"}"#);
}

#[tokio::test]
async fn forwarded_headers_set_the_origin_only_on_a_route_that_trusts_them() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    // The proof is for https://rs.example.com/resource.
    let forwarded = |host: &'static str, proof: String| {
        vec![
            ("x-forwarded-method".to_owned(), "GET".to_owned()),
            ("x-forwarded-uri".to_owned(), PATH.to_owned()),
            ("x-forwarded-proto".to_owned(), "https".to_owned()),
            ("x-forwarded-host".to_owned(), host.to_owned()),
            ("authorization".to_owned(), auth.clone()),
            ("dpop".to_owned(), proof),
        ]
    };
    let call = |route: &'static str, headers: Vec<(String, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            send(
                app,
                "GET",
                &format!("/gateway/forward-auth/{route}"),
                &pairs,
                Some(CALLER),
            )
            .await
        }
    };
    let trusted = call(
        "forwarded",
        forwarded("rs.example.com", resource_proof(&key, &token)),
    )
    .await;
    assert_eq!(trusted.status, 200);
    // Another forwarded host: the htu dpopd expects is that host's, and the proof is not.
    let elsewhere = call(
        "forwarded",
        forwarded("evil.example", resource_proof(&key, &token)),
    )
    .await;
    assert_eq!(elsewhere.status, 401);
    // A route with a configured origin ignores the forwarded host.
    let configured = call(
        "api",
        forwarded("evil.example", resource_proof(&key, &token)),
    )
    .await;
    assert_eq!(configured.status, 200);
}

#[tokio::test]
async fn envoy_gives_the_method_and_path_in_the_sub_request_itself() {
    let app = gateway_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    let proof = resource_proof(&key, &token);
    let headers = [("authorization", auth.as_str()), ("dpop", proof.as_str())];
    let answer = send(
        &app,
        "GET",
        "/gateway/envoy/api/resource?x=1",
        &headers,
        Some(CALLER),
    )
    .await;
    assert_eq!(
        answer.status,
        200,
        "{:?}",
        answer.header("dpopd-result-code")
    );
    let proof = resource_proof(&key, &token);
    let headers = [("authorization", auth.as_str()), ("dpop", proof.as_str())];
    let post = send(
        &app,
        "POST",
        "/gateway/envoy/api/resource",
        &headers,
        Some(CALLER),
    )
    .await;
    assert_eq!(post.status, 401, "the proof is for GET");
}

#[tokio::test]
async fn a_required_nonce_is_challenged_and_then_accepted() {
    let mut settings = test_settings();
    let mut api = route("api", Some(ORIGIN), &[], true);
    api.nonce_required = true;
    settings.gateway.routes = vec![api];
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let token = bound_token(&app, &key).await;
    let auth = format!("DPoP {token}");
    let first = nginx(
        &app,
        "api",
        &[
            ("authorization", &auth),
            ("dpop", &resource_proof(&key, &token)),
        ],
    )
    .await;
    assert_eq!(first.status, 401);
    assert_eq!(
        first.challenge(),
        ("DPoP".into(), Some("use_dpop_nonce".into()))
    );
    let nonce = first.header("dpop-nonce").expect("DPoP-Nonce").to_owned();
    let claims = ProofClaims {
        access_token: Some(&token),
        nonce: Some(&nonce),
        ..Default::default()
    };
    let proof = key.proof_with("GET", RS_URL, UnixTime::now(), &claims);
    let retry = nginx(&app, "api", &[("authorization", &auth), ("dpop", &proof)]).await;
    assert_eq!(retry.status, 200, "{:?}", retry.header("dpopd-result-code"));
    assert!(retry.header("dpop-nonce").is_some());
}

#[tokio::test]
async fn the_sub_request_needs_an_rs_caller_and_a_known_route() {
    let app = gateway_app().await;
    let headers = [("x-original-method", "GET"), ("x-original-uri", PATH)];
    let none = send(&app, "GET", "/gateway/nginx/api", &headers, None).await;
    assert_eq!(none.status, 401);
    assert!(none.body.contains("A001201"), "{}", none.body);
    let wrong = send(
        &app,
        "GET",
        "/gateway/nginx/api",
        &headers,
        Some(("caller", "wrong")),
    )
    .await;
    assert_eq!(wrong.status, 401);
    let unknown = send(
        &app,
        "GET",
        "/gateway/nginx/nope",
        &headers,
        Some(RS_ONLY_CALLER),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("A070201"), "{}", unknown.body);
    // The client's Authorization never authenticates the caller.
    let basic = caller_header(CALLER);
    let client_sent = send(
        &app,
        "GET",
        "/gateway/nginx/api",
        &[
            ("x-original-method", "GET"),
            ("x-original-uri", PATH),
            ("authorization", &basic),
        ],
        None,
    )
    .await;
    assert_eq!(client_sent.status, 401);
    assert!(client_sent.body.contains("A001201"), "{}", client_sent.body);
}

#[tokio::test]
async fn a_sub_request_that_does_not_say_which_request_is_a_caller_error() {
    let app = gateway_app().await;
    for headers in [
        vec![("x-original-uri", PATH)],
        vec![("x-original-method", "GET")],
        vec![("x-original-method", "GET"), ("x-original-uri", "resource")],
    ] {
        let answer = send(&app, "GET", "/gateway/nginx/api", &headers, Some(CALLER)).await;
        assert_eq!(answer.status, 400, "{headers:?}");
        assert!(answer.body.contains("A070202"), "{}", answer.body);
    }
    let untrusted = [("x-forwarded-method", "GET"), ("x-forwarded-uri", PATH)];
    let answer = send(
        &app,
        "GET",
        "/gateway/forward-auth/forwarded",
        &untrusted,
        Some(CALLER),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("A070202"), "{}", answer.body);
}
