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
mod tests;
