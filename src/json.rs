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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn literal(s: &str) -> String {
        let mut out = String::new();
        push_str_literal(&mut out, s);
        out
    }

    #[test]
    fn every_escape_form_matches_serde_json() {
        // Every C0 control, both specials, DEL and non-ASCII, at chunk boundaries and inside runs.
        let mut all: String = (0u8..0x20).map(char::from).collect();
        all.push_str("\"\\\u{7f}é€😀/");
        for prefix in [0, 1, 15, 16, 17, 31, 32, 33] {
            let s = format!("{}{all}{}", "a".repeat(prefix), "b".repeat(prefix));
            assert_eq!(
                literal(&s),
                serde_json::to_string(&s).unwrap(),
                "prefix {prefix}"
            );
        }
        assert_eq!(literal(""), "\"\"");
    }

    proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(s in any::<String>()) {
            prop_assert_eq!(literal(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn long_strings_with_sparse_escapes_match_too(
            runs in proptest::collection::vec(("[a-zA-Z0-9._-]{0,40}", prop::sample::select(vec!["\"", "\\", "\n", "\u{1}", "\u{1f}", "é"])), 0..12),
        ) {
            let s: String = runs.iter().map(|(run, special)| format!("{run}{special}")).collect();
            prop_assert_eq!(literal(&s), serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn an_object_is_written_in_insertion_order_and_skips_absent_members() {
        let mut object = JsonObject::with_capacity(64);
        object
            .str("a", "x\"y")
            .opt_str("absent", None)
            .int("n", -42)
            .opt_int("m", Some(7))
            .opt_int("gone", None)
            .serialized("list", &["r", "w"]);
        assert_eq!(
            object.finish(),
            r#"{"a":"x\"y","n":-42,"m":7,"list":["r","w"]}"#
        );
        assert_eq!(JsonObject::with_capacity(0).finish(), "{}");
    }
}
