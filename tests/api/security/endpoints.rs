//! The other doors to the same checks: the forged-proof table at PAR (RFC 9126 with RFC 9449
//! §10.1), delegated issuance and userinfo (OIDC Core §5.3), and the alg policy once ES384 is
//! configured or a client narrows its own list (docs/api.md, "Proof validation" and "State and
//! operations").
use super::proofs::proof_rows;
use super::*;
use crate::code_flow::public_request;
use crate::helpers::*;
use crate::resource::{mint, Mint};
use dpopd::config::ClientSettings;
use dpopd::jose::Alg;
use serde_json::{json, Value};

const USERINFO_URL: &str = "https://as.example.com/userinfo";

async fn call(app: &TestApp, path: &str, name: &str, body: &Value) -> Value {
    let (status, answer) = app.post(path, body).await;
    assert_eq!(status, 200, "{name}: {answer}");
    answer
}

#[tokio::test]
async fn forged_proofs_at_par_are_invalid_dpop_proof() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let target = Target {
        key: &key,
        htm: "POST",
        htu: PAR_HTU,
        token: None,
    };
    let mut table = Rows::default();
    for (name, proof, detail) in proof_rows(&target) {
        let answer = call(
            &app,
            "/pushed_auth_req",
            name,
            &json!({ "parameters": public_request(&[]), "dpop": proof }),
        )
        .await;
        table.check(name, || assert_refused(name, &answer, &bad_proof(detail)));
    }
    table.finish();
    let control = call(
        &app,
        "/pushed_auth_req",
        "control",
        &json!({ "parameters": public_request(&[]), "dpop": target.proof() }),
    )
    .await;
    assert_eq!(control["action"], "CREATED", "{control}");
}

#[tokio::test]
async fn forged_proofs_at_delegated_issuance_are_invalid_dpop_proof() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let target = Target {
        key: &key,
        htm: "POST",
        htu: TOKEN_HTU,
        token: None,
    };
    let body = |proof: &str| json!({ "grantType": "AUTHORIZATION_CODE", "clientId": PUBLIC, "subject": "alice", "scopes": ["read"], "dpop": proof });
    let mut table = Rows::default();
    for (name, proof, detail) in proof_rows(&target) {
        let answer = call(&app, "/auth/token/create", name, &body(&proof)).await;
        table.check(name, || assert_refused(name, &answer, &bad_proof(detail)));
    }
    table.finish();
    let control = call(
        &app,
        "/auth/token/create",
        "control",
        &body(&target.proof()),
    )
    .await;
    assert_eq!(control["action"], "OK", "{control}");
}

#[tokio::test]
async fn forged_proofs_at_userinfo_are_invalid_dpop_proof_with_a_dpop_challenge() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = mint(
        &app,
        Mint {
            scopes: &["openid"],
            jkt: Some(key.jkt()),
            ..Mint::default()
        },
    );
    let target = Target {
        key: &key,
        htm: "GET",
        htu: USERINFO_URL,
        token: Some(&token),
    };
    let body =
        |proof: &str| json!({ "token": token, "dpop": proof, "htm": "GET", "htu": USERINFO_URL });
    let mut table = Rows::default();
    for (name, proof, detail) in proof_rows(&target) {
        let answer = call(&app, "/auth/userinfo", name, &body(&proof)).await;
        table.check(name, || {
            assert_challenged(name, &answer, &bad_resource_proof(detail))
        });
    }
    table.finish();
    let control = call(&app, "/auth/userinfo", "control", &body(&target.proof())).await;
    assert_eq!(control["action"], "OK", "{control}");
}

#[tokio::test]
async fn the_alg_must_fit_the_key_even_when_es384_is_configured_and_a_client_narrows_the_list() {
    let mut settings = test_settings();
    settings.dpop.algs.push(Alg::ES384);
    let narrowed = ClientSettings {
        client_id: "es256-only".into(),
        dpop_algs: vec![Alg::ES256],
        ..settings.clients[0].clone()
    };
    settings.clients.push(narrowed);
    let app = spawn_app_with(settings).await;
    let p256 = TestKey::new(Alg::ES256);
    let p384 = TestKey::new(Alg::ES384);
    let eddsa = TestKey::new(Alg::EdDSA);
    let as_p256 = Target {
        key: &p256,
        htm: "POST",
        htu: TOKEN_HTU,
        token: None,
    };
    let as_p384 = Target {
        key: &p384,
        htm: "POST",
        htu: TOKEN_HTU,
        token: None,
    };
    let for_client = |client: &str, secret: &str, proof: &str| {
        json!({
            "parameters": "grant_type=client_credentials", "clientId": client, "clientSecret": secret, "dpop": proof,
        })
    };
    let conf = |proof: &str| for_client(CONFIDENTIAL.0, CONFIDENTIAL.1, proof);
    let narrow = |proof: &str| for_client("es256-only", CONFIDENTIAL.1, proof);
    let rows = [
        (
            "ES384 header with a P-256 key",
            conf(&as_p256.sign(
                &with(as_p256.header(), "alg", "ES384".into()),
                &as_p256.claims(),
            )),
            "alg does not match the jwk key type",
        ),
        (
            "ES256 header with a P-384 key",
            conf(&as_p384.sign(
                &with(as_p384.header(), "alg", "ES256".into()),
                &as_p384.claims(),
            )),
            "alg does not match the jwk key type",
        ),
        (
            "a P-384 key with 32-byte coordinates",
            conf(&as_p384.sign(
                &with(
                    as_p384.header(),
                    "jwk",
                    with(as_p256.header()["jwk"].clone(), "crv", "P-384".into()),
                ),
                &as_p384.claims(),
            )),
            "jwk member x is not in canonical form",
        ),
        (
            "EdDSA by a client narrowed to ES256",
            narrow(&eddsa.token_proof()),
            "alg EdDSA is not allowed",
        ),
        (
            "ES384 by a client narrowed to ES256",
            narrow(&p384.token_proof()),
            "alg ES384 is not allowed",
        ),
    ];
    let mut table = Rows::default();
    for (name, body, detail) in &rows {
        let answer = call(&app, "/auth/token", name, body).await;
        table.check(name, || assert_refused(name, &answer, &bad_proof(detail)));
    }
    table.finish();
    assert_eq!(
        call(
            &app,
            "/auth/token",
            "configured ES384",
            &conf(&p384.token_proof())
        )
        .await["action"],
        "OK"
    );
    assert_eq!(
        call(
            &app,
            "/auth/token",
            "narrowed ES256",
            &narrow(&p256.token_proof())
        )
        .await["action"],
        "OK"
    );
}

#[tokio::test]
async fn the_published_keys_and_metadata_carry_no_private_member_and_no_weak_alg() {
    let app = spawn_app().await;
    let (status, jwks) = app.get("/service/jwks").await;
    assert_eq!(status, 200);
    let jwks: Value = serde_json::from_str(&jwks).unwrap();
    for key in jwks["keys"].as_array().expect("keys") {
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
    let (_, metadata) = app.get("/service/configuration").await;
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    let algs = metadata["dpop_signing_alg_values_supported"]
        .as_array()
        .expect("algs");
    assert!(!algs.is_empty());
    assert!(
        algs.iter()
            .all(|a| a != "none" && !a.as_str().unwrap().starts_with("HS")),
        "{algs:?}"
    );
}
