//! `spawn_app` starts the real application on port 0 with fresh stores and its own keys;
//! `TestKey` mints DPoP proofs the way a client would.
use base64::Engine;
use dpopd::clock::UnixTime;
use dpopd::config::{
    CallerSettings, ClientSettings, Role, SealingKeySettings, Secret, Settings, SigningKeySettings,
    StoreKind,
};
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::dpop::htu::Htu;
use dpopd::jose::{Alg, SigningKey};
use dpopd::oauth::clients::{AuthMethod, GrantType};
use dpopd::startup::Application;
use serde_json::{json, Value};

pub const CALLER: (&str, &str) = ("caller", "caller-secret");
pub const RS_ONLY_CALLER: (&str, &str) = ("rs-caller", "rs-secret");
pub const CONFIDENTIAL: (&str, &str) = ("confidential", "confidential-secret");
pub const POST_CLIENT: (&str, &str) = ("post-client", "post-secret");
pub const PUBLIC: &str = "public-client";
pub const DPOP_BOUND: (&str, &str) = ("dpop-bound", "bound-secret");
pub const TOKEN_HTU: &str = "https://as.example.com/token";
pub const PAR_HTU: &str = "https://as.example.com/par";
pub const REDIRECT_URI: &str = "https://app.example.com/cb";
/// A confidential code-flow client with two redirect URIs that must use PAR.
pub const WEB: (&str, &str) = ("web-client", "web-secret");
pub const WEB_REDIRECT_URIS: [&str; 2] =
    ["https://web.example.com/cb", "https://web.example.com/cb2"];

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub state: actix_web::web::Data<dpopd::startup::AppState>,
}

/// Settings of a production-like instance: explicit keys and secrets, the test clients.
pub fn test_settings() -> Settings {
    let mut s = Settings::development();
    s.development = false;
    s.server.port = 0;
    s.server.workers = 1;
    // Fresh and gone at exit; tests/api/durable.rs is about the durable store.
    s.store.kind = StoreKind::Memory;
    s.service.token_endpoint = Htu::parse(TOKEN_HTU).expect("htu");
    s.service.par_endpoint = Htu::parse(PAR_HTU).expect("htu");
    s.service.issuer = "https://as.example.com".into();
    let signing = SigningKey::generate(Alg::ES256, Some("test-key-1".into())).expect("key");
    s.keys.signing = vec![SigningKeySettings {
        jwk: Some(Secret::new(signing.private_jwk().to_string())),
        ..Default::default()
    }];
    s.keys.sealing = vec![SealingKeySettings {
        kid: "seal-1".into(),
        key: Secret::new(random_b64(32)),
    }];
    s.dpop.nonce_secret = Secret::new(random_b64(32));
    s.callers = vec![
        caller(CALLER, &[Role::As, Role::Rs]),
        caller(RS_ONLY_CALLER, &[Role::Rs]),
    ];
    s.clients = vec![
        client(
            CONFIDENTIAL.0,
            Some(CONFIDENTIAL.1),
            AuthMethod::ClientSecretBasic,
        ),
        client(
            POST_CLIENT.0,
            Some(POST_CLIENT.1),
            AuthMethod::ClientSecretPost,
        ),
        ClientSettings {
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            redirect_uris: vec![REDIRECT_URI.into()],
            ..client(PUBLIC, None, AuthMethod::None)
        },
        ClientSettings {
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            redirect_uris: WEB_REDIRECT_URIS.map(String::from).to_vec(),
            require_par: true,
            ..client(WEB.0, Some(WEB.1), AuthMethod::ClientSecretBasic)
        },
        ClientSettings {
            dpop_bound_access_tokens: true,
            ..client(
                DPOP_BOUND.0,
                Some(DPOP_BOUND.1),
                AuthMethod::ClientSecretBasic,
            )
        },
    ];
    s
}

fn caller((key, secret): (&str, &str), roles: &[Role]) -> CallerSettings {
    CallerSettings {
        key: key.into(),
        secret: Some(Secret::new(secret)),
        secret_sha256: None,
        roles: roles.to_vec(),
        dpop_only: false,
        explain_per_minute: dpopd::config::DEFAULT_EXPLAIN_PER_MINUTE,
    }
}

pub fn client(id: &str, secret: Option<&str>, method: AuthMethod) -> ClientSettings {
    ClientSettings {
        client_id: id.into(),
        client_secret: secret.map(Secret::new),
        client_secret_sha256: None,
        auth_method: method,
        grant_types: vec![GrantType::ClientCredentials, GrantType::RefreshToken],
        scopes: vec!["read".into(), "write".into()],
        redirect_uris: vec![],
        dpop_bound_access_tokens: false,
        dpop_algs: vec![],
        dpop_nonce_required: false,
        require_par: false,
        audience: vec![],
        id_token_signed_response_alg: dpopd::jose::Alg::ES256,
        userinfo_signed_response_alg: None,
        jwks: None,
        jwks_uri: None,
        auth_signing_algs: dpopd::config::default_auth_signing_algs(),
        profile: dpopd::oauth::fapi2::Profile::None,
    }
}

pub fn random_b64(len: usize) -> String {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; len];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("rng");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        http: reqwest::Client::new(),
        state,
    }
}

impl TestApp {
    /// POSTs `body` to `path` as the full-role caller; returns the status and JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_as(path, body, Some(CALLER)).await
    }

    pub async fn post_as(
        &self,
        path: &str,
        body: &Value,
        caller: Option<(&str, &str)>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{}", self.address, path))
            .json(body);
        if let Some((key, secret)) = caller {
            request = request.basic_auth(key, Some(secret));
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request sent");
        (
            response.status().as_u16(),
            response.text().await.expect("body"),
        )
    }

    /// A client_credentials call by the confidential client, with an optional proof.
    pub async fn client_credentials(&self, dpop: Option<&str>) -> Value {
        let (status, body) = self
            .post(
                "/auth/token",
                &json!({
                    "parameters": "grant_type=client_credentials&scope=read",
                    "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1, "dpop": dpop,
                }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// A client's DPoP key.
pub struct TestKey(pub SigningKey);

impl TestKey {
    pub fn new(alg: Alg) -> TestKey {
        TestKey(SigningKey::generate(alg, None).expect("key"))
    }

    /// An RSA key for RS*/PS* proofs (ring cannot generate RSA keys).
    pub fn rsa(alg: Alg) -> TestKey {
        TestKey(
            SigningKey::from_pem(include_str!("../keys/rsa2048.pem"), Some(alg), None)
                .expect("rsa key"),
        )
    }

    pub fn jkt(&self) -> String {
        self.0.public().thumbprint().as_str().to_owned()
    }

    pub fn proof(&self, htm: &str, htu: &str) -> String {
        self.proof_with(htm, htu, UnixTime::now(), &ProofClaims::default())
    }

    pub fn proof_with(
        &self,
        htm: &str,
        htu: &str,
        iat: UnixTime,
        extra: &ProofClaims<'_>,
    ) -> String {
        client::mint(&self.0, htm, htu, iat, extra).expect("proof")
    }

    pub fn token_proof(&self) -> String {
        self.proof("POST", TOKEN_HTU)
    }
}

/// The OAuth error body the caller would relay.
pub fn content(answer: &Value) -> Value {
    serde_json::from_str(answer["responseContent"].as_str().expect("responseContent"))
        .expect("JSON content")
}

/// The value of the series `series` (a metric's name and labels as `/metrics` renders them) in
/// a scrape; `None` if the scrape has no such line.
pub fn metric(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}
