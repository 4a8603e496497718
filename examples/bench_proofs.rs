//! Request bodies for the load benchmark (`scripts/bench.sh`), one JSON object per line, each
//! carrying a DPoP proof that is used once: a unique `jti`, `iat` = now at generation, ES256.
//!
//! ```sh
//! # N bodies for POST /auth/token (client_credentials + DPoP):
//! cargo run --release --example bench_proofs -- token N [--htu URL] [--client ID:SECRET] \
//!     > token.jsonl
//! # One DPoP-bound token from a running dpopd, then N bodies for POST /auth/introspection:
//! cargo run --release --example bench_proofs -- introspection N --server http://127.0.0.1:PORT \
//!     [--caller KEY:SECRET] [--client ID:SECRET] [--htu URL] [--resource URL] \
//!     > introspection.jsonl
//! # The same, as `TOKEN<TAB>PROOF` lines for the gateway endpoint (scripts/bench_gateway.lua):
//! cargo run --release --example bench_proofs -- gateway N --server http://127.0.0.1:PORT ...
//! # N bare proofs for `POST htu`, one per line, for an authorization server's own token
//! # endpoint, which takes the proof in the DPoP header (scripts/bench.sh peer):
//! cargo run --release --example bench_proofs -- proof N --htu URL > proofs.txt
//! ```
//!
//! Proofs are minted on every core (the work is split in contiguous slices), with 16 keys in
//! turn, as if 16 clients were calling. Bodies are written in order and never repeat.
use dpopd::clock::UnixTime;
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::jose::{Alg, SigningKey};
use serde_json::json;
use std::io::Write;

const KEYS: usize = 16;

struct Args {
    mode: String,
    count: usize,
    htu: String,
    resource: String,
    server: Option<String>,
    caller: (String, String),
    client: (String, String),
}

fn split_pair(text: &str) -> (String, String) {
    let (a, b) = text
        .split_once(':')
        .unwrap_or_else(|| fail(&format!("expected KEY:SECRET, got {text:?}")));
    (a.to_owned(), b.to_owned())
}

fn fail(message: &str) -> ! {
    eprintln!("bench_proofs: {message}");
    std::process::exit(2)
}

fn args() -> Args {
    let mut it = std::env::args().skip(1);
    let mode = it.next().unwrap_or_else(|| {
        fail("usage: bench_proofs token|proof|introspection|gateway N [options]")
    });
    let count = it
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| fail("N must be a number"));
    let mut args = Args {
        mode,
        count,
        htu: "http://127.0.0.1:8080/token".into(),
        resource: "https://rs.example.com/resource".into(),
        server: None,
        caller: ("bench-caller".into(), "bench-caller-secret".into()),
        client: ("bench-client".into(), "bench-client-secret".into()),
    };
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .unwrap_or_else(|| fail(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--htu" => args.htu = value,
            "--resource" => args.resource = value,
            "--server" => args.server = Some(value),
            "--caller" => args.caller = split_pair(&value),
            "--client" => args.client = split_pair(&value),
            _ => fail(&format!("unknown option {flag}")),
        }
    }
    args
}

/// `count` lines made by `line(i, key)`, minted on every core, written to stdout in order.
fn write_lines(
    count: usize,
    keys: &[SigningKey],
    line: impl Fn(usize, &SigningKey) -> String + Sync,
) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(1);
    let chunk = count.div_ceil(threads).max(1);
    let parts: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|start| {
                let line = &line;
                s.spawn(move || {
                    (start..(start + chunk).min(count))
                        .map(|i| line(i, &keys[i % keys.len()]))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("minting thread"))
            .collect()
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for text in parts.iter().flatten() {
        out.write_all(text.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .unwrap_or_else(|e| fail(&e.to_string()));
    }
    out.flush().unwrap_or_else(|e| fail(&e.to_string()));
}

/// A `jti` no other body of this run shares, and no other run either (random prefix).
fn jti(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i}")
}

fn main() {
    let args = args();
    let keys: Vec<SigningKey> = (0..KEYS)
        .map(|_| SigningKey::generate(Alg::ES256, None).expect("key"))
        .collect();
    let prefix = dpopd::jose::secrets::random_id();
    let now = UnixTime::now();
    match args.mode.as_str() {
        "token" | "proof" => write_lines(args.count, &keys, |i, key| {
            let jti = jti(&prefix, i);
            let claims = ProofClaims {
                jti: Some(&jti),
                ..Default::default()
            };
            let proof = client::mint(key, "POST", &args.htu, now, &claims).expect("proof");
            if args.mode == "proof" {
                return proof;
            }
            token_body(&args, &proof).to_string()
        }),
        "introspection" | "gateway" => {
            let token = fetch_token(&args, &keys[0]);
            let gateway = args.mode == "gateway";
            write_lines(args.count, &keys[..1], |i, key| {
                let jti = jti(&prefix, i);
                let claims = ProofClaims {
                    jti: Some(&jti),
                    access_token: Some(&token),
                    ..Default::default()
                };
                let proof = client::mint(key, "GET", &args.resource, now, &claims).expect("proof");
                if gateway {
                    return format!("{token}\t{proof}");
                }
                json!({
                    "token": token,
                    "scopes": ["read"],
                    "dpop": proof,
                    "htm": "GET",
                    "htu": args.resource,
                    "tokenScheme": "DPoP",
                })
                .to_string()
            })
        }
        other => fail(&format!(
            "unknown mode {other:?}: token, proof, introspection or gateway"
        )),
    }
}

fn token_body(args: &Args, proof: &str) -> serde_json::Value {
    json!({
        "parameters": "grant_type=client_credentials&scope=read",
        "clientId": args.client.0,
        "clientSecret": args.client.1,
        "dpop": proof,
        "htm": "POST",
        "htu": args.htu,
    })
}

/// One DPoP-bound access token from the server under test, bound to `key`.
fn fetch_token(args: &Args, key: &SigningKey) -> String {
    let server = args
        .server
        .as_deref()
        .unwrap_or_else(|| fail("introspection and gateway need --server URL"));
    let proof = client::mint(
        key,
        "POST",
        &args.htu,
        UnixTime::now(),
        &ProofClaims::default(),
    )
    .expect("proof");
    let body = token_body(args, &proof);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let answer: serde_json::Value = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{server}/auth/token"))
            .basic_auth(&args.caller.0, Some(&args.caller.1))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| fail(&format!("token request: {e}")))
            .json()
            .await
            .unwrap_or_else(|e| fail(&format!("token answer: {e}")))
    });
    match (
        answer["action"].as_str(),
        answer["accessToken"].as_str(),
        answer["tokenType"].as_str(),
    ) {
        (Some("OK"), Some(token), Some("DPoP")) => token.to_owned(),
        _ => fail(&format!("no DPoP-bound token: {answer}")),
    }
}
