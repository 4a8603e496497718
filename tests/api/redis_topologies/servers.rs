//! Real Redis processes for the topology tests, each on a free loopback port and in a
//! directory of its own: plain and TLS servers, replicas, sentinels and cluster nodes, a test
//! CA made with the `openssl` command, and the ACL of docs/operations.md. Every process is
//! killed when its value drops.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether the binaries a test needs are installed; without them the test is skipped with a
/// message, unless `DPOPD_REQUIRE_REDIS=1` (CI) makes that a failure.
pub fn installed(test: &str, binaries: &[&str]) -> bool {
    let missing: Vec<&str> = binaries
        .iter()
        .copied()
        .filter(|b| {
            Command::new(b)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("DPOPD_REQUIRE_REDIS").is_err(),
        "{test}: {missing:?} required (DPOPD_REQUIRE_REDIS is set; tests/redis/install.sh installs them)"
    );
    eprintln!("SKIPPED {test}: {missing:?} not installed (tests/redis/install.sh)");
    false
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("dpopd-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One `redis-server` (or `redis-sentinel`) child, killed on drop; `restart` starts it again
/// with the same arguments, port and directory.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    program: &'static str,
    args: Vec<String>,
    dir: PathBuf,
}

impl Redis {
    /// A server on `port` whose working directory (dump, AOF, nodes.conf) is `dir`.
    pub fn server(dir: &Path, port: u16, extra: &[String]) -> Redis {
        let mut args: Vec<String> = ["--bind", "127.0.0.1", "--save", "", "--dir"]
            .map(String::from)
            .to_vec();
        args.push(dir.display().to_string());
        args.extend(["--port".into(), port.to_string()]);
        args.extend(extra.iter().cloned());
        Redis::start("redis-server", args, port, dir)
    }

    /// A sentinel on `port` watching the master at `master_port` as `name`, quorum 2, that
    /// calls it down after 500 ms of silence; `user` is a `user` line of its configuration.
    pub fn sentinel(dir: &Path, port: u16, name: &str, master_port: u16, user: &str) -> Redis {
        let conf = dir.join(format!("sentinel-{port}.conf"));
        std::fs::write(
            &conf,
            format!(
                "bind 127.0.0.1\nport {port}\ndir {}\n{user}\n\
                 sentinel monitor {name} 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds {name} 500\n\
                 sentinel failover-timeout {name} 2000\n\
                 sentinel parallel-syncs {name} 2\n",
                dir.display()
            ),
        )
        .expect("sentinel.conf");
        Redis::start(
            "redis-sentinel",
            vec![conf.display().to_string()],
            port,
            dir,
        )
    }

    fn start(program: &'static str, args: Vec<String>, port: u16, dir: &Path) -> Redis {
        let mut redis = Redis {
            child: None,
            port,
            program,
            args,
            dir: dir.to_owned(),
        };
        redis.restart();
        redis
    }

    pub fn restart(&mut self) {
        let log =
            std::fs::File::create(self.dir.join(format!("{}.log", self.port))).expect("log file");
        let child = Command::new(self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", self.program));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{} on port {} did not start; its log: {}",
                self.program,
                self.port,
                std::fs::read_to_string(self.dir.join(format!("{}.log", self.port)))
                    .unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn alive(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL: the process dies as a crashed host would, without a goodbye to anyone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A connection as the default user (no password), for setting up and looking.
    pub fn admin(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}", self.port))
            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
            .expect("admin connection")
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The line after `marker` in docs/operations.md, with `>PASSWORD` replaced by `password`.
fn documented(marker: &str, password: &str) -> String {
    let operations = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"));
    let line = operations
        .lines()
        .skip_while(|l| l.trim() != marker)
        .nth(1)
        .unwrap_or_else(|| panic!("docs/operations.md has no line after {marker}"));
    line.trim().replace(">PASSWORD", &format!(">{password}"))
}

/// `redis-server` arguments that create the ACL user `dpopd` with `password` and the rules
/// docs/operations.md gives for `mode`, so each topology test runs under exactly that ACL.
pub fn acl_user(mode: &str, password: &str) -> Vec<String> {
    let line = documented(&format!("# redis_mode = \"{mode}\""), password);
    let rule = line
        .strip_prefix("ACL SETUSER ")
        .unwrap_or_else(|| panic!("not an ACL SETUSER line: {line}"));
    let mut args = vec!["--user".to_owned()];
    args.extend(rule.split_whitespace().map(String::from));
    args
}

/// The `user` line docs/operations.md gives for the sentinels' own configuration.
pub fn sentinel_user(password: &str) -> String {
    documented("# the sentinels", password)
}

/// The entries of `ACL LOG`: every command the ACL refused since the server started.
pub fn acl_log(redis: &Redis) -> Vec<redis::Value> {
    redis::cmd("ACL")
        .arg("LOG")
        .query(&mut redis.admin())
        .expect("ACL LOG")
}

/// A test CA and certificates made with `openssl`: the CA, a server certificate for
/// `localhost` only, and a client certificate, all P-256 and valid for a day.
pub struct Pki {
    pub dir: TempDir,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let pki = Pki {
            dir: TempDir::new(name),
        };
        pki.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "1",
            "-subj",
            &format!("/CN=dpopd test CA {name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        pki.issue(
            "server",
            "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
        );
        pki.issue("client", "extendedKeyUsage=clientAuth\n");
        pki
    }

    fn issue(&self, name: &str, extensions: &str) {
        let ext = format!("{name}.ext");
        std::fs::write(self.dir.path().join(&ext), extensions).expect("extensions");
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        self.openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={name}"),
        ]);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "1",
            "-extfile",
            &ext,
        ]);
    }

    fn openssl(&self, args: &[&str]) {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("openssl runs");
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn file(&self, name: &str) -> String {
        self.dir.file(name)
    }

    /// `redis-server` arguments for TLS only on `port` with this PKI's server certificate;
    /// `clients` says whether a client certificate is required (mutual TLS).
    pub fn server_args(&self, port: u16, clients: bool) -> Vec<String> {
        [
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--tls-cert-file",
            &self.file("server.crt"),
            "--tls-key-file",
            &self.file("server.key"),
            "--tls-ca-cert-file",
            &self.file("ca.crt"),
            "--tls-auth-clients",
            if clients { "yes" } else { "no" },
        ]
        .map(String::from)
        .to_vec()
    }
}

/// Polls `check` every 50 ms until it holds, for at most `limit`.
pub async fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
