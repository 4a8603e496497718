//! Token issuance — the domain call `grants::token` for client_credentials with an ES256 DPoP
//! proof: client authentication, every proof check, the replay record in the memory store, and
//! a DPoP-bound access token signed — beside the raw ring operations it is built on (one ES256
//! verify and one ES256 sign), in one process. The ratio shows how close issuance comes to its
//! floor.
//!
//! Each call needs a fresh proof (a replayed one is refused), so 20,000 proofs with unique
//! `jti`s are minted up front; when they run out, the replay store is replaced outside the
//! timed region and the proofs are used again.
use criterion::{criterion_group, criterion_main, Criterion};
use dpopd::api::fields::DpopFields;
use dpopd::clock::UnixTime;
use dpopd::config::Settings;
use dpopd::development::{add_demo_credentials, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::jose::{Alg, CompactJws, PublicJwk, SigningKey};
use dpopd::oauth::clients::ClientCredentials;
use dpopd::oauth::grants::{self, TokenCall};
use dpopd::oauth::Core;
use dpopd::store::memory::MemoryStore;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NOW: UnixTime = UnixTime(1_700_000_000);
const PROOFS: usize = 20_000;
const PARAMETERS: &str = "grant_type=client_credentials&scope=read";

fn fresh_store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new(4 * PROOFS as u64))
}

/// `iters` token calls, cycling through `proofs`; only the calls themselves are timed.
fn run(core: &mut Core, proofs: &[String], next: &mut usize, iters: u64) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
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
                    htm: Some("POST".into()),
                    ..DpopFields::default()
                };
                let call = TokenCall {
                    parameters: PARAMETERS,
                    credentials: ClientCredentials {
                        basic_id: Some(DEMO_CLIENT_ID),
                        basic_secret: Some(DEMO_CLIENT_SECRET),
                        header: None,
                    },
                    dpop: fields
                        .into_input("POST", Some(&core.token_htu))
                        .expect("fields"),
                    ..Default::default()
                };
                let outcome = grants::token(core, call, NOW).await;
                assert!(outcome.result.is_ok_and(|issued| issued.jkt.is_some()));
            }
        });
        elapsed += started.elapsed();
        *next += batch;
        left -= batch as u64;
    }
    elapsed
}

fn bench(c: &mut Criterion) {
    let mut settings = Settings::development();
    add_demo_credentials(&mut settings);
    let mut core = Core::from_settings(&settings, fresh_store()).expect("core");
    let htu = settings.service.token_endpoint.as_str().to_owned();
    let key = SigningKey::generate(Alg::ES256, None).expect("key");
    let proofs: Vec<String> = (0..PROOFS)
        .map(|_| client::mint(&key, "POST", &htu, NOW, &ProofClaims::default()).expect("proof"))
        .collect();

    // The raw operations: verify one proof's signature, sign a message the size of a token's
    // signing input, with ring alone and the keys prepared once.
    let jws = CompactJws::parse(&proofs[0]).expect("jws");
    let PublicJwk::Ec { x, y, .. } = key.public() else {
        panic!("an EC key")
    };
    let point = [&[4u8][..], x, y].concat();
    let (input, sig) = (jws.signing_input.as_bytes().to_vec(), jws.signature.clone());
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("key");
    let token_input = vec![b'a'; 420];
    let verify_sign = || {
        assert!(UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
            .verify(&input, &sig)
            .is_ok());
        std::hint::black_box(pair.sign(&rng, &token_input).expect("sign"));
    };

    let mut group = c.benchmark_group("token");
    group.bench_function("ring_verify_plus_sign_es256", |b| b.iter(verify_sign));
    let mut next = 0;
    group.bench_function("client_credentials_dpop_es256", |b| {
        b.iter_custom(|iters| run(&mut core, &proofs, &mut next, iters))
    });
    group.finish();
    let ratio = interleaved_ratio(verify_sign, |n| run(&mut core, &proofs, &mut next, n));
    println!("token/ratio ring_verify_plus_sign / client_credentials_dpop (interleaved, best of {ROUNDS} rounds of {BATCH} after {WARM_UP} untimed): {ratio:.3}");
}

const ROUNDS: usize = 200;
const BATCH: u64 = 50;
const WARM_UP: u64 = 5;

/// Per-operation time of the raw verify + sign over that of one token call, each the best of
/// `ROUNDS` batches run alternately so that both see the same machine.
fn interleaved_ratio(raw: impl Fn(), mut issue: impl FnMut(u64) -> Duration) -> f64 {
    let (mut best_raw, mut best_issue) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        for _ in 0..WARM_UP {
            raw();
        }
        let started = Instant::now();
        for _ in 0..BATCH {
            raw();
        }
        best_raw = best_raw.min(started.elapsed());
        issue(WARM_UP);
        best_issue = best_issue.min(issue(BATCH));
    }
    best_raw.as_secs_f64() / best_issue.as_secs_f64()
}

criterion_group!(benches, bench);
criterion_main!(benches);
