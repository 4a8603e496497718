//! Unit tests of `oauth::scope`.
use super::*;
use proptest::prelude::*;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `n` distinct scope tokens.
fn many(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("s{i}")).collect()
}

#[test]
fn parses_dedups_and_checks_characters() {
    assert_eq!(parse("read  write read").unwrap(), vec!["read", "write"]);
    assert_eq!(parse("a\"b"), Err(ScopeError::Malformed));
    assert_eq!(parse("a\\b"), Err(ScopeError::Malformed));
    assert!(parse("").unwrap().is_empty());
}

#[test]
fn list_entries_are_single_scope_tokens() {
    assert_eq!(
        parse_list(&strings(&["read", "write", "read"])).unwrap(),
        vec!["read", "write"]
    );
    assert_eq!(
        parse_list(&strings(&["read write"])),
        Err(ScopeError::Malformed)
    );
    assert_eq!(parse_list(&strings(&[""])), Err(ScopeError::Malformed));
    assert_eq!(parse_list(&strings(&[" read"])), Err(ScopeError::Malformed));
    assert!(parse_list(&[]).unwrap().is_empty());
}

#[test]
fn the_number_of_values_is_bounded() {
    let at_bound = many(MAX_SCOPES);
    assert_eq!(parse(&at_bound.join(" ")).unwrap(), at_bound);
    assert_eq!(parse_list(&at_bound).unwrap(), at_bound);
    let over = many(MAX_SCOPES + 1);
    assert_eq!(parse(&over.join(" ")), Err(ScopeError::TooMany));
    assert_eq!(parse_list(&over), Err(ScopeError::TooMany));
    // Repeats count: the work is bounded by the values read, not the distinct ones.
    let repeated = vec!["read"; MAX_SCOPES + 1].join(" ");
    assert_eq!(parse(&repeated), Err(ScopeError::TooMany));
    assert_eq!(
        parse(&vec!["read"; MAX_SCOPES].join("  ")).unwrap(),
        ["read"]
    );
    // The review's request: 16,300 distinct values is refused, whatever follows them.
    let attack = many(16_300).join(" ");
    assert_eq!(parse(&attack), Err(ScopeError::TooMany));
    assert_eq!(parse(&format!("{attack} \"")), Err(ScopeError::TooMany));
}

#[test]
fn subset_rule() {
    let allowed = strings(&["read", "write"]);
    assert!(all_within(&strings(&["read"]), &allowed));
    assert!(!all_within(&strings(&["admin"]), &allowed));
    // Above the scan limit on both sides the check hashes; the answer is the same.
    let (big, other) = (many(MAX_SCOPES), many(MAX_SCOPES + 1));
    assert!(all_within(&big, &big));
    assert!(all_within(&big, &other));
    assert!(!all_within(&other, &big));
    assert!(all_within(&[], &[]));
}

fn scope_token() -> impl Strategy<Value = String> {
    // A small alphabet, so that repeats are common.
    proptest::string::string_regex("[ab!~]{1,3}").unwrap()
}

proptest! {
    /// `parse` and `parse_list` keep the first of each value, in order, as the obvious
    /// quadratic definition does; the subset check agrees with `contains`.
    #[test]
    fn agrees_with_the_quadratic_definitions(
        tokens in proptest::collection::vec(scope_token(), 0..40),
        allowed in proptest::collection::vec(scope_token(), 0..40),
    ) {
        let mut expected: Vec<String> = Vec::new();
        for t in &tokens {
            if !expected.contains(t) {
                expected.push(t.clone());
            }
        }
        prop_assert_eq!(parse(&tokens.join(" ")).unwrap(), expected.clone());
        prop_assert_eq!(parse_list(&tokens).unwrap(), expected);
        let naive = tokens.iter().all(|t| allowed.contains(t));
        prop_assert_eq!(all_within(&tokens, &allowed), naive);
    }
}
