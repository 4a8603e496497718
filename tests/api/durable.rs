//! The durable store (`store.kind = "durable"`, docs/operations.md "Durability") at the API:
//! what one instance accepted, spent, rotated or revoked is refused by the next instance started
//! on its data directory as a crash leaves it — a copy taken while the first instance runs,
//! which is what `kill -9` leaves on disk. (`bash tests/crash/run.sh` kills a real process.)
use crate::code_flow::*;
use crate::helpers::*;
use crate::resource::{introspect, introspection, resource_proof};
use dpopd::config::{Settings, StoreKind};
use dpopd::jose::Alg;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary directory, removed when dropped.
pub(crate) struct DataDir(PathBuf);

impl DataDir {
    pub(crate) fn new(name: &str) -> DataDir {
        let path = std::env::temp_dir().join(format!(
            "dpopd-api-{name}-{}-{}",
            std::process::id(),
            random_b64(6)
        ));
        DataDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Every file but the lock, copied while the instance using `self` runs.
    pub(crate) fn crash_copy(&self) -> DataDir {
        let copy = DataDir::new("after-crash");
        std::fs::create_dir_all(&copy.0).unwrap();
        for entry in std::fs::read_dir(&self.0).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != "lock" {
                std::fs::copy(entry.path(), copy.0.join(entry.file_name())).unwrap();
            }
        }
        copy
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn durable(settings: &Settings, dir: &Path) -> Settings {
    let mut s = settings.clone();
    s.store.kind = StoreKind::Durable;
    s.store.data_dir = dir.to_string_lossy().into_owned();
    s
}

async fn revoke(app: &TestApp, token: &str) {
    let body = json!({ "parameters": format!("token={token}"), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 });
    let (status, answer) = app.post("/auth/revocation", &body).await;
    assert_eq!(
        (status, answer["action"].as_str()),
        (200, Some("OK")),
        "{answer}"
    );
}

async fn push(app: &TestApp) -> String {
    let body = json!({ "parameters": public_request(&[]) });
    let (status, pushed) = app.post("/pushed_auth_req", &body).await;
    assert_eq!(status, 200, "{pushed}");
    content(&pushed)["request_uri"].as_str().unwrap().to_owned()
}

fn result_code(answer: &Value) -> &str {
    answer["resultCode"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn everything_accepted_spent_rotated_or_revoked_is_refused_after_a_crash() {
    let dir = DataDir::new("crash");
    let settings = test_settings();
    let first = spawn_app_with(durable(&settings, &dir.0)).await;
    let key = TestKey::new(Alg::ES256);

    let proof = key.token_proof();
    let issued = first.client_credentials(Some(&proof)).await;
    let revoked = issued["accessToken"].as_str().unwrap().to_owned();
    revoke(&first, &revoked).await;

    let request_uri = push(&first).await;
    let by_reference = form(&[("client_id", PUBLIC), ("request_uri", &request_uri)]);
    let interaction = authorize(&first, &by_reference).await;
    let ticket = interaction["ticket"].as_str().unwrap().to_owned();
    let location = issue(&first, &ticket).await;
    let code = redirect_params(location["responseContent"].as_str().unwrap())["code"].clone();
    let tokens = redeem(&first, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(tokens["action"], "OK", "{tokens}");
    let rotated_away = tokens["refreshToken"].as_str().unwrap().to_owned();
    assert_eq!(refresh(&first, &rotated_away, &key).await["action"], "OK");

    let after = dir.crash_copy();
    let second = spawn_app_with(durable(&settings, &after.0)).await;

    let replay = second.client_credentials(Some(&proof)).await;
    assert_eq!(
        result_code(&replay),
        "A254302",
        "the proof is a replay: {replay}"
    );
    let at_resource = introspection(&revoked, "DPoP", Some(&resource_proof(&key, &revoked)));
    let refused = introspect(&second, &at_resource).await;
    assert_eq!(
        result_code(&refused),
        "A056305",
        "the token stays revoked: {refused}"
    );
    let reused_uri = authorize(&second, &by_reference).await;
    assert_eq!(
        result_code(&reused_uri),
        "A004304",
        "the request_uri is spent: {reused_uri}"
    );
    let reissued = issue(&second, &ticket).await;
    assert_eq!(
        result_code(&reissued),
        "A040203",
        "the ticket is spent: {reissued}"
    );
    // Before the code: its reuse revokes the whole grant, refresh family included.
    let stale = refresh(&second, &rotated_away, &key).await;
    assert_eq!(
        result_code(&stale),
        "A053304",
        "the refresh token was rotated away: {stale}"
    );

    let reused_code = redeem(&second, &code, VERIFIER, Some(&key.token_proof())).await;
    assert_eq!(
        result_code(&reused_code),
        "A050307",
        "the code is spent: {reused_code}"
    );
    let fresh = second.client_credentials(Some(&key.token_proof())).await;
    assert_eq!(fresh["action"], "OK", "and the store takes new records");
    assert_eq!(second.get("/readyz").await.0, 200);
}

#[tokio::test]
async fn a_data_directory_in_use_stops_a_second_instance_from_starting() {
    let dir = DataDir::new("in-use");
    let settings = durable(&test_settings(), &dir.0);
    let _first = spawn_app_with(settings.clone()).await;
    let error = dpopd::startup::Application::build(settings)
        .await
        .err()
        .expect("a second instance on the same directory is refused")
        .to_string();
    assert!(error.contains("in use by another dpopd"), "{error}");
}
