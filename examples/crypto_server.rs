//! The null endpoint: a token request's crypto and nothing else, behind the same HTTP stack as
//! dpopd (actix-web 4, one worker). `POST /auth/token` reads the body, verifies one ES256
//! signature and makes one ES256 signature, as a token request does, and answers with JSON of
//! the size of dpopd's answer carrying that signature; no proof is parsed, no client checked,
//! nothing stored. `GET /healthz` answers as dpopd's does.
//!
//! `scripts/bench.sh null` runs it beside dpopd with the same bodies and load: what it reaches
//! is what any server doing this crypto through this HTTP stack reaches on the machine, so
//! dpopd's requests/s over it is the share dpopd's own work (parsing, checks, the store, the
//! answer) leaves, and its own requests/s over crypto + floor says how much of that bound
//! nothing but the exchange and the crypto leave (docs/performance.md).
//!
//! ```sh
//! cargo run --release --example crypto_server -- PORT [ANSWER_BYTES]   # default 2,000 bytes
//! ```
use actix_web::{web, App, HttpResponse, HttpServer};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use std::cell::Cell;
use std::sync::Arc;

/// Distinct client keys and proofs cycled through, as in `crypto_bound`.
const PROOFS: usize = 512;

struct Crypto {
    rng: SystemRandom,
    signer: EcdsaKeyPair,
    /// (client public key, signing input, signature), each a different client's.
    proofs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    /// A signing input of an access token's size.
    token_input: Vec<u8>,
    /// The answer's filler, so that it has the size of dpopd's.
    filler: String,
}

thread_local! {
    static NEXT: Cell<usize> = const { Cell::new(0) };
}

fn key_pair(rng: &SystemRandom) -> EcdsaKeyPair {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng).expect("key");
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), rng).expect("key")
}

impl Crypto {
    fn new(answer_bytes: usize) -> Crypto {
        let rng = SystemRandom::new();
        let signer = key_pair(&rng);
        let proofs = (0..PROOFS)
            .map(|i| {
                let client = key_pair(&rng);
                let input = format!("{i:0560}").into_bytes();
                let sig = client.sign(&rng, &input).expect("sign").as_ref().to_vec();
                (client.public_key().as_ref().to_vec(), input, sig)
            })
            .collect();
        Crypto {
            rng,
            signer,
            proofs,
            token_input: format!("{:0420}", 7).into_bytes(),
            filler: "x".repeat(answer_bytes.saturating_sub(200)),
        }
    }

    /// One verify and one sign: the signature, hex-encoded.
    fn token(&self) -> Result<String, &'static str> {
        let i = NEXT.with(|n| {
            let i = n.get();
            n.set((i + 1) % PROOFS);
            i
        });
        let (public, input, sig) = &self.proofs[i];
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
            .verify(input, sig)
            .map_err(|_| "verify")?;
        let signature = self
            .signer
            .sign(&self.rng, &self.token_input)
            .map_err(|_| "sign")?;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(2 * signature.as_ref().len());
        for b in signature.as_ref() {
            hex.push(HEX[usize::from(b >> 4)] as char);
            hex.push(HEX[usize::from(b & 15)] as char);
        }
        Ok(hex)
    }
}

async fn token(crypto: web::Data<Arc<Crypto>>, body: web::Bytes) -> HttpResponse {
    if body.is_empty() {
        return HttpResponse::BadRequest().finish();
    }
    match crypto.token() {
        Ok(signature) => HttpResponse::Ok()
            .content_type("application/json")
            .body(format!(
                r#"{{"action":"OK","resultCode":"A000000","signature":"{signature}","responseContent":"{}"}}"#,
                crypto.filler
            )),
        Err(what) => HttpResponse::InternalServerError().body(what),
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .and_then(|p| p.parse().ok())
        .expect("usage: crypto_server PORT [ANSWER_BYTES]");
    let answer_bytes = args.next().and_then(|b| b.parse().ok()).unwrap_or(2_000);
    let crypto = Arc::new(Crypto::new(answer_bytes));
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(crypto.clone()))
            .app_data(web::PayloadConfig::new(64 * 1024))
            .route("/auth/token", web::post().to(token))
            .route("/healthz", web::get().to(healthz))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
