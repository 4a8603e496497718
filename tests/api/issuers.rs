//! Trusted issuers (docs/configuration.md, "[[issuers]]") and opaque tokens (docs/api.md,
//! "Opaque tokens") at `/auth/introspection` and `/auth/userinfo`: another authorization
//! server's RFC 9068 tokens, whose keys a loopback JWKS server publishes, get every check
//! dpopd's own tokens get, one refusal per rule; a token dpopd does not read is judged by its
//! proof and the thumbprint the caller gives.
use crate::helpers::*;
use crate::jwks_server::JwksServer;
use crate::resource::*;
use dpopd::clock::UnixTime;
use dpopd::config::{CallerSettings, IssuerSettings, Role, ScopeClaim, Secret, Settings};
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::{b64, Alg, SigningKey};
use dpopd::remote_keys::JwksUri;
use serde_json::{json, Value};

/// Publishes its keys at a `jwks_uri`; `scope` string; ES256 only; `typ` required.
const REMOTE: &str = "https://login.example.org";
/// An inline set; `scp` array; `typ` not required.
const INLINE: &str = "https://inline.example.net";
/// A `jwks_uri` where nothing listens: never fetched.
const DARK: &str = "https://dark.example.com";
const AUDIENCE: &str = "https://api.example.com";
const AS_ONLY_CALLER: (&str, &str) = ("as-caller", "as-secret");

struct World {
    app: TestApp,
    server: JwksServer,
    settings: Settings,
    /// `k1`, ES256, in the remote set.
    remote: SigningKey,
    /// `ed`, EdDSA, in the remote set but not allowed by the issuer's `algs`.
    remote_ed: SigningKey,
    /// `b1`, ES256, the inline issuer's.
    inline: SigningKey,
}

fn jwks(keys: &[&SigningKey]) -> String {
    json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() }).to_string()
}

fn issuer(name: &str, audience: &str) -> IssuerSettings {
    IssuerSettings {
        issuer: name.into(),
        jwks_uri: None,
        jwks: None,
        audience: vec![audience.into()],
        algs: vec![Alg::ES256],
        require_typ: true,
        scope_claim: ScopeClaim::Scope,
    }
}

/// The test instance with the three issuers, once the remote set has been fetched at start.
async fn world() -> World {
    let remote = SigningKey::generate(Alg::ES256, Some("k1".into())).unwrap();
    let remote_ed = SigningKey::generate(Alg::EdDSA, Some("ed".into())).unwrap();
    let inline = SigningKey::generate(Alg::ES256, Some("b1".into())).unwrap();
    let server = JwksServer::start(jwks(&[&remote, &remote_ed]).into_bytes()).await;
    let dark_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut settings = test_settings();
    // An unknown kid may fetch once every two seconds.
    settings.jwks.min_refresh_secs = 2;
    settings.callers.push(CallerSettings {
        key: AS_ONLY_CALLER.0.into(),
        secret: Some(Secret::new(AS_ONLY_CALLER.1)),
        secret_sha256: None,
        roles: vec![Role::As],
        dpop_only: false,
        explain_per_minute: 0,
    });
    settings.issuers = vec![
        IssuerSettings {
            jwks_uri: Some(JwksUri::parse(&server.uri).unwrap()),
            ..issuer(REMOTE, AUDIENCE)
        },
        IssuerSettings {
            jwks: Some(jwks(&[&inline])),
            require_typ: false,
            scope_claim: ScopeClaim::Scp,
            ..issuer(INLINE, AUDIENCE)
        },
        IssuerSettings {
            jwks_uri: Some(JwksUri::parse(&format!("http://127.0.0.1:{dark_port}/jwks")).unwrap()),
            ..issuer(DARK, AUDIENCE)
        },
    ];
    let app = spawn_app_with(settings.clone()).await;
    server.wait_for_hits(1).await;
    World {
        app,
        server,
        settings,
        remote,
        remote_ed,
        inline,
    }
}

/// RFC 9068 §2.2 claims of `iss`, bound to `jkt`, scope `read`, five minutes to live.
fn claims(iss: &str, jkt: Option<&str>) -> Value {
    let now = UnixTime::now().secs();
    let mut claims = json!({
        "iss": iss, "sub": "bob", "aud": [AUDIENCE, "https://other.example.com"],
        "client_id": "their-client", "scope": "read", "iat": now, "exp": now + 300,
        "jti": random_b64(12),
    });
    if let Some(jkt) = jkt {
        claims["cnf"] = json!({ "jkt": jkt });
    }
    claims
}

fn header(key: &SigningKey) -> Value {
    json!({ "alg": key.alg().name(), "typ": "at+jwt", "kid": key.kid() })
}

/// A compact JWS of `header` and `claims` signed by `key`.
fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(claims.to_string().as_bytes())
    );
    let signature = key.sign_raw(input.as_bytes()).unwrap();
    format!("{input}.{}", b64::encode(&signature))
}

/// A token of `iss` signed by `key`, bound to `client`.
fn token(key: &SigningKey, iss: &str, client: &TestKey) -> String {
    sign(key, &header(key), &claims(iss, Some(&client.jkt())))
}

async fn presented(app: &TestApp, token: &str, client: &TestKey) -> Value {
    introspect(
        app,
        &introspection(token, "DPoP", Some(&resource_proof(client, token))),
    )
    .await
}

fn outcome(answer: &Value) -> (&str, &str) {
    (
        answer["action"].as_str().unwrap_or_default(),
        answer["resultCode"].as_str().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_trusted_issuers_bound_token_with_its_proof_is_ok_and_names_the_issuer() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    let answer = presented(&w.app, &token(&w.remote, REMOTE, &client), &client).await;
    assert_eq!(outcome(&answer), ("OK", "A056001"), "{answer}");
    assert_eq!(answer["issuer"], REMOTE);
    assert_eq!(answer["subject"], "bob");
    assert_eq!(answer["clientId"], "their-client");
    assert_eq!(answer["scopes"], json!(["read"]));
    assert_eq!(answer["jkt"], client.jkt());
    assert!(answer["expiresAt"].as_i64().unwrap() > UnixTime::now().millis());
    assert_eq!(
        (answer["existent"].as_bool(), answer["usable"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(answer.get("properties").is_none());

    // dpopd's own tokens name dpopd.
    let own = TestKey::new(Alg::ES256);
    let issued = w.app.client_credentials(Some(&own.token_proof())).await;
    let own_token = issued["accessToken"].as_str().unwrap();
    let answer = presented(&w.app, own_token, &own).await;
    assert_eq!(outcome(&answer), ("OK", "A056001"));
    assert_eq!(answer["issuer"], "https://as.example.com");
}

#[tokio::test]
async fn scopes_come_from_the_issuers_scope_claim() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    let mut scp = claims(INLINE, Some(&client.jkt()));
    scp["scp"] = json!(["read", "profile"]);
    scp.as_object_mut().unwrap().remove("scope");
    let answer = presented(&w.app, &sign(&w.inline, &header(&w.inline), &scp), &client).await;
    assert_eq!(outcome(&answer), ("OK", "A056001"), "{answer}");
    assert_eq!(answer["scopes"], json!(["read", "profile"]));
    assert_eq!(answer["issuer"], INLINE);

    // `scp` as a string is not the array the issuer's scope_claim says.
    scp["scp"] = "read profile".into();
    let answer = presented(&w.app, &sign(&w.inline, &header(&w.inline), &scp), &client).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    assert_eq!(answer["resultCode"], "A056322");

    // The remote issuer's `scope` string: a missing required scope is 403.
    let mut narrow = introspection("", "DPoP", None);
    let token = token(&w.remote, REMOTE, &client);
    narrow["token"] = token.clone().into();
    narrow["dpop"] = resource_proof(&client, &token).into();
    narrow["scopes"] = json!(["write"]);
    let answer = introspect(&w.app, &narrow).await;
    assert_eq!(outcome(&answer), ("FORBIDDEN", "A056312"), "{answer}");
}

#[tokio::test]
async fn every_token_rule_refuses_with_its_own_code() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    let jkt = client.jkt();
    let now = UnixTime::now().secs();
    let remote = &w.remote;
    let with = |name: &str, value: Value| {
        let mut c = claims(REMOTE, Some(&jkt));
        c[name] = value;
        c
    };
    let impostor = SigningKey::generate(Alg::ES256, Some("k1".into())).unwrap();
    let mut untyped = header(remote);
    untyped.as_object_mut().unwrap().remove("typ");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "aud of another resource server",
            sign(
                remote,
                &header(remote),
                &with("aud", "https://elsewhere.example.com".into()),
            ),
            "A056318",
        ),
        (
            "an issuer that is not configured",
            sign(
                remote,
                &header(remote),
                &with("iss", "https://unknown.example.org".into()),
            ),
            "A056317",
        ),
        (
            "EdDSA, outside the issuer's algs",
            sign(
                &w.remote_ed,
                &header(&w.remote_ed),
                &claims(REMOTE, Some(&jkt)),
            ),
            "A056320",
        ),
        (
            "typ missing where at+jwt is required",
            sign(remote, &untyped, &claims(REMOTE, Some(&jkt))),
            "A056319",
        ),
        (
            "typ JWT where at+jwt is required",
            sign(
                remote,
                &json!({ "alg": "ES256", "typ": "JWT", "kid": "k1" }),
                &claims(REMOTE, Some(&jkt)),
            ),
            "A056319",
        ),
        (
            "expired",
            sign(remote, &header(remote), &with("exp", (now - 1).into())),
            "A056303",
        ),
        (
            "nbf ahead",
            sign(remote, &header(remote), &with("nbf", (now + 600).into())),
            "A056304",
        ),
        (
            "signed by another key under the issuer's kid",
            sign(&impostor, &header(&impostor), &claims(REMOTE, Some(&jkt))),
            "A056302",
        ),
        (
            "claims of one issuer under another's key",
            sign(&w.inline, &header(&w.inline), &claims(REMOTE, Some(&jkt))),
            "A056321",
        ),
    ];
    for (why, token, code) in cases {
        let answer = presented(&w.app, &token, &client).await;
        assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
        assert_eq!(answer["resultCode"], code, "{why}: {answer}");
        assert_eq!(answer["usable"], false, "{why}");
    }
    // The inline issuer does not require at+jwt: no typ, or JWT, passes; dpop+jwt does not.
    for (typ, code) in [
        (None, "A056001"),
        (Some("JWT"), "A056001"),
        (Some("dpop+jwt"), "A056319"),
    ] {
        let mut h = json!({ "alg": "ES256", "kid": "b1" });
        if let Some(typ) = typ {
            h["typ"] = typ.into();
        }
        let mut c = claims(INLINE, Some(&jkt));
        c["scp"] = json!(["read"]);
        let answer = presented(&w.app, &sign(&w.inline, &h, &c), &client).await;
        assert_eq!(answer["resultCode"], code, "typ {typ:?}: {answer}");
    }
}

#[tokio::test]
async fn the_proof_of_a_trusted_token_gets_every_check() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    let token = token(&w.remote, REMOTE, &client);
    let thief = TestKey::new(Alg::ES256);
    let answer = presented(&w.app, &token, &thief).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    assert_eq!(answer["resultCode"], "A056311", "a proof of another key");

    let no_ath = client.proof("GET", RS_URL);
    let other_ath = resource_proof(&client, "another-token");
    for (why, proof) in [("no ath", no_ath), ("ath of another token", other_ath)] {
        let answer = introspect(&w.app, &introspection(&token, "DPoP", Some(&proof))).await;
        assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
        assert_eq!(answer["resultCode"], "A056308", "{why}");
    }

    let proof = resource_proof(&client, &token);
    let body = introspection(&token, "DPoP", Some(&proof));
    assert_eq!(outcome(&introspect(&w.app, &body).await), ("OK", "A056001"));
    let answer = introspect(&w.app, &body).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
    assert_eq!(answer["resultCode"], "A056309", "replayed");

    for proof in [None, Some(resource_proof(&client, &token))] {
        let answer = introspect(&w.app, &introspection(&token, "Bearer", proof.as_deref())).await;
        assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
        assert_eq!(answer["resultCode"], "A056306", "a Bearer downgrade");
    }

    // RS nonces (RFC 9449 §9): refused with a nonce, accepted with it.
    let mut body = introspection(&token, "DPoP", Some(&resource_proof(&client, &token)));
    body["dpopNonceRequired"] = true.into();
    let answer = introspect(&w.app, &body).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "use_dpop_nonce");
    assert_eq!(answer["resultCode"], "A056310");
    let nonce = answer["dpopNonce"].as_str().expect("a nonce").to_owned();
    body["dpop"] = client
        .proof_with(
            "GET",
            RS_URL,
            UnixTime::now(),
            &ProofClaims {
                access_token: Some(&token),
                nonce: Some(&nonce),
                ..Default::default()
            },
        )
        .into();
    let answer = introspect(&w.app, &body).await;
    assert_eq!(outcome(&answer), ("OK", "A056001"), "{answer}");
    assert!(answer["dpopNonce"].is_string());
}

#[tokio::test]
async fn userinfo_accepts_a_trusted_token_granting_openid() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    let mut openid = claims(REMOTE, Some(&client.jkt()));
    openid["scope"] = "openid read".into();
    let token = sign(&w.remote, &header(&w.remote), &openid);
    let body = json!({ "token": token, "tokenScheme": "DPoP", "dpop": resource_proof(&client, &token), "htm": "GET", "htu": RS_URL });
    let (status, answer) = w.app.post("/auth/userinfo", &body).await;
    assert_eq!(
        (status, outcome(&answer)),
        (200, ("OK", "A058001")),
        "{answer}"
    );
    assert_eq!(answer["issuer"], REMOTE);
    assert_eq!(answer["subject"], "bob");
}

#[tokio::test]
async fn a_known_kid_never_fetches_and_an_unknown_kid_fetches_once() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    for _ in 0..3 {
        let answer = presented(&w.app, &token(&w.remote, REMOTE, &client), &client).await;
        assert_eq!(outcome(&answer), ("OK", "A056001"));
    }
    assert_eq!(w.server.hits(), 1, "only the fetch at start");

    let rotated = SigningKey::generate(Alg::ES256, Some("k2".into())).unwrap();
    w.server
        .answer(200, jwks(&[&w.remote, &w.remote_ed, &rotated]).into_bytes());
    // jwks.min_refresh_secs is 2 (whole seconds): the fetch at start must lie that far back;
    // the fetch below then forbids another for at least a second.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let fresh = || async {
        let client = TestKey::new(Alg::ES256);
        presented(&w.app, &token(&rotated, REMOTE, &client), &client).await
    };
    let (a, b, c, d) = tokio::join!(fresh(), fresh(), fresh(), fresh());
    for answer in [a, b, c, d] {
        assert_eq!(outcome(&answer), ("OK", "A056001"), "{answer}");
    }
    assert_eq!(
        w.server.hits(),
        2,
        "one fetch for four tokens of the new kid"
    );

    let unknown = SigningKey::generate(Alg::ES256, Some("k3".into())).unwrap();
    let answer = presented(&w.app, &token(&unknown, REMOTE, &client), &client).await;
    assert_eq!(outcome(&answer), ("UNAUTHORIZED", "A056321"), "{answer}");
    assert_eq!(
        w.server.hits(),
        2,
        "no second fetch within min_refresh_secs"
    );
    let answer = presented(&w.app, &token(&rotated, REMOTE, &client), &client).await;
    assert_eq!(outcome(&answer), ("OK", "A056001"));
    assert_eq!(w.server.hits(), 2, "k2 is known now");
    // The metric counts fetches by issuer (every test's instance adds to the process's).
    let (_, metrics) = w.app.get("/metrics").await;
    let series = format!("dpopd_jwks_fetches_total{{source=\"{REMOTE}\",outcome=\"ok\"}}");
    let fetched = metric(&metrics, &series).unwrap_or_else(|| panic!("no {series} in /metrics"));
    assert!(fetched >= 2.0, "{series} {fetched}");
}

#[tokio::test]
async fn cached_keys_serve_while_the_issuer_is_down_and_no_keys_fail_closed() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    w.server.stop().await;
    let answer = presented(&w.app, &token(&w.remote, REMOTE, &client), &client).await;
    assert_eq!(
        outcome(&answer),
        ("OK", "A056001"),
        "from the cached set: {answer}"
    );

    let never = SigningKey::generate(Alg::ES256, Some("d1".into())).unwrap();
    let answer = presented(&w.app, &token(&never, DARK, &client), &client).await;
    assert_eq!(
        outcome(&answer),
        ("INTERNAL_SERVER_ERROR", "A056102"),
        "{answer}"
    );
    assert!(answer.get("responseContent").is_none());
    assert_eq!(answer["usable"], false);
}

#[tokio::test]
async fn a_reload_keeps_the_issuers_cached_keys() {
    let w = world().await;
    let mut settings = w.settings.clone();
    settings.clients.pop();
    dpopd::reload::apply(&w.app.state, settings, UnixTime::now()).expect("reload");
    w.server.stop().await;
    let client = TestKey::new(Alg::ES256);
    let answer = presented(&w.app, &token(&w.remote, REMOTE, &client), &client).await;
    assert_eq!(
        outcome(&answer),
        ("OK", "A056001"),
        "the set fetched before the reload: {answer}"
    );
    assert_eq!(w.server.hits(), 1, "the reload fetched nothing");
}

/// An opaque token, its binding as the caller's own authorization server reported it.
fn opaque(token: &str, jkt: &str, dpop: Option<&str>) -> Value {
    json!({ "token": token, "tokenScheme": "DPoP", "dpop": dpop, "htm": "GET", "htu": RS_URL, "dpopKeyThumbprint": jkt })
}

#[tokio::test]
async fn an_opaque_token_is_judged_by_its_proof_and_the_given_thumbprint() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    let token = format!("opaque-{}", random_b64(24));
    let proof = resource_proof(&client, &token);
    let answer = introspect(&w.app, &opaque(&token, &client.jkt(), Some(&proof))).await;
    assert_eq!(outcome(&answer), ("OK", "A056003"), "{answer}");
    assert_eq!(answer["jkt"], client.jkt());
    assert!(answer.get("subject").is_none() && answer.get("issuer").is_none());
    assert_eq!(
        (
            answer["existent"].as_bool(),
            answer["usable"].as_bool(),
            answer["sufficient"].as_bool()
        ),
        (Some(false), Some(false), Some(false))
    );

    let answer = introspect(&w.app, &opaque(&token, &client.jkt(), Some(&proof))).await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
    assert_eq!(answer["resultCode"], "A056309", "replayed");

    let other = TestKey::new(Alg::ES256);
    let answer = introspect(
        &w.app,
        &opaque(&token, &other.jkt(), Some(&resource_proof(&client, &token))),
    )
    .await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_token");
    assert_eq!(
        answer["resultCode"], "A056311",
        "a proof of another key than the thumbprint's"
    );

    let answer = introspect(
        &w.app,
        &opaque(&token, &client.jkt(), Some(&client.proof("GET", RS_URL))),
    )
    .await;
    assert_challenge(&answer, "UNAUTHORIZED", "DPoP", "invalid_dpop_proof");
    assert_eq!(answer["resultCode"], "A056308", "no ath");

    let answer = introspect(&w.app, &opaque(&token, &client.jkt(), None)).await;
    assert_eq!(answer["resultCode"], "A056307", "no proof");

    let mut bearer = opaque(
        &token,
        &client.jkt(),
        Some(&resource_proof(&client, &token)),
    );
    bearer["tokenScheme"] = "Bearer".into();
    let answer = introspect(&w.app, &bearer).await;
    assert_eq!(
        answer["resultCode"], "A056306",
        "a bound token is never Bearer"
    );
}

#[tokio::test]
async fn a_thumbprint_must_be_well_formed_alone_and_from_an_rs_caller() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    let proof = resource_proof(&client, "opaque");
    let jkt = client.jkt();
    for bad in [
        &jkt[..42],
        &format!("{jkt}A"),
        &jkt.replace(|c: char| c.is_ascii_alphabetic(), "+"),
        "",
    ] {
        let (status, answer) = w
            .app
            .post("/auth/introspection", &opaque("opaque", bad, Some(&proof)))
            .await;
        assert_eq!(
            (status, answer["resultCode"].as_str()),
            (400, Some("A056201")),
            "{bad:?}"
        );
    }
    let mut with_scopes = opaque("opaque", &jkt, Some(&proof));
    with_scopes["scopes"] = json!(["read"]);
    let (status, answer) = w.app.post("/auth/introspection", &with_scopes).await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (400, Some("A056202"))
    );

    let body = opaque("opaque", &jkt, Some(&proof));
    let (status, answer) = w
        .app
        .post_as("/auth/introspection", &body, Some(AS_ONLY_CALLER))
        .await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (403, Some("A001202"))
    );
    let (status, answer) = w
        .app
        .post_as("/auth/introspection", &body, Some(RS_ONLY_CALLER))
        .await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (200, Some("A056003")),
        "{answer}"
    );
}

#[tokio::test]
async fn dpopd_neither_revokes_nor_standard_introspects_another_issuers_token() {
    let w = world().await;
    let client = TestKey::new(Alg::ES256);
    // The issuer's client_id happens to name one of dpopd's clients.
    let mut same_client = claims(REMOTE, Some(&client.jkt()));
    same_client["client_id"] = CONFIDENTIAL.0.into();
    let token = sign(&w.remote, &header(&w.remote), &same_client);
    assert_eq!(
        outcome(&presented(&w.app, &token, &client).await),
        ("OK", "A056001")
    );

    let body = json!({ "parameters": format!("token={token}"), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 });
    let (status, answer) = w.app.post("/auth/revocation", &body).await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (200, Some("A059003")),
        "{answer}"
    );
    assert_eq!(
        outcome(&presented(&w.app, &token, &client).await),
        ("OK", "A056001"),
        "revoked at its issuer only"
    );

    let (status, answer) = w
        .app
        .post(
            "/auth/introspection/standard",
            &json!({ "parameters": format!("token={token}") }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(content(&answer), json!({ "active": false }));
}
