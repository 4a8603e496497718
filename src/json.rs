//! A JSON object writer for the token endpoint's answers, the hottest bodies dpopd writes.
//! That answer carries the access token twice (once inside `responseContent`, which is itself
//! JSON text escaped into a string), about 2.5 KB of string data per request. serde_json scans
//! strings for escapes one byte at a time; [`push_str_literal`] skips 16-byte runs that need no
//! escape in one vectorisable test and escapes the rest exactly as serde_json does (a property
//! test holds the two to the same output for every string).
use serde::Serialize;
use std::fmt::Write;

/// Builds one JSON object, member by member, in insertion order.
pub struct JsonObject {
    out: String,
}

impl JsonObject {
    pub fn with_capacity(capacity: usize) -> JsonObject {
        let mut out = String::with_capacity(capacity);
        out.push('{');
        JsonObject { out }
    }

    fn key(&mut self, key: &str) {
        // Anything after the opening brace is a member already written.
        if self.out.len() > 1 {
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

    /// A member whose value serde writes (arrays and objects off the hot path's bulk).
    pub fn serialized(&mut self, key: &str, value: &impl Serialize) -> &mut JsonObject {
        self.key(key);
        match serde_json::to_string(value) {
            Ok(text) => self.out.push_str(&text),
            // Only a Serialize impl that fails can get here; none of dpopd's does.
            Err(_) => self.out.push_str("null"),
        }
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// True for the bytes JSON strings must escape: `"`, `\` and the C0 controls.
fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

const CHUNK: usize = 16;

/// Whether any byte of a fixed-size chunk needs an escape: no early exit, so it compiles to a
/// few SIMD compares instead of sixteen branches.
fn any_needs_escape(chunk: &[u8; CHUNK]) -> bool {
    chunk.iter().fold(false, |any, &b| any | needs_escape(b))
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
        if let Some(chunk) = bytes
            .get(i..i + CHUNK)
            .and_then(|c| <&[u8; CHUNK]>::try_from(c).ok())
        {
            if !any_needs_escape(chunk) {
                i += CHUNK;
                continue;
            }
        }
        // A chunk with an escape in it, or the short tail: byte by byte.
        let end = (i + CHUNK).min(bytes.len());
        for j in i..end {
            if needs_escape(bytes[j]) {
                // Escaped bytes are ASCII, so both ends of the clean run are character boundaries.
                out.push_str(&s[clean_from..j]);
                push_escape(out, bytes[j]);
                clean_from = j + 1;
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
