//! Scopes (RFC 6749 §3.3): space-delimited, case-sensitive, order-free.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scope contains an invalid character")]
pub struct BadScope;

/// Parses a `scope` parameter into distinct scope tokens, keeping first-seen order.
pub fn parse(text: &str) -> Result<Vec<String>, BadScope> {
    let mut out: Vec<String> = Vec::new();
    for token in text.split(' ').filter(|t| !t.is_empty()) {
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        if !token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
        {
            return Err(BadScope);
        }
        if !out.iter().any(|s| s == token) {
            out.push(token.to_owned());
        }
    }
    Ok(out)
}

/// Scopes given as a list (an API field, not a `scope` parameter): each entry must be one
/// scope token; duplicates are dropped.
pub fn parse_list(list: &[String]) -> Result<Vec<String>, BadScope> {
    let mut out: Vec<String> = Vec::new();
    for entry in list {
        match parse(entry)?.as_slice() {
            [one] if one == entry => {
                if !out.contains(one) {
                    out.push(one.clone());
                }
            }
            _ => return Err(BadScope),
        }
    }
    Ok(out)
}

/// Whether every scope in `requested` is in `allowed`.
pub fn all_within(requested: &[String], allowed: &[String]) -> bool {
    requested.iter().all(|r| allowed.contains(r))
}

pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dedups_and_checks_characters() {
        assert_eq!(parse("read  write read").unwrap(), vec!["read", "write"]);
        assert_eq!(parse("a\"b"), Err(BadScope));
        assert_eq!(parse("a\\b"), Err(BadScope));
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn list_entries_are_single_scope_tokens() {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_list(&list(&["read", "write", "read"])).unwrap(),
            vec!["read", "write"]
        );
        assert_eq!(parse_list(&list(&["read write"])), Err(BadScope));
        assert_eq!(parse_list(&list(&[""])), Err(BadScope));
        assert_eq!(parse_list(&list(&[" read"])), Err(BadScope));
        assert!(parse_list(&[]).unwrap().is_empty());
    }

    #[test]
    fn subset_rule() {
        let allowed = vec!["read".to_string(), "write".to_string()];
        assert!(all_within(&["read".into()], &allowed));
        assert!(!all_within(&["admin".into()], &allowed));
    }
}
