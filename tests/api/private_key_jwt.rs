//! `private_key_jwt` (RFC 7523 §2.2, §3; FAPI 2.0 §5.3.2.1) through the API: a client signs
//! its assertion with a key of its registered `jwks` or `jwks_uri` at the token endpoint, PAR,
//! revocation and standard introspection; every hostile assertion is `invalid_client` with the
//! code of the rule it breaks; a `jwks_uri` that is down serves from the cache, fails closed
//! without one, and is never fetched for a `kid` the cache knows.
use crate::helpers::*;
use crate::jwks_server::{dead_uri, JwksServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dpopd::clock::UnixTime;
use dpopd::config::{ClientSettings, InlineJwks, Settings};
use dpopd::jose::{Alg, SigningKey};
use dpopd::oauth::clients::{AuthMethod, GrantType};
use serde_json::{json, Value};

const CLIENT: &str = "pkjwt-client";
const OTHER: &str = "pkjwt-other";
const REMOTE: &str = "pkjwt-remote";
const ISSUER: &str = "https://as.example.com";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const PKJWT_REDIRECT: &str = "https://pkjwt.example.com/cb";

pub fn key(kid: &str) -> SigningKey {
    SigningKey::generate(Alg::ES256, Some(kid.into())).expect("key")
}

pub fn jwks_value(keys: &[&SigningKey]) -> Value {
    let keys: Vec<Value> = keys.iter().map(|k| k.public_jwk()).collect();
    json!({ "keys": keys })
}

fn assertion_client(id: &str) -> ClientSettings {
    ClientSettings {
        grant_types: vec![
            GrantType::ClientCredentials,
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
        ],
        redirect_uris: vec![PKJWT_REDIRECT.into()],
        ..client(id, None, AuthMethod::PrivateKeyJwt)
    }
}

/// The test settings with `CLIENT` (inline `jwks` of `key`) and `OTHER` (of `other`).
fn settings(key: &SigningKey, other: &SigningKey) -> Settings {
    let mut s = test_settings();
    s.clients.push(ClientSettings {
        jwks: Some(InlineJwks(jwks_value(&[key]))),
        ..assertion_client(CLIENT)
    });
    s.clients.push(ClientSettings {
        jwks: Some(InlineJwks(jwks_value(&[other]))),
        ..assertion_client(OTHER)
    });
    s
}

/// The test settings with `REMOTE`, whose keys are at `uri`.
fn remote_settings(uri: &str) -> Settings {
    let mut s = test_settings();
    s.clients.push(ClientSettings {
        jwks_uri: Some(dpopd::remote_keys::JwksUri::parse(uri).expect("uri")),
        ..assertion_client(REMOTE)
    });
    s
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims valid now for `client`, with a fresh `jti`.
pub fn claims(client: &str) -> Value {
    let now = UnixTime::now().secs();
    json!({
        "iss": client, "sub": client, "aud": ISSUER, "jti": random_b64(16),
        "iat": now, "exp": now + 60,
    })
}

fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = key.sign_raw(input.as_bytes()).expect("signature");
    format!("{input}.{}", b64(&signature))
}

fn header(key: &SigningKey) -> Value {
    json!({ "alg": "ES256", "kid": key.kid(), "typ": "JWT" })
}

pub fn assertion(key: &SigningKey, claims: &Value) -> String {
    sign(key, &header(key), claims)
}

pub fn with(client: &str, changes: Value) -> Value {
    let mut claims = claims(client);
    for (name, value) in changes.as_object().expect("object") {
        if value.is_null() {
            claims.as_object_mut().expect("object").remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

pub fn authenticated(assertion: &str) -> String {
    format!("client_assertion_type={JWT_BEARER}&client_assertion={assertion}")
}

async fn token(app: &TestApp, assertion: &str) -> Value {
    let parameters = format!(
        "grant_type=client_credentials&scope=read&{}",
        authenticated(assertion)
    );
    let (status, answer) = app
        .post("/auth/token", &json!({ "parameters": parameters }))
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

fn outcome(answer: &Value) -> (Option<&str>, Option<&str>) {
    (answer["action"].as_str(), answer["resultCode"].as_str())
}

/// An `invalid_client` refusal with `code`, as the token endpoint answers it.
fn assert_invalid_client(answer: &Value, code: &str, description: &str) {
    assert_eq!(
        outcome(answer),
        (Some("INVALID_CLIENT"), Some(code)),
        "{description}: {answer}"
    );
    assert_eq!(content(answer)["error"], "invalid_client", "{description}");
}

#[tokio::test]
async fn a_signed_assertion_authenticates_the_client_at_the_token_endpoint() {
    let (k, other) = (key("k1"), key("k2"));
    let app = spawn_app_with(settings(&k, &other)).await;
    let answer = token(&app, &assertion(&k, &claims(CLIENT))).await;
    assert_eq!(outcome(&answer), (Some("OK"), Some("A052001")), "{answer}");
    let issued = content(&answer);
    assert!(issued["access_token"].is_string(), "{issued}");
}

/// One hostile assertion per rule, each refused with its own code and `invalid_client`.
#[tokio::test]
async fn each_hostile_assertion_is_invalid_client_with_its_own_code() {
    let (k, other) = (key("k1"), key("k2"));
    let app = spawn_app_with(settings(&k, &other)).await;
    let now = UnixTime::now().secs();
    let public = k.public_jwk().to_string();
    let hs256 = {
        let input = format!(
            "{}.{}",
            b64(json!({ "alg": "HS256", "kid": "k1" })
                .to_string()
                .as_bytes()),
            b64(claims(CLIENT).to_string().as_bytes())
        );
        let mac = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, public.as_bytes());
        let tag = ring::hmac::sign(&mac, input.as_bytes());
        format!("{input}.{}", b64(tag.as_ref()))
    };
    let none = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims(CLIENT).to_string().as_bytes()),
        b64(b"x")
    );
    let mut with_jwk = header(&k);
    with_jwk["jwk"] = k.public_jwk();
    let mut with_jku = header(&k);
    with_jku["jku"] = json!("https://attacker.example/jwks");
    let mut with_x5u = header(&k);
    with_x5u["x5u"] = json!("https://attacker.example/cert.pem");
    let mut unknown_kid = header(&k);
    unknown_kid["kid"] = json!("never-published");
    let mut other_as_k1 = header(&other);
    other_as_k1["kid"] = json!("k1");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "aud is another server's",
            assertion(
                &k,
                &with(CLIENT, json!({ "aud": "https://other.example.com/token" })),
            ),
            "A063310",
        ),
        (
            "aud is the token endpoint, not configured",
            assertion(&k, &with(CLIENT, json!({ "aud": TOKEN_HTU }))),
            "A063310",
        ),
        (
            "expired",
            assertion(&k, &with(CLIENT, json!({ "exp": now - 120 }))),
            "A063312",
        ),
        (
            "exp too far ahead",
            assertion(&k, &with(CLIENT, json!({ "exp": now + 3600 }))),
            "A063313",
        ),
        (
            "exp missing",
            assertion(&k, &with(CLIENT, json!({ "exp": null }))),
            "A063311",
        ),
        (
            "nbf in the future",
            assertion(&k, &with(CLIENT, json!({ "nbf": now + 120 }))),
            "A063314",
        ),
        (
            "iat in the future",
            assertion(&k, &with(CLIENT, json!({ "iat": now + 120 }))),
            "A063315",
        ),
        (
            "jti missing",
            assertion(&k, &with(CLIENT, json!({ "jti": null }))),
            "A063316",
        ),
        (
            "iss differs from sub",
            assertion(&k, &with(CLIENT, json!({ "iss": OTHER }))),
            "A063309",
        ),
        ("alg none", none, "A063305"),
        ("HS256 keyed with the client's public key", hs256, "A063305"),
        (
            "another client's key under its own kid",
            assertion(&other, &claims(CLIENT)),
            "A063306",
        ),
        (
            "another client's key under this client's kid",
            sign(&other, &other_as_k1, &claims(CLIENT)),
            "A063308",
        ),
        (
            "an unknown kid",
            sign(&k, &unknown_kid, &claims(CLIENT)),
            "A063306",
        ),
        (
            "jwk in the header",
            sign(&k, &with_jwk, &claims(CLIENT)),
            "A063304",
        ),
        (
            "jku in the header",
            sign(&k, &with_jku, &claims(CLIENT)),
            "A063304",
        ),
        (
            "x5u in the header",
            sign(&k, &with_x5u, &claims(CLIENT)),
            "A063304",
        ),
        ("not a JWT", "not-a-jwt".to_owned(), "A063303"),
    ];
    for (description, assertion, code) in cases {
        let answer = token(&app, &assertion).await;
        assert_invalid_client(&answer, code, description);
    }
    // A client's keys verify its own assertion, sent as the other client: iss/sub do not fit.
    let parameters = format!(
        "grant_type=client_credentials&client_id={OTHER}&{}",
        authenticated(&assertion(&other, &claims(CLIENT)))
    );
    let (_, answer) = app
        .post("/auth/token", &json!({ "parameters": parameters }))
        .await;
    assert_invalid_client(&answer, "A063309", "signed by OTHER with CLIENT's claims");
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let (k, other) = (key("k1"), key("k2"));
    let app = spawn_app_with(settings(&k, &other)).await;
    let once = assertion(&k, &claims(CLIENT));
    assert_eq!(outcome(&token(&app, &once).await).0, Some("OK"));
    assert_invalid_client(&token(&app, &once).await, "A063317", "replayed jti");
}

#[tokio::test]
async fn the_token_endpoint_url_as_aud_is_accepted_only_when_configured() {
    let (k, other) = (key("k1"), key("k2"));
    let mut s = settings(&k, &other);
    s.service.client_assertion_audiences = vec![TOKEN_HTU.into()];
    let app = spawn_app_with(s).await;
    let answer = token(
        &app,
        &assertion(&k, &with(CLIENT, json!({ "aud": TOKEN_HTU }))),
    )
    .await;
    assert_eq!(outcome(&answer).0, Some("OK"), "{answer}");
    let answer = token(
        &app,
        &assertion(&k, &with(CLIENT, json!({ "aud": [ISSUER, TOKEN_HTU] }))),
    )
    .await;
    assert_invalid_client(&answer, "A063310", "several audiences");
}

/// RFC 6749 §2.3: one method per request, and the registered one.
#[tokio::test]
async fn a_private_key_jwt_client_cannot_use_a_secret_or_mix_one_with_its_assertion() {
    let (k, other) = (key("k1"), key("k2"));
    let app = spawn_app_with(settings(&k, &other)).await;
    let both = format!(
        "grant_type=client_credentials&client_secret=guess&{}",
        authenticated(&assertion(&k, &claims(CLIENT)))
    );
    let (_, answer) = app
        .post("/auth/token", &json!({ "parameters": both }))
        .await;
    assert_eq!(
        outcome(&answer),
        (Some("BAD_REQUEST"), Some("A051306")),
        "{answer}"
    );
    let basic_too = json!({
        "parameters": format!("grant_type=client_credentials&{}", authenticated(&assertion(&k, &claims(CLIENT)))),
        "clientId": CLIENT, "clientSecret": "guess",
    });
    let (_, answer) = app.post("/auth/token", &basic_too).await;
    assert_eq!(
        outcome(&answer),
        (Some("BAD_REQUEST"), Some("A051306")),
        "{answer}"
    );
    let secret_only = json!({
        "parameters": "grant_type=client_credentials", "clientId": CLIENT, "clientSecret": "guess",
    });
    let (_, answer) = app.post("/auth/token", &secret_only).await;
    assert_invalid_client(&answer, "A051305", "a secret instead of an assertion");
    // A secret client may not authenticate with an assertion either.
    let parameters = format!(
        "grant_type=client_credentials&client_id={}&{}",
        CONFIDENTIAL.0,
        authenticated(&assertion(&k, &claims(CONFIDENTIAL.0)))
    );
    let (_, answer) = app
        .post("/auth/token", &json!({ "parameters": parameters }))
        .await;
    assert_invalid_client(&answer, "A051305", "assertion of a secret client");
}

#[tokio::test]
async fn par_revocation_and_standard_introspection_accept_the_assertion_and_refuse_a_bad_one() {
    let (k, other) = (key("k1"), key("k2"));
    let app = spawn_app_with(settings(&k, &other)).await;

    let request = format!(
        "response_type=code&client_id={CLIENT}&redirect_uri={PKJWT_REDIRECT}&code_challenge={}&code_challenge_method=S256&scope=read",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    let par = |assertion: String| json!({ "parameters": format!("{request}&{}", authenticated(&assertion)) });
    let (_, created) = app
        .post("/pushed_auth_req", &par(assertion(&k, &claims(CLIENT))))
        .await;
    assert_eq!(created["action"], "CREATED", "{created}");
    let (_, refused) = app
        .post("/pushed_auth_req", &par(assertion(&other, &claims(CLIENT))))
        .await;
    assert_eq!(
        outcome(&refused),
        (Some("UNAUTHORIZED"), Some("A063306")),
        "{refused}"
    );
    assert_eq!(content(&refused)["error"], "invalid_client");

    let access = content(&token(&app, &assertion(&k, &claims(CLIENT))).await)["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let introspect = |assertion: String| json!({ "parameters": format!("token={access}&{}", authenticated(&assertion)) });
    let (_, active) = app
        .post(
            "/auth/introspection/standard",
            &introspect(assertion(&k, &claims(CLIENT))),
        )
        .await;
    assert_eq!(content(&active)["active"], true, "{active}");
    let expired = assertion(
        &k,
        &with(CLIENT, json!({ "exp": UnixTime::now().secs() - 120 })),
    );
    let (_, refused) = app
        .post("/auth/introspection/standard", &introspect(expired))
        .await;
    assert_eq!(
        outcome(&refused),
        (Some("UNAUTHORIZED"), Some("A063312")),
        "{refused}"
    );
    assert_eq!(content(&refused)["error"], "invalid_client");

    let revoke = |assertion: String| json!({ "parameters": format!("token={access}&{}", authenticated(&assertion)) });
    let replayed = assertion(&k, &claims(CLIENT));
    let (_, revoked) = app
        .post("/auth/revocation", &revoke(replayed.clone()))
        .await;
    assert_eq!(
        outcome(&revoked),
        (Some("OK"), Some("A059001")),
        "{revoked}"
    );
    let (_, refused) = app.post("/auth/revocation", &revoke(replayed)).await;
    assert_eq!(
        outcome(&refused),
        (Some("INVALID_CLIENT"), Some("A063317")),
        "{refused}"
    );
}

#[tokio::test]
async fn a_jwks_uri_that_is_down_serves_from_the_cache_and_a_known_kid_never_fetches() {
    let k = key("k1");
    let server = JwksServer::start(jwks_value(&[&k]).to_string().into_bytes()).await;
    let app = spawn_app_with(remote_settings(&server.uri)).await;
    let first = token(&app, &assertion(&k, &claims(REMOTE))).await;
    assert_eq!(outcome(&first).0, Some("OK"), "{first}");
    let fetched = server.hits();
    assert_eq!(fetched, 1, "one fetch, at start or for the first assertion");
    for _ in 0..3 {
        let again = token(&app, &assertion(&k, &claims(REMOTE))).await;
        assert_eq!(outcome(&again).0, Some("OK"), "{again}");
    }
    assert_eq!(
        server.hits(),
        fetched,
        "a known kid is verified from the cache"
    );
    server.stop().await;
    let while_down = token(&app, &assertion(&k, &claims(REMOTE))).await;
    assert_eq!(outcome(&while_down).0, Some("OK"), "{while_down}");
}

#[tokio::test]
async fn a_jwks_uri_that_is_down_with_nothing_cached_fails_closed() {
    let app = spawn_app_with(remote_settings(&dead_uri().await)).await;
    let k = key("k1");
    let answer = token(&app, &assertion(&k, &claims(REMOTE))).await;
    assert_invalid_client(&answer, "A063307", "jwks_uri down, no key known");
}

#[tokio::test]
async fn an_oversized_jwks_is_refused_and_the_client_fails_closed() {
    let k = key("k1");
    let mut padded = jwks_value(&[&k]);
    padded["padding"] = json!("x".repeat(4096));
    let server = JwksServer::start(padded.to_string().into_bytes()).await;
    let mut s = remote_settings(&server.uri);
    s.jwks.max_body_bytes = 1024;
    let app = spawn_app_with(s).await;
    let answer = token(&app, &assertion(&k, &claims(REMOTE))).await;
    assert_invalid_client(&answer, "A063307", "oversized JWKS");
    assert!(server.hits() >= 1, "the set was fetched and refused");
}

/// A key the client adds to its `jwks_uri` is fetched at its first assertion, once
/// `jwks.min_refresh_secs` has passed since the last fetch.
#[tokio::test]
async fn an_unknown_kid_refreshes_the_jwks_uri_at_most_once_per_interval() {
    let (k1, k2) = (key("k1"), key("k2"));
    let server = JwksServer::start(jwks_value(&[&k1]).to_string().into_bytes()).await;
    let mut s = remote_settings(&server.uri);
    s.jwks.min_refresh_secs = 2;
    s.jwks.refresh_secs = 300;
    let app = spawn_app_with(s).await;
    assert_eq!(
        outcome(&token(&app, &assertion(&k1, &claims(REMOTE))).await).0,
        Some("OK")
    );
    server.answer(200, jwks_value(&[&k1, &k2]).to_string().into_bytes());
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let before = server.hits();
    let rotated = token(&app, &assertion(&k2, &claims(REMOTE))).await;
    assert_eq!(outcome(&rotated).0, Some("OK"), "{rotated}");
    assert_eq!(server.hits(), before + 1);
    // A kid the set still lacks is refused without another fetch within the interval.
    let stranger = token(&app, &assertion(&key("k3"), &claims(REMOTE))).await;
    assert_invalid_client(&stranger, "A063306", "unknown kid right after a refresh");
    assert_eq!(server.hits(), before + 1);
}

#[tokio::test]
async fn the_metadata_lists_private_key_jwt_and_its_algs() {
    let (k, other) = (key("k1"), key("k2"));
    let app = spawn_app_with(settings(&k, &other)).await;
    let (status, text) = app.get("/service/configuration").await;
    assert_eq!(status, 200);
    let metadata: Value = serde_json::from_str(&text).expect("JSON");
    let methods = metadata["token_endpoint_auth_methods_supported"]
        .as_array()
        .expect("methods");
    assert!(methods.contains(&json!("private_key_jwt")), "{metadata}");
    assert_eq!(
        metadata["token_endpoint_auth_signing_alg_values_supported"],
        json!(["ES256", "PS256", "EdDSA"])
    );
}
