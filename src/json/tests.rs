//! Unit tests of `json`.
use super::*;
use proptest::prelude::*;

fn literal(s: &str) -> String {
    let mut out = String::new();
    push_str_literal(&mut out, s);
    out
}

#[test]
fn every_escape_form_matches_serde_json() {
    // Every C0 control, both specials, DEL and non-ASCII, at chunk and block boundaries and
    // inside runs.
    let mut all: String = (0u8..0x20).map(char::from).collect();
    all.push_str("\"\\\u{7f}é€😀/");
    for prefix in [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129] {
        let s = format!("{}{all}{}", "a".repeat(prefix), "b".repeat(prefix));
        assert_eq!(
            literal(&s),
            serde_json::to_string(&s).unwrap(),
            "prefix {prefix}"
        );
    }
    assert_eq!(literal(""), "\"\"");
}

#[test]
fn one_escape_anywhere_in_a_long_clean_run_is_found() {
    for at in 0..200 {
        let mut s = "x".repeat(200);
        s.replace_range(at..at + 1, "\"");
        assert_eq!(literal(&s), serde_json::to_string(&s).unwrap(), "at {at}");
    }
}

#[test]
fn a_short_string_is_tested_padded_and_escaped_where_it_needs() {
    // Shorter than a chunk, or a chunk and a short tail: the padding is never written.
    for s in [
        "a",
        "ab\"",
        "\u{1}",
        "é",
        "resultCode",
        "0123456789abcdef\n",
        "0123456789abcdefg",
    ] {
        assert_eq!(literal(s), serde_json::to_string(s).unwrap(), "{s:?}");
    }
    assert_eq!(chunk_at(b"ab", 0), *b"ab              ");
    assert_eq!(chunk_at(b"0123456789abcdefgh", 16), *b"gh              ");
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

#[test]
fn the_chunk_test_finds_every_byte_that_needs_an_escape_and_no_other() {
    // Every byte value at every position of a chunk, among bytes that need no escape.
    for filler in [b'a', b' ', 0x7f, 0x80, 0xff] {
        for position in 0..CHUNK {
            for b in 0..=u8::MAX {
                let mut chunk = [filler; CHUNK];
                chunk[position] = b;
                assert_eq!(
                    any_needs_escape(&chunk),
                    chunk.iter().any(|&c| needs_escape(c)),
                    "byte {b:#04x} at {position} among {filler:#04x}"
                );
            }
        }
    }
}

#[test]
fn nested_objects_and_serialized_values_are_written_in_place() {
    let value = serde_json::json!({"é\"€": ["a\u{1}", 1.5, null, {"😀": false}]});
    let mut object = JsonObject::with_capacity(8);
    object
        .object("cnf", |inner| {
            inner.str("jkt", "k").object("empty", |_| {}).int("n", 1);
        })
        .serialized("v", &value)
        .str("after", "x");
    let text = object.finish();
    assert_eq!(
        text,
        format!(
            r#"{{"cnf":{{"jkt":"k","empty":{{}},"n":1}},"v":{},"after":"x"}}"#,
            serde_json::to_string(&value).unwrap()
        )
    );
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["v"], value);
}

#[test]
fn a_value_serde_cannot_write_leaves_null_and_nothing_else() {
    struct Fails;
    impl Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{Error, SerializeSeq};
            let mut seq = s.serialize_seq(None)?;
            seq.serialize_element("written before the failure")?;
            Err(S::Error::custom("no"))
        }
    }
    let mut object = JsonObject::with_capacity(8);
    object.serialized("f", &Fails).int("n", 2);
    assert_eq!(object.finish(), r#"{"f":null,"n":2}"#);
}
