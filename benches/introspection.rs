//! Introspection of a DPoP-bound access token whose signature is already cached (the domain
//! call, memory store, every check including the replay record) beside the raw ring
//! verification of one ES256 proof, in one process: the ratio shows how close an introspection
//! comes to its floor of one signature verification. A third case disables the verified-token
//! cache (two signature verifications per call) to show what the cache saves. A fourth
//! introspects a trusted issuer's token (docs/configuration.md, "[[issuers]]") from the same
//! cache, and the bench prints its cost over that of dpopd's own token, measured interleaved.
//!
//! Each call needs a fresh proof (a replayed one is refused), so 20,000 proofs with unique
//! `jti`s are minted up front; when they run out, the replay store is replaced outside the
//! timed region and the proofs are used again.
//!
//! On a shared machine the separately measured cases drift with the load, so the bench also
//! prints the ratio measured interleaved: rounds alternating one batch of each, best round of
//! each kept.
use criterion::{criterion_group, criterion_main, Criterion};
use dpopd::api::fields::DpopFields;
use dpopd::clock::UnixTime;
use dpopd::config::{IssuerSettings, ScopeClaim, Settings};
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::jose::{Alg, CompactJws, PublicJwk, SigningKey};
use dpopd::oauth::introspection::{self, IntrospectionCall};
use dpopd::oauth::tokens::{self, AccessGrant, TokenType};
use dpopd::oauth::Core;
use dpopd::store::memory::MemoryStore;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RS: &str = "https://rs.example.com/resource";
const NOW: UnixTime = UnixTime(1_700_000_000);
const PROOFS: usize = 20_000;

const TRUSTED: &str = "https://login.example.org";

/// A core trusting [`TRUSTED`], whose inline key is `issuer_key`.
fn core(verified_cache_entries: u64, issuer_key: &SigningKey) -> Core {
    let mut settings = Settings::development();
    settings.tokens.verified_cache_entries = verified_cache_entries;
    settings.issuers = vec![IssuerSettings {
        issuer: TRUSTED.into(),
        jwks_uri: None,
        jwks: Some(serde_json::json!({ "keys": [issuer_key.public_jwk()] }).to_string()),
        audience: vec![RS.into()],
        algs: vec![Alg::ES256],
        require_typ: true,
        scope_claim: ScopeClaim::Scope,
    }];
    Core::from_settings(&settings, fresh_store()).expect("core")
}

/// An RFC 9068 token of [`TRUSTED`] bound to `key`, with the claims of [`bound_token`].
fn trusted_token(issuer_key: &SigningKey, key: &SigningKey) -> String {
    let claims = serde_json::json!({
        "iss": TRUSTED, "sub": "alice", "aud": RS, "client_id": "client", "scope": "read",
        "iat": NOW.secs(), "exp": NOW.secs() + 3600, "jti": "trusted-1",
        "cnf": { "jkt": key.public().thumbprint().as_str() },
    });
    issuer_key
        .sign_compact("at+jwt", claims.to_string().as_bytes())
        .expect("token")
}

fn fresh_store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new(4 * PROOFS as u64))
}

fn bound_token(core: &Core, key: &SigningKey) -> String {
    let jkt = key.public().thumbprint();
    let scopes = ["read".to_owned()];
    let grant = AccessGrant {
        subject: "alice",
        client_id: "client",
        scopes: &scopes,
        audience: &core.default_audience,
        jkt: Some(&jkt),
        lifetime_secs: 3600,
        properties: &[],
        extra: &Default::default(),
        grant_id: None,
    };
    tokens::mint(&core.keys, &core.sealer, &core.issuer, grant, NOW)
        .expect("token")
        .token
}

/// `iters` introspections, cycling through `proofs`; only the calls themselves are timed.
fn run(core: &mut Core, token: &str, proofs: &[String], next: &mut usize, iters: u64) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let scopes = ["read".to_owned()];
    let mut elapsed = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        if *next == proofs.len() {
            core.store = fresh_store();
            *next = 0;
        }
        let batch = left.min((proofs.len() - *next) as u64) as usize;
        let started = Instant::now();
        rt.block_on(async {
            for proof in &proofs[*next..*next + batch] {
                // The API edge's part of the call: the DPoP fields into their typed input.
                let fields = DpopFields {
                    dpop: Some(proof.clone()),
                    htu: Some(RS.into()),
                    ..DpopFields::default()
                };
                let call = IntrospectionCall {
                    token: Some(token),
                    scopes: &scopes,
                    dpop: fields.into_input("GET", None).expect("fields"),
                    scheme: Some(TokenType::DPoP),
                    ..Default::default()
                };
                let outcome = introspection::introspect(core, &call, NOW).await;
                assert!(outcome.result.is_ok());
            }
        });
        elapsed += started.elapsed();
        *next += batch;
        left -= batch as u64;
    }
    elapsed
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::generate(Alg::ES256, None).expect("key");
    let issuer_key = SigningKey::generate(Alg::ES256, Some("t1".into())).expect("key");
    let mut cached = core(100_000, &issuer_key);
    let mut uncached = core(0, &issuer_key);
    let token = bound_token(&cached, &key);
    let trusted = trusted_token(&issuer_key, &key);
    let other_token = bound_token(&uncached, &key);
    let mint = |token: &str| -> Vec<String> {
        let claims = ProofClaims {
            access_token: Some(token),
            ..Default::default()
        };
        (0..PROOFS)
            .map(|_| client::mint(&key, "GET", RS, NOW, &claims).expect("proof"))
            .collect()
    };
    let (proofs, other_proofs) = (mint(&token), mint(&other_token));
    let trusted_proofs = mint(&trusted);

    let jws = CompactJws::parse(&proofs[0]).expect("jws");
    let PublicJwk::Ec { x, y, .. } = key.public() else {
        panic!("an EC key")
    };
    let point = [&[4u8][..], x, y].concat();
    let (input, sig) = (jws.signing_input.as_bytes().to_vec(), jws.signature.clone());
    assert!(UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(&input, &sig)
        .is_ok());

    let mut group = c.benchmark_group("introspection");
    group.bench_function("ring_verify_one_es256_proof", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                .verify(&input, &sig)
                .is_ok()
        })
    });
    let (mut next_cached, mut next_uncached, mut next_trusted) = (0, 0, 0);
    group.bench_function("cached_token_es256", |b| {
        b.iter_custom(|iters| run(&mut cached, &token, &proofs, &mut next_cached, iters))
    });
    group.bench_function("cached_trusted_issuer_token_es256", |b| {
        b.iter_custom(|iters| {
            run(
                &mut cached,
                &trusted,
                &trusted_proofs,
                &mut next_trusted,
                iters,
            )
        })
    });
    group.bench_function("uncached_token_es256", |b| {
        b.iter_custom(|iters| {
            run(
                &mut uncached,
                &other_token,
                &other_proofs,
                &mut next_uncached,
                iters,
            )
        })
    });
    group.finish();
    let verify = || {
        assert!(UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
            .verify(&input, &sig)
            .is_ok())
    };
    let ratio = interleaved_ratio(verify, |n| {
        run(&mut cached, &token, &proofs, &mut next_cached, n)
    });
    println!("introspection/ratio ring_verify / cached_token (interleaved, best of {ROUNDS} rounds of {BATCH} after {WARM_UP} untimed): {ratio:.3}");
    let (mut best_own, mut best_trusted) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        run(&mut cached, &token, &proofs, &mut next_cached, WARM_UP);
        best_own = best_own.min(run(&mut cached, &token, &proofs, &mut next_cached, BATCH));
        run(
            &mut cached,
            &trusted,
            &trusted_proofs,
            &mut next_trusted,
            WARM_UP,
        );
        best_trusted = best_trusted.min(run(
            &mut cached,
            &trusted,
            &trusted_proofs,
            &mut next_trusted,
            BATCH,
        ));
    }
    let ratio = best_trusted.as_secs_f64() / best_own.as_secs_f64();
    println!("introspection/ratio cached_trusted_issuer_token / cached_token (interleaved, best of {ROUNDS} rounds of {BATCH} after {WARM_UP} untimed): {ratio:.3}");
}

const ROUNDS: usize = 200;
const BATCH: u64 = 50;
const WARM_UP: u64 = 5;

/// Per-operation time of one raw verify over that of one cached introspection, each the best
/// of `ROUNDS` batches run alternately so that both see the same machine. Each batch follows a
/// few untimed operations of its own kind, so neither pays for the caches the other evicted.
fn interleaved_ratio(verify: impl Fn(), mut introspect: impl FnMut(u64) -> Duration) -> f64 {
    let (mut best_verify, mut best_introspect) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        for _ in 0..WARM_UP {
            verify();
        }
        let started = Instant::now();
        for _ in 0..BATCH {
            verify();
        }
        best_verify = best_verify.min(started.elapsed());
        introspect(WARM_UP);
        best_introspect = best_introspect.min(introspect(BATCH));
    }
    best_verify.as_secs_f64() / best_introspect.as_secs_f64()
}

criterion_group!(benches, bench);
criterion_main!(benches);
