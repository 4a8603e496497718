//! Unit tests of `reload`.
