//! `dpopd proof`: a DPoP proof (RFC 9449 §4.2) for one request, as a client makes it, from a
//! key kept in a file (created on first use, readable by its owner only) or an ephemeral key.
//! The default file is `dpopd/dpop-key.json` in the user's configuration directory
//! (`$XDG_CONFIG_HOME`, else `$HOME/.config`), so successive proofs share one key, as the
//! proofs of one client do, and a token bound to it can be used with later proofs.
use super::ToolError;
use crate::clock::UnixTime;
use crate::dpop::client::{self, ProofClaims};
use crate::dpop::htu::Htu;
use crate::jose::{Alg, SigningKey};
use std::path::{Path, PathBuf};

/// Where the proof's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// This file, created with a new key when it does not exist.
    File(PathBuf),
    /// A new key for this proof only.
    Ephemeral,
}

/// What to put in the proof.
#[derive(Debug, Clone)]
pub struct ProofRequest {
    pub htm: String,
    pub htu: String,
    pub nonce: Option<String>,
    /// `ath` as given, or computed from `access_token`.
    pub ath: Option<String>,
    pub access_token: Option<String>,
    /// The alg of a new key; an existing key must have it if it is given.
    pub alg: Option<Alg>,
    pub key: KeySource,
}

/// A minted proof and its key's public half.
#[derive(Debug, Clone)]
pub struct Minted {
    pub proof: String,
    pub public_jwk: serde_json::Value,
    pub jkt: String,
}

impl Minted {
    /// `{"proof", "jwk", "jkt"}`, for `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "proof": self.proof, "jwk": self.public_jwk, "jkt": self.jkt })
    }
}

/// The key file used when none is named: `dpopd/dpop-key.json` under `$XDG_CONFIG_HOME`, or
/// under `$HOME/.config`; `None` when neither variable is set.
pub fn default_key_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".config"))
        })?;
    Some(base.join("dpopd").join("dpop-key.json"))
}

/// Mints the proof `request` describes, at `now`.
pub fn mint(request: &ProofRequest, now: UnixTime) -> Result<Minted, ToolError> {
    let htu = proof_htu(&request.htu)?;
    if request.htm.is_empty() || !request.htm.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ToolError::Usage(
            "--htm must be an HTTP method such as POST or GET".into(),
        ));
    }
    let key = match &request.key {
        KeySource::Ephemeral => new_key(request.alg.unwrap_or(Alg::ES256))?,
        KeySource::File(path) => key_from_file(path, request.alg)?,
    };
    let mut claims = client::proof_claims(
        &request.htm,
        &htu,
        now,
        &ProofClaims {
            access_token: request.access_token.as_deref(),
            nonce: request.nonce.as_deref(),
            ..Default::default()
        },
    );
    if let Some(ath) = &request.ath {
        claims.insert("ath".into(), ath.clone().into());
    }
    let proof = client::sign_parts(
        &key,
        &serde_json::Value::Object(client::proof_header(&key)),
        &serde_json::Value::Object(claims),
    )
    .map_err(|e| ToolError::Usage(format!("cannot sign the proof: {e}")))?;
    Ok(Minted {
        proof,
        public_jwk: serde_json::Value::Object(key.public().to_json()),
        jkt: key.public().thumbprint().as_str().to_owned(),
    })
}

/// RFC 9449 §4.2: `htu` is the request's URI without query and fragment, an http(s) URI.
fn proof_htu(url: &str) -> Result<String, ToolError> {
    let bare = url.split(['?', '#']).next().unwrap_or_default();
    Htu::parse(bare).map_err(|e| ToolError::Usage(format!("--htu {url:?}: {e}")))?;
    Ok(bare.to_owned())
}

fn new_key(alg: Alg) -> Result<SigningKey, ToolError> {
    if alg.family() == crate::jose::alg::KeyFamily::Rsa {
        return Err(ToolError::Usage(
            "--alg: ES256, ES384 or EdDSA (dpopd cannot generate RSA keys)".into(),
        ));
    }
    SigningKey::generate(alg, None).map_err(|e| ToolError::Usage(e.to_string()))
}

/// The key in `path`, or a new one written there, readable by its owner only.
fn key_from_file(path: &Path, alg: Option<Alg>) -> Result<SigningKey, ToolError> {
    let failed = |reason: String| ToolError::KeyFile {
        path: path.display().to_string(),
        reason,
    };
    let key = match std::fs::read_to_string(path) {
        Ok(text) => {
            refuse_if_shared(path).map_err(failed)?;
            let jwk: serde_json::Value = serde_json::from_str(&text)
                .map_err(|_| failed("is not a JSON private key (JWK)".into()))?;
            SigningKey::from_jwk(&jwk).map_err(|e| failed(e.to_string()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = new_key(alg.unwrap_or(Alg::ES256))?;
            write_private(path, &key.private_jwk().to_string()).map_err(failed)?;
            key
        }
        Err(e) => return Err(failed(e.to_string())),
    };
    match alg {
        Some(alg) if alg != key.alg() => Err(failed(format!(
            "holds an {} key; for an {alg} proof name another --key FILE or use --ephemeral",
            key.alg()
        ))),
        _ => Ok(key),
    }
}

/// Creates `path` (and its directory, owner-only) holding `text`, with mode 0600; never
/// replaces an existing file.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| format!("cannot create its directory: {e}"))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create it: {e}"))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|e| format!("cannot write it: {e}"))
}

/// A private key others can read is refused, as ssh refuses one.
fn refuse_if_shared(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| e.to_string())?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "is readable by others (mode {:o}): chmod 600 it, or make a new one",
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests;
