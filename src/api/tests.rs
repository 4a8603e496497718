//! Unit tests of `api`.
use super::truncate;

#[test]
fn truncate_caps_and_escapes_what_could_forge_a_log_line() {
    let cases = [
        ("short", 10, "short"),
        ("0123456789", 10, "0123456789"),
        ("0123456789x", 10, "0123456789…"),
        ("ééé", 2, "éé…"),
        ("GET\r\n[A052001] forged", 100, "GET\\r\\n[A052001] forged"),
        (
            "a\u{0}b\u{1b}[31mc\u{7f}",
            100,
            "a\\u{0}b\\u{1b}[31mc\\u{7f}",
        ),
        (
            "line\u{2028}sep \u{202e}evil",
            100,
            "line\\u{2028}sep \\u{202e}evil",
        ),
        ("\n\n\n", 2, "\\n\\n…"),
    ];
    for (text, max, want) in cases {
        assert_eq!(truncate(text, max), want, "{text:?}");
    }
}
