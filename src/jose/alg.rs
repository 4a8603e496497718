//! JWS `alg` values dpopd knows (RFC 7518 §3.1, RFC 8037 §3.1) and the key type each needs.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Alg {
    ES256,
    ES384,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    EdDSA,
}

/// The key family an `alg` requires (RFC 9449 §4.3 check 2: `alg` agrees with the key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFamily {
    EcP256,
    EcP384,
    Rsa,
    Ed25519,
}

impl Alg {
    pub const ALL: [Alg; 9] = [
        Alg::ES256,
        Alg::ES384,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::EdDSA,
    ];

    /// Exact, case-sensitive match (RFC 7515 §4.1.1). `none` and `HS*` are never an `Alg`.
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::EdDSA => "EdDSA",
        }
    }

    pub fn family(self) -> KeyFamily {
        match self {
            Alg::ES256 => KeyFamily::EcP256,
            Alg::ES384 => KeyFamily::EcP384,
            Alg::EdDSA => KeyFamily::Ed25519,
            _ => KeyFamily::Rsa,
        }
    }
}

/// For command-line arguments: the exact name, as [`Alg::from_name`].
impl std::str::FromStr for Alg {
    type Err = String;

    fn from_str(name: &str) -> Result<Alg, String> {
        Alg::from_name(name).ok_or_else(|| format!("unknown alg {name:?}"))
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
