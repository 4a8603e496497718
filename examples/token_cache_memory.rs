//! Resident memory of introspection's verified-token cache per entry: mints N DPoP-bound access
//! tokens as dpopd issues them (default 100,000, the default `tokens.verified_cache_entries`),
//! then verifies each once through `access::verify_signed`, which caches it, and reads `VmRSS`
//! from `/proc/self/status` before and after. The tokens themselves are minted before the
//! first reading, so only the cache's share is counted.
//!
//! ```sh
//! cargo run --release --example token_cache_memory -- [N]
//! ```
use dpopd::clock::UnixTime;
use dpopd::config::Settings;
use dpopd::jose::{Alg, SigningKey};
use dpopd::oauth::access;
use dpopd::oauth::tokens::{self, AccessGrant};
use dpopd::oauth::Core;
use dpopd::store::memory::MemoryStore;
use std::sync::Arc;
use std::time::Instant;

#[path = "support/rss.rs"]
mod rss;

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut settings = Settings::development();
    settings.tokens.verified_cache_entries = count;
    let core = Core::from_settings(&settings, Arc::new(MemoryStore::new(1_000))).expect("core");
    let now = UnixTime::now();
    let key = SigningKey::generate(Alg::ES256, None).expect("key");
    let jkt = key.public().thumbprint();
    let scopes = ["read".to_owned()];
    let minted: Vec<String> = (0..count)
        .map(|i| {
            let subject = format!("client-{}", i % 1000);
            let grant = AccessGrant {
                subject: &subject,
                client_id: &subject,
                scopes: &scopes,
                audience: &core.default_audience,
                jkt: Some(&jkt),
                lifetime_secs: 3600,
                properties: &[],
                extra: &Default::default(),
                grant_id: None,
            };
            tokens::mint(&core.keys, &core.sealer, &core.issuer, grant, now)
                .expect("token")
                .token
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let before = rss::own_kib();
    let started = Instant::now();
    runtime.block_on(async {
        for token in &minted {
            access::verify_signed(&core, token, now)
                .await
                .expect("a token dpopd minted verifies");
        }
    });
    let filled = started.elapsed();
    let after = rss::own_kib();
    let per_entry = (after.saturating_sub(before) * 1024) as f64 / count as f64;
    println!(
        "entries={count} token_bytes={} rss_before_kib={before} rss_after_kib={after} bytes_per_entry={per_entry:.0} fill_secs={:.2}",
        minted[0].len(),
        filled.as_secs_f64()
    );
}
