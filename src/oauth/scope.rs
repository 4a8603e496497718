//! Scopes (RFC 6749 §3.3): space-delimited, case-sensitive, order-free.
//!
//! RFC 6749 sets no limit on how many values a request may carry; dpopd accepts [`MAX_SCOPES`]
//! and refuses more, and every function here does work linear in its input: a `scope`
//! parameter reaches [`parse`] from anyone who knows a public `client_id`.
use std::collections::HashSet;

/// The most scope values one request, list or token carries: far above what a deployment
/// registers for one client (docs/configuration.md, "Input limits").
pub const MAX_SCOPES: usize = 256;

/// Up to this many values on one side, the subset check and de-duplication scan rather than
/// hash: cheaper for the one to five scopes of almost every request, and still linear.
const SCAN_LIMIT: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// RFC 6749 §3.3: a character outside `scope-token`, or an empty list entry.
    #[error("scope contains an invalid character")]
    Malformed,
    #[error("more than {MAX_SCOPES} scope values")]
    TooMany,
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Parses a `scope` parameter into distinct scope tokens, keeping first-seen order. More than
/// [`MAX_SCOPES`] values, repeated ones included, are refused as soon as the next one is seen.
pub fn parse(text: &str) -> Result<Vec<String>, ScopeError> {
    let mut tokens = Vec::new();
    for token in text.split(' ').filter(|t| !t.is_empty()) {
        if tokens.len() == MAX_SCOPES {
            return Err(ScopeError::TooMany);
        }
        if !is_token(token) {
            return Err(ScopeError::Malformed);
        }
        tokens.push(token);
    }
    Ok(distinct(&tokens))
}

/// Scopes given as a list (an API field, not a `scope` parameter): each entry must be one
/// scope token; duplicates are dropped.
pub fn parse_list(list: &[String]) -> Result<Vec<String>, ScopeError> {
    if list.len() > MAX_SCOPES {
        return Err(ScopeError::TooMany);
    }
    if !list.iter().all(|s| is_token(s)) {
        return Err(ScopeError::Malformed);
    }
    let tokens: Vec<&str> = list.iter().map(String::as_str).collect();
    Ok(distinct(&tokens))
}

/// The tokens without repeats, in first-seen order.
fn distinct(tokens: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    if tokens.len() <= SCAN_LIMIT {
        for token in tokens {
            if !out.iter().any(|s| s == token) {
                out.push((*token).to_owned());
            }
        }
    } else {
        let mut seen = HashSet::with_capacity(tokens.len());
        out.extend(
            tokens
                .iter()
                .filter(|t| seen.insert(**t))
                .map(|t| (*t).to_owned()),
        );
    }
    out
}

/// Whether every scope in `requested` is in `allowed`, in time linear in both.
pub fn all_within(requested: &[String], allowed: &[String]) -> bool {
    if requested.len().min(allowed.len()) <= SCAN_LIMIT {
        requested.iter().all(|r| allowed.contains(r))
    } else {
        let allowed: HashSet<&str> = allowed.iter().map(String::as_str).collect();
        requested.iter().all(|r| allowed.contains(r.as_str()))
    }
}

pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

#[cfg(test)]
mod tests {
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
}
