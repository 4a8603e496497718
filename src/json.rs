//! A JSON object writer for the answers dpopd writes most (token, introspection) and the claims
//! of the access tokens it issues. The token answer carries the access token twice (once inside
//! `responseContent`, which is itself JSON text escaped into a string), about 2.5 KB of string
//! data per request. serde_json scans strings for escapes one byte at a time;
//! [`push_str_literal`] skips 64-byte runs that need no escape in one vectorisable test, tests a
//! short string (a member name) padded to 16 bytes at once, and escapes the rest exactly as
//! serde_json does (a property test holds the two to the same output for every string).
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Builds one JSON object, member by member, in insertion order.
pub struct JsonObject {
    out: String,
    /// No member is written yet in the object open last (this one, or a nested one).
    first: bool,
}

impl JsonObject {
    pub fn with_capacity(capacity: usize) -> JsonObject {
        let mut out = String::with_capacity(capacity);
        out.push('{');
        JsonObject { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(',');
        }
        push_str_literal(&mut self.out, key);
        self.out.push(':');
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut JsonObject {
        self.key(key);
        push_str_literal(&mut self.out, value);
        self
    }

    pub fn int(&mut self, key: &str, value: i64) -> &mut JsonObject {
        self.key(key);
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{value}");
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut JsonObject {
        self.key(key);
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut JsonObject {
        match value {
            Some(value) => self.str(key, value),
            None => self,
        }
    }

    pub fn opt_int(&mut self, key: &str, value: Option<i64>) -> &mut JsonObject {
        match value {
            Some(value) => self.int(key, value),
            None => self,
        }
    }

    /// A member whose value is an object, its members written by `members` into the same text.
    pub fn object(&mut self, key: &str, members: impl FnOnce(&mut JsonObject)) -> &mut JsonObject {
        self.key(key);
        self.out.push('{');
        self.first = true;
        members(self);
        self.out.push('}');
        self.first = false;
        self
    }

    /// A member whose value serde writes (arrays and objects off the hot path's bulk), straight
    /// into the text.
    pub fn serialized(&mut self, key: &str, value: &impl Serialize) -> &mut JsonObject {
        self.key(key);
        let start = self.out.len();
        if serde_json::to_writer(TextSink(&mut self.out), value).is_err() {
            // Only a Serialize impl that fails can get here; none of dpopd's does.
            self.out.truncate(start);
            self.out.push_str("null");
        }
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// `T` from JSON bytes, their UTF-8 checked once, whole, and the text then parsed as text:
/// serde_json's parser of bytes checks each string's UTF-8 on its own, which costs more for the
/// many short strings of a call or a proof. Bytes that are not UTF-8 are parsed as bytes, so
/// that serde_json's error says where, as it always did.
pub fn from_bytes<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// serde_json's output appended to a `String`. serde_json writes its text in pieces that each
/// end on a character boundary (punctuation, numbers, and the runs of a string between two
/// escapes, which begin and end at ASCII bytes), so every piece is valid UTF-8 on its own; a
/// piece that were not is refused, never appended.
struct TextSink<'a>(&'a mut String);

impl std::io::Write for TextSink<'_> {
    fn write(&mut self, piece: &[u8]) -> std::io::Result<usize> {
        let text = std::str::from_utf8(piece)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.0.push_str(text);
        Ok(piece.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// True for the bytes JSON strings must escape: `"`, `\` and the C0 controls.
fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

const CHUNK: usize = 16;

/// Clean text (a token, most of the time) is skipped this many bytes at a time.
const BLOCK: usize = 4 * CHUNK;

/// Whether any byte of a fixed-size chunk needs an escape: no early exit, so it compiles to a
/// few SIMD compares instead of a branch per byte.
fn any_needs_escape<const N: usize>(chunk: &[u8; N]) -> bool {
    chunk.iter().fold(false, |any, &b| any | needs_escape(b))
}

/// The `CHUNK` bytes from `i`, the last ones past the end of `bytes` filled with a byte that
/// needs no escape, so a short string (a member name, a number-like value) is tested at once
/// rather than byte by byte.
fn chunk_at(bytes: &[u8], i: usize) -> [u8; CHUNK] {
    if let Some(full) = bytes
        .get(i..i + CHUNK)
        .and_then(|c| <[u8; CHUNK]>::try_from(c).ok())
    {
        return full;
    }
    let mut chunk = [b' '; CHUNK];
    let part = &bytes[i..(i + CHUNK).min(bytes.len())];
    chunk[..part.len()].copy_from_slice(part);
    chunk
}

/// Appends `s` as a JSON string literal, escaped as serde_json escapes it: `\"`, `\\`, the
/// short forms `\b \f \n \r \t`, `\u00XX` (lower-case hex) for the other C0 controls, every
/// other character as it is.
pub fn push_str_literal(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push('"');
    let mut clean_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(block) = bytes
            .get(i..i + BLOCK)
            .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
        {
            if !any_needs_escape(block) {
                i += BLOCK;
                continue;
            }
        }
        let end = (i + CHUNK).min(bytes.len());
        if any_needs_escape(&chunk_at(bytes, i)) {
            // The chunk with an escape in it, byte by byte.
            for j in i..end {
                if needs_escape(bytes[j]) {
                    // Escaped bytes are ASCII, so both ends of the clean run are character
                    // boundaries.
                    out.push_str(&s[clean_from..j]);
                    push_escape(out, bytes[j]);
                    clean_from = j + 1;
                }
            }
        }
        i = end;
    }
    out.push_str(&s[clean_from..]);
    out.push('"');
}

fn push_escape(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.push_str("\\\""),
        b'\\' => out.push_str("\\\\"),
        0x08 => out.push_str("\\b"),
        0x0C => out.push_str("\\f"),
        b'\n' => out.push_str("\\n"),
        b'\r' => out.push_str("\\r"),
        b'\t' => out.push_str("\\t"),
        _ => {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

#[cfg(test)]
mod tests;
