//! Unit tests of `api::result_code`.
use super::*;

#[test]
fn codes_are_unique_and_well_formed() {
    let mut seen = std::collections::HashSet::new();
    for rc in ResultCode::ALL {
        let c = rc.code();
        assert!(
            c.len() == 7 && c.starts_with('A') && c[1..].bytes().all(|b| b.is_ascii_digit()),
            "{c}"
        );
        assert!(
            matches!(&c[4..5], "0" | "1" | "2" | "3"),
            "class digit of {c}"
        );
        assert!(seen.insert(c), "duplicate {c}");
    }
}

#[test]
fn messages_are_the_code_in_brackets_the_text_and_any_detail() {
    let code = ResultCode::ClientCredentialsIssued;
    let plain = format!("[{}] {}", code.code(), code.text());
    assert_eq!(code.message(), plain);
    assert_eq!(code.message_with("why"), format!("{plain} why"));
    assert_eq!(code.message_with(""), format!("{plain} "));
    assert_eq!(code.message().capacity(), plain.len());
}
