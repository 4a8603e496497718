//! dpopd on the Redis that teams run (docs/operations.md, "Redis"): TLS with a test CA and
//! client certificates, an ACL user with exactly the documented rules, a Sentinel failover and a
//! three-master cluster with a node killed and restored. Every test starts its own
//! `redis-server`, `redis-sentinel` and `openssl` processes on loopback and stops them; without
//! the binaries it is skipped with a message, unless `DPOPD_REQUIRE_REDIS=1` (CI).
mod cluster;
mod servers;

use crate::helpers::*;
use cluster::{Cluster, Step};
use dpopd::config::{RedisMode, Secret, Settings, StoreKind};
use dpopd::jose::Alg;
use dpopd::startup::Application;
use dpopd::store::redis::{RedisOptions, RedisStore};
use dpopd::store::{Entry, Inserted, Namespace, SeenStore};
use servers::*;
use std::time::{Duration, Instant};

const PASSWORD: &str = "dpopd-acl-password";
const REPLAY: &str = "A254302";
const STORE_FAILURE: &str = "A051101";

fn redis_settings(url: String) -> Settings {
    let mut s = test_settings();
    s.store.kind = StoreKind::Redis;
    s.store.redis_url = Secret::new(url);
    s.store.timeout_ms = 300;
    s
}

/// Settings that trust `ca` and present `client`'s certificate, if any, to `url`.
fn tls_settings(url: String, pki: &Pki, client: bool) -> Settings {
    let mut s = redis_settings(url);
    s.store.redis_tls_ca_file = pki.file("ca.crt");
    if client {
        s.store.redis_tls_cert_file = pki.file("client.crt");
        s.store.redis_tls_key_file = pki.file("client.key");
    }
    s
}

fn cluster_settings(cluster: &Cluster) -> Settings {
    let mut s = redis_settings(String::new());
    s.store.redis_mode = RedisMode::Cluster;
    s.store.redis_urls = cluster
        .urls(PASSWORD)
        .into_iter()
        .map(Secret::new)
        .collect();
    s
}

/// Why the application did not start with `settings`.
async fn start_up_error(settings: Settings) -> String {
    match Application::build(settings).await {
        Ok(_) => panic!("the application started"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_replay_records_over_mutual_tls() {
    if !installed("mutual TLS", &["redis-server", "openssl"]) {
        return;
    }
    let pki = Pki::new("mtls");
    let port = free_port();
    let _redis = Redis::server(pki.dir.path(), port, &pki.server_args(port, true));
    let settings = tls_settings(format!("rediss://localhost:{port}"), &pki, true);
    let (a, b) = (
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    );
    let proof = TestKey::new(Alg::ES256).token_proof();
    assert_eq!(a.client_credentials(Some(&proof)).await["action"], "OK");
    let replay = b.client_credentials(Some(&proof)).await;
    assert_eq!(replay["resultCode"], REPLAY, "{replay}");
    assert_eq!(b.get("/readyz").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_server_certificate_stops_start_up_with_a_clear_message() {
    if !installed("untrusted certificate", &["redis-server", "openssl"]) {
        return;
    }
    let (server_pki, other_pki) = (Pki::new("server-ca"), Pki::new("other-ca"));
    let port = free_port();
    let _redis = Redis::server(
        server_pki.dir.path(),
        port,
        &server_pki.server_args(port, false),
    );
    let error = start_up_error(tls_settings(
        format!("rediss://localhost:{port}"),
        &other_pki,
        false,
    ))
    .await;
    assert!(
        error.contains("TLS handshake refused")
            && error.contains("UnknownIssuer")
            && error.contains("store.redis_tls_ca_file"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_for_another_host_name_stops_start_up() {
    if !installed("certificate name", &["redis-server", "openssl"]) {
        return;
    }
    let pki = Pki::new("name");
    let port = free_port();
    let _redis = Redis::server(pki.dir.path(), port, &pki.server_args(port, false));
    // The certificate names `localhost` only; 127.0.0.1 is the same server by another name.
    let error = start_up_error(tls_settings(
        format!("rediss://127.0.0.1:{port}"),
        &pki,
        false,
    ))
    .await;
    assert!(
        error.contains("TLS handshake refused")
            && error.contains("certificate not valid for name \"127.0.0.1\""),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_requires_a_client_certificate_refuses_dpopd_without_one() {
    if !installed("client certificate", &["redis-server", "openssl"]) {
        return;
    }
    let pki = Pki::new("no-client-cert");
    let port = free_port();
    let _redis = Redis::server(pki.dir.path(), port, &pki.server_args(port, true));
    let error = start_up_error(tls_settings(
        format!("rediss://localhost:{port}"),
        &pki,
        false,
    ))
    .await;
    assert!(
        error.contains("TLS handshake refused") && error.contains("store.redis_tls_cert_file"),
        "{error}"
    );
}

/// Every store operation — record (`SET`), compare-and-set (`EVALSHA`, then `EVAL`), lookup
/// (`MGET`) and readiness (`PING`) — under the ACL of docs/operations.md, and not one refusal
/// in `ACL LOG`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_store_operation_runs_under_the_documented_minimal_acl() {
    use crate::code_flow::{code_for, public_request, redeem, refresh, VERIFIER};
    use crate::resource::{introspect, introspection, resource_proof};
    if !installed("minimal ACL", &["redis-server"]) {
        return;
    }
    let dir = TempDir::new("acl");
    let port = free_port();
    let redis = Redis::server(dir.path(), port, &acl_user("single", PASSWORD));
    let app = spawn_app_with(redis_settings(format!(
        "redis://dpopd:{PASSWORD}@127.0.0.1:{port}"
    )))
    .await;

    let key = TestKey::new(Alg::ES256);
    let code = code_for(&app, &public_request(&[("scope", "read")])).await;
    let tokens = redeem(&app, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(tokens["action"], "OK", "{tokens}");
    let refreshed = refresh(&app, tokens["refreshToken"].as_str().unwrap(), &key).await;
    assert_eq!(refreshed["action"], "OK", "{refreshed}");
    let at = refreshed["accessToken"].as_str().unwrap();
    let checked = introspect(
        &app,
        &introspection(at, "DPoP", Some(&resource_proof(&key, at))),
    )
    .await;
    assert_eq!(checked["action"], "OK", "{checked}");
    assert_eq!(app.get("/readyz").await.0, 200);

    assert_eq!(acl_log(&redis), vec![], "commands the ACL refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_redis_password_stops_start_up_without_showing_it() {
    if !installed("wrong password", &["redis-server"]) {
        return;
    }
    let dir = TempDir::new("wrongpass");
    let port = free_port();
    let _redis = Redis::server(dir.path(), port, &acl_user("single", PASSWORD));
    let wrong = "not-the-password";
    let error = start_up_error(redis_settings(format!(
        "redis://dpopd:{wrong}@127.0.0.1:{port}"
    )))
    .await;
    assert!(error.contains("redis connect"), "{error}");
    assert!(!error.contains(wrong), "{error}");
}

/// A master and two replicas (each write waits for one), three sentinels, two dpopd replicas.
/// The master is killed: every call is refused until the sentinels have promoted a replica,
/// `/readyz` says so, dpopd then writes to the new master by itself, and no proof accepted
/// before the failover is accepted again after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentinel_failover_refuses_calls_until_a_replica_is_promoted_and_loses_no_record() {
    if !installed("sentinel failover", &["redis-server", "redis-sentinel"]) {
        return;
    }
    let mut group = SentinelGroup::start("mymaster").await;
    let mut settings = redis_settings(String::new());
    settings.store.redis_mode = RedisMode::Sentinel;
    settings.store.redis_urls = group
        .sentinels
        .iter()
        .map(|s| Secret::new(format!("redis://dpopd:{PASSWORD}@127.0.0.1:{}", s.port)))
        .collect();
    settings.store.redis_sentinel_master = "mymaster".into();
    settings.store.redis_sentinel_username = "dpopd-sentinel".into();
    settings.store.redis_sentinel_password = Secret::new(SENTINEL_PASSWORD);
    settings.store.redis_wait_replicas = 1;
    // Room for the replicas' acknowledgements on a loaded machine: WAIT gets half of it.
    settings.store.timeout_ms = 500;
    let apps = [
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    ];
    let key = TestKey::new(Alg::ES256);
    let mut accepted = Vec::new();
    for _ in 0..5 {
        let proof = key.token_proof();
        let answer = apps[0].client_credentials(Some(&proof)).await;
        assert_eq!(answer["action"], "OK", "{answer}");
        accepted.push(proof);
    }

    let old_master = group.master.port;
    let mut sentinels: Vec<redis::Connection> = group.sentinels.iter().map(|s| s.admin()).collect();
    let mut promoted = None;
    group.master.kill();
    let killed = Instant::now();
    let mut refused = 0;
    let failover = loop {
        // When a sentinel first names another master, to tell their part of the time from dpopd's.
        if promoted.is_none() && sentinels.iter_mut().any(|s| names_another(s, old_master)) {
            promoted = Some(killed.elapsed());
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "no new master within 30 s"
        );
        let proof = key.token_proof();
        let answer = apps[refused % 2].client_credentials(Some(&proof)).await;
        if answer["action"] == "OK" {
            accepted.push(proof);
            break killed.elapsed();
        }
        assert_eq!(
            answer["resultCode"], STORE_FAILURE,
            "refused as a store failure: {answer}"
        );
        if refused == 0 {
            let (status, body) = apps[0].get("/readyz").await;
            assert_eq!(status, 503, "{body}");
        }
        refused += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "sentinel failover: master killed -> sentinels name the new master after {} ms -> first accepted call after {} ms ({refused} calls refused)",
        promoted.map_or(-1, |p| p.as_millis() as i64),
        failover.as_millis()
    );
    assert!(refused > 0, "calls during the failover are refused");

    for proof in &accepted {
        for app in &apps {
            let replay = app.client_credentials(Some(proof)).await;
            assert_eq!(replay["resultCode"], REPLAY, "accepted once only: {replay}");
        }
    }
    for app in &apps {
        assert_eq!(app.get("/readyz").await.0, 200);
    }
    for redis in group.replicas.iter().chain(&group.sentinels) {
        assert_eq!(acl_log(redis), vec![], "commands an ACL refused");
    }
}

const SENTINEL_PASSWORD: &str = "dpopd-sentinel-password";

/// Whether `sentinel` names a master other than the one on `old_port`.
fn names_another(sentinel: &mut redis::Connection, old_port: u16) -> bool {
    redis::cmd("SENTINEL")
        .arg("GET-MASTER-ADDR-BY-NAME")
        .arg("mymaster")
        .query::<Option<(String, u16)>>(sentinel)
        .is_ok_and(|named| named.is_some_and(|(_, port)| port != old_port))
}

struct SentinelGroup {
    _dir: TempDir,
    master: Redis,
    replicas: Vec<Redis>,
    sentinels: Vec<Redis>,
}

impl SentinelGroup {
    /// A master and two replicas under the sentinel-mode ACL, and three sentinels (quorum 2)
    /// with the documented user of their own, once every sentinel knows the replicas and the
    /// other sentinels.
    async fn start(name: &str) -> SentinelGroup {
        let dir = TempDir::new("sentinel");
        let mut acl = acl_user("sentinel", PASSWORD);
        // A full resynchronisation starts at once instead of waiting 5 s for more replicas.
        acl.extend(["--repl-diskless-sync-delay".into(), "0".into()]);
        let master = Redis::server(dir.path(), free_port(), &acl);
        let replicas: Vec<Redis> = (0..2)
            .map(|_| {
                let mut args = acl.clone();
                args.extend([
                    "--replicaof".into(),
                    "127.0.0.1".into(),
                    master.port.to_string(),
                ]);
                Redis::server(dir.path(), free_port(), &args)
            })
            .collect();
        for replica in &replicas {
            let mut admin = replica.admin();
            wait_until("replicas in sync", Duration::from_secs(15), || {
                redis::cmd("INFO")
                    .arg("replication")
                    .query::<String>(&mut admin)
                    .is_ok_and(|info| info.contains("master_link_status:up"))
            })
            .await;
        }
        let user = sentinel_user(SENTINEL_PASSWORD);
        let sentinels: Vec<Redis> = (0..3)
            .map(|_| Redis::sentinel(dir.path(), free_port(), name, master.port, &user))
            .collect();
        for sentinel in &sentinels {
            let mut admin = sentinel.admin();
            wait_until(
                "sentinels know each other and the replicas",
                Duration::from_secs(15),
                || {
                    let mut count = |what: &str| {
                        redis::cmd("SENTINEL")
                            .arg(what)
                            .arg(name)
                            .query::<Vec<redis::Value>>(&mut admin)
                            .map(|v| v.len())
                            .unwrap_or(0)
                    };
                    count("REPLICAS") == 2 && count("SENTINELS") == 2
                },
            )
            .await;
        }
        SentinelGroup {
            _dir: dir,
            master,
            replicas,
            sentinels,
        }
    }
}

/// The cluster-mode store directly: lookups whose keys live in different slots (and nodes),
/// and a slot migrated under a live record, first half-way (`ASK`), then fully (`MOVED`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_lookups_span_slots_and_redirections_are_followed() {
    if !installed("cluster redirections", &["redis-server"]) {
        return;
    }
    let cluster = Cluster::start(PASSWORD).await;
    let mut settings = cluster_settings(&cluster).store;
    settings.redis_prefix = "dpopd:redirect:".into();
    let store = RedisStore::connect(&RedisOptions::from_settings(&settings).unwrap())
        .await
        .unwrap();
    let hour = Duration::from_secs(3600);
    let keys: Vec<Vec<u8>> = (0..12).map(|i| format!("key-{i}").into_bytes()).collect();
    for (i, key) in keys.iter().enumerate() {
        let entry = Entry::new(Namespace::RevokedToken, key, hour).value(i as i64);
        assert_eq!(store.insert(entry).await, Ok(Inserted::New));
    }
    let nodes = cluster.nodes_holding(&store, Namespace::RevokedToken, &keys);
    assert!(nodes.len() > 1, "the keys live on several nodes: {nodes:?}");
    let mut wanted: Vec<(Namespace, &[u8])> = keys
        .iter()
        .map(|k| (Namespace::RevokedToken, k.as_slice()))
        .collect();
    wanted.insert(3, (Namespace::GrantRevoked, b"absent"));
    let mut expected: Vec<Option<i64>> = (0..12).map(Some).collect();
    expected.insert(3, None);
    assert_eq!(
        store.lookup(&wanted).await,
        Ok(expected),
        "in order, across slots"
    );

    let moved = &keys[0];
    let redis_key = store.redis_key(Namespace::RevokedToken, moved);
    let again = Entry::new(Namespace::RevokedToken, moved, hour).value(99);
    cluster.migrate(&redis_key, Step::KeysMoved);
    assert_eq!(
        store.insert(again).await,
        Ok(Inserted::AlreadyPresent(0)),
        "after ASK"
    );
    cluster.migrate(&redis_key, Step::SlotAssigned);
    assert_eq!(
        store.insert(again).await,
        Ok(Inserted::AlreadyPresent(0)),
        "after MOVED"
    );
    assert_eq!(
        store
            .lookup(&[(Namespace::RevokedToken, moved.as_slice())])
            .await,
        Ok(vec![Some(0)])
    );
    cluster.assert_acl_log_empty();

    // `WAIT` goes with the `SET` to the key's node (these primaries have no replica), not to
    // every primary as a `WAIT` alone would.
    settings.redis_urls = cluster.urls_of_default_user();
    settings.redis_wait_replicas = 1;
    let waiting = RedisStore::connect(&RedisOptions::from_settings(&settings).unwrap())
        .await
        .unwrap();
    let refused = waiting
        .insert_if_absent(Namespace::DpopJti, b"waits", hour)
        .await;
    assert!(
        matches!(&refused, Err(dpopd::store::StoreError::Unavailable(t)) if t.contains("0 of 1 replicas acknowledged")),
        "{refused:?}"
    );
}

/// Two dpopd replicas on a three-master cluster (append-only files, no replicas). One node is
/// killed: calls fail closed and `/readyz` says so until it is back; then every proof accepted
/// before is still a replay and new ones are accepted, without restarting dpopd.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_node_down_fails_closed_until_the_cluster_heals() {
    if !installed("cluster node down", &["redis-server"]) {
        return;
    }
    let mut cluster = Cluster::start(PASSWORD).await;
    let settings = cluster_settings(&cluster);
    let apps = [
        spawn_app_with(settings.clone()).await,
        spawn_app_with(settings).await,
    ];
    let key = TestKey::new(Alg::ES256);
    let mut accepted = Vec::new();
    for i in 0..12 {
        let proof = key.token_proof();
        assert_eq!(
            apps[i % 2].client_credentials(Some(&proof)).await["action"],
            "OK"
        );
        accepted.push(proof);
    }

    cluster.nodes[1].kill();
    let (status, body) = apps[0].get("/readyz").await;
    assert_eq!(status, 503, "a primary does not answer: {body}");
    cluster.wait_state("fail").await;
    for app in &apps {
        let answer = app.client_credentials(Some(&key.token_proof())).await;
        assert_eq!(answer["resultCode"], STORE_FAILURE, "{answer}");
        assert_eq!(app.get("/readyz").await.0, 503);
    }

    cluster.nodes[1].restart();
    cluster.wait_state("ok").await;
    let healing = Instant::now();
    for app in &apps {
        while app.get("/readyz").await.0 != 200 {
            assert!(
                healing.elapsed() < Duration::from_secs(15),
                "dpopd serves again"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for proof in &accepted {
        let replay = apps[1].client_credentials(Some(proof)).await;
        assert_eq!(replay["resultCode"], REPLAY, "{replay}");
    }
    for app in &apps {
        assert_eq!(
            app.client_credentials(Some(&key.token_proof())).await["action"],
            "OK"
        );
    }
    cluster.assert_acl_log_empty();
}
