//! Access tokens an attacker can forge, alter or steal, presented at introspection (RFC 9068
//! §4, RFC 6750 §3.1, RFC 9449 §7.1). Each is `invalid_token` with its own result code, in a
//! challenge of the scheme it was presented with, and inactive to RFC 7662 introspection.
use super::*;
use crate::code_flow::form;
use crate::helpers::*;
use crate::resource::{introspect, introspection, mint, resource_proof, Mint, ALGS, RS_URL};
use base64::Engine;
use dpopd::clock::UnixTime;
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::jose::{b64, Alg, PublicJwk};
use serde_json::{json, Value};

/// An `invalid_token` refusal for a token presented with `scheme`.
fn invalid_token(scheme: &'static str, code: &'static str, detail: &'static str) -> Challenged {
    Challenged {
        action: "UNAUTHORIZED",
        scheme,
        error: "invalid_token",
        code,
        detail,
    }
}

/// The three parts of a compact JWS, the middle one decoded as JSON.
fn split(token: &str) -> (String, Value, String) {
    let mut parts = token.split('.');
    let (header, payload, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    (
        header.to_owned(),
        serde_json::from_slice(&b64::decode(payload).unwrap()).unwrap(),
        signature.to_owned(),
    )
}

fn enc(value: &Value) -> String {
    b64::encode(value.to_string().as_bytes())
}

/// `header` and `claims` signed with the app's own active key: what only a key compromise or
/// a signing bug could produce, to show that the other checks stand on their own.
fn signed_by_app(app: &TestApp, header: &str, claims: &str) -> String {
    client::sign_bytes(
        app.state.live().core.keys.active(),
        header.as_bytes(),
        claims.as_bytes(),
    )
    .expect("signed")
}

/// `header.payload` with an HS256 MAC under `secret`: the algorithm-confusion attack, which
/// works wherever a verifier lets the token's `alg` pick how the key is used.
fn hs256(header: &Value, payload: &str, secret: &[u8]) -> String {
    let input = format!("{}.{payload}", enc(header));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    format!(
        "{input}.{}",
        b64::encode(ring::hmac::sign(&key, input.as_bytes()).as_ref())
    )
}

/// The service's public key as the secrets an HS256 confusion would try.
fn public_key_encodings(app: &TestApp) -> [(&'static str, Vec<u8>); 3] {
    let live = app.state.live();
    let PublicJwk::Ec { x, y, .. } = live.core.keys.active().public() else {
        panic!("an EC signing key")
    };
    let point = [&[4u8][..], x, y].concat();
    // SubjectPublicKeyInfo of an id-ecPublicKey on prime256v1 (RFC 5480 §2), then the point.
    let spki = [
        &[
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ][..],
        &point,
    ]
    .concat();
    let lines: Vec<String> = base64::engine::general_purpose::STANDARD
        .encode(&spki)
        .as_bytes()
        .chunks(64)
        .map(|l| String::from_utf8(l.to_vec()).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    let jwk = app.state.live().core.keys.jwks()["keys"][0].to_string();
    [
        ("the published JWK", jwk.into_bytes()),
        ("the SEC1 point", point),
        ("the SPKI PEM", pem.into_bytes()),
    ]
}

/// (attack, token, result code, fragment of `resultMessage`)
type TokenRow = (String, String, &'static str, &'static str);

async fn token_rows(app: &TestApp) -> Vec<TokenRow> {
    let now = UnixTime::now();
    let good = mint(app, Mint::default());
    let (h, claims, sig) = split(&good);
    let payload = enc(&claims);
    let header: Value = serde_json::from_slice(&b64::decode(&h).unwrap()).unwrap();
    let own =
        |header: Value, claims: Value| signed_by_app(app, &header.to_string(), &claims.to_string());
    let claims_text = claims.to_string();
    let claims_with = |extra: &str| format!("{}{extra}}}", &claims_text[..claims_text.len() - 1]);
    let elsewhere = spawn_app().await;
    let mut flipped = b64::decode(&sig).unwrap();
    flipped[5] ^= 0x01;
    let other_token = mint(
        app,
        Mint {
            subject: "mallory",
            ..Mint::default()
        },
    );
    let refresh = app.client_credentials(None).await["refreshToken"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let proof = TestKey::new(Alg::ES256).proof("GET", RS_URL);
    let bound = mint(
        app,
        Mint {
            jkt: Some(TestKey::new(Alg::ES256).jkt()),
            ..Mint::default()
        },
    );
    let unbound = {
        let (bh, bclaims, bsig) = split(&bound);
        format!("{bh}.{}.{bsig}", enc(&without(bclaims, "cnf")))
    };

    let mut rows: Vec<TokenRow> = vec![
        (
            "alg none, signature kept".into(),
            format!(
                "{}.{payload}.{sig}",
                enc(&with(header.clone(), "alg", "none".into()))
            ),
            "A056302",
            "JWT alg does not match the key",
        ),
        (
            "alg none, no signature".into(),
            format!(
                "{}.{payload}.",
                enc(&with(header.clone(), "alg", "none".into()))
            ),
            "A056302",
            "not a compact JWS",
        ),
        (
            "alg ES384 under the ES256 kid".into(),
            format!(
                "{}.{payload}.{sig}",
                enc(&with(header.clone(), "alg", "ES384".into()))
            ),
            "A056302",
            "JWT alg does not match the key",
        ),
        (
            "alg missing".into(),
            format!("{}.{payload}.{sig}", enc(&without(header.clone(), "alg"))),
            "A056302",
            "JWT alg does not match the key",
        ),
        (
            "kid of no listed key".into(),
            format!(
                "{}.{payload}.{sig}",
                enc(&with(header.clone(), "kid", "test-key-2".into()))
            ),
            "A056321",
            "no key of the issuer has the token's kid",
        ),
        (
            "kid missing".into(),
            format!("{}.{payload}.{sig}", enc(&without(header.clone(), "kid"))),
            "A056321",
            "no key of the issuer has the token's kid",
        ),
        (
            "signed by another dpopd's key of the same kid".into(),
            mint(&elsewhere, Mint::default()),
            "A056302",
            "JWT signature does not verify",
        ),
        (
            "scope widened in the payload".into(),
            format!(
                "{h}.{}.{sig}",
                enc(&with(claims.clone(), "scope", "read write admin".into()))
            ),
            "A056302",
            "JWT signature does not verify",
        ),
        (
            "cnf removed from a bound token's payload".into(),
            unbound,
            "A056302",
            "JWT signature does not verify",
        ),
        (
            "exp extended in the payload".into(),
            format!(
                "{h}.{}.{sig}",
                enc(&with(
                    claims.clone(),
                    "exp",
                    (now.secs() + 86_400 * 365).into()
                ))
            ),
            "A056302",
            "JWT signature does not verify",
        ),
        (
            "one signature bit flipped".into(),
            format!("{h}.{payload}.{}", b64::encode(&flipped)),
            "A056302",
            "JWT signature does not verify",
        ),
        (
            "another token's signature".into(),
            format!("{h}.{payload}.{}", other_token.rsplit_once('.').unwrap().1),
            "A056302",
            "JWT signature does not verify",
        ),
        (
            "signature r = s = 0 (CVE-2022-21449)".into(),
            format!("{h}.{payload}.{}", b64::encode(&[0; 64])),
            "A056302",
            "JWT signature does not verify",
        ),
        (
            "DER-encoded signature".into(),
            format!(
                "{h}.{payload}.{}",
                b64::encode(&super::proofs::der_of(&b64::decode(&sig).unwrap()))
            ),
            "A056302",
            "JWT signature does not verify",
        ),
        (
            "expired an hour ago".into(),
            mint(
                app,
                Mint {
                    iat: now.plus(-7200),
                    ..Mint::default()
                },
            ),
            "A056303",
            "token has expired",
        ),
        (
            "exp one second ago".into(),
            mint(
                app,
                Mint {
                    iat: now.plus(-3601),
                    ..Mint::default()
                },
            ),
            "A056303",
            "token has expired",
        ),
        (
            "iat ten minutes ahead".into(),
            mint(
                app,
                Mint {
                    iat: now.plus(600),
                    ..Mint::default()
                },
            ),
            "A056304",
            "token is not yet valid",
        ),
        (
            "nbf ten minutes ahead".into(),
            own(
                header.clone(),
                with(claims.clone(), "nbf", (now.secs() + 600).into()),
            ),
            "A056304",
            "token is not yet valid",
        ),
        (
            "nbf a string".into(),
            own(header.clone(), with(claims.clone(), "nbf", "0".into())),
            "A056302",
            "token claims are malformed",
        ),
        (
            "typ JWT instead of at+jwt".into(),
            own(with(header.clone(), "typ", "JWT".into()), claims.clone()),
            "A056319",
            "token typ is not at+jwt",
        ),
        (
            "typ missing".into(),
            own(without(header.clone(), "typ"), claims.clone()),
            "A056319",
            "token typ is not at+jwt",
        ),
        (
            "typ dpop+jwt".into(),
            own(
                with(header.clone(), "typ", "dpop+jwt".into()),
                claims.clone(),
            ),
            "A056319",
            "token typ is not at+jwt",
        ),
        (
            "iss of another issuer".into(),
            own(
                header.clone(),
                with(claims.clone(), "iss", "https://attacker.example".into()),
            ),
            "A056317",
            "token issuer is not trusted",
        ),
        (
            "iss with a trailing slash".into(),
            own(
                header.clone(),
                with(claims.clone(), "iss", "https://as.example.com/".into()),
            ),
            "A056317",
            "token issuer is not trusted",
        ),
        (
            "exp a string".into(),
            own(
                header.clone(),
                with(claims.clone(), "exp", "9999999999".into()),
            ),
            "A056302",
            "token claims are malformed",
        ),
        (
            "scope twice in the payload".into(),
            signed_by_app(
                app,
                &header.to_string(),
                &claims_with(r#","scope":"read write admin""#),
            ),
            "A056302",
            "token claims are malformed",
        ),
        (
            "cnf.jkt not a thumbprint".into(),
            own(
                header.clone(),
                with(claims.clone(), "cnf", json!({ "jkt": "not-a-thumbprint" })),
            ),
            "A056302",
            "token claims are malformed",
        ),
        (
            "payload not JSON".into(),
            signed_by_app(app, &header.to_string(), "sub=alice"),
            "A056302",
            "token claims are malformed",
        ),
        (
            "crit in the header".into(),
            own(with(header.clone(), "crit", json!(["exp"])), claims.clone()),
            "A056302",
            "crit names extensions that are not supported",
        ),
        (
            "200 nested arrays in the header".into(),
            signed_by_app(
                app,
                &format!(
                    r#"{{"alg":"ES256","typ":"at+jwt","kid":"test-key-1","x":{}{}}}"#,
                    "[".repeat(200),
                    "]".repeat(200)
                ),
                &claims_text,
            ),
            "A056302",
            "nested deeper than 32 levels",
        ),
        (
            "not a JWT at all".into(),
            "not a token".into(),
            "A056302",
            "not a compact JWS",
        ),
        (
            "trailing newline".into(),
            format!("{good}\n"),
            "A056302",
            "JWS signature is not valid base64url",
        ),
        (
            "a refresh token presented as an access token".into(),
            refresh,
            "A056302",
            "not a compact JWS",
        ),
        (
            "a DPoP proof presented as an access token".into(),
            proof,
            "A056321",
            "no key of the issuer has the token's kid",
        ),
    ];
    for (encoding, secret) in public_key_encodings(app) {
        let forged = hs256(
            &with(header.clone(), "alg", "HS256".into()),
            &payload,
            &secret,
        );
        rows.push((
            format!("HS256 keyed with {encoding}"),
            forged,
            "A056302",
            "JWT alg does not match the key",
        ));
    }
    rows
}

#[tokio::test]
async fn forged_altered_and_foreign_tokens_are_invalid_token_in_the_presented_scheme() {
    let app = spawn_app().await;
    let rows = token_rows(&app).await;
    let mut table = Rows::default();
    for (name, token, code, detail) in &rows {
        let bearer = introspect(&app, &introspection(token, "Bearer", None)).await;
        let dpop = introspect(
            &app,
            &introspection(
                token,
                "DPoP",
                Some(&resource_proof(&TestKey::new(Alg::ES256), token)),
            ),
        )
        .await;
        let (status, standard) = app
            .post(
                "/auth/introspection/standard",
                &json!({ "parameters": form(&[("token", token)]) }),
            )
            .await;
        table.check(name, || {
            assert_challenged(
                &format!("{name} as Bearer"),
                &bearer,
                &invalid_token("Bearer", code, detail),
            );
            assert_challenged(
                &format!("{name} as DPoP"),
                &dpop,
                &invalid_token("DPoP", code, detail),
            );
            assert_eq!(bearer["usable"], false, "{name}");
            assert_not_echoed(name, &bearer, token);
            assert_not_echoed(name, &dpop, token);
            assert!(
                bearer.get("subject").is_none(),
                "{name}: nothing of an unusable token is reported"
            );
            assert_eq!(status, 200, "{name}");
            if name.starts_with("a refresh token") {
                // RFC 7662 §2.1 introspects refresh tokens too; only the RS decision refuses it.
                assert_eq!(content(&standard)["active"], true, "{name}");
            } else {
                assert_eq!(
                    content(&standard),
                    json!({ "active": false }),
                    "{name}: RFC 7662 answers inactive"
                );
            }
        });
    }
    assert!(table.finish() >= 35);
}

#[tokio::test]
async fn no_token_at_all_is_unauthorized_with_a_bare_challenge_at_both_resource_endpoints() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let mut table = Rows::default();
    for path in ["/auth/introspection", "/auth/userinfo"] {
        let rows = [
            ("no token member", json!({ "htu": RS_URL })),
            ("a null token", json!({ "token": null, "htu": RS_URL })),
            (
                "no token but a proof and the DPoP scheme",
                json!({ "tokenScheme": "DPoP", "dpop": key.proof("GET", RS_URL), "htu": RS_URL }),
            ),
        ];
        for (name, body) in rows {
            let name = format!("{path}: {name}");
            let (status, answer) = app.post(path, &body).await;
            table.check(&name, || {
                assert_eq!(status, 200, "{name}: {answer}");
                assert_eq!(
                    (answer["action"].as_str(), answer["resultCode"].as_str()),
                    (Some("UNAUTHORIZED"), Some("A056301")),
                    "{name}: {answer}"
                );
                assert_eq!(
                    answer["responseContent"],
                    format!("Bearer, DPoP algs=\"{ALGS}\""),
                    "{name}: RFC 6750 §3.1, no error code when no token was sent"
                );
            });
        }
    }
    table.finish();
}

#[tokio::test]
async fn an_empty_token_is_a_malformed_request_at_both_resource_endpoints() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let mut table = Rows::default();
    for path in ["/auth/introspection", "/auth/userinfo"] {
        let rows = [
            (
                "Authorization: Bearer with nothing after it",
                json!({ "token": "", "tokenScheme": "Bearer" }),
                "Bearer",
            ),
            (
                "Authorization: DPoP with nothing after it",
                json!({ "token": "", "tokenScheme": "DPoP" }),
                "DPoP",
            ),
            (
                "an empty token, no scheme given",
                json!({ "token": "" }),
                "Bearer",
            ),
            (
                "an empty token with a proof",
                json!({ "token": "", "tokenScheme": "DPoP", "dpop": key.proof("GET", RS_URL) }),
                "DPoP",
            ),
        ];
        for (name, mut body, scheme) in rows {
            let name = format!("{path}: {name}");
            body["htu"] = RS_URL.into();
            let (status, answer) = app.post(path, &body).await;
            table.check(&name, || {
                assert_eq!(status, 200, "{name}: {answer}");
                assert_challenged(
                    &name,
                    &answer,
                    &Challenged {
                        action: "BAD_REQUEST",
                        scheme,
                        error: "invalid_request",
                        code: "A056315",
                        detail: "the access token is empty",
                    },
                );
            });
        }
    }
    table.finish();
}

#[tokio::test]
async fn a_bound_token_presented_as_bearer_is_a_downgrade_with_or_without_its_proof() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let want = invalid_token(
        "DPoP",
        "A056306",
        "DPoP-bound token presented as a Bearer token",
    );
    let rows = [
        ("bound token as Bearer", "Bearer", None),
        (
            "bound token as Bearer with its valid proof",
            "Bearer",
            Some(resource_proof(&key, &token)),
        ),
        (
            "bound token as bearer in lower case (RFC 9110 §11.1)",
            "bearer",
            None,
        ),
    ];
    for (name, scheme, proof) in rows {
        let answer = introspect(&app, &introspection(&token, scheme, proof.as_deref())).await;
        assert_challenged(name, &answer, &want);
    }
    // With no scheme named, a bound token still needs its proof (docs/api.md, "Introspection and
    // userinfo", as Authlete).
    let unnamed = introspect(
        &app,
        &json!({ "token": token, "htm": "GET", "htu": RS_URL, "scopes": ["read"] }),
    )
    .await;
    let missing = Challenged {
        action: "UNAUTHORIZED",
        scheme: "DPoP",
        error: "invalid_dpop_proof",
        code: "A056307",
        detail: "no DPoP proof",
    };
    assert_challenged(
        "bound token with no scheme and no proof",
        &unnamed,
        &missing,
    );
    // The downgrade consumed nothing: the proof is still good with the DPoP scheme.
    let proof = resource_proof(&key, &token);
    assert_eq!(
        introspect(&app, &introspection(&token, "Bearer", Some(&proof))).await["resultCode"],
        "A056306"
    );
    assert_eq!(
        introspect(&app, &introspection(&token, "DPoP", Some(&proof))).await["action"],
        "OK"
    );
}

#[tokio::test]
async fn a_revoked_token_is_invalid_token_even_with_its_valid_proof() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, revoked) = app.post("/auth/revocation", &json!({ "parameters": form(&[("token", &token)]), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 })).await;
    assert_eq!(revoked["resultCode"], "A059001", "{revoked}");
    let answer = introspect(
        &app,
        &introspection(&token, "DPoP", Some(&resource_proof(&key, &token))),
    )
    .await;
    assert_challenged(
        "revoked token",
        &answer,
        &invalid_token("DPoP", "A056305", "token has been revoked"),
    );
}

#[tokio::test]
async fn resource_proofs_that_do_not_fit_the_token_are_refused_with_their_own_error() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let thief = TestKey::new(Alg::ES256);
    let now = UnixTime::now();
    let with_ath = |ath: &str| {
        let mut claims = Value::Object(client::proof_claims(
            "GET",
            RS_URL,
            now,
            &ProofClaims::default(),
        ));
        claims["ath"] = ath.into();
        client::sign_parts(
            &key.0,
            &Value::Object(client::proof_header(&key.0)),
            &claims,
        )
        .unwrap()
    };
    let ath = dpopd::dpop::proof::ath_of(&token);
    let hex: String = ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key_mismatch = invalid_token(
        "DPoP",
        "A056311",
        "proof key does not match the token's cnf.jkt",
    );
    let cases: Vec<(&str, Option<String>, Challenged)> = vec![
        (
            "no proof for a bound token",
            None,
            Challenged {
                action: "UNAUTHORIZED",
                scheme: "DPoP",
                error: "invalid_dpop_proof",
                code: "A056307",
                detail: "no DPoP proof",
            },
        ),
        (
            "ath missing",
            Some(key.proof("GET", RS_URL)),
            bad_resource_proof("ath is missing"),
        ),
        (
            "ath of another token of the same key",
            Some(resource_proof(&key, &other)),
            bad_resource_proof("ath does not match the access token"),
        ),
        (
            "ath with base64 padding",
            Some(with_ath(&format!("{ath}="))),
            bad_resource_proof("ath does not match the access token"),
        ),
        (
            "ath in hex",
            Some(with_ath(&hex)),
            bad_resource_proof("ath does not match the access token"),
        ),
        (
            "ath of the token with a trailing space",
            Some(with_ath(&dpopd::dpop::proof::ath_of(&format!("{token} ")))),
            bad_resource_proof("ath does not match the access token"),
        ),
        (
            "the token endpoint's proof replayed at the resource",
            Some(key.token_proof()),
            bad_resource_proof("htm mismatch"),
        ),
        (
            "a proof for another resource",
            Some(key.proof_with(
                "GET",
                "https://rs.example.com/other",
                now,
                &ProofClaims {
                    access_token: Some(&token),
                    ..Default::default()
                },
            )),
            bad_resource_proof("htu mismatch"),
        ),
        (
            "a valid proof by another key (RFC 9449 §7.1: invalid_token)",
            Some(resource_proof(&thief, &token)),
            key_mismatch,
        ),
        (
            "another key's proof by an RSA key",
            Some(resource_proof(&TestKey::rsa(Alg::PS256), &token)),
            key_mismatch,
        ),
    ];
    let mut table = Rows::default();
    for (name, proof, want) in &cases {
        let answer = introspect(&app, &introspection(&token, "DPoP", proof.as_deref())).await;
        table.check(name, || assert_challenged(name, &answer, want));
    }
    table.finish();
    let ok = introspect(
        &app,
        &introspection(&token, "DPoP", Some(&resource_proof(&key, &token))),
    )
    .await;
    assert_eq!(
        ok["action"], "OK",
        "none of the refusals consumed anything: {ok}"
    );
}

/// An `invalid_grant` refusal at the token endpoint.
fn invalid_grant(code: &'static str, detail: &'static str) -> Refusal {
    Refusal {
        action: "BAD_REQUEST",
        error: "invalid_grant",
        code,
        detail,
    }
}

#[tokio::test]
async fn forged_altered_and_misused_refresh_tokens_and_codes_are_invalid_grant() {
    use crate::code_flow::{code_for, public_request, redeem, VERIFIER};
    use dpopd::oauth::refresh::RefreshRecord;
    let app = spawn_app().await;
    let now = UnixTime::now();
    let own = app.client_credentials(None).await["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, post_issued) = app.post("/auth/token", &json!({ "parameters": format!("grant_type=client_credentials&client_id={}&client_secret={}", POST_CLIENT.0, POST_CLIENT.1) })).await;
    let theirs = post_issued["refreshToken"]
        .as_str()
        .expect("the post client's refresh token")
        .to_owned();
    let elsewhere = spawn_app().await.client_credentials(None).await["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut changed = own.clone().into_bytes();
    changed[40] = if changed[40] == b'A' { b'B' } else { b'A' };
    let record = |cid: &str, exp: i64, jkt: Option<String>| {
        RefreshRecord {
            jti: dpopd::jose::secrets::random_id(),
            family: dpopd::jose::secrets::random_id(),
            generation: 0,
            client_id: cid.into(),
            subject: "alice".into(),
            scopes: vec!["read".into()],
            iat: now.secs() - 10,
            exp,
            jkt: jkt.map(|j| dpopd::jose::Jkt::parse(&j).unwrap()),
            properties: vec![],
            extra_claims: Default::default(),
            oidc: None,
        }
        .seal(&app.state.live().core.sealer)
        .unwrap()
    };
    let with_prp = app.post("/auth/token", &json!({
        "parameters": "grant_type=client_credentials", "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1,
        "properties": [{ "key": "tier", "value": "gold", "hidden": true }],
    })).await.1;
    let (_, prp_claims, _) = split(with_prp["accessToken"].as_str().unwrap());
    let code = code_for(&app, &public_request(&[])).await;
    let (_, pushed) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": public_request(&[]) }),
        )
        .await;
    let request_uri = content(&pushed)["request_uri"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();

    let confidential = |rt: &str| json!({ "parameters": form(&[("grant_type", "refresh_token"), ("refresh_token", rt)]), "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1 });
    let invalid = invalid_grant("A053301", "refresh token is invalid");
    let rows: Vec<(&str, Value, Refusal)> = vec![
        ("garbage", confidential("abc"), invalid),
        (
            "one character changed",
            confidential(&String::from_utf8(changed).unwrap()),
            invalid,
        ),
        ("truncated", confidential(&own[..own.len() - 4]), invalid),
        (
            "with base64 padding",
            confidential(&format!("{own}=")),
            invalid,
        ),
        ("sealed by another dpopd", confidential(&elsewhere), invalid),
        (
            "an access token",
            confidential(with_prp["accessToken"].as_str().unwrap()),
            invalid,
        ),
        (
            "an access token's sealed properties",
            confidential(prp_claims["prp"].as_str().expect("prp")),
            invalid,
        ),
        ("an authorization code", confidential(&code), invalid),
        ("a PAR request_uri", confidential(&request_uri), invalid),
        (
            "expired a second ago",
            confidential(&record(CONFIDENTIAL.0, now.secs() - 1, None)),
            invalid_grant("A053301", "refresh token has expired"),
        ),
        (
            "another client's refresh token",
            confidential(&theirs),
            invalid_grant("A053302", "refresh token was issued to another client"),
        ),
    ];
    let mut table = Rows::default();
    for (name, body, want) in &rows {
        let (_, answer) = app.post("/auth/token", body).await;
        table.check(name, || assert_refused(name, &answer, want));
    }

    let key = TestKey::new(Alg::ES256);
    let bound = record(PUBLIC, now.secs() + 3600, Some(key.jkt()));
    let public = |proof: Option<String>| json!({ "parameters": form(&[("grant_type", "refresh_token"), ("refresh_token", &bound), ("client_id", PUBLIC)]), "dpop": proof });
    let mismatch = invalid_grant("A053303", "refresh token is bound to another DPoP key");
    for (name, body) in [
        (
            "a bound refresh token with another key's proof",
            public(Some(TestKey::new(Alg::ES256).token_proof())),
        ),
        ("a bound refresh token without a proof", public(None)),
    ] {
        let (_, answer) = app.post("/auth/token", &body).await;
        table.check(name, || assert_refused(name, &answer, &mismatch));
    }
    let answer = redeem(&app, &own, VERIFIER, None).await;
    table.check("a refresh token as an authorization code", || {
        assert_refused(
            "a refresh token as an authorization code",
            &answer,
            &invalid_grant("A050301", "authorization code is invalid"),
        );
    });
    table.finish();
    let (_, ok) = app
        .post("/auth/token", &public(Some(key.token_proof())))
        .await;
    assert_eq!(ok["action"], "OK", "the refusals consumed nothing: {ok}");
}
