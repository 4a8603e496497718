//! Unit tests of `live`.
