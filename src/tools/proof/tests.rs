//! Unit tests of `proof`: the key file's life and the proof's claims.
use super::*;
use crate::dpop::nonce::NonceService;
use crate::dpop::proof::{AlgSet, Expectation, ProofPolicy, Validator};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dpopd-proof-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn request(key: KeySource) -> ProofRequest {
    ProofRequest {
        htm: "POST".into(),
        htu: "http://127.0.0.1:8080/token?x=1#f".into(),
        nonce: None,
        ath: None,
        access_token: None,
        alg: None,
        key,
    }
}

fn claims(proof: &str) -> serde_json::Value {
    let payload = proof.split('.').nth(1).unwrap();
    serde_json::from_slice(&crate::jose::b64::decode(payload).unwrap()).unwrap()
}

#[test]
fn the_key_file_is_created_owner_only_and_reused() {
    let dir = temp_dir("reuse");
    let path = dir.join("sub").join("dpop-key.json");
    let first = mint(
        &request(KeySource::File(path.clone())),
        UnixTime(1_700_000_000),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }
    let second = mint(
        &request(KeySource::File(path.clone())),
        UnixTime(1_700_000_001),
    )
    .unwrap();
    assert_eq!(first.jkt, second.jkt);
    assert_ne!(claims(&first.proof)["jti"], claims(&second.proof)["jti"]);
    // Another alg than the file's is refused, naming the way out.
    let es384 = ProofRequest {
        alg: Some(Alg::ES384),
        ..request(KeySource::File(path.clone()))
    };
    let err = mint(&es384, UnixTime(1_700_000_000))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("holds an ES256 key") && err.contains("--ephemeral"),
        "{err}"
    );
    let ephemeral = mint(&request(KeySource::Ephemeral), UnixTime(1_700_000_000)).unwrap();
    assert_ne!(ephemeral.jkt, first.jkt);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("shared");
    let path = dir.join("dpop-key.json");
    mint(
        &request(KeySource::File(path.clone())),
        UnixTime(1_700_000_000),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = mint(
        &request(KeySource::File(path.clone())),
        UnixTime(1_700_000_000),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("readable by others (mode 644)"), "{err}");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "not json").unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = mint(&request(KeySource::File(bad)), UnixTime(0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a JSON private key"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_proof_passes_the_validator_and_carries_what_was_asked() {
    let minted = mint(
        &ProofRequest {
            htm: "GET".into(),
            nonce: Some("n-1".into()),
            access_token: Some("the-token".into()),
            alg: Some(Alg::EdDSA),
            ..request(KeySource::Ephemeral)
        },
        UnixTime(1_700_000_000),
    )
    .unwrap();
    let c = claims(&minted.proof);
    // RFC 9449 §4.2: htu without query and fragment.
    assert_eq!(c["htu"], "http://127.0.0.1:8080/token");
    assert_eq!(c["htm"], "GET");
    assert_eq!(c["nonce"], "n-1");
    assert_eq!(c["ath"], crate::dpop::proof::ath_of("the-token"));
    assert_eq!(minted.public_jwk["kty"], "OKP");
    assert!(minted.public_jwk.get("d").is_none());
    let policy = ProofPolicy {
        algs: AlgSet::of([Alg::EdDSA]),
        max_proof_bytes: 8192,
        rsa_min_bits: 2048,
        rsa_max_bits: 4096,
        max_age_secs: 60,
        clock_skew_secs: 15,
    };
    let v = Validator::new(policy, NonceService::new(&[7; 32], 60, 120));
    let htu = Htu::parse("http://127.0.0.1:8080/token").unwrap();
    let checked = v
        .check(
            &minted.proof,
            &Expectation {
                header_count: 1,
                htm: "GET",
                htu: &htu,
                access_token: Some("the-token"),
                bound_jkt: None,
                nonce_required: false,
                algs: AlgSet::of([Alg::EdDSA]),
                now: UnixTime(1_700_000_000),
            },
        )
        .unwrap();
    assert_eq!(checked.jkt().as_str(), minted.jkt);
    let given = mint(
        &ProofRequest {
            ath: Some("given-ath".into()),
            ..request(KeySource::Ephemeral)
        },
        UnixTime(1_700_000_000),
    )
    .unwrap();
    assert_eq!(claims(&given.proof)["ath"], "given-ath");
}

#[test]
fn unusable_arguments_are_named() {
    for (htm, htu, alg, expected) in [
        ("POST", "ftp://x/token", None, "--htu"),
        ("POST", "/token", None, "--htu"),
        ("", "http://a/token", None, "--htm"),
        ("PO ST", "http://a/token", None, "--htm"),
        (
            "POST",
            "http://a/token",
            Some(Alg::RS256),
            "cannot generate RSA",
        ),
    ] {
        let err = mint(
            &ProofRequest {
                htm: htm.into(),
                htu: htu.into(),
                alg,
                ..request(KeySource::Ephemeral)
            },
            UnixTime(0),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(expected), "{htm} {htu}: {err}");
    }
}
