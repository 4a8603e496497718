//! Development mode facing the network: its demo caller's secret is published, so an instance
//! started without a configuration file must not listen beyond loopback (the container image
//! sets `server.host = 0.0.0.0`) unless the operator opts in by name, and then it says so.
use dpopd::config::{DevListen, Settings, DEV_LISTEN_ANY_INTERFACE};
use dpopd::development::add_demo_credentials;
use dpopd::startup::Application;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn development(host: &str, listen: DevListen) -> Settings {
    let mut settings = Settings::development();
    add_demo_credentials(&mut settings);
    settings.server.host = host.into();
    settings.server.port = 0;
    settings.server.workers = 1;
    settings.dev_listen = listen;
    settings
}

#[tokio::test]
async fn development_mode_refuses_to_listen_on_every_interface() {
    for host in ["0.0.0.0", "::", "[::]"] {
        match Application::build(development(host, DevListen::LoopbackOnly)).await {
            Ok(_) => panic!("{host}: development mode listens beyond loopback"),
            Err(e) => {
                let message = e.to_string();
                for needle in ["server.host", DEV_LISTEN_ANY_INTERFACE, "DPOPD_CONFIG"] {
                    assert!(message.contains(needle), "{host}: {message}");
                }
            }
        }
    }
}

#[tokio::test]
async fn development_mode_listens_on_localhost_and_everywhere_only_when_opted_in() {
    for (host, listen) in [
        ("localhost", DevListen::LoopbackOnly),
        ("127.0.0.1", DevListen::LoopbackOnly),
        ("0.0.0.0", DevListen::AnyInterface),
    ] {
        let app = Application::build(development(host, listen))
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        let url = format!("http://127.0.0.1:{}/healthz", app.port());
        let server = tokio::spawn(app.run_until_stopped());
        let status = reqwest::get(&url).await.map(|r| r.status().as_u16());
        server.abort();
        // `localhost` may resolve to ::1 first; then 127.0.0.1 is not served, which is fine.
        if host != "localhost" {
            assert_eq!(status.ok(), Some(200), "{host}");
        }
    }
}

/// `dpopd` as the container image starts it: no configuration file, `server.host = 0.0.0.0`.
fn dpopd_as_in_the_container(opt_in: Option<&str>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dpopd"));
    command
        .env_clear()
        .env("DPOPD__SERVER__HOST", "0.0.0.0")
        .env("DPOPD__SERVER__PORT", "0")
        .env("DPOPD__SERVER__WORKERS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(value) = opt_in {
        command.env(DEV_LISTEN_ANY_INTERFACE, value);
    }
    command.spawn().expect("dpopd starts")
}

/// Waits up to `limit` for `child` to exit; a child still running is killed and `None`.
fn exit_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("child status") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn the_container_without_configuration_refuses_to_start_and_says_how_to() {
    let mut child = dpopd_as_in_the_container(None);
    let status = exit_within(&mut child, Duration::from_secs(20));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "dpopd served the demo credentials on 0.0.0.0: {stderr}"
    );
    for needle in [
        "server.host",
        "\"0.0.0.0\"",
        DEV_LISTEN_ANY_INTERFACE,
        "-e DPOPD_CONFIG=/etc/dpopd.toml",
        "-p 127.0.0.1:8080:8080",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    assert!(!stderr.contains("DEVELOPMENT MODE"), "{stderr}");
}

#[test]
fn the_container_opted_in_starts_and_shouts_about_it() {
    let mut child = dpopd_as_in_the_container(Some("1"));
    let stderr = child.stderr.take().unwrap();
    let (sender, banner) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("Pass --config FILE") {
                break;
            }
        }
        let _ = sender.send(seen);
    });
    let banner = banner.recv_timeout(Duration::from_secs(20));
    let running = child.try_wait().expect("child status").is_none();
    let _ = child.kill();
    let _ = child.wait();
    let banner = banner.expect("a banner within 20 s");
    assert!(running, "{banner}");
    assert!(
        banner.contains("ANYONE WHO CAN REACH THIS PORT CAN MINT TOKENS")
            && banner.contains(&format!("{DEV_LISTEN_ANY_INTERFACE}=1")),
        "{banner}"
    );

    let mut child = dpopd_as_in_the_container(Some("true"));
    let status = exit_within(&mut child, Duration::from_secs(20));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(1),
        "only 1 opts in, and any other value stops start-up"
    );
}
