//! The service's keys and secrets, loaded from settings at start and by each reload: the
//! signing keys (the first signs, the rest only verify), the sealing keys (the first seals,
//! every one opens) and the nonce secret. Development mode fills in what a production
//! configuration must supply: an ephemeral signing key, nonce secret and sealing key.
use crate::config::{ConfigError, Settings, SigningKeySettings};
use crate::jose::seal::Sealer;
use crate::jose::secrets::random_bytes;
use crate::jose::{Alg, KeySet, SigningKey};

/// Everything secret the service works with.
pub struct ServiceKeys {
    pub signing: KeySet,
    pub sealer: Sealer,
    pub nonce_secret: Vec<u8>,
}

pub fn load(settings: &Settings) -> Result<ServiceKeys, ConfigError> {
    let nonce_secret = match settings.dpop.nonce_secret.expose() {
        "" if settings.development => random_bytes::<32>().to_vec(),
        "" => return Err(ConfigError::invalid("dpop.nonce_secret", "required")),
        text => decode_secret("dpop.nonce_secret", text, 32)?,
    };
    Ok(ServiceKeys {
        signing: load_keys(settings)?,
        sealer: load_sealer(settings)?,
        nonce_secret,
    })
}

fn load_keys(settings: &Settings) -> Result<KeySet, ConfigError> {
    if settings.keys.signing.is_empty() && settings.development {
        let key = SigningKey::generate(Alg::ES256, None)
            .map_err(|e| ConfigError::invalid("keys.signing", e.to_string()))?;
        return Ok(KeySet::new(key, Vec::new()));
    }
    let mut loaded = settings
        .keys
        .signing
        .iter()
        .enumerate()
        .map(|(i, k)| {
            load_signing_key(k).map_err(|e| ConfigError::invalid(format!("keys.signing[{i}]"), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if loaded.is_empty() {
        return Err(ConfigError::invalid(
            "keys.signing",
            "at least one signing key is required",
        ));
    }
    let active = loaded.remove(0);
    let verify_only = loaded
        .iter()
        .map(|k| (k.kid().to_owned(), k.alg(), k.public().clone()))
        .collect();
    Ok(KeySet::new(active, verify_only).with_signers(loaded))
}

fn load_signing_key(k: &SigningKeySettings) -> Result<SigningKey, String> {
    let alg = k.alg;
    let read =
        |path: &str| std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"));
    let key = match (&k.jwk, &k.jwk_file, &k.pem_file) {
        (Some(jwk), None, None) => from_jwk_text(jwk.expose(), k)?,
        (None, Some(path), None) => from_jwk_text(&read(path)?, k)?,
        (None, None, Some(path)) => {
            SigningKey::from_pem(&read(path)?, alg, k.kid.clone()).map_err(|e| e.to_string())?
        }
        _ => return Err("set exactly one of jwk, jwk_file, pem_file".into()),
    };
    if alg.is_some_and(|a| a != key.alg()) {
        return Err("alg does not match the key".into());
    }
    Ok(key)
}

fn from_jwk_text(text: &str, k: &SigningKeySettings) -> Result<SigningKey, String> {
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("jwk is not JSON: {e}"))?;
    if let (Some(kid), Some(obj)) = (&k.kid, value.as_object_mut()) {
        obj.insert("kid".into(), kid.clone().into());
    }
    if let (Some(alg), Some(obj)) = (&k.alg, value.as_object_mut()) {
        obj.insert("alg".into(), alg.name().into());
    }
    SigningKey::from_jwk(&value).map_err(|e| e.to_string())
}

fn load_sealer(settings: &Settings) -> Result<Sealer, ConfigError> {
    let mut keys = Vec::new();
    for (i, k) in settings.keys.sealing.iter().enumerate() {
        let bytes = decode_secret(&format!("keys.sealing[{i}].key"), k.key.expose(), 32)?;
        let mut key = [0u8; 32];
        if bytes.len() != 32 {
            return Err(ConfigError::invalid(
                format!("keys.sealing[{i}].key"),
                "must be exactly 32 octets",
            ));
        }
        key.copy_from_slice(&bytes);
        keys.push((k.kid.clone(), key));
    }
    if keys.is_empty() {
        if !settings.development {
            return Err(ConfigError::invalid(
                "keys.sealing",
                "at least one sealing key is required",
            ));
        }
        keys.push(("ephemeral".to_owned(), random_bytes::<32>()));
    }
    Sealer::new(&keys).map_err(|e| ConfigError::invalid("keys.sealing", e.to_string()))
}

fn decode_secret(key: &str, text: &str, min_len: usize) -> Result<Vec<u8>, ConfigError> {
    let bytes = crate::jose::b64::decode(text)
        .map_err(|_| ConfigError::invalid(key, "must be base64url without padding"))?;
    if bytes.len() < min_len {
        return Err(ConfigError::invalid(
            key,
            format!("must be at least {min_len} octets"),
        ));
    }
    Ok(bytes)
}
