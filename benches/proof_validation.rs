//! DPoP proof validation (checks 1–10, no store) beside the raw ring verification of the same
//! signature, per algorithm, in one process: the ratio is the validator's overhead.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dpopd::clock::UnixTime;
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::dpop::htu::Htu;
use dpopd::dpop::nonce::NonceService;
use dpopd::dpop::proof::{AlgSet, Expectation, ProofPolicy, Validator};
use dpopd::jose::jwk::PublicJwk;
use dpopd::jose::{Alg, CompactJws, SigningKey};
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};

const HTU: &str = "https://as.example.com/token";
const NOW: UnixTime = UnixTime(1_700_000_000);

fn key(alg: Alg) -> SigningKey {
    match alg {
        Alg::RS256 => {
            SigningKey::from_pem(include_str!("../tests/keys/rsa2048.pem"), Some(alg), None)
                .expect("rsa")
        }
        _ => SigningKey::generate(alg, None).expect("key"),
    }
}

/// ring alone, with the key bytes prepared once: the floor the validator is measured against.
enum RawKey {
    P256(Vec<u8>),
    Ed25519(Vec<u8>),
    Rsa(Vec<u8>, Vec<u8>),
}

impl RawKey {
    fn of(public: &PublicJwk) -> RawKey {
        match public {
            PublicJwk::Ec { x, y, .. } => RawKey::P256([&[4u8][..], x, y].concat()),
            PublicJwk::Ed25519 { x } => RawKey::Ed25519(x.to_vec()),
            PublicJwk::Rsa { n, e } => RawKey::Rsa(n.clone(), e.clone()),
        }
    }

    fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match self {
            RawKey::P256(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            RawKey::Ed25519(x) => UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(message, sig)
                .is_ok(),
            RawKey::Rsa(n, e) => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
        }
    }
}

fn bench(c: &mut Criterion) {
    let policy = ProofPolicy {
        algs: AlgSet::of(Alg::ALL),
        max_proof_bytes: 8192,
        rsa_min_bits: 2048,
        rsa_max_bits: 4096,
        max_age_secs: 60,
        clock_skew_secs: 15,
    };
    let validator = Validator::new(policy, NonceService::new(&[7; 32], 60, 120));
    let htu = Htu::parse(HTU).expect("htu");
    let mut group = c.benchmark_group("proof");
    let mut ratios = Vec::new();
    for alg in [Alg::ES256, Alg::RS256, Alg::EdDSA] {
        let k = key(alg);
        let proof = client::mint(&k, "POST", HTU, NOW, &ProofClaims::default()).expect("proof");
        let expect = Expectation {
            header_count: 1,
            htm: "POST",
            htu: &htu,
            access_token: None,
            bound_jkt: None,
            nonce_required: false,
            algs: AlgSet::of(Alg::ALL),
            now: NOW,
        };
        assert!(validator.check(&proof, &expect).is_ok());
        let jws = CompactJws::parse(&proof).expect("jws");
        let (input, sig) = (jws.signing_input.as_bytes().to_vec(), jws.signature.clone());
        let raw = RawKey::of(k.public());
        assert!(raw.verify(&input, &sig));
        group.bench_with_input(BenchmarkId::new("validator", alg.name()), &proof, |b, p| {
            b.iter(|| validator.check(p, &expect).is_ok())
        });
        group.bench_with_input(
            BenchmarkId::new("ring_verify", alg.name()),
            &(input.clone(), sig.clone()),
            |b, (m, s)| b.iter(|| raw.verify(m, s)),
        );
        ratios.push((
            alg,
            interleaved_ratio(
                || assert!(validator.check(&proof, &expect).is_ok()),
                || assert!(raw.verify(&input, &sig)),
            ),
        ));
    }
    group.finish();
    for (alg, ratio) in ratios {
        println!("proof/ratio validator / ring_verify {} (interleaved, best of {ROUNDS} rounds of {BATCH}): {ratio:.3}", alg.name());
    }
}

const ROUNDS: usize = 200;
const BATCH: u32 = 50;

/// Per-operation time of the validator over that of the raw verify, each the best of `ROUNDS`
/// batches run alternately, so that a loaded machine slows both alike.
fn interleaved_ratio(validate: impl Fn(), verify: impl Fn()) -> f64 {
    let (mut best_validate, mut best_verify) = (std::time::Duration::MAX, std::time::Duration::MAX);
    for _ in 0..ROUNDS {
        for (op, best) in [
            (&validate as &dyn Fn(), &mut best_validate),
            (&verify, &mut best_verify),
        ] {
            op();
            let started = std::time::Instant::now();
            for _ in 0..BATCH {
                op();
            }
            *best = (*best).min(started.elapsed());
        }
    }
    best_validate.as_secs_f64() / best_verify.as_secs_f64()
}

criterion_group!(benches, bench);
criterion_main!(benches);
