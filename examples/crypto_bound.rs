//! The single-core crypto bound of the two hot endpoints, measured with ring alone on one
//! thread: ES256 verify + sign per second (a token request: one proof verified, one access
//! token signed) and ES256 verify per second (an introspection of a cached token: one proof
//! verified). `scripts/bench.sh` runs it pinned to the core dpopd runs on, before and after
//! each load run, and divides the measured requests/s by it.
//!
//! ```sh
//! cargo run --release --example crypto_bound -- [SECONDS]   # default 3 s per measurement
//! ```
//! Prints one line: `verify_sign_per_s=N verify_per_s=N sign_per_s=N verify_sign_cpu_ns=N
//! verify_cpu_ns=N`. The last two are on-CPU nanoseconds per operation, read from the thread's
//! `/proc/thread-self/schedstat` (Linux; 0 elsewhere): unlike the rates they leave out the time
//! a shared machine's hypervisor gives the core to someone else (steal), so they stay
//! comparable with dpopd's own on-CPU time per request measured the same way.
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Distinct client keys and proofs cycled through.
const PROOFS: usize = 512;

/// This thread's on-CPU time in nanoseconds (the first field of its schedstat), if known.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Runs `op` for `secs` seconds, in batches so the clock is read rarely: operations per
/// second of wall time, and on-CPU nanoseconds per operation (0 if unknown).
fn rate(secs: f64, mut op: impl FnMut()) -> (f64, f64) {
    let budget = Duration::from_secs_f64(secs);
    let cpu_before = thread_cpu_ns();
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < budget {
        for _ in 0..64 {
            op();
        }
        done += 64;
    }
    let per_s = done as f64 / started.elapsed().as_secs_f64();
    let cpu_ns = match (cpu_before, thread_cpu_ns()) {
        (Some(before), Some(after)) => after.saturating_sub(before) as f64 / done as f64,
        _ => 0.0,
    };
    (per_s, cpu_ns)
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("key");
    // As in real traffic, every proof is a different message and signature, from one of many
    // client keys: verifying one signature again and again would let the branch predictor
    // learn ring's data-dependent paths and overstate the bound. Messages have the size of a
    // proof's and an access token's signing input.
    let proofs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = (0..PROOFS)
        .map(|i| {
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
            let client =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .expect("key");
            let input: Vec<u8> = format!("{i:0560}").into_bytes();
            let sig = client.sign(&rng, &input).expect("sign").as_ref().to_vec();
            (client.public_key().as_ref().to_vec(), input, sig)
        })
        .collect();
    let tokens: Vec<Vec<u8>> = (0..PROOFS)
        .map(|i| format!("{i:0420}").into_bytes())
        .collect();
    let next = std::cell::Cell::new(0usize);
    let verify = || {
        let i = next.get();
        next.set((i + 1) % PROOFS);
        let (public, input, sig) = &proofs[i];
        let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public);
        assert!(key.verify(black_box(input), black_box(sig)).is_ok());
    };
    let sign = || {
        black_box(
            pair.sign(&rng, black_box(&tokens[next.get()]))
                .expect("sign"),
        );
    };
    // Warm caches and frequency first.
    rate(0.3, || {
        verify();
        sign();
    });
    let (verify_sign, verify_sign_cpu) = rate(secs, || {
        verify();
        sign();
    });
    let (verify_only, verify_cpu) = rate(secs, verify);
    let (sign_only, _) = rate(secs / 2.0, sign);
    println!(
        "verify_sign_per_s={verify_sign:.0} verify_per_s={verify_only:.0} sign_per_s={sign_only:.0} \
         verify_sign_cpu_ns={verify_sign_cpu:.0} verify_cpu_ns={verify_cpu:.0}"
    );
}
