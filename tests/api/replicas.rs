//! Several replicas sharing one Redis (docs/api.md, "State and operations"): what one accepts the
//! other knows, a dead
//! Redis fails closed and comes back without a restart, `/readyz` follows, `/metrics` counts.
//! Each test runs its own `redis-server` on a free port; without the binary the tests are
//! skipped with a message, unless `DPOPD_REQUIRE_REDIS=1` (CI) makes that a failure.
use crate::helpers::*;
use dpopd::clock::UnixTime;
use dpopd::config::{Secret, Settings, StoreKind};
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::Alg;
use dpopd::oauth::refresh::RefreshRecord;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start(port: u16) -> Option<RedisServer> {
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = RedisServer { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A private Redis for one test, or `None` (skip) when redis-server is not installed.
pub(crate) fn redis_or_skip(test: &str) -> Option<RedisServer> {
    let server = RedisServer::start(free_port());
    if server.is_none() {
        assert!(
            std::env::var("DPOPD_REQUIRE_REDIS").is_err(),
            "{test}: redis-server is required (DPOPD_REQUIRE_REDIS)"
        );
        eprintln!("SKIPPED {test}: no redis-server binary");
    }
    server
}

pub(crate) fn redis_settings(redis: &RedisServer) -> Settings {
    let mut s = test_settings();
    s.store.kind = StoreKind::Redis;
    s.store.redis_url = Secret::new(redis.url());
    s.store.timeout_ms = 200;
    s
}

#[tokio::test]
async fn a_proof_accepted_by_one_replica_is_a_replay_on_the_other() {
    let Some(redis) = redis_or_skip("replay across replicas") else {
        return;
    };
    let settings = redis_settings(&redis);
    let (a, b) = (
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    );
    let proof = TestKey::new(Alg::ES256).token_proof();
    assert_eq!(a.client_credentials(Some(&proof)).await["action"], "OK");
    let replay = b.client_credentials(Some(&proof)).await;
    assert_eq!(replay["resultCode"], "A254302", "{replay}");
}

#[tokio::test]
async fn a_nonce_issued_by_one_replica_is_accepted_by_the_other() {
    let Some(redis) = redis_or_skip("nonce across replicas") else {
        return;
    };
    let mut settings = redis_settings(&redis);
    settings.dpop.nonce_required = true;
    let (a, b) = (
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    );
    let key = TestKey::new(Alg::ES256);
    let challenge = a.client_credentials(Some(&key.token_proof())).await;
    let nonce = challenge["dpopNonce"].as_str().expect("nonce").to_owned();
    let proof = key.proof_with(
        "POST",
        TOKEN_HTU,
        UnixTime::now(),
        &ProofClaims {
            nonce: Some(&nonce),
            ..Default::default()
        },
    );
    assert_eq!(b.client_credentials(Some(&proof)).await["action"], "OK");
}

#[tokio::test]
async fn a_refresh_token_rotated_on_one_replica_is_dead_on_the_other() {
    let Some(redis) = redis_or_skip("refresh rotation across replicas") else {
        return;
    };
    let settings = redis_settings(&redis);
    let (a, b) = (
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    );
    let key = TestKey::new(Alg::ES256);
    let now = UnixTime::now();
    let rt = RefreshRecord {
        jti: "rt-r".into(),
        family: "fam-r".into(),
        generation: 0,
        client_id: PUBLIC.into(),
        subject: "bob".into(),
        scopes: vec!["read".into()],
        iat: now.secs(),
        exp: now.plus(600).secs(),
        jkt: Some(dpopd::jose::Jkt::parse(&key.jkt()).unwrap()),
        properties: vec![],
        extra_claims: Default::default(),
        oidc: None,
    }
    .seal(&a.state.live().core.sealer)
    .unwrap();
    let body = |proof: String| json!({ "parameters": format!("grant_type=refresh_token&refresh_token={rt}&client_id={PUBLIC}"), "dpop": proof });
    let (_, first) = a.post("/auth/token", &body(key.token_proof())).await;
    assert_eq!(first["action"], "OK", "{first}");
    let (_, second) = b.post("/auth/token", &body(key.token_proof())).await;
    assert_eq!(second["resultCode"], "A053304", "{second}");
}

#[tokio::test]
async fn a_dead_redis_fails_closed_and_recovers_without_a_restart() {
    let Some(mut redis) = redis_or_skip("fail closed") else {
        return;
    };
    let port = redis.port;
    let app = spawn_app_with(redis_settings(&redis)).await;
    let key = TestKey::new(Alg::ES256);
    assert_eq!(
        app.client_credentials(Some(&key.token_proof())).await["action"],
        "OK"
    );
    assert_eq!(app.get("/readyz").await.0, 200);

    let bound = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    redis.stop();
    let started = std::time::Instant::now();
    let down = app.client_credentials(Some(&key.token_proof())).await;
    assert_eq!(down["action"], "INTERNAL_SERVER_ERROR", "{down}");
    assert_eq!(down["resultCode"], "A051101");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the store timeout, not a hang"
    );
    assert_eq!(app.get("/readyz").await.0, 503);
    let proof = crate::resource::resource_proof(&key, &bound);
    let rs = crate::resource::introspect(
        &app,
        &crate::resource::introspection(&bound, "DPoP", Some(&proof)),
    )
    .await;
    assert_eq!(
        rs["action"], "INTERNAL_SERVER_ERROR",
        "introspection fails closed: {rs}"
    );
    assert!(
        rs["responseContent"].as_str().unwrap_or("").is_empty(),
        "no WWW-Authenticate challenge on a store failure: {rs}"
    );

    let _restarted = RedisServer::start(port).expect("redis restarts on the same port");
    let mut recovered = false;
    for _ in 0..50 {
        if app.get("/readyz").await.0 == 200
            && app.client_credentials(Some(&key.token_proof())).await["action"] == "OK"
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "dpopd recovers once Redis is back");
}

/// The value of a Prometheus counter line, 0 when absent.
fn counter(metrics: &str, series: &str) -> f64 {
    metric(metrics, series).unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_a_rejected_proof_under_its_check() {
    let app = spawn_app().await;
    let series = "dpopd_dpop_failures_total{check=\"htm\"}";
    let before = counter(&app.get("/metrics").await.1, series);
    let proof = TestKey::new(Alg::ES256).proof("PUT", TOKEN_HTU);
    assert_eq!(
        content(&app.client_credentials(Some(&proof)).await)["error"],
        "invalid_dpop_proof"
    );
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(counter(&text, series) >= before + 1.0, "{series} counted");
    assert!(text.contains("dpopd_requests_total{api=\"token\",action=\"BAD_REQUEST\"}"));
}

#[tokio::test]
async fn a_code_redeemed_on_one_replica_cannot_be_redeemed_on_the_other() {
    use crate::code_flow::{code_for, public_request, redeem, VERIFIER};
    let Some(redis) = redis_or_skip("code across replicas") else {
        return;
    };
    let settings = redis_settings(&redis);
    let (a, b) = (
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    );
    let code = code_for(&a, &public_request(&[("scope", "read")])).await;
    let first = redeem(&a, &code, VERIFIER, None).await;
    assert_eq!(first["action"], "OK", "{first}");
    let second = redeem(&b, &code, VERIFIER, None).await;
    assert_eq!(content(&second)["error"], "invalid_grant", "{second}");
}

/// Key rotation (docs/api.md, "Tokens and keys"): a token signed with a retired key verifies while
/// the key is still
/// listed, and stops verifying once the key is removed.
#[tokio::test]
async fn a_retired_but_listed_key_still_verifies_and_a_removed_key_does_not() {
    use crate::resource::{introspect, introspection};
    let old = test_settings();
    let signer = spawn_app_with(old.clone()).await;
    let token = signer.client_credentials(None).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let new_key = dpopd::jose::SigningKey::generate(Alg::ES256, Some("test-key-2".into())).unwrap();
    let new_entry = dpopd::config::SigningKeySettings {
        jwk: Some(Secret::new(new_key.private_jwk().to_string())),
        ..Default::default()
    };
    let mut rotated = old.clone();
    rotated.keys.signing = vec![new_entry.clone(), old.keys.signing[0].clone()];
    let rotated = spawn_app_with(rotated).await;
    let answer = introspect(&rotated, &introspection(&token, "Bearer", None)).await;
    assert_eq!(answer["action"], "OK", "retired key still listed: {answer}");
    let issued = rotated.client_credentials(None).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        crate::code_flow::claims(&issued)["iss"],
        "https://as.example.com"
    );
    let (_, jwks) = rotated.get("/service/jwks").await;
    assert!(
        jwks.contains("test-key-1") && jwks.contains("test-key-2"),
        "both keys published: {jwks}"
    );

    let mut removed = old;
    removed.keys.signing = vec![new_entry];
    let removed = spawn_app_with(removed).await;
    let answer = introspect(&removed, &introspection(&token, "Bearer", None)).await;
    assert_eq!(answer["action"], "UNAUTHORIZED", "{answer}");
    assert!(
        answer["responseContent"]
            .as_str()
            .unwrap()
            .contains("invalid_token"),
        "{answer}"
    );
}

/// Revoking a refresh token on one replica refuses the grant's access tokens on the other, and
/// the record lives as long as the grant, not a configured maximum.
#[tokio::test]
async fn a_grant_revoked_on_one_replica_is_refused_on_the_other_for_its_remaining_life() {
    let Some(redis) = redis_or_skip("grant revocation across replicas") else {
        return;
    };
    let settings = redis_settings(&redis);
    let lifetime = settings.tokens.refresh_token_lifetime_secs as i64;
    let (a, b) = (
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    );
    let key = TestKey::new(Alg::ES256);
    let (_, issued) = a
        .post(
            "/auth/token",
            &json!({
                "parameters": "grant_type=client_credentials&scope=read",
                "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1, "dpop": key.token_proof(),
            }),
        )
        .await;
    let at = issued["accessToken"].as_str().unwrap().to_owned();
    let rt = issued["refreshToken"].as_str().unwrap().to_owned();
    let (_, revoked) = a
        .post(
            "/auth/revocation",
            &json!({ "parameters": format!("token={rt}"), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 }),
        )
        .await;
    assert_eq!(revoked["resultCode"], "A059002", "{revoked}");
    let on_b = crate::resource::introspect(
        &b,
        &crate::resource::introspection(
            &at,
            "DPoP",
            Some(&crate::resource::resource_proof(&key, &at)),
        ),
    )
    .await;
    assert_eq!(on_b["resultCode"], "A056305", "{on_b}");

    let gid = crate::code_flow::claims(&at)["gid"]
        .as_str()
        .unwrap()
        .to_owned();
    let hashed = dpopd::store::hashed_key(dpopd::store::Namespace::GrantRevoked, gid.as_bytes());
    let hex: String = hashed.iter().map(|b| format!("{b:02x}")).collect();
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let pttl: i64 = redis::cmd("PTTL")
        .arg(format!("dpopd:{hex}"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        pttl > (lifetime - 60) * 1000 && pttl <= lifetime * 1000,
        "revoked for the grant's remaining life ({lifetime} s), not longer: PTTL {pttl} ms"
    );
}
