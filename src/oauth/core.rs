//! [`Core`]: the keys, clients, policy and store every grant and endpoint works with, built
//! from [`Settings`] and the keys [`crate::keys`] loads: at start, and again by each reload
//! (docs/configuration.md, "Reload"), which hands the new one the same store.
use crate::clock::UnixTime;
use crate::config::{ConfigError, Settings};
use crate::dpop::htu::Htu;
use crate::dpop::nonce::NonceService;
use crate::dpop::proof::{AlgSet, ProofPolicy, Validator};
use crate::jose::seal::Sealer;
use crate::jose::KeySet;
use crate::oauth::access::AccessCache;
use crate::oauth::client_assertion::AssertionPolicy;
use crate::oauth::clients::{ClientRegistry, GrantType};
use crate::oauth::issuers::TrustedIssuers;
use crate::remote_keys::KeySources;
use crate::store::SeenStore;
use std::sync::Arc;

pub struct Core {
    pub issuer: String,
    pub keys: KeySet,
    pub sealer: Sealer,
    pub clients: ClientRegistry,
    pub dpop: Validator,
    pub store: Arc<dyn SeenStore>,
    pub token_htu: Htu,
    /// The PAR endpoint: the default `htu` of proofs sent to it (RFC 9449 §10.1).
    pub par_htu: Htu,
    pub service_algs: AlgSet,
    pub nonce_required: bool,
    pub rs_nonce_required: bool,
    pub access_lifetime_secs: i64,
    pub refresh_lifetime_secs: i64,
    pub max_lifetime_override_secs: i64,
    pub code_lifetime_secs: i64,
    pub ticket_lifetime_secs: i64,
    pub request_uri_lifetime_secs: i64,
    pub id_token_lifetime_secs: i64,
    pub default_audience: Vec<String>,
    /// Access tokens whose signature checked, for introspection; shared with the `Core` of the
    /// previous configuration when a reload left what it checked as it was ([`Core::follow`]).
    pub verified_access: Arc<AccessCache>,
    /// The JWK Sets of the signers dpopd verifies but does not hold the keys of.
    pub key_sources: KeySources,
    /// The rules of `private_key_jwt` client assertions.
    pub client_assertion: AssertionPolicy,
    /// The other authorization servers whose access tokens introspection accepts.
    pub issuers: TrustedIssuers,
}

impl Core {
    pub fn from_settings(
        settings: &Settings,
        store: Arc<dyn SeenStore>,
    ) -> Result<Core, ConfigError> {
        Core::from_settings_after(settings, store, None)
    }

    /// Builds the `Core` of `settings` that replaces `previous`, taking over the remote key
    /// sources it leaves as they were ([`KeySources::new`]); [`Core::follow`] takes over the
    /// rest once it is built.
    pub fn from_settings_after(
        settings: &Settings,
        store: Arc<dyn SeenStore>,
        previous: Option<&Core>,
    ) -> Result<Core, ConfigError> {
        let key_sources = KeySources::new(&settings.jwks, previous.map(|p| &p.key_sources));
        let d = &settings.dpop;
        let service_algs = AlgSet::of(d.algs.iter().copied());
        let secrets = crate::keys::load(settings)?;
        // Every client that can get an ID token has a key to sign it with.
        for (i, client) in settings.clients.iter().enumerate() {
            let alg = client.id_token_signed_response_alg;
            let has_code = client.grant_types.contains(&GrantType::AuthorizationCode);
            if has_code && secrets.signing.signer(alg).is_none() {
                return Err(ConfigError::invalid(
                    format!("clients[{i}].id_token_signed_response_alg"),
                    format!("no [[keys.signing]] key has alg {}", alg.name()),
                ));
            }
            if let Some(alg) = client.userinfo_signed_response_alg {
                if secrets.signing.signer(alg).is_none() {
                    return Err(ConfigError::invalid(
                        format!("clients[{i}].userinfo_signed_response_alg"),
                        format!("no [[keys.signing]] key has alg {}", alg.name()),
                    ));
                }
            }
        }
        let policy = ProofPolicy::from_settings(d);
        let nonces = NonceService::new(
            &secrets.nonce_secret,
            d.nonce_step_secs,
            d.nonce_lifetime_secs,
        );
        // RFC 9126 §5: the service's requirement is every client's.
        let mut clients = settings.clients.clone();
        if settings.service.require_pushed_authorization_requests {
            clients.iter_mut().for_each(|c| c.require_par = true);
        }
        let token_htu = settings.service.token_endpoint.clone();
        let par_htu = settings.service.par_endpoint.clone();
        let default_audience = if settings.service.default_audience.is_empty() {
            vec![settings.service.issuer.clone()]
        } else {
            settings.service.default_audience.clone()
        };
        let mut assertion_audiences = vec![settings.service.issuer.clone()];
        assertion_audiences.extend(settings.service.client_assertion_audiences.iter().cloned());
        let client_assertion = AssertionPolicy {
            audiences: assertion_audiences,
            max_lifetime_secs: i64::try_from(settings.tokens.client_assertion_max_lifetime_secs)
                .unwrap_or(i64::MAX),
            skew_secs: i64::try_from(d.clock_skew_secs).unwrap_or(i64::MAX),
        };
        let issuers = TrustedIssuers::new(settings, &key_sources)?;
        let core = Core {
            issuer: settings.service.issuer.clone(),
            keys: secrets.signing,
            sealer: secrets.sealer,
            clients: ClientRegistry::new(&clients, service_algs, &key_sources)?,
            dpop: Validator::new(policy, nonces),
            store,
            token_htu,
            par_htu,
            service_algs,
            nonce_required: d.nonce_required,
            rs_nonce_required: d.rs_nonce_required,
            access_lifetime_secs: settings.tokens.access_token_lifetime_secs as i64,
            refresh_lifetime_secs: settings.tokens.refresh_token_lifetime_secs as i64,
            max_lifetime_override_secs: settings.tokens.max_lifetime_override_secs as i64,
            code_lifetime_secs: settings.tokens.code_lifetime_secs as i64,
            ticket_lifetime_secs: settings.tokens.ticket_lifetime_secs as i64,
            request_uri_lifetime_secs: settings.tokens.request_uri_lifetime_secs as i64,
            id_token_lifetime_secs: settings.tokens.id_token_lifetime_secs as i64,
            default_audience,
            verified_access: Arc::new(AccessCache::new(settings.tokens.verified_cache_entries)),
            key_sources,
            client_assertion,
            issuers,
        };
        core.key_sources.seal();
        Ok(core)
    }

    /// Makes this `Core`, built by a reload at `now`, take over from `previous`, the one that
    /// served until then. The store is the same one (the caller passed it to
    /// [`Core::from_settings`]). The cache of verified access tokens is `previous`'s when
    /// `keep_verified` — the caller found every input of that verification unchanged — and new
    /// and empty otherwise, so that a token of a key the reload removed is never served from
    /// it. The proof validator keeps the replay window of `previous` until the records written
    /// under it have expired ([`Validator::follow`]).
    pub fn follow(&mut self, previous: &Core, keep_verified: bool, now: UnixTime) {
        if keep_verified {
            self.verified_access = Arc::clone(&previous.verified_access);
        }
        self.dpop.follow(&previous.dpop, now);
    }

    /// Runs one call of an endpoint that may demand a DPoP nonce (RFC 9449 §8): `step` gets
    /// whether a nonce is required — by the caller or by configuration — which it raises once
    /// it knows the client. When a nonce ends up required, the nonce of `now` is returned beside
    /// the result, success or refusal, so the client can send it in its next proof.
    pub(crate) async fn with_dpop_nonce<T>(
        &self,
        now: UnixTime,
        caller_requires: bool,
        step: impl AsyncFnOnce(&mut bool) -> T,
    ) -> (T, Option<String>) {
        let mut nonce_required = caller_requires || self.nonce_required;
        let result = step(&mut nonce_required).await;
        let dpop_nonce = nonce_required.then(|| self.dpop.nonces().current(now));
        (result, dpop_nonce)
    }
}

#[cfg(test)]
mod tests;
