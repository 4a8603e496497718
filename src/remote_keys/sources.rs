//! The key sources of one configuration — every client's and every trusted issuer's — built
//! so that a reload (docs/configuration.md, "Reload") keeps the cache, the schedule and the
//! background refresh of each remote source it leaves as it was, instead of starting over with
//! no keys and fetching everything again.
use super::{FetcherError, JwksFetcher, JwksSettings, KeySource, SourceKeys};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The sources of one configuration. Cheap to clone.
#[derive(Clone, Default)]
pub struct KeySources {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    settings: JwksSettings,
    /// Built at the first remote source, or taken over from the previous configuration.
    fetcher: OnceLock<JwksFetcher>,
    /// The remote sources handed out, by name and `jwks_uri`.
    remote: Mutex<HashMap<(String, String), SourceKeys>>,
    /// The previous configuration's remote sources, until [`KeySources::seal`].
    reusable: Mutex<HashMap<(String, String), SourceKeys>>,
}

impl std::fmt::Debug for KeySources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let remote = self
            .inner
            .remote
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        write!(f, "KeySources {{ remote: {} }}", remote.len())
    }
}

impl KeySources {
    /// The sources of a configuration with `settings`, taking over the remote sources of
    /// `previous` (the configuration it replaces) when the fetch settings are the same.
    pub fn new(settings: &JwksSettings, previous: Option<&KeySources>) -> KeySources {
        let inner = Inner {
            settings: settings.clone(),
            ..Inner::default()
        };
        if let Some(previous) = previous.filter(|p| p.inner.settings == *settings) {
            if let Some(fetcher) = previous.inner.fetcher.get() {
                let _ = inner.fetcher.set(fetcher.clone());
            }
            let remote = previous
                .inner
                .remote
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *inner
                .reusable
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = remote.clone();
        }
        KeySources {
            inner: Arc::new(inner),
        }
    }

    /// The keys of the signer `name` (a client id, an issuer's label). A remote source the
    /// previous configuration had under the same name and `jwks_uri` is that one, cache and
    /// all; a new one starts its background refresh on the current tokio runtime, or, outside
    /// one, fetches at its first token.
    pub fn source(&self, name: &str, source: KeySource) -> Result<SourceKeys, FetcherError> {
        let uri = match source {
            KeySource::Inline(set) => return Ok(SourceKeys::inline(Arc::from(name), set)),
            KeySource::Remote { ref uri } => uri,
        };
        let key = (name.to_owned(), uri.as_str().to_owned());
        let reused = self.lock_reusable().remove(&key);
        let keys = match reused {
            Some(keys) => keys,
            None => {
                let keys = self.fetcher()?.source(name, source);
                // Outside a runtime (tools, unit tests) the first token fetches instead.
                let _ = keys.start();
                keys
            }
        };
        self.inner
            .remote
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, keys.clone());
        Ok(keys)
    }

    /// Ends the take-over: the previous configuration's sources this one did not ask for are
    /// let go, and their background refresh ends once that configuration is dropped too.
    pub fn seal(&self) {
        self.lock_reusable().clear();
    }

    /// The bounds an inline set is read under, the same as a fetched one's.
    pub fn limits(&self) -> crate::jose::jwks::JwksLimits {
        self.inner.settings.limits()
    }

    /// How many remote sources this configuration has.
    pub fn remote_count(&self) -> usize {
        self.inner
            .remote
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn fetcher(&self) -> Result<&JwksFetcher, FetcherError> {
        if let Some(fetcher) = self.inner.fetcher.get() {
            return Ok(fetcher);
        }
        let fetcher = JwksFetcher::new(&self.inner.settings)?;
        Ok(self.inner.fetcher.get_or_init(|| fetcher))
    }

    fn lock_reusable(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), SourceKeys>> {
        self.inner
            .reusable
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
