//! dpopd: the OAuth 2.0 and DPoP (RFC 9449) work for authorization and resource servers
//! written in any language, behind a JSON API modelled on Authlete's.
//!
//! Module map:
//! - [`config`]: typed settings (embedded defaults → TOML → environment), checked at start
//!   and on each reload.
//! - [`clock`]: `UnixTime`; every time rule takes `now` as a parameter.
//! - [`jose`]: compact JWS, JWK, RFC 7638 thumbprints and the service's signing keys, on ring.
//! - [`dpop`]: the RFC 9449 §4.3 proof validator, `htu` normalisation and stateless nonces.
//! - [`store`]: the "seen once" store (DPoP `jti`s, used codes, revoked ids): in-process or Redis.
//! - [`oauth`]: clients, grants, access and refresh tokens — no HTTP in it.
//! - [`remote_keys`]: other signers' JWK Sets, inline or fetched from a `jwks_uri`, cached
//!   and refreshed, to verify their JWSs (client assertions, other issuers' access tokens).
//! - [`json`]: the JSON object writer of the token endpoint's answers (escapes as serde_json).
//! - [`api`]: one file per endpoint; the single place where domain errors become wire answers.
//! - [`development`]: the demo credentials and banner of development mode.
//! - [`keygen`]: `dpopd keygen`, new signing keys and secrets for configuration.
//! - [`tools`]: `dpopd proof` and `dpopd explain`, DPoP from the command line.
//! - [`keys`]: the service's signing and sealing keys and nonce secret, loaded from settings.
//! - [`startup`]: `Application`, `AppState` and the route table.
//! - [`live`]: the configuration a reload replaces, read once by each request.
//! - [`reload`]: `SIGHUP` reads the configuration file again and swaps it in.
//! - [`connection`]: deadlines on each accepted connection, beneath the HTTP server.
//! - [`heap`]: the binary's heap allocator (cargo features) and, in an `alloc-count` build, its
//!   allocation counters.
pub mod api;
pub mod clock;
pub mod config;
pub mod connection;
pub mod development;
pub mod dpop;
pub mod heap;
pub mod jose;
pub mod json;
pub mod keygen;
pub mod keys;
pub mod live;
pub mod oauth;
pub mod reload;
pub mod remote_keys;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tools;
