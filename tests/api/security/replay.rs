//! Replay (RFC 9449 §4.3 check 11, §11.1) and the acceptance window (check 8) and server
//! nonces (check 9, §8): a used proof stays used for as long as it could pass the time check,
//! however it is re-encoded or raced, and stateless checks answer before the replay record
//! (docs/api.md, "Proof validation"), so a proof past its window is "too old", not "replayed".
use super::*;
use crate::helpers::*;
use crate::resource::{introspect, introspection, resource_proof, RS_URL};
use dpopd::api::fields::DpopFields;
use dpopd::clock::UnixTime;
use dpopd::dpop::client::ProofClaims;
use dpopd::dpop::proof::DpopError;
use dpopd::jose::Alg;
use dpopd::oauth::clients::ClientCredentials;
use dpopd::oauth::grants::{self, TokenCall, TokenError};
use serde_json::{json, Value};
use std::time::Duration;

const CC: &str = "grant_type=client_credentials&scope=read";

fn cc(dpop: &str) -> Value {
    json!({ "parameters": CC, "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1, "dpop": dpop })
}

fn replayed() -> Refusal {
    Refusal {
        action: "BAD_REQUEST",
        error: "invalid_dpop_proof",
        code: "A254302",
        detail: "proof has been used before",
    }
}

#[tokio::test]
async fn a_proof_used_at_the_token_endpoint_is_a_replay_for_any_client_and_at_any_later_call() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let proof = key.token_proof();
    assert_eq!(app.client_credentials(Some(&proof)).await["action"], "OK");
    let again = app.client_credentials(Some(&proof)).await;
    assert_refused("the same proof again", &again, &replayed());
    let (_, other_client) = app.post("/auth/token", &json!({
        "parameters": format!("{CC}&client_id={}&client_secret={}", POST_CLIENT.0, POST_CLIENT.1), "dpop": proof,
    })).await;
    assert_refused(
        "the same proof by another client",
        &other_client,
        &replayed(),
    );
}

#[tokio::test]
async fn a_proof_used_at_introspection_is_a_replay_there() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let token = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = introspection(&token, "DPoP", Some(&resource_proof(&key, &token)));
    assert_eq!(introspect(&app, &body).await["action"], "OK");
    let again = introspect(&app, &body).await;
    let want = Challenged {
        action: "UNAUTHORIZED",
        scheme: "DPoP",
        error: "invalid_dpop_proof",
        code: "A056309",
        detail: "proof has been used before",
    };
    assert_challenged("the same resource proof again", &again, &want);
}

/// `n − s` for big-endian 32-octet integers with `s < n`.
fn order_minus(s: &[u8]) -> Vec<u8> {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = N[i] as i16 - s[i] as i16 - borrow;
        borrow = i16::from(d < 0);
        out[i] = d.rem_euclid(256) as u8;
    }
    out
}

#[tokio::test]
async fn a_malleated_signature_does_not_make_a_used_proof_new() {
    // ECDSA signatures are malleable: (r, n − s) verifies as well as (r, s). The replay record
    // is the key and jti, never the proof text, so the twin is the same proof.
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let proof = key.token_proof();
    let sig = signature_of(&proof);
    let twin = resigned(&proof, &[&sig[..32], &order_minus(&sig[32..])[..]].concat());
    assert_ne!(twin, proof);
    assert_eq!(app.client_credentials(Some(&proof)).await["action"], "OK");
    assert_refused(
        "the (r, n − s) twin of a used proof",
        &app.client_credentials(Some(&twin)).await,
        &replayed(),
    );
}

#[tokio::test]
async fn a_proof_raced_sixteen_times_is_accepted_once() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let proof = key.token_proof();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (http, url, body) = (
            app.http.clone(),
            format!("{}/auth/token", app.address),
            cc(&proof),
        );
        calls.spawn(async move {
            let response = http
                .post(url)
                .basic_auth(CALLER.0, Some(CALLER.1))
                .json(&body)
                .send()
                .await
                .expect("sent");
            response.json::<Value>().await.expect("a JSON answer")
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = calls.join_next().await {
        answers.push(answer.expect("the call completed"));
    }
    let ok = answers.iter().filter(|a| a["action"] == "OK").count();
    assert_eq!(ok, 1, "check-and-record is one atomic step: {answers:?}");
    for answer in answers.iter().filter(|a| a["action"] != "OK") {
        assert_refused("a racing replay", answer, &replayed());
    }
}

/// A client_credentials call by the confidential client at a pinned clock.
async fn token_at(app: &TestApp, proof: &str, now: UnixTime) -> Result<(), TokenError> {
    let core = &app.state.live().core;
    let fields = DpopFields {
        dpop: Some(proof.to_owned()),
        ..DpopFields::default()
    };
    let call = TokenCall {
        parameters: CC,
        credentials: ClientCredentials {
            basic_id: Some(CONFIDENTIAL.0),
            basic_secret: Some(CONFIDENTIAL.1),
            header: None,
        },
        dpop: fields
            .into_input("POST", Some(&core.token_htu))
            .expect("fields"),
        ..TokenCall::default()
    };
    grants::token(core, call, now).await.result.map(|_| ())
}

#[tokio::test]
async fn the_window_edges_at_a_pinned_clock() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let t = UnixTime(1_900_000_000);
    let at = |iat: i64| key.proof_with("POST", TOKEN_HTU, t.plus(iat), &ProofClaims::default());
    let cases: [(&str, String, Result<(), TokenError>); 4] = [
        ("oldest accepted: iat = now − 60 − 15", at(-75), Ok(())),
        (
            "one second older",
            at(-76),
            Err(TokenError::Dpop(DpopError::IatTooOld {
                iat: t.secs() - 76,
                now: t.secs(),
            })),
        ),
        ("newest accepted: iat = now + 15", at(15), Ok(())),
        (
            "one second newer",
            at(16),
            Err(TokenError::Dpop(DpopError::IatInFuture {
                iat: t.secs() + 16,
                now: t.secs(),
            })),
        ),
    ];
    for (name, proof, want) in cases {
        assert_eq!(token_at(&app, &proof, t).await, want, "{name}");
    }
}

#[tokio::test]
async fn a_used_proof_is_a_replay_until_its_window_closes_and_too_old_after() {
    // docs/api.md, "Proof validation": the stateless checks (here iat, check 8) run before the
    // replay record (check
    // 11). While both could apply, iat still passes, so the answer is the replay; once iat
    // fails, it is "too old" and the record is not even consulted.
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let t = UnixTime(1_900_000_000);
    let replay = Err(TokenError::Dpop(DpopError::Replayed));
    let too_old = |iat: UnixTime, now: UnixTime| {
        Err(TokenError::Dpop(DpopError::IatTooOld {
            iat: iat.secs(),
            now: now.secs(),
        }))
    };
    // (iat of the proof, later presentations and what each must answer)
    let cases = [
        (
            "minted now",
            t,
            vec![
                (74, replay.clone()),
                (75, replay.clone()),
                (80, too_old(t, t.plus(80))),
            ],
        ),
        (
            "minted 70 s ago",
            t.plus(-70),
            vec![
                (4, replay.clone()),
                (5, replay.clone()),
                (6, too_old(t.plus(-70), t.plus(6))),
            ],
        ),
        (
            "minted 15 s ahead",
            t.plus(15),
            vec![
                (89, replay.clone()),
                (90, replay.clone()),
                (91, too_old(t.plus(15), t.plus(91))),
            ],
        ),
    ];
    for (name, iat, later) in cases {
        let proof = key.proof_with("POST", TOKEN_HTU, iat, &ProofClaims::default());
        assert_eq!(
            token_at(&app, &proof, t).await,
            Ok(()),
            "{name}: first use at now"
        );
        for (after, want) in later {
            assert_eq!(
                token_at(&app, &proof, t.plus(after)).await,
                want,
                "{name}: again {after} s later"
            );
        }
    }
    // The record itself (a real-time TTL in the store) outlasts that whole window.
    let live = app.state.live();
    let policy = live.core.dpop.policy();
    let window = policy.max_age_secs + 2 * policy.clock_skew_secs + 1;
    assert!(live.core.dpop.replay_ttl() >= Duration::from_secs(window as u64));
}

#[tokio::test]
async fn a_proof_stays_a_replay_through_the_last_second_of_its_window() {
    // The one test here that waits: the record's TTL runs on the store's own clock, which no
    // test can pin. A one-second window keeps the wait under two seconds. A proof with
    // iat = T passes while `now` (whole seconds) is T or T + 1, i.e. for up to two real
    // seconds; a record kept for only the window's length expired after one.
    let mut settings = test_settings();
    settings.dpop.proof_max_age_secs = 1;
    settings.dpop.clock_skew_secs = 0;
    settings.dpop.nonce_step_secs = 1;
    settings.dpop.nonce_lifetime_secs = 1;
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let since_second = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_millis() as u64
    };
    tokio::time::sleep(Duration::from_millis(1020 - since_second())).await;
    let t = UnixTime::now();
    let proof = key.proof_with("POST", TOKEN_HTU, t, &ProofClaims::default());
    assert_eq!(
        app.client_credentials(Some(&proof)).await["action"],
        "OK",
        "first use early in second T"
    );
    tokio::time::sleep(Duration::from_millis(1500 - since_second().min(400))).await;
    assert_eq!(
        UnixTime::now(),
        t.plus(1),
        "the replay comes in second T + 1, where iat = T still passes"
    );
    let again = app.client_credentials(Some(&proof)).await;
    assert_refused(
        "the same proof in the last second of its window",
        &again,
        &replayed(),
    );
}

#[tokio::test]
async fn a_missing_or_bad_nonce_is_use_dpop_nonce_with_a_fresh_one_never_invalid_dpop_proof() {
    let mut settings = test_settings();
    settings.dpop.nonce_required = true;
    let app = spawn_app_with(settings).await;
    let mut other = test_settings();
    other.dpop.nonce_required = true;
    let foreign = spawn_app_with(other).await;
    let key = TestKey::new(Alg::ES256);
    let live = app.state.live();
    let nonces = live.core.dpop.nonces();
    let now = UnixTime::now();
    let current = nonces.current(now);
    let mut forged = current.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let with_nonce = |nonce: Value| {
        let target = Target {
            key: &key,
            htm: "POST",
            htu: TOKEN_HTU,
            token: None,
        };
        target.sign(&target.header(), &with(target.claims(), "nonce", nonce))
    };
    let rows: Vec<(&str, String)> = vec![
        ("no nonce", key.token_proof()),
        (
            "a forged tag",
            with_nonce(String::from_utf8(forged).unwrap().into()),
        ),
        ("garbage", with_nonce("garbage".into())),
        ("an empty nonce", with_nonce("".into())),
        (
            "the current nonce with padding",
            with_nonce(format!("{current}=").into()),
        ),
        (
            "expired: issued an hour ago",
            with_nonce(nonces.current(now.plus(-3600)).into()),
        ),
        (
            "issued under another secret",
            with_nonce(foreign.state.live().core.dpop.nonces().current(now).into()),
        ),
        (
            "from two steps in the future",
            with_nonce(nonces.current(now.plus(180)).into()),
        ),
        ("a number", with_nonce(12345.into())),
        ("an object", with_nonce(json!({ "nonce": current }))),
    ];
    let want = Refusal {
        action: "BAD_REQUEST",
        error: "use_dpop_nonce",
        code: "A254307",
        detail: "a valid server nonce is required",
    };
    let mut table = Rows::default();
    for (name, proof) in &rows {
        let answer = app.client_credentials(Some(proof)).await;
        table.check(name, || {
            assert_refused(name, &answer, &want);
            let fresh = answer["dpopNonce"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: dpopNonce with the challenge"));
            assert!(
                nonces.check(fresh, UnixTime::now()).is_ok(),
                "{name}: a nonce that works"
            );
        });
    }
    table.finish();
    let good = key.proof_with(
        "POST",
        TOKEN_HTU,
        now,
        &ProofClaims {
            nonce: Some(&current),
            ..Default::default()
        },
    );
    assert_eq!(app.client_credentials(Some(&good)).await["action"], "OK");
    assert_refused(
        "a used proof with a valid nonce",
        &app.client_credentials(Some(&good)).await,
        &replayed(),
    );
}

#[tokio::test]
async fn a_resource_nonce_challenge_is_use_dpop_nonce_in_a_dpop_challenge() {
    let mut settings = test_settings();
    settings.dpop.rs_nonce_required = true;
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let token = app.client_credentials(Some(&key.token_proof())).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let stale = app
        .state
        .live()
        .core
        .dpop
        .nonces()
        .current(UnixTime::now().plus(-3600));
    let want = Challenged {
        action: "UNAUTHORIZED",
        scheme: "DPoP",
        error: "use_dpop_nonce",
        code: "A056310",
        detail: "a valid server nonce is required",
    };
    let rows = [
        ("no nonce at the resource", resource_proof(&key, &token)),
        (
            "an expired nonce at the resource",
            key.proof_with(
                "GET",
                RS_URL,
                UnixTime::now(),
                &ProofClaims {
                    access_token: Some(&token),
                    nonce: Some(&stale),
                    ..Default::default()
                },
            ),
        ),
    ];
    for (name, proof) in rows {
        let answer = introspect(&app, &introspection(&token, "DPoP", Some(&proof))).await;
        assert_challenged(name, &answer, &want);
        assert!(answer["dpopNonce"].is_string(), "{name}");
    }
}
