//! `application/x-www-form-urlencoded` parameters as an OAuth endpoint receives them, parsed
//! strictly: invalid percent-encoding or UTF-8 is an error, a repeated parameter is an error
//! (RFC 6749 §3.1, §3.2), and a parameter without a value counts as absent (RFC 6749 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("parameter {0} is repeated")]
    Repeated(String),
    #[error("parameters contain invalid percent-encoding")]
    BadEncoding,
    #[error("parameters are not valid UTF-8")]
    BadUtf8,
    #[error("too many parameters")]
    TooMany,
}

const MAX_PARAMS: usize = 64;

/// The parameters in the order received. A request carries a handful (at most
/// [`MAX_PARAMS`]), so a list searched in order costs less than hashing every name with a
/// random key, and the repeated-name check stays bounded (64 × 64 comparisons at most).
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(body: &str) -> Result<Params, ParamsError> {
        let mut list: Vec<(String, String)> = Vec::new();
        for pair in body.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name)?;
            let value = decode(value)?;
            if value.is_empty() {
                continue;
            }
            if list.len() >= MAX_PARAMS {
                return Err(ParamsError::TooMany);
            }
            if list.iter().any(|(seen, _)| *seen == name) {
                return Err(ParamsError::Repeated(name));
            }
            list.push((name, value));
        }
        Ok(Params(list))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

fn decode(text: &str) -> Result<String, ParamsError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| hex(*b));
                let lo = bytes.get(i + 2).and_then(|b| hex(*b));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(ParamsError::BadEncoding),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ParamsError::BadUtf8)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
