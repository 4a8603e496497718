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
