//! The `dpopd` command line as a user meets it: `--help` and `--version` answer and exit 0,
//! a wrong argument says what is wrong and exits 2, and `keygen` prints keys that load.
use std::process::Command;

fn dpopd(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dpopd"))
        .args(args)
        .env_remove("DPOPD_CONFIG")
        .output()
        .expect("dpopd runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_and_version_exit_zero() {
    let (code, out, _) = dpopd(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--config <FILE>") && out.contains("keygen"),
        "{out}"
    );
    let (code, out, _) = dpopd(&["--version"]);
    assert_eq!(
        (code, out.trim()),
        (0, concat!("dpopd ", env!("CARGO_PKG_VERSION")))
    );
    let (code, out, _) = dpopd(&["keygen", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--alg"), "{out}");
}

#[test]
fn a_wrong_argument_is_named_and_exits_two() {
    let (code, _, err) = dpopd(&["--confg", "x.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("--confg"), "{err}");
    let (code, _, err) = dpopd(&["keygen", "--alg", "HS256"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown alg \"HS256\""), "{err}");
}

#[test]
fn keygen_prints_a_key_and_explains_rsa() {
    let (code, out, _) = dpopd(&["keygen", "--alg", "EdDSA", "--kid", "k-2026"]);
    assert_eq!(code, 0);
    let jwk = out
        .lines()
        .find_map(|l| l.strip_prefix("jwk = '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("a private JWK line");
    let key = dpopd::jose::SigningKey::from_jwk(&serde_json::from_str(jwk).unwrap()).unwrap();
    assert_eq!((key.alg().name(), key.kid()), ("EdDSA", "k-2026"));
    let (code, _, err) = dpopd(&["keygen", "--alg", "PS256"]);
    assert_eq!(code, 1);
    assert!(err.contains("openssl genpkey"), "{err}");
}

#[test]
fn a_bad_configuration_file_stops_start_up_naming_the_key() {
    let dir = std::env::temp_dir().join(format!("dpopd-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[dpop]\nalgs = [\"none\"]\n").unwrap();
    let (code, _, err) = dpopd(&["--config", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("dpopd: ") && err.contains("dpop.algs"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
