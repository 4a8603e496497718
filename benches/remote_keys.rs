//! What verifying a token with a cached key of a remote JWK Set costs, beside dpopd's
//! verification of its own access tokens and the raw ring signature check, in one process,
//! for ES256 and RS256. The token is one of dpopd's own access tokens and the remote source
//! is dpopd's own JWKS, served once by a local HTTP server and then cached, so every case
//! does the same cryptography on the same bytes:
//!
//! - `ring_verify`: the signature alone (the floor);
//! - `own_keyset_verify`: `KeySet::verify`, the signature step of an own access token;
//! - `remote_source_verify`: `SourceKeys::verify` with a known `kid` (no network);
//! - `own_access_verify`: `oauth::access::verify_signed` with its verified-token cache off —
//!   signature, `typ`, claims, `iss` and the time claims;
//! - `remote_verify_and_claims`: `SourceKeys::verify` plus the RFC 9068 §4 claim checks of
//!   `jose::claims` (`typ`, `iss`, `aud`, `exp`, `nbf`, `iat`).
//!
//! On a shared machine separately measured cases drift with the load, so the bench also prints
//! each case's time measured interleaved (rounds of one batch of every case, best round kept)
//! and its ratio to `own_keyset_verify` and to `own_access_verify`.
use criterion::{criterion_group, criterion_main, Criterion};
use dpopd::clock::UnixTime;
use dpopd::config::{Settings, SigningKeySettings};
use dpopd::jose::claims::{self, RegisteredClaims};
use dpopd::jose::{Alg, CompactJws, PublicJwk};
use dpopd::oauth::tokens::{self, AccessGrant};
use dpopd::oauth::{access, Core};
use dpopd::remote_keys::{JwksFetcher, JwksSettings, JwksUri, KeySource, SourceKeys};
use dpopd::store::memory::MemoryStore;
use ring::signature::{self, UnparsedPublicKey};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NOW: UnixTime = UnixTime(1_700_000_000);

/// A core whose only signing key has `alg`, with the verified-token cache off.
fn core(alg: Alg) -> Core {
    let mut settings = Settings::development();
    settings.tokens.verified_cache_entries = 0;
    if alg == Alg::RS256 {
        settings.keys.signing = vec![SigningKeySettings {
            pem_file: Some("tests/keys/rsa2048.pem".into()),
            alg: Some(dpopd::jose::Alg::RS256),
            kid: Some("rsa".into()),
            ..SigningKeySettings::default()
        }];
    }
    Core::from_settings(&settings, Arc::new(MemoryStore::new(1_000))).expect("core")
}

fn access_token(core: &Core) -> String {
    let scopes = ["read".to_owned()];
    let grant = AccessGrant {
        subject: "alice",
        client_id: "client",
        scopes: &scopes,
        audience: &core.default_audience,
        jkt: None,
        lifetime_secs: 3600,
        properties: &[],
        extra: &Default::default(),
        grant_id: None,
    };
    tokens::mint(&core.keys, &core.sealer, &core.issuer, grant, NOW)
        .expect("token")
        .token
}

/// Serves `body` as a JWKS on 127.0.0.1 to every request, with `Connection: close`.
async fn serve_jwks(body: String) -> JwksUri {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let uri = format!("http://{}/jwks", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head).await;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    JwksUri::parse(&uri).expect("uri")
}

fn ring_verifier(core: &Core, token: &str) -> impl Fn() -> bool {
    let jws = CompactJws::parse(token).expect("jws");
    let (input, sig) = (jws.signing_input.as_bytes().to_vec(), jws.signature.clone());
    let public = core.keys.active().public().clone();
    move || match &public {
        PublicJwk::Ec { x, y, .. } => {
            let point = [&[4u8][..], x, y].concat();
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
                .verify(&input, &sig)
                .is_ok()
        }
        PublicJwk::Rsa { n, e } => signature::RsaPublicKeyComponents { n, e }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, &input, &sig)
            .is_ok(),
        PublicJwk::Ed25519 { .. } => false,
    }
}

/// The RFC 9068 §4 checks a resource server makes of another issuer's access token.
async fn remote_with_claims(source: &SourceKeys, token: &str, issuer: &str, aud: &str) -> bool {
    let Ok(jws) = source.verify(token, &Alg::ALL, NOW).await else {
        return false;
    };
    let Ok(c) = jws.claims::<RegisteredClaims>() else {
        return false;
    };
    claims::check_typ(jws.typ.as_deref(), "at+jwt").is_ok()
        && claims::check_iss(c.iss.as_deref(), issuer).is_ok()
        && claims::check_aud(c.aud.as_ref(), &[aud]).is_ok()
        && claims::check_exp(c.exp, NOW, 15, None).is_ok()
        && claims::check_nbf(c.nbf, NOW, 15).is_ok()
        && claims::check_iat(c.iat, NOW, 15).is_ok()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let fetcher = JwksFetcher::new(&JwksSettings::default()).expect("fetcher");
    for alg in [Alg::ES256, Alg::RS256] {
        let core = core(alg);
        let token = access_token(&core);
        let aud = core.default_audience[0].clone();
        let source = rt.block_on(async {
            let uri = serve_jwks(core.keys.jwks().to_string()).await;
            let source = fetcher.source("bench", KeySource::Remote { uri });
            assert_eq!(source.refresh(NOW).await, Ok(1));
            source
        });
        let ring_verify = ring_verifier(&core, &token);
        assert!(ring_verify());
        assert!(core.keys.verify(&token).is_ok());
        assert!(rt
            .block_on(access::verify_signed(&core, &token, NOW))
            .is_ok());
        assert!(rt.block_on(remote_with_claims(&source, &token, &core.issuer, &aud)));

        let mut group = c.benchmark_group(format!("remote_keys/{alg}"));
        group.bench_function("ring_verify", |b| b.iter(&ring_verify));
        group.bench_function("own_keyset_verify", |b| {
            b.iter(|| core.keys.verify(&token).is_ok())
        });
        group.bench_function("remote_source_verify", |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let started = Instant::now();
                    for _ in 0..iters {
                        assert!(source.verify(&token, &Alg::ALL, NOW).await.is_ok());
                    }
                    started.elapsed()
                })
            })
        });
        group.bench_function("own_access_verify", |b| {
            b.iter(|| {
                rt.block_on(access::verify_signed(&core, &token, NOW))
                    .is_ok()
            })
        });
        group.bench_function("remote_verify_and_claims", |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let started = Instant::now();
                    for _ in 0..iters {
                        assert!(remote_with_claims(&source, &token, &core.issuer, &aud).await);
                    }
                    started.elapsed()
                })
            })
        });
        group.finish();

        let cases: Vec<(&str, Batch)> = vec![
            ("ring_verify", timed(&ring_verify)),
            (
                "own_keyset_verify",
                timed(|| core.keys.verify(&token).is_ok()),
            ),
            (
                "remote_source_verify",
                Box::new(|n| {
                    rt.block_on(async {
                        let started = Instant::now();
                        for _ in 0..n {
                            assert!(source.verify(&token, &Alg::ALL, NOW).await.is_ok());
                        }
                        started.elapsed()
                    })
                }),
            ),
            (
                "own_access_verify",
                timed(|| {
                    rt.block_on(access::verify_signed(&core, &token, NOW))
                        .is_ok()
                }),
            ),
            (
                "remote_verify_and_claims",
                Box::new(|n| {
                    rt.block_on(async {
                        let started = Instant::now();
                        for _ in 0..n {
                            let ok = remote_with_claims(&source, &token, &core.issuer, &aud).await;
                            assert!(ok);
                        }
                        started.elapsed()
                    })
                }),
            ),
        ];
        print_interleaved(alg, cases);
    }
}

/// Runs a case `n` times and returns the time taken.
type Batch<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

/// `f` run `n` times, timed; it must succeed every time.
fn timed<'a>(mut f: impl FnMut() -> bool + 'a) -> Batch<'a> {
    Box::new(move |n| {
        let started = Instant::now();
        for _ in 0..n {
            assert!(f());
        }
        started.elapsed()
    })
}

const ROUNDS: usize = 100;
const BATCH: u64 = 20;
const WARM_UP: u64 = 3;

/// Per-operation time of each case, the best of `ROUNDS` batches run in turn so that every case
/// sees the same machine, and its ratio to the own-token cases.
fn print_interleaved(alg: Alg, mut cases: Vec<(&str, Batch)>) {
    let mut best = vec![Duration::MAX; cases.len()];
    for _ in 0..ROUNDS {
        for (i, (_, run)) in cases.iter_mut().enumerate() {
            run(WARM_UP);
            best[i] = best[i].min(run(BATCH));
        }
    }
    let per_op: Vec<f64> = best
        .iter()
        .map(|d| d.as_secs_f64() * 1e6 / BATCH as f64)
        .collect();
    for ((name, _), micros) in cases.iter().zip(&per_op) {
        println!(
            "remote_keys/{alg}/{name} (interleaved, best of {ROUNDS} rounds of {BATCH}): {micros:.2} µs, {:.3} × own_keyset_verify, {:.3} × own_access_verify",
            micros / per_op[1],
            micros / per_op[3]
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
