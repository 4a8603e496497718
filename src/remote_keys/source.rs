//! One key source at run time: an inline set, or a remote set with its cache, its single
//! in-flight fetch and its background refresh. The guarantees are stated in the module
//! documentation of [`remote_keys`](super).
use super::fetch::{self, FetchError};
use super::settings::{JwksSettings, JwksUri};
use crate::clock::UnixTime;
use crate::jose::jwk::JwkError;
use crate::jose::jwks::{JwkSet, SkipReason};
use crate::jose::jwks_verify::{JwksVerifyError, UnverifiedJws, VerifiedJws};
use crate::jose::Alg;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Why a token of a source was not verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    /// The source has no usable key set — never fetched successfully, or its last good set is
    /// older than `max_stale_secs` — and no fetch allowed now brought one. Fail closed.
    #[error("no usable key set for this source")]
    NoKeySet,
    /// The JWS itself, or its key in the set (an unknown `kid` once a refresh was allowed).
    #[error(transparent)]
    Jws(#[from] JwksVerifyError),
}

/// [`SourceKeys::start`] was called outside a tokio runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the background refresh needs a tokio runtime")]
pub struct NoRuntime;

/// The keys of one signer (a client, an issuer); cheap to clone and shared across threads.
#[derive(Clone)]
pub struct SourceKeys {
    name: Arc<str>,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Inline(Arc<JwkSet>),
    Remote(Arc<Remote>),
}

impl std::fmt::Debug for SourceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Inline(_) => "inline",
            Kind::Remote(_) => "remote",
        };
        write!(f, "SourceKeys {{ name: {:?}, kind: {kind} }}", self.name)
    }
}

pub(super) struct Remote {
    name: Arc<str>,
    uri: JwksUri,
    client: reqwest::Client,
    settings: Arc<JwksSettings>,
    state: RwLock<State>,
    /// Held for the length of a fetch: one fetch per source at a time, shared by all waiters.
    flight: Arc<tokio::sync::Mutex<()>>,
}

struct State {
    /// The last good set, if any.
    set: Option<Arc<JwkSet>>,
    fetched_at: UnixTime,
    last_attempt: Option<UnixTime>,
    /// When the background refresh fetches next.
    next_refresh: UnixTime,
    /// Fetches completed (either way): a waiter that sees it move shares that fetch's result.
    attempts: u64,
    /// Why the last fetch failed; `None` after a success.
    last_error: Option<FetchError>,
}

/// What a fetch is for, which decides whether it may run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Why {
    /// The background refresh: only when due.
    Due,
    /// A token named a `kid` the set does not have: at most once per `min_refresh_secs`.
    UnknownKid,
    /// An explicit request ([`SourceKeys::refresh`]).
    Forced,
}

impl SourceKeys {
    pub(super) fn inline(name: Arc<str>, set: JwkSet) -> SourceKeys {
        log_set(&name, None, &set);
        metrics::gauge!("dpopd_jwks_keys", "source" => name.to_string()).set(set.len() as f64);
        SourceKeys {
            name,
            kind: Kind::Inline(Arc::new(set)),
        }
    }

    pub(super) fn remote(
        name: Arc<str>,
        uri: JwksUri,
        client: reqwest::Client,
        settings: Arc<JwksSettings>,
    ) -> SourceKeys {
        let remote = Remote {
            name: Arc::clone(&name),
            uri,
            client,
            settings,
            state: RwLock::new(State {
                set: None,
                fetched_at: UnixTime(0),
                last_attempt: None,
                next_refresh: UnixTime(0),
                attempts: 0,
                last_error: None,
            }),
            flight: Arc::new(tokio::sync::Mutex::new(())),
        };
        metrics::gauge!("dpopd_jwks_keys", "source" => name.to_string()).set(0.0);
        for outcome in FetchError::OUTCOMES {
            metrics::counter!("dpopd_jwks_fetches_total",
                "source" => name.to_string(), "outcome" => outcome)
            .increment(0);
        }
        SourceKeys {
            name,
            kind: Kind::Remote(Arc::new(remote)),
        }
    }

    /// The configured name: the `source` label of the metrics and the field of the logs.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The set usable at `now`, without touching the network: `None` before the first
    /// successful fetch and once the last good set is older than `max_stale_secs`.
    pub fn current(&self, now: UnixTime) -> Option<Arc<JwkSet>> {
        match &self.kind {
            Kind::Inline(set) => Some(Arc::clone(set)),
            Kind::Remote(remote) => remote.current(now),
        }
    }

    /// Verifies `token` with a key of this source. A `kid` the current set has is verified
    /// from memory; only an unknown `kid` (or no set at all) may fetch, at most once per
    /// `min_refresh_secs`, sharing a fetch already under way.
    pub async fn verify(
        &self,
        token: &str,
        algs: &[Alg],
        now: UnixTime,
    ) -> Result<VerifiedJws, KeysError> {
        self.verify_in_set(token, algs, now)
            .await
            .map(|(jws, _)| jws)
    }

    /// [`verify`](Self::verify), also returning the set whose key verified: a verification
    /// kept beyond this call holds only while [`current`](Self::current) is still that set.
    pub async fn verify_in_set(
        &self,
        token: &str,
        algs: &[Alg],
        now: UnixTime,
    ) -> Result<(VerifiedJws, Arc<JwkSet>), KeysError> {
        let jws = UnverifiedJws::parse(token, algs)?;
        let cached = self.current(now);
        if let Some(set) = cached {
            match jws.select(&set) {
                Ok(key) => {
                    let verified = jws.verify_with(key)?;
                    return Ok((verified, set));
                }
                Err(JwksVerifyError::UnknownKid) => {}
                Err(other) => return Err(other.into()),
            }
        }
        let Kind::Remote(remote) = &self.kind else {
            return Err(JwksVerifyError::UnknownKid.into());
        };
        remote.refresh(now, Why::UnknownKid).await;
        let set = self.current(now).ok_or(KeysError::NoKeySet)?;
        let key = jws.select(&set)?;
        let verified = jws.verify_with(key)?;
        Ok((verified, set))
    }

    /// Fetches now, whatever the schedule (sharing a fetch already under way), and returns
    /// the number of usable keys the source then has. Inline sources answer at once.
    pub async fn refresh(&self, now: UnixTime) -> Result<usize, FetchError> {
        match &self.kind {
            Kind::Inline(set) => Ok(set.len()),
            Kind::Remote(remote) => {
                remote.refresh(now, Why::Forced).await;
                remote.last_outcome(now)
            }
        }
    }

    /// When the background refresh fetches next (remote sources).
    #[cfg(test)]
    pub(super) fn next_refresh(&self) -> Option<UnixTime> {
        match &self.kind {
            Kind::Inline(_) => None,
            Kind::Remote(remote) => Some(remote.read().next_refresh),
        }
    }

    /// Starts the background refresh of a remote source on the current tokio runtime (the
    /// actix system's, at start-up): a first fetch at once, then one when due. The task holds
    /// the source weakly and ends at its next wake-up once every handle of the source is
    /// dropped; abort its handle to end it sooner. Inline sources need none.
    pub fn start(&self) -> Result<Option<JoinHandle<()>>, NoRuntime> {
        let Kind::Remote(remote) = &self.kind else {
            return Ok(None);
        };
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| NoRuntime)?;
        Ok(Some(runtime.spawn(run(Arc::downgrade(remote)))))
    }
}

/// The background refresh: sleeps until the next refresh is due, fetches, and repeats. It
/// holds the source only weakly while it sleeps.
async fn run(source: Weak<Remote>) {
    loop {
        let wait = {
            let Some(remote) = source.upgrade() else {
                return;
            };
            let now = UnixTime::now();
            let next = remote.read().next_refresh;
            next.secs().saturating_sub(now.secs()).max(0) as u64
        };
        tokio::time::sleep(Duration::from_secs(wait)).await;
        let Some(remote) = source.upgrade() else {
            return;
        };
        remote.refresh(UnixTime::now(), Why::Due).await;
    }
}

impl Remote {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        // Every write leaves the state whole, so a panic elsewhere cannot leave it torn.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn current(&self, now: UnixTime) -> Option<Arc<JwkSet>> {
        let state = self.read();
        let set = state.set.as_ref()?;
        let age = now.secs().saturating_sub(state.fetched_at.secs());
        if age > self.max_stale() {
            return None;
        }
        Some(Arc::clone(set))
    }

    fn max_stale(&self) -> i64 {
        i64::try_from(self.settings.max_stale_secs).unwrap_or(i64::MAX)
    }

    /// Fetches if `why` allows it now; a fetch that completes while this call waits for the
    /// one in flight is shared instead of repeated.
    async fn refresh(self: &Arc<Remote>, now: UnixTime, why: Why) {
        let seen = self.read().attempts;
        let guard = Arc::clone(&self.flight).lock_owned().await;
        {
            let state = self.read();
            if state.attempts != seen {
                return;
            }
            let min = i64::try_from(self.settings.min_refresh_secs).unwrap_or(i64::MAX);
            let allowed = match why {
                Why::Due => now >= state.next_refresh,
                Why::UnknownKid => state
                    .last_attempt
                    .is_none_or(|last| now.secs() >= last.secs().saturating_add(min)),
                Why::Forced => true,
            };
            if !allowed {
                return;
            }
        }
        // The fetch runs as its own task holding the lock: a caller that is dropped (its
        // client went away) cancels neither the fetch nor the wait of the others.
        let remote = Arc::clone(self);
        let task = tokio::spawn(async move {
            let _flight = guard;
            remote.fetch_and_store(now).await;
        });
        // An error here is the runtime shutting down: the state is left as it was.
        let _ = task.await;
    }

    async fn fetch_and_store(&self, now: UnixTime) {
        let result = fetch::fetch(&self.client, &self.uri, &self.settings).await;
        let outcome = result.as_ref().map_or_else(FetchError::outcome, |_| "ok");
        metrics::counter!("dpopd_jwks_fetches_total",
            "source" => self.name.to_string(), "outcome" => outcome)
        .increment(1);
        let min = i64::try_from(self.settings.min_refresh_secs).unwrap_or(i64::MAX);
        match result {
            Ok(fetched) => {
                let set = Arc::new(fetched.set);
                let previous = {
                    let mut state = self.write();
                    state.attempts += 1;
                    state.last_attempt = Some(now);
                    state.fetched_at = now;
                    state.next_refresh = now.plus(self.settings.refresh_after(fetched.max_age));
                    state.last_error = None;
                    state.set.replace(Arc::clone(&set))
                };
                metrics::gauge!("dpopd_jwks_keys", "source" => self.name.to_string())
                    .set(set.len() as f64);
                log_set(&self.name, previous.as_deref(), &set);
            }
            Err(error) => {
                {
                    let mut state = self.write();
                    state.attempts += 1;
                    state.last_attempt = Some(now);
                    state.next_refresh = now.plus(min);
                    state.last_error = Some(error.clone());
                }
                tracing::warn!(
                    source = %self.name,
                    host = self.uri.host(),
                    outcome,
                    %error,
                    "JWKS fetch failed; the last good keys serve until max_stale_secs"
                );
                self.check_staleness(now);
            }
        }
    }

    /// The result of the last fetch: the usable keys now, or why it failed.
    fn last_outcome(&self, now: UnixTime) -> Result<usize, FetchError> {
        if let Some(error) = &self.read().last_error {
            return Err(error.clone());
        }
        Ok(self.current(now).map_or(0, |set| set.len()))
    }

    /// Once the last good set is too old, the gauge says the source has no keys.
    fn check_staleness(&self, now: UnixTime) {
        let has_set = self.read().set.is_some();
        if has_set && self.current(now).is_none() {
            metrics::gauge!("dpopd_jwks_keys", "source" => self.name.to_string()).set(0.0);
            tracing::error!(
                source = %self.name,
                host = self.uri.host(),
                "JWKS keys are older than max_stale_secs: tokens of this source are refused"
            );
        }
    }
}

/// Logs a new or changed set: its usable `kid`s, and each skipped key with its reason —
/// published private material as a warning. Never the key material itself.
fn log_set(name: &str, previous: Option<&JwkSet>, set: &JwkSet) {
    if previous == Some(set) {
        return;
    }
    let kids: Vec<&str> = set.keys().iter().map(|k| k.kid().unwrap_or("-")).collect();
    tracing::info!(source = name, kids = ?kids, skipped = set.skipped().len(), "JWKS keys loaded");
    for skipped in set.skipped() {
        let kid = skipped.kid.as_deref().unwrap_or("-");
        if let SkipReason::Key(JwkError::PrivateMember(member)) = skipped.reason {
            tracing::warn!(
                source = name,
                kid,
                member,
                "JWKS publishes private key material; the key is not used"
            );
        } else {
            tracing::debug!(source = name, kid, index = skipped.index, reason = %skipped.reason, "JWKS key skipped");
        }
    }
}
