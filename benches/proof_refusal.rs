//! What refusing an ECDSA proof costs beside accepting it, through the validator (checks 1–10,
//! no store), for ES256 and ES384. A proof whose signature does not verify must not cost much
//! more than one that does: PAR takes proofs from anyone who knows a public `client_id`, so a
//! dearer refusal is work an attacker buys cheaply. Refused proofs are the accepted ones with
//! one signature bit flipped (a valid key, a bad signature: the full verification runs).
//! `jwk_parse` is what check 3 costs on its own, the point validation included.
//!
//! On a shared machine separately measured cases drift with the load, so the bench also
//! prints the ratio measured interleaved: rounds alternating one batch of each, best round of
//! each kept.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dpopd::clock::UnixTime;
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::dpop::htu::Htu;
use dpopd::dpop::nonce::NonceService;
use dpopd::dpop::proof::{AlgSet, DpopError, Expectation, ProofPolicy, Validator};
use dpopd::jose::{b64, Alg, JwkMembers, PublicJwk, SignatureError, SigningKey};

const HTU: &str = "https://as.example.com/token";
const NOW: UnixTime = UnixTime(1_700_000_000);

/// The proof with one bit of its signature flipped.
fn refused(proof: &str) -> String {
    let (input, sig) = proof.rsplit_once('.').expect("compact JWS");
    let mut sig = b64::decode(sig).expect("base64url");
    sig[7] ^= 0x01;
    format!("{input}.{}", b64::encode(&sig))
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
    let mut group = c.benchmark_group("proof_refusal");
    let mut ratios = Vec::new();
    for alg in [Alg::ES256, Alg::ES384] {
        let key = SigningKey::generate(alg, None).expect("key");
        let good = client::mint(&key, "POST", HTU, NOW, &ProofClaims::default()).expect("proof");
        let bad = refused(&good);
        let accept = || assert!(validator.check(&good, &expect).is_ok());
        let refuse = || {
            assert!(matches!(
                validator.check(&bad, &expect),
                Err(DpopError::BadSignature(SignatureError::Invalid))
            ))
        };
        accept();
        refuse();
        let members = key.public_jwk().to_string();
        group.bench_with_input(
            BenchmarkId::new("jwk_parse", alg.name()),
            &members,
            |b, m| {
                b.iter(|| {
                    let members: JwkMembers = serde_json::from_str(m).expect("members");
                    PublicJwk::from_members(&members).is_ok()
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("accepted", alg.name()), &good, |b, p| {
            b.iter(|| validator.check(p, &expect).is_ok())
        });
        group.bench_with_input(BenchmarkId::new("refused", alg.name()), &bad, |b, p| {
            b.iter(|| validator.check(p, &expect).is_err())
        });
        ratios.push((alg, interleaved_ratio(refuse, accept)));
    }
    group.finish();
    for (alg, ratio) in ratios {
        println!(
            "proof_refusal/ratio refused / accepted {} (interleaved, best of {ROUNDS} rounds of {BATCH}): {ratio:.3}",
            alg.name()
        );
    }
}

const ROUNDS: usize = 100;
const BATCH: u32 = 20;

/// Per-operation time of `a` over that of `b`, each the best of `ROUNDS` batches run
/// alternately, so that a loaded machine slows both alike.
fn interleaved_ratio(a: impl Fn(), b: impl Fn()) -> f64 {
    let (mut best_a, mut best_b) = (std::time::Duration::MAX, std::time::Duration::MAX);
    for _ in 0..ROUNDS {
        for (op, best) in [(&a as &dyn Fn(), &mut best_a), (&b, &mut best_b)] {
            op();
            let started = std::time::Instant::now();
            for _ in 0..BATCH {
                op();
            }
            *best = (*best).min(started.elapsed());
        }
    }
    best_a.as_secs_f64() / best_b.as_secs_f64()
}

criterion_group!(benches, bench);
criterion_main!(benches);
