//! Time as a value. No rule in dpopd reads the system clock itself: handlers take `now` once
//! per request from [`UnixTime::now`] and pass it down, so tests pin the clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (the unit of JWT `iat`/`exp`, RFC 7519 §2 NumericDate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub i64);

impl UnixTime {
    pub fn now() -> UnixTime {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        UnixTime(secs)
    }

    pub fn secs(self) -> i64 {
        self.0
    }

    /// Milliseconds since the epoch, the unit of every `...At` field of the API.
    pub fn millis(self) -> i64 {
        self.0.saturating_mul(1000)
    }

    pub fn plus(self, secs: i64) -> UnixTime {
        UnixTime(self.0.saturating_add(secs))
    }
}
