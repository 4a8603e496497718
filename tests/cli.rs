//! The `dpopd` command line as a user meets it: `--help` and `--version` answer and exit 0,
//! a wrong argument says what is wrong and exits 2, `keygen` prints keys that load, `proof`
//! and `explain` agree with the project's DPoP vectors (tests/data, from RFC 9449, RFC 7638
//! and RFC 8037), and the README's DPoP commands work against a development dpopd.
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
    let (code, out, _) = dpopd(&["proof", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--htm") && out.contains("--ephemeral"),
        "{out}"
    );
    let (code, out, _) = dpopd(&["explain", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--server <URL>") && out.contains("3 refused"),
        "{out}"
    );
    let (code, _, err) = dpopd(&["explain", "--server", "http://x", "--time", "0", "p"]);
    assert_eq!(code, 2, "--time is the server's: {err}");
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

/// `dpopd` with `envs` set and `stdin` given, as (exit code, stdout, stderr).
fn dpopd_with(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dpopd"))
        .args(args)
        .env_remove("DPOPD_CONFIG")
        .envs(envs.iter().copied())
        .output()
        .expect("dpopd runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dpopd-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The project's DPoP vectors (RFC 9449, RFC 7638, RFC 8037; see the file's `about`).
fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("data/dpop-vectors.json")).expect("vectors are JSON")
}

fn b64(bytes: &[u8]) -> String {
    dpopd::jose::b64::encode(bytes)
}

/// A proof with `jwk` in its header and a signature that cannot verify.
fn unsigned_proof(alg: &str, jwk: &serde_json::Value) -> String {
    let header = serde_json::json!({ "typ": "dpop+jwt", "alg": alg, "jwk": jwk });
    let claims = serde_json::json!({
        "jti": "j-1", "htm": "POST", "htu": "https://server.example.com/token", "iat": 1562262616
    });
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(&[0; 256])
    )
}

#[test]
fn explain_prints_the_expected_verdict_for_every_dpop_vector() {
    let v = vectors();
    for vector in v["proofs"].as_array().unwrap() {
        let name = vector["name"].as_str().unwrap();
        let proof = vector["proof"].as_str().unwrap();
        let e = &vector["expect"];
        let now = e["pin_now"].as_i64().unwrap().to_string();
        let (htm, htu) = (e["htm"].as_str().unwrap(), e["htu"].as_str().unwrap());
        let mut args = vec!["explain", proof, "--htm", htm, "--htu", htu, "--time", &now];
        if let Some(token) = e["access_token"].as_str() {
            args.extend(["--access-token", token]);
        }
        let (code, out, err) = dpopd(&args);
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(out.ends_with("verdict: ACCEPTED\n"), "{name}: {out}");
        let jkt = e["jkt"].as_str().unwrap();
        assert!(out.contains(&format!("jkt     {jkt}\n")), "{name}: {out}");
        assert!(out.contains("iat - now = +0 s"), "{name}: {out}");
        // The same proof for another method, an hour later, or with another token is refused
        // at that check.
        let wrong_method = if htm == "POST" { "GET" } else { "POST" };
        let later = (e["pin_now"].as_i64().unwrap() + 3600).to_string();
        let mut refusals = vec![
            (
                vec!["--htm", wrong_method, "--htu", htu, "--time", &now],
                "htm",
            ),
            (vec!["--htm", htm, "--htu", htu, "--time", &later], "iat"),
            (
                vec![
                    "--htm",
                    htm,
                    "--htu",
                    "https://elsewhere.example/x",
                    "--time",
                    &now,
                ],
                "htu",
            ),
        ];
        if e["access_token"].is_string() {
            refusals.push((
                vec![
                    "--htm",
                    htm,
                    "--htu",
                    htu,
                    "--time",
                    &now,
                    "--access-token",
                    "other",
                ],
                "ath",
            ));
        }
        for (extra, check) in refusals {
            let mut args = vec!["explain", proof];
            args.extend(extra);
            let (code, out, _) = dpopd(&args);
            assert_eq!(code, 3, "{name} {check}: {out}");
            assert!(
                out.ends_with(&format!("verdict: REFUSED at check {check}\n")),
                "{name} {check}: {out}"
            );
        }
    }

    // RFC 9449 figure 8's token is bound to the figures' key: the binding check passes for
    // the figure 14 proof, whose ath is of another token.
    let fig14 = &v["proofs"][2];
    assert_eq!(fig14["name"], "rfc9449_fig14_resource_request");
    let fig8 = v["access_token_example"]["token"].as_str().unwrap();
    let now = fig14["expect"]["pin_now"].as_i64().unwrap().to_string();
    let (code, out, _) = dpopd(&[
        "explain",
        fig14["proof"].as_str().unwrap(),
        "--htm",
        "GET",
        "--htu",
        "https://resource.example.org/protectedresource",
        "--time",
        &now,
        "--access-token",
        fig8,
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("(10)     ath        FAIL"), "{out}");
    assert!(out.contains("(10)     jkt        PASS"), "{out}");
    assert!(
        out.contains("cnf.jkt (its signature is not checked here)"),
        "{out}"
    );

    // Non-canonical keys (a leading zero octet) are refused at check 3, not canonicalised.
    for key in v["non_canonical_keys"].as_array().unwrap() {
        let proof = unsigned_proof("RS256", &key["jwk"]);
        let (code, out, _) = dpopd(&[
            "explain",
            &proof,
            "--htm",
            "POST",
            "--htu",
            "https://server.example.com/token",
            "--time",
            "1562262616",
        ]);
        assert_eq!(code, 3, "{}: {out}", key["name"]);
        assert!(out.ends_with("verdict: REFUSED at check jwk\n"), "{out}");
        let naive = key["naive_thumbprint"].as_str().unwrap();
        assert!(!out.contains(naive), "{out}");
    }

    // RFC 7638 §3.1 and the figures' EC key: explain prints each key's thumbprint; the RSA
    // key's proof fails only at its signature.
    for t in v["thumbprints"].as_array().unwrap() {
        let mut jwk = t["jwk"].clone();
        let alg = match jwk["kty"].as_str().unwrap() {
            "RSA" => "RS256",
            "OKP" => "EdDSA",
            _ => "ES256",
        };
        jwk.as_object_mut()
            .unwrap()
            .retain(|k, _| ["kty", "crv", "x", "y", "n", "e"].contains(&k.as_str()));
        let proof = unsigned_proof(alg, &jwk);
        let (code, out, _) = dpopd(&[
            "explain",
            &proof,
            "--htm",
            "POST",
            "--htu",
            "https://server.example.com/token",
            "--time",
            "1562262616",
        ]);
        assert_eq!(code, 3, "{out}");
        let thumbprint = t["thumbprint"].as_str().unwrap();
        assert!(
            out.contains(&format!("jkt     {thumbprint}\n")),
            "{}: {out}",
            t["name"]
        );
        assert!(
            out.ends_with("verdict: REFUSED at check signature\n"),
            "{out}"
        );
    }

    // RFC 3986 normalisation of htu: a proof for each claim, explained for each request.
    for case in v["htu_cases"].as_array().unwrap() {
        let claim = case["claim"].as_str().unwrap();
        let request = case["request"].as_str().unwrap();
        let (code, proof, err) = dpopd(&["proof", "--ephemeral", "--htm", "POST", "--htu", claim]);
        assert_eq!(code, 0, "{claim}: {err}");
        let (code, out, _) = dpopd(&["explain", proof.trim(), "--htm", "POST", "--htu", request]);
        let matched = case["match"].as_bool().unwrap();
        assert_eq!(
            code,
            if matched { 0 } else { 3 },
            "{claim} vs {request}: {out}"
        );
        let row = if matched {
            "(7)      htu        PASS"
        } else {
            "(7)      htu        FAIL"
        };
        assert!(out.contains(row), "{claim} vs {request}: {out}");
    }
}

#[test]
fn proof_keeps_its_key_owner_only_and_explain_reads_stdin() {
    let dir = scratch("proof");
    let config = dir.to_str().unwrap();
    let env = [("XDG_CONFIG_HOME", config)];
    let (code, out, err) = dpopd_with(
        &[
            "proof",
            "--htm",
            "POST",
            "--htu",
            "https://as.example/token",
            "--json",
        ],
        &env,
    );
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(&out).unwrap();
    let key_file = dir.join("dpopd").join("dpop-key.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(first["jwk"].get("d").is_none() && first["jkt"].is_string());
    let (_, out, _) = dpopd_with(
        &[
            "proof",
            "--htm",
            "GET",
            "--htu",
            "https://rs.example/r",
            "--json",
        ],
        &env,
    );
    let second: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(first["jkt"], second["jkt"], "the key file is reused");

    // RFC 8037 appendix A's private key, as a key file: the proof's key is that key.
    let v = vectors();
    let ed = &v["thumbprints"][1];
    let mut private = ed["jwk"].clone();
    private["d"] = ed["private_d"].clone();
    let rfc_key = dir.join("rfc8037.json");
    std::fs::write(&rfc_key, private.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rfc_key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (code, out, err) = dpopd(&[
        "proof",
        "--key",
        rfc_key.to_str().unwrap(),
        "--htm",
        "POST",
        "--htu",
        "https://server.example.com/token",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let minted: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(minted["jkt"], ed["thumbprint"]);

    // explain reads the proof from standard input, a pasted `DPoP:` line too.
    let proof = first["proof"].as_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dpopd"))
        .args([
            "explain",
            "--htm",
            "POST",
            "--htu",
            "https://as.example/token",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "DPoP: {proof}").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("jkt     {}", first["jkt"].as_str().unwrap())),
        "{text}"
    );
    let (code, _, err) = dpopd(&[
        "explain",
        proof,
        "--htm",
        "POST",
        "--htu",
        "https://as.example/token",
        "--time",
        "last week",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("--time \"last week\""), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A development dpopd on a free loopback port, stopped when dropped.
struct DevInstance {
    child: std::process::Child,
    banner: String,
    port: u16,
}

impl Drop for DevInstance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn development_instance() -> DevInstance {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dpopd"))
        .env_remove("DPOPD_CONFIG")
        .env("DPOPD__SERVER__PORT", "0")
        .env("DPOPD__STORE__KIND", "memory")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("dpopd starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = String::new();
    let mut rules = 0;
    while rules < 2 {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the development banner within a minute");
        if line.starts_with("=====") {
            rules += 1;
        }
        banner.push_str(&line);
        banner.push('\n');
    }
    let port = banner
        .split("http://127.0.0.1:")
        .filter_map(|rest| rest.split('/').next()?.parse::<u16>().ok())
        .find(|p| *p != 8080)
        .expect("the banner names the port");
    DevInstance {
        child,
        banner,
        port,
    }
}

/// README.md's first commands are the banner's, and against a development dpopd they get a
/// DPoP-bound token and introspect it with a proof carrying its `ath`.
#[test]
fn the_readme_dpop_commands_run_against_a_development_instance() {
    let readme = include_str!("../README.md");
    let walkthrough = dpopd::development::dpop_walkthrough(
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/token",
    );
    assert!(
        readme.contains("Try it: a DPoP-bound token")
            && readme.contains(&format!("```sh\n{walkthrough}```")),
        "README.md's walkthrough is not dpop_walkthrough's:\n{walkthrough}"
    );
    let dev = development_instance();
    let at_port = dpopd::development::dpop_walkthrough(
        &format!("http://127.0.0.1:{}", dev.port),
        "http://127.0.0.1:8080/token",
    );
    let shown: String = at_port.lines().map(|l| format!("  {l}\n")).collect();
    assert!(dev.banner.contains(&shown), "{}", dev.banner);

    // The README's text, pointed at this instance; `dpopd` is this build, its key file fresh.
    let script = walkthrough.replace(
        "http://127.0.0.1:8080/auth/",
        &format!("http://127.0.0.1:{}/auth/", dev.port),
    );
    let dir = scratch("readme");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_dpopd"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-e", "-c", &script])
        .env("PATH", path)
        .env("XDG_CONFIG_HOME", &dir)
        .output()
        .expect("sh runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let (_, key, _) = dpopd_with(
        &["proof", "--htm", "GET", "--htu", "http://x/", "--json"],
        &[("XDG_CONFIG_HOME", dir.to_str().unwrap())],
    );
    let jkt = serde_json::from_str::<serde_json::Value>(&key).unwrap()["jkt"]
        .as_str()
        .unwrap()
        .to_owned();
    let token: serde_json::Value = serde_json::from_str(stderr.trim()).expect("the token answer");
    assert_eq!(
        (&token["action"], &token["tokenType"], &token["jkt"]),
        (&"OK".into(), &"DPoP".into(), &jkt.clone().into()),
        "{token}"
    );
    let introspected: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        (
            &introspected["action"],
            &introspected["resultCode"],
            &introspected["jkt"]
        ),
        (&"OK".into(), &"A056001".into(), &jkt.into()),
        "{introspected}"
    );

    // dpopd explain --server asks this instance: its clock and replay store decide.
    let server = format!("http://127.0.0.1:{}", dev.port);
    let env = [("XDG_CONFIG_HOME", dir.to_str().unwrap())];
    let (_, fresh, _) = dpopd_with(
        &[
            "proof",
            "--htm",
            "POST",
            "--htu",
            "http://127.0.0.1:8080/token",
        ],
        &env,
    );
    let (code, out, err) = dpopd(&["explain", "--server", &server, fresh.trim()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("asked {server}")), "{out}");
    assert!(out.contains("(11)     replay     PASS"), "{out}");
    let (code, out, _) = dpopd(&["explain", "--server", &server, "--htm", "PUT", fresh.trim()]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.ends_with(
            "verdict: REFUSED at check htm: the endpoint answers BAD_REQUEST invalid_dpop_proof (A254301)\n"
        ),
        "{out}"
    );
    let (code, _, err) = dpopd(&[
        "explain",
        "--server",
        &server,
        "--caller",
        "demo-caller:wrong",
        fresh.trim(),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("answered 401") && err.contains("A001201"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
