//! Reload without restart (docs/configuration.md, "Reload"), as an operator meets it: the real
//! `dpopd` started on a configuration file, the file rewritten, `kill -HUP`. A new client is
//! served, a signing key rotates with tokens of both keys verifying, a broken file leaves the
//! old configuration serving, a changed listen address is reported ignored until restart, and
//! `dpopd_config_reloads_total` counts each outcome.
use crate::helpers::*;
use crate::resource::{introspection, resource_proof};
use dpopd::jose::{Alg, SigningKey};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NEW_CLIENT: (&str, &str) = ("added-by-reload", "added-secret");

/// What the configuration file says; [`Config::text`] writes it as TOML.
#[derive(Clone)]
pub(crate) struct Config {
    signing: Vec<String>,
    clients: Vec<(&'static str, &'static str)>,
    sealing_key: String,
    nonce_secret: String,
    port: u16,
    /// The `[store]` table's lines.
    pub(crate) store: String,
}

impl Config {
    pub(crate) fn new(signing: &[&SigningKey]) -> Config {
        Config {
            signing: signing
                .iter()
                .map(|k| k.private_jwk().to_string())
                .collect(),
            clients: vec![CONFIDENTIAL],
            sealing_key: random_b64(32),
            nonce_secret: random_b64(32),
            port: 0,
            store: "kind = \"memory\"".into(),
        }
    }

    fn text(&self) -> String {
        let mut toml = format!(
            "[server]\nhost = \"127.0.0.1\"\nport = {port}\nworkers = 1\n\
             [service]\nissuer = \"https://as.example.com\"\n\
             token_endpoint = \"{TOKEN_HTU}\"\npar_endpoint = \"{PAR_HTU}\"\n\
             [dpop]\nnonce_secret = \"{nonce}\"\n\
             [store]\n{store}\n\
             [log]\nformat = \"json\"\n\
             [[keys.sealing]]\nkid = \"seal-1\"\nkey = \"{seal}\"\n\
             [[callers]]\nkey = \"{}\"\nsecret = \"{}\"\nroles = [\"as\", \"rs\"]\n",
            CALLER.0,
            CALLER.1,
            port = self.port,
            nonce = self.nonce_secret,
            seal = self.sealing_key,
            store = self.store,
        );
        for jwk in &self.signing {
            toml.push_str(&format!("[[keys.signing]]\njwk = '{jwk}'\n"));
        }
        for (id, secret) in &self.clients {
            toml.push_str(&format!(
                "[[clients]]\nclient_id = \"{id}\"\nclient_secret = \"{secret}\"\n\
                 auth_method = \"client_secret_basic\"\nscopes = [\"read\"]\n"
            ));
        }
        toml
    }
}

/// A `dpopd` process on a configuration file of its own; killed when dropped.
pub(crate) struct Dpopd {
    child: Child,
    dir: PathBuf,
    lines: Arc<Mutex<Vec<String>>>,
    pub(crate) address: String,
    http: reqwest::Client,
}

impl Dpopd {
    /// Starts `dpopd --config` on `config`, or in development mode when `None`.
    pub(crate) fn start(config: Option<&Config>) -> Dpopd {
        let dir = std::env::temp_dir().join(format!(
            "dpopd-reload-{}-{}",
            std::process::id(),
            random_b64(6)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_dpopd"));
        command
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match config {
            Some(config) => {
                std::fs::write(dir.join("dpopd.toml"), config.text()).unwrap();
                command.arg("--config").arg(dir.join("dpopd.toml"));
            }
            None => {
                command
                    .env("DPOPD__SERVER__PORT", "0")
                    .env("DPOPD__SERVER__WORKERS", "1")
                    .env("DPOPD__STORE__KIND", "memory")
                    .env("DPOPD__LOG__FORMAT", "json");
            }
        }
        let mut child = command.spawn().expect("dpopd starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        for output in [stdout, stderr] {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        let mut dpopd = Dpopd {
            child,
            dir,
            lines,
            address: String::new(),
            http: reqwest::Client::new(),
        };
        let listening = dpopd.wait_for_log(0, |l| l["message"] == "dpopd listening");
        dpopd.address = format!("http://127.0.0.1:{}", listening["port"]);
        dpopd
    }

    /// Rewrites the configuration file with `text`.
    fn write(&self, text: &str) {
        std::fs::write(self.dir.join("dpopd.toml"), text).unwrap();
    }

    /// Sends `SIGHUP` and returns the log line of the reload's outcome.
    fn hangup(&self) -> Value {
        let seen = self.lines.lock().unwrap().len();
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.wait_for_log(seen, |l| {
            let message = l["message"].as_str().unwrap_or_default();
            message.starts_with("configuration reload") || message.contains("nothing to reload")
        })
    }

    /// The first JSON log line from the `from`th on that `matches`, waiting up to 20 s.
    fn wait_for_log(&self, from: usize, matches: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            let found = self.lines.lock().unwrap()[from..]
                .iter()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|l| matches(l));
            if let Some(line) = found {
                return line;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no such log line: {:#?}", self.lines.lock().unwrap());
    }

    /// The JSON log lines from the `from`th on.
    fn log_since(&self, from: usize) -> Vec<Value> {
        self.lines.lock().unwrap()[from..]
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.address))
            .basic_auth(CALLER.0, Some(CALLER.1))
            .json(body)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON answer")
    }

    pub(crate) async fn get(&self, path: &str) -> String {
        let response = self
            .http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent");
        response.text().await.expect("body")
    }

    pub(crate) async fn token(&self, (id, secret): (&str, &str), key: Option<&TestKey>) -> Value {
        let body = json!({
            "parameters": "grant_type=client_credentials&scope=read",
            "clientId": id, "clientSecret": secret,
            "dpop": key.map(TestKey::token_proof),
        });
        self.post("/auth/token", &body).await
    }

    /// `dpopd_config_reloads_total{outcome}` as `/metrics` shows it.
    async fn reloads(&self, outcome: &str) -> u64 {
        let metrics = self.get("/metrics").await;
        let series = format!("dpopd_config_reloads_total{{outcome=\"{outcome}\"}}");
        metric(&metrics, &series).unwrap_or_else(|| panic!("no {series} in {metrics}")) as u64
    }
}

impl Drop for Dpopd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn key(kid: &str) -> SigningKey {
    SigningKey::generate(Alg::ES256, Some(kid.into())).expect("key")
}

/// The `kid` in the JWS header of `token`.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&dpopd::jose::b64::decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn error_of(answer: &Value) -> Value {
    content(answer)["error"].clone()
}

#[tokio::test]
async fn a_client_added_to_the_file_gets_tokens_after_sighup() {
    let mut config = Config::new(&[&key("k1")]);
    let dpopd = Dpopd::start(Some(&config));
    let before = dpopd.token(NEW_CLIENT, None).await;
    assert_eq!(error_of(&before), "invalid_client", "{before}");
    assert_eq!(dpopd.reloads("applied").await, 0);

    config.clients.push(NEW_CLIENT);
    dpopd.write(&config.text());
    let outcome = dpopd.hangup();
    assert_eq!(outcome["level"], "INFO", "{outcome}");
    assert_eq!(
        (
            &outcome["ignored"],
            &outcome["clients"],
            &outcome["callers"]
        ),
        (&json!(0), &json!(2), &json!(1)),
        "{outcome}"
    );

    let after = dpopd.token(NEW_CLIENT, None).await;
    assert_eq!(after["action"], "OK", "{after}");
    let old_client = dpopd.token(CONFIDENTIAL, None).await;
    assert_eq!(old_client["action"], "OK", "{old_client}");
    assert_eq!(dpopd.reloads("applied").await, 1);
    assert_eq!(dpopd.reloads("rejected").await, 0);
}

#[tokio::test]
async fn a_signing_key_rotated_by_reload_keeps_tokens_of_both_keys_verifying() {
    let (old, new) = (key("k-old"), key("k-new"));
    let mut config = Config::new(&[&old]);
    let dpopd = Dpopd::start(Some(&config));
    let holder = TestKey::new(Alg::ES256);
    let introspect = async |token: &str| {
        let body = introspection(token, "DPoP", Some(&resource_proof(&holder, token)));
        dpopd.post("/auth/introspection", &body).await
    };
    let issued = dpopd.token(CONFIDENTIAL, Some(&holder)).await;
    let before = issued["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(kid_of(&before), "k-old");
    // Verified, so in the cache of verified tokens, before the reload.
    assert_eq!(introspect(&before).await["action"], "OK");

    // docs/operations.md, "Rotating the signing key": the new key first, the old one kept.
    config.signing = vec![new.private_jwk().to_string(), old.private_jwk().to_string()];
    dpopd.write(&config.text());
    assert_eq!(dpopd.hangup()["signing_kid"], "k-new");

    let issued = dpopd.token(CONFIDENTIAL, Some(&holder)).await;
    let after = issued["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(kid_of(&after), "k-new", "the new key signs");
    for (which, token) in [("before", &before), ("after", &after)] {
        let answer = introspect(token).await;
        assert_eq!(
            (answer["action"].as_str(), answer["resultCode"].as_str()),
            (Some("OK"), Some("A056001")),
            "the token issued {which} the reload: {answer}"
        );
    }
    let jwks: Value = serde_json::from_str(&dpopd.get("/service/jwks").await).unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["k-new", "k-old"]);

    // Once the old key's tokens have expired it goes; one of them, though verified and
    // cached before, is then refused.
    config.signing = vec![new.private_jwk().to_string()];
    dpopd.write(&config.text());
    assert_eq!(dpopd.hangup()["level"], "INFO");
    let refused = introspect(&before).await;
    assert_eq!(
        (refused["action"].as_str(), refused["resultCode"].as_str()),
        (Some("UNAUTHORIZED"), Some("A056321")),
        "a token of a removed key: {refused}"
    );
    assert_eq!(introspect(&after).await["action"], "OK");
    assert_eq!(dpopd.reloads("applied").await, 2);
}

#[tokio::test]
async fn a_broken_file_leaves_the_old_configuration_serving_and_names_the_key() {
    let config = Config::new(&[&key("k1")]);
    let dpopd = Dpopd::start(Some(&config));
    let jwks = dpopd.get("/service/jwks").await;
    let mut unusable_key = config.clone();
    unusable_key.signing = vec!["{\"kty\":\"EC\"}".into()];
    let broken = [
        (
            "tokens.access_token_lifetime_secs",
            config.text() + "[tokens]\naccess_token_lifetime_secs = 0\n",
        ),
        ("keys.signing[0]", unusable_key.text()),
        ("lifetime", config.text() + "[tokens]\nlifetime = 5\n"),
        ("TOML", config.text() + "[[clients]\n"),
    ];
    for (n, (key, text)) in broken.iter().enumerate() {
        dpopd.write(text);
        let outcome = dpopd.hangup();
        assert_eq!(outcome["level"], "ERROR", "{key}: {outcome}");
        assert!(
            outcome["error"].as_str().unwrap_or_default().contains(key),
            "the error names {key}: {outcome}"
        );
        assert_eq!(dpopd.reloads("rejected").await, n as u64 + 1);
        let served = dpopd.token(CONFIDENTIAL, None).await;
        assert_eq!(served["action"], "OK", "{key}: {served}");
        assert_eq!(dpopd.get("/service/jwks").await, jwks, "{key}");
    }
    assert_eq!(dpopd.reloads("applied").await, 0);

    // Mended, the file applies.
    dpopd.write(&config.text());
    assert_eq!(dpopd.hangup()["level"], "INFO");
    assert_eq!(dpopd.reloads("applied").await, 1);
}

#[tokio::test]
async fn a_changed_listen_address_is_reported_ignored_until_restart() {
    let mut config = Config::new(&[&key("k1")]);
    let dpopd = Dpopd::start(Some(&config));
    let seen = dpopd.lines.lock().unwrap().len();
    config.port = 1;
    config.clients.push(NEW_CLIENT);
    dpopd.write(&config.text().replace("\"memory\"", "\"redis\""));
    let outcome = dpopd.hangup();
    assert_eq!(outcome["ignored"], 2, "{outcome}");
    let ignored: Vec<Value> = dpopd
        .log_since(seen)
        .into_iter()
        .filter(|l| l["message"] == "ignored until restart: a setting read only at start changed")
        .map(|l| l["setting"].clone())
        .collect();
    assert_eq!(ignored, ["server.port", "store.kind"]);
    // Still on the port it started on, with the rest of the file applied.
    let served = dpopd.token(NEW_CLIENT, None).await;
    assert_eq!(served["action"], "OK", "{served}");
    assert_eq!(dpopd.reloads("applied").await, 1);
}

#[tokio::test]
async fn sighup_in_development_mode_says_there_is_nothing_to_reload() {
    let dpopd = Dpopd::start(None);
    let outcome = dpopd.hangup();
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("nothing to reload"),
        "{outcome}"
    );
    assert_eq!(dpopd.get("/healthz").await, r#"{"status":"ok"}"#);
    assert_eq!(dpopd.reloads("applied").await, 0);
}
