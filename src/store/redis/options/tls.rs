//! The PEM files of `store.redis_tls_*` (docs/configuration.md, `[store]`): read and parsed at
//! start, so that a wrong path or a file without a certificate or key stops start-up naming its
//! key. The key file's path is never repeated in a message.
use crate::config::{ConfigError, StoreSettings};
use redis::{ClientTlsConfig, TlsCertificates};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CA: &str = "store.redis_tls_ca_file";
const CERT: &str = "store.redis_tls_cert_file";
const KEY: &str = "store.redis_tls_key_file";

/// The CA and client certificate to use, `None` when neither is configured (the system roots,
/// no client certificate). `tls`: whether any configured URL is `rediss://`.
pub(super) fn certificates(
    s: &StoreSettings,
    tls: bool,
) -> Result<Option<TlsCertificates>, ConfigError> {
    let (ca, cert, key) = (
        &s.redis_tls_ca_file,
        &s.redis_tls_cert_file,
        &s.redis_tls_key_file,
    );
    if let Some((name, _)) = [(CA, ca), (CERT, cert), (KEY, key)]
        .into_iter()
        .find(|(_, path)| !path.is_empty())
    {
        if !tls {
            return Err(ConfigError::invalid(
                name,
                "set, but no Redis URL uses rediss:// (TLS)",
            ));
        }
    }
    match (cert.is_empty(), key.is_empty()) {
        (false, true) => Err(ConfigError::invalid(
            KEY,
            format!("required with {CERT} (mutual TLS needs both)"),
        )),
        (true, false) => Err(ConfigError::invalid(
            CERT,
            format!("required with {KEY} (mutual TLS needs both)"),
        )),
        _ => Ok(()),
    }?;
    let root_cert = match ca.as_str() {
        "" => None,
        path => Some(certificate_file(CA, path)?),
    };
    let client_tls = match cert.as_str() {
        "" => None,
        path => Some(ClientTlsConfig {
            client_cert: certificate_file(CERT, path)?,
            client_key: key_file(key)?,
        }),
    };
    Ok(
        (root_cert.is_some() || client_tls.is_some()).then_some(TlsCertificates {
            client_tls,
            root_cert,
        }),
    )
}

/// A PEM file holding at least one certificate.
fn certificate_file(name: &str, path: &str) -> Result<Vec<u8>, ConfigError> {
    let pem = std::fs::read(path)
        .map_err(|e| ConfigError::invalid(name, format!("cannot read {path}: {e}")))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::invalid(name, format!("not a PEM certificate file: {e}")))?;
    if certificates.is_empty() {
        return Err(ConfigError::invalid(name, "holds no PEM certificate"));
    }
    Ok(pem)
}

/// A PEM file holding a private key; neither its path nor its content appears in a message.
fn key_file(path: &str) -> Result<Vec<u8>, ConfigError> {
    let pem = std::fs::read(path)
        .map_err(|e| ConfigError::invalid(KEY, format!("cannot read the file: {}", e.kind())))?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
        ConfigError::invalid(KEY, "holds no PEM private key (PKCS#8, SEC 1 or PKCS#1)")
    })?;
    Ok(pem)
}
