//! The knobs of JWKS fetching and caching, with their defaults and start-up checks, and the
//! `jwks_uri` type: HTTPS, or plain HTTP to the loopback interface only.
use crate::config::ConfigError;
use crate::jose::jwks::JwksLimits;
use serde::Deserialize;
use std::time::Duration;

/// JWKS fetching and caching, shared by every remote key source. Deserialisable as a
/// configuration table; every member has a default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwksSettings {
    /// Time allowed to open the TCP connection (and TLS), in milliseconds.
    pub connect_timeout_ms: u64,
    /// Time allowed for the whole fetch, connection to last body byte, in milliseconds.
    pub timeout_ms: u64,
    /// Largest JWKS body accepted; a larger one is refused without being read to its end.
    pub max_body_bytes: usize,
    /// Most entries in a set's `keys`, usable or not.
    pub max_keys: usize,
    /// Refresh interval when the answer has no `Cache-Control: max-age`.
    pub refresh_secs: u64,
    /// Least time between two fetches of one source: the floor for `max-age`, the pause
    /// after a failed fetch, and how often an unknown `kid` may cause a fetch.
    pub min_refresh_secs: u64,
    /// Ceiling for `max-age`: keys are fetched again at least this often.
    pub max_refresh_secs: u64,
    /// How long after its last successful fetch a set keeps serving while fetches fail;
    /// after that the source has no keys and every token of it is refused.
    pub max_stale_secs: u64,
}

impl Default for JwksSettings {
    fn default() -> JwksSettings {
        JwksSettings {
            connect_timeout_ms: 1_000,
            timeout_ms: 2_000,
            max_body_bytes: 64 * 1024,
            max_keys: 100,
            refresh_secs: 300,
            min_refresh_secs: 30,
            max_refresh_secs: 3_600,
            max_stale_secs: 86_400,
        }
    }
}

impl JwksSettings {
    /// Range and ordering checks; `prefix` names the table in messages (`jwks.timeout_ms`).
    pub fn check(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = |name: &str| format!("{prefix}.{name}");
        let within = |name: &str, value: u64, min: u64, max: u64| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::invalid(
                    key(name),
                    format!("must be between {min} and {max}"),
                ))
            }
        };
        within("connect_timeout_ms", self.connect_timeout_ms, 1, 30_000)?;
        within("timeout_ms", self.timeout_ms, 1, 60_000)?;
        within(
            "max_body_bytes",
            self.max_body_bytes as u64,
            1_024,
            1024 * 1024,
        )?;
        within("max_keys", self.max_keys as u64, 1, 1_000)?;
        within("min_refresh_secs", self.min_refresh_secs, 1, 86_400)?;
        let ordered = [
            (
                "connect_timeout_ms",
                self.connect_timeout_ms,
                "timeout_ms",
                self.timeout_ms,
            ),
            (
                "min_refresh_secs",
                self.min_refresh_secs,
                "refresh_secs",
                self.refresh_secs,
            ),
            (
                "refresh_secs",
                self.refresh_secs,
                "max_refresh_secs",
                self.max_refresh_secs,
            ),
            (
                "max_refresh_secs",
                self.max_refresh_secs,
                "max_stale_secs",
                self.max_stale_secs,
            ),
        ];
        for (low_name, low, high_name, high) in ordered {
            if high < low {
                return Err(ConfigError::invalid(
                    key(high_name),
                    format!("must be at least {}", key(low_name)),
                ));
            }
        }
        Ok(())
    }

    /// The bounds a set is read under, fetched or inline.
    pub fn limits(&self) -> JwksLimits {
        JwksLimits {
            max_bytes: self.max_body_bytes,
            max_keys: self.max_keys,
        }
    }

    pub(super) fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    pub(super) fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// RFC 9111 §5.2.2.1 `max-age`, held within `[min_refresh_secs, max_refresh_secs]`;
    /// `refresh_secs` without one.
    pub(super) fn refresh_after(&self, max_age: Option<u64>) -> i64 {
        let secs = max_age
            .unwrap_or(self.refresh_secs)
            .clamp(self.min_refresh_secs, self.max_refresh_secs);
        i64::try_from(secs).unwrap_or(i64::MAX)
    }
}

/// Why a `jwks_uri` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwksUriError {
    #[error("not an absolute URL")]
    NotAUrl,
    /// Keys fetched in clear text could be swapped on the way (RFC 8414 §2, OIDC Discovery
    /// §3: `jwks_uri` uses https); the loopback interface does not leave the host.
    #[error("must use https (http only for 127.0.0.1, [::1] or localhost)")]
    NotHttps,
    /// Credentials in a URL end up in logs and process listings.
    #[error("must not contain a user name or password")]
    Credentials,
    #[error("must not contain a fragment")]
    Fragment,
}

/// A checked `jwks_uri`: `https://`, or `http://` to `127.0.0.1`, `[::1]` or `localhost`; no
/// credentials, no fragment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct JwksUri(reqwest::Url);

impl JwksUri {
    pub fn parse(text: &str) -> Result<JwksUri, JwksUriError> {
        let url = reqwest::Url::parse(text).map_err(|_| JwksUriError::NotAUrl)?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
        match url.scheme() {
            "https" if url.host_str().is_some() => {}
            "http" if loopback => {}
            _ => return Err(JwksUriError::NotHttps),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(JwksUriError::Credentials);
        }
        if url.fragment().is_some() {
            return Err(JwksUriError::Fragment);
        }
        Ok(JwksUri(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host, for logs: a source is named by its configured name, the URL stays out.
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    pub(super) fn url(&self) -> &reqwest::Url {
        &self.0
    }
}

impl TryFrom<String> for JwksUri {
    type Error = JwksUriError;
    fn try_from(text: String) -> Result<JwksUri, JwksUriError> {
        JwksUri::parse(&text)
    }
}

#[cfg(test)]
mod tests;
