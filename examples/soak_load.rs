//! Load generator and checker of the soak test (`scripts/soak.sh`, docs/operations.md, "Soak
//! test"). Every call carries a DPoP proof minted when it is sent (ES256, a fresh `jti`, one of
//! 16 keys in turn).
//!
//! ```sh
//! soak_load capacity --urls URL[,URL] --seconds 5 [--concurrency 32]
//! soak_load run --urls URL[,URL] --rate OPS --seconds 1800 --segment 300 \
//!     --restart CMD --pid-files FILE[,FILE] [--keep 30] [--grace 2] [--rss-tolerance 0.10] \
//!     [--warmup 91] [--settle 91] [--proof-window 75] [--token-life 600]
//! ```
//!
//! Operations come in a fixed cycle of 200: in every 20, 7 `/auth/introspection` calls of a
//! live token (proof with `ath`, RFC 9449 §7), 2 refresh-token grants of the public client
//! (DPoP-bound, so the token rotates, RFC 9449 §5), 1 code flow (`/auth/authorization`,
//! `/issue`, redemption: three calls) while fewer than 256 refresh families are in use, and
//! client_credentials grants at `/auth/token` for the rest; in every 200, one `/auth/revocation`
//! of an access token and one of a refresh token take a grant's place. Revocations and new
//! families are kept that rare because each leaves a record for the token's whole lifetime, so
//! the store's live size — and RSS — stays level and growth would mean a leak. Tokens live
//! `--token-life` seconds (dpopd's `tokens.access_token_lifetime_secs` and
//! `refresh_token_lifetime_secs`), so in a long run those records expire as fast as they are
//! made; a refresh family is left alone 10 s before it expires, and a code flow replaces it.
//! `capacity` runs the cycle unthrottled from `--concurrency` workers and prints
//! `capacity_ops_per_s=N`; `run` starts operations at `--rate` per second (open loop: a slow
//! answer does not slow the load), sending to the URLs in turn, after `--warmup` seconds of the
//! same load that only has to be answered OK.
//!
//! At every `--segment` boundary `run` marks an outage, runs `--restart` (which stops the store
//! and returns once the service answers again) and ends the outage `--grace` seconds after the
//! command returns. A call whose time in flight overlaps an outage and is not answered OK counts
//! as non-OK inside; any other non-OK answer fails the run. Right after each restart, the
//! last 500 proofs accepted in the 10 s before the stop are presented again (to the next URL),
//! those still younger than `--proof-window` (less 3 s to present them).
//!
//! At the end it presents again: every proof accepted in the last `--keep` seconds (older ones
//! are past the proof window and would be refused for their age, which proves nothing about the
//! store), every access and refresh token it revoked, and the last 5,000 rotated-away refresh
//! tokens. Each must be refused with the result code that names the reason (docs/result-codes.md):
//! `A254302`/`A056309` (proof replayed), `A056305` (access token revoked), `A053305` (refresh
//! family revoked) or `A053304` (rotated refresh token reused; `A053305` once an earlier reuse
//! revoked its family). A token past its lifetime must be refused as expired instead (`A056303`,
//! `A053301`): its revocation record has been purged with it, and it must stay refused; within
//! 5 s of its expiry either code is accepted. As a control, 100 tokens never revoked must still
//! introspect OK.
//!
//! Each sample also counts the open file descriptors of each process (`/proc/PID/fd`: its
//! sockets, mostly), so that RSS that follows the number of connections the load holds open is
//! told apart from RSS that grows on its own.
//!
//! RSS (`VmRSS` of each process in `--pid-files`) is sampled every 5 s; per segment it reports
//! the first sample `--settle` seconds after the segment began and the last one, and fails when
//! (per process) the last segment's end exceeds its start, any segment's end the first
//! segment's end, or the last segment's end the first segment's start by more than
//! `--rss-tolerance` (a fall is reported, not failed: it is no leak).
use dpopd::clock::UnixTime;
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::jose::{Alg, SigningKey};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[path = "support/rss.rs"]
mod rss;

const KEYS: usize = 16;
const HTU: &str = "https://as.example.com/token";
const RESOURCE: &str = "https://rs.example.com/resource";
const CLIENT: (&str, &str) = ("soak-client", "soak-client-secret");
const PUBLIC: &str = "soak-public";
const REDIRECT: &str = "https://app.example.com/cb";
const CALLER: (&str, &str) = ("soak-caller", "soak-caller-secret");
// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const IN_FLIGHT: usize = 2048;
/// Calls in flight to one dpopd at most, so connections to it at most, as a caller's pool of
/// connections bounds them: a stall of the machine piles calls up here, not as hundreds of new
/// connections whose buffers dpopd's allocator would keep (docs/operations.md, "Slow clients").
const CONNECTIONS: usize = 64;
const POOL: usize = 2000;
/// Code flows start new refresh families only while fewer than this many are in use, so that
/// families are created about as fast as they are revoked.
const FAMILIES: usize = 256;
const ROTATED_KEPT: usize = 5000;
/// A refresh family this close to its expiry is not used again: a grant sent now could reach
/// dpopd after it.
const FAMILY_MARGIN: Duration = Duration::from_secs(10);
/// Within this of a token's expiry, the final check accepts "revoked" or "expired": the token's
/// `exp` is whole seconds of dpopd's clock, its expiry here the answer's arrival plus the life.
const EXPIRY_BLUR: Duration = Duration::from_secs(5);

struct Args {
    mode: String,
    urls: Vec<String>,
    rate: f64,
    seconds: f64,
    segment: f64,
    concurrency: usize,
    restart: Option<String>,
    pid_files: Vec<String>,
    keep: f64,
    grace: f64,
    rss_tolerance: f64,
    warmup: f64,
    settle: f64,
    proof_window: f64,
    token_life: f64,
}

fn fail(message: &str) -> ! {
    eprintln!("soak_load: {message}");
    std::process::exit(2)
}

fn args() -> Args {
    let mut it = std::env::args().skip(1);
    let mut args = Args {
        mode: it
            .next()
            .unwrap_or_else(|| fail("usage: soak_load capacity|run [options]")),
        urls: Vec::new(),
        rate: 0.0,
        seconds: 5.0,
        segment: 300.0,
        concurrency: 32,
        restart: None,
        pid_files: Vec::new(),
        keep: 60.0,
        grace: 2.0,
        rss_tolerance: 0.10,
        warmup: 0.0,
        settle: 0.0,
        proof_window: 75.0,
        // Longer than any run unless given.
        token_life: 1e9,
    };
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .unwrap_or_else(|| fail(&format!("{flag} needs a value")));
        let number = || {
            value
                .parse::<f64>()
                .unwrap_or_else(|_| fail(&format!("{flag}: not a number")))
        };
        match flag.as_str() {
            "--urls" => args.urls = value.split(',').map(str::to_owned).collect(),
            "--rate" => args.rate = number(),
            "--seconds" => args.seconds = number(),
            "--segment" => args.segment = number(),
            "--concurrency" => args.concurrency = number() as usize,
            "--restart" => args.restart = Some(value),
            "--pid-files" => args.pid_files = value.split(',').map(str::to_owned).collect(),
            "--keep" => args.keep = number(),
            "--grace" => args.grace = number(),
            "--rss-tolerance" => args.rss_tolerance = number(),
            "--warmup" => args.warmup = number(),
            "--settle" => args.settle = number(),
            "--proof-window" => args.proof_window = number(),
            "--token-life" => args.token_life = number(),
            _ => fail(&format!("unknown option {flag}")),
        }
    }
    if args.urls.is_empty() {
        fail("--urls is required");
    }
    args
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}

/// A call dpopd accepted with a proof, kept to be presented again.
#[derive(Clone)]
struct Spent {
    at: Instant,
    url: usize,
    path: &'static str,
    body: Value,
    /// The result codes that refuse it for its reason.
    refused_as: &'static [&'static str],
    /// A token presented again: its call is made when it is presented, with a fresh proof.
    token: Option<Again>,
}

/// A revoked or rotated token to present again.
#[derive(Clone)]
struct Again {
    held: Held,
    /// The call's body for the token and its key.
    body: fn(&Soak, &str, usize) -> Value,
    /// The result codes that refuse it once it is past its lifetime: expired, whatever else
    /// happened to it, since its records have gone with it.
    expired_as: &'static [&'static str],
}

/// Latencies and answers of one segment.
#[derive(Default)]
struct Segment {
    latencies_us: Vec<u32>,
    latencies_outside_us: Vec<u32>,
    non_ok_inside: u64,
    non_ok_outside: u64,
    rss_start: Vec<Option<u64>>,
    rss_end: Vec<Option<u64>>,
    fds_start: Vec<Option<u64>>,
    fds_end: Vec<Option<u64>>,
}

/// A token the load holds: the key its proofs are made with, and when it expires (a rotated
/// refresh token keeps its family's expiry).
#[derive(Clone)]
struct Held {
    token: String,
    key: usize,
    expires: Instant,
}

#[derive(Default)]
struct Pools {
    live: VecDeque<Held>,
    to_revoke: VecDeque<Held>,
    refresh: VecDeque<Held>,
    revoked_access: Vec<Held>,
    revoked_refresh: Vec<Held>,
    rotated: VecDeque<Held>,
    spent: VecDeque<Spent>,
    cc_issued: u64,
}

struct Soak {
    http: reqwest::Client,
    urls: Vec<String>,
    /// [`CONNECTIONS`] permits per URL.
    connections: Vec<Semaphore>,
    keys: Vec<SigningKey>,
    started: Instant,
    segment: f64,
    keep: Duration,
    /// How old a proof may be and still be accepted: `proof_max_age_secs` + `clock_skew_secs`.
    window: Duration,
    token_life: Duration,
    pools: Mutex<Pools>,
    segments: Mutex<Vec<Segment>>,
    /// Outages as (start, end + grace); an open one has no end yet.
    outages: Mutex<Vec<(Instant, Option<Instant>)>>,
    outside_samples: Mutex<Vec<String>>,
    calls: AtomicU64,
    skipped: AtomicU64,
    /// Tokens presented again after their lifetime (so expected to be refused as expired).
    presented_expired: AtomicU64,
}

/// What one call must answer to count as OK.
struct Expect {
    action: &'static str,
}

const OK: Expect = Expect { action: "OK" };

impl Soak {
    fn new(args: &Args, started: Instant) -> Soak {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(CONNECTIONS)
            // Below dpopd's `server.keep_alive_secs` (5 s): a request sent on a connection the
            // server is closing for idleness fails in transport, which is the client's race,
            // not a refusal.
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .expect("http client");
        let keys = (0..KEYS)
            .map(|_| SigningKey::generate(Alg::ES256, None).expect("key"))
            .collect();
        let segments = (0..(args.seconds / args.segment).ceil().max(1.0) as usize)
            .map(|_| Segment::default())
            .collect();
        Soak {
            http,
            urls: args.urls.clone(),
            connections: args
                .urls
                .iter()
                .map(|_| Semaphore::new(CONNECTIONS))
                .collect(),
            keys,
            started,
            segment: args.segment,
            keep: Duration::from_secs_f64(args.keep),
            window: Duration::from_secs_f64(args.proof_window),
            token_life: Duration::from_secs_f64(args.token_life),
            pools: Mutex::new(Pools::default()),
            segments: Mutex::new(segments),
            outages: Mutex::new(Vec::new()),
            outside_samples: Mutex::new(Vec::new()),
            calls: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            presented_expired: AtomicU64::new(0),
        }
    }

    /// Those of `spent` young enough that a refusal can only be for replay: a proof past the
    /// window would be refused for its age, which proves nothing about the store. Three seconds
    /// are left for presenting them.
    fn young(&self, spent: Vec<Spent>) -> Vec<Spent> {
        let now = Instant::now();
        let limit = self.window.saturating_sub(Duration::from_secs(3));
        spent
            .into_iter()
            .filter(|s| now.duration_since(s.at) < limit)
            .collect()
    }

    fn segment_of(&self, at: Instant) -> usize {
        let n = self.segments.lock().unwrap().len();
        ((at.duration_since(self.started).as_secs_f64() / self.segment) as usize).min(n - 1)
    }

    fn in_outage(&self, sent: Instant, answered: Instant) -> bool {
        self.outages
            .lock()
            .unwrap()
            .iter()
            .any(|&(start, end)| answered >= start && end.is_none_or(|end| sent <= end))
    }

    fn proof(&self, key: usize, htm: &str, htu: &str, token: Option<&str>) -> String {
        let claims = ProofClaims {
            access_token: token,
            ..Default::default()
        };
        client::mint(&self.keys[key], htm, htu, UnixTime::now(), &claims).expect("proof")
    }

    /// One call, timed and classified (from before it waits for one of the URL's connections);
    /// the answer when it was the expected one.
    async fn call(&self, url: usize, path: &str, body: &Value, expect: &Expect) -> Option<Value> {
        let sent = Instant::now();
        let connection = self.connections[url].acquire().await.expect("never closed");
        let answer = self
            .http
            .post(format!("{}{path}", self.urls[url]))
            .basic_auth(CALLER.0, Some(CALLER.1))
            .json(body)
            .send()
            .await;
        let answer = match answer {
            Ok(response) if response.status() == 200 => response
                .json::<Value>()
                .await
                .map_err(|e| format!("unreadable answer: {e}")),
            Ok(response) => Err(format!("HTTP {}", response.status())),
            Err(e) => Err(format!("transport: {e}")),
        };
        drop(connection);
        let answered = Instant::now();
        self.calls.fetch_add(1, Ordering::Relaxed);
        let verdict = match answer {
            Ok(v) if v["action"] == expect.action => Ok(v),
            Ok(v) => Err(format!("{} {}", v["action"], v["resultCode"])),
            Err(e) => Err(e),
        };
        let inside = self.in_outage(sent, answered);
        let latency = answered
            .duration_since(sent)
            .as_micros()
            .min(u32::MAX as u128) as u32;
        let index = self.segment_of(sent);
        let mut segments = self.segments.lock().unwrap();
        let segment = &mut segments[index];
        segment.latencies_us.push(latency);
        match verdict {
            Ok(v) => {
                if !inside {
                    segment.latencies_outside_us.push(latency);
                }
                Some(v)
            }
            Err(e) => {
                if inside {
                    segment.non_ok_inside += 1;
                } else {
                    segment.non_ok_outside += 1;
                    let mut samples = self.outside_samples.lock().unwrap();
                    if samples.len() < 10 {
                        let t = sent.duration_since(self.started).as_secs_f64();
                        samples.push(format!("t={t:.3}s {path}: {e}"));
                    }
                }
                None
            }
        }
    }

    fn remember(
        &self,
        url: usize,
        path: &'static str,
        body: Value,
        refused_as: &'static [&'static str],
    ) {
        let now = Instant::now();
        let mut pools = self.pools.lock().unwrap();
        while pools
            .spent
            .front()
            .is_some_and(|s| now.duration_since(s.at) > self.keep)
        {
            pools.spent.pop_front();
        }
        pools.spent.push_back(Spent {
            at: now,
            url,
            path,
            body,
            refused_as,
            token: None,
        });
    }

    async fn op(&self, i: u64) {
        let url = (i as usize) % self.urls.len();
        let key = (i as usize) % KEYS;
        match (i % 20, i % 200) {
            (8..=14, _) => self.introspection(url).await,
            (15 | 16, _) => self.refresh(url).await,
            (17, _) if self.pools.lock().unwrap().refresh.len() < FAMILIES => {
                self.code_flow(url, key, i).await
            }
            (_, 18) => self.revoke_access(url).await,
            (_, 118) => self.revoke_refresh(url).await,
            _ => self.client_credentials(url, key).await,
        }
    }

    async fn client_credentials(&self, url: usize, key: usize) {
        let body = json!({
            "parameters": "grant_type=client_credentials&scope=read",
            "clientId": CLIENT.0, "clientSecret": CLIENT.1,
            "dpop": self.proof(key, "POST", HTU, None), "htm": "POST", "htu": HTU,
        });
        let Some(answer) = self.call(url, "/auth/token", &body, &OK).await else {
            return;
        };
        self.remember(url, "/auth/token", body, &["A254302"]);
        let held = Held {
            token: answer["accessToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            key,
            expires: self.expires(),
        };
        let mut pools = self.pools.lock().unwrap();
        pools.cc_issued += 1;
        if pools.cc_issued.is_multiple_of(8) {
            pools.to_revoke.push_back(held);
            if pools.to_revoke.len() > POOL {
                pools.to_revoke.pop_front();
            }
        } else {
            pools.live.push_back(held);
            if pools.live.len() > POOL {
                pools.live.pop_front();
            }
        }
    }

    fn introspection_body(&self, token: &str, key: usize) -> Value {
        json!({
            "token": token, "scopes": ["read"], "tokenScheme": "DPoP",
            "dpop": self.proof(key, "GET", RESOURCE, Some(token)), "htm": "GET", "htu": RESOURCE,
        })
    }

    async fn introspection(&self, url: usize) {
        let picked = {
            let pools = self.pools.lock().unwrap();
            let n = pools.live.len();
            (n > 0).then(|| pools.live[(self.calls.load(Ordering::Relaxed) as usize) % n].clone())
        };
        let Some(held) = picked else { return };
        let body = self.introspection_body(&held.token, held.key);
        if self
            .call(url, "/auth/introspection", &body, &OK)
            .await
            .is_some()
        {
            self.remember(url, "/auth/introspection", body, &["A056309"]);
        }
    }

    fn refresh_body(&self, token: &str, key: usize) -> Value {
        let parameters = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", PUBLIC),
        ]);
        json!({
            "parameters": parameters,
            "dpop": self.proof(key, "POST", HTU, None), "htm": "POST", "htu": HTU,
        })
    }

    /// The next refresh family not about to expire; those that are are dropped, so that a code
    /// flow starts a new one.
    fn next_family(&self) -> Option<Held> {
        let mut pools = self.pools.lock().unwrap();
        let usable = Instant::now() + FAMILY_MARGIN;
        while let Some(held) = pools.refresh.pop_front() {
            if held.expires > usable {
                return Some(held);
            }
        }
        None
    }

    fn expires(&self) -> Instant {
        Instant::now() + self.token_life
    }

    async fn refresh(&self, url: usize) {
        let Some(held) = self.next_family() else {
            return;
        };
        let body = self.refresh_body(&held.token, held.key);
        // Not answered OK (an outage): whether it rotated is unknown, so it is not used again.
        if let Some(answer) = self.call(url, "/auth/token", &body, &OK).await {
            self.remember(url, "/auth/token", body, &["A254302"]);
            let mut pools = self.pools.lock().unwrap();
            if let Some(next) = answer["refreshToken"].as_str() {
                pools.refresh.push_back(Held {
                    token: next.to_owned(),
                    ..held.clone()
                });
            }
            pools.rotated.push_back(held);
            if pools.rotated.len() > ROTATED_KEPT {
                pools.rotated.pop_front();
            }
        }
    }

    async fn code_flow(&self, url: usize, key: usize, i: u64) {
        let request = form(&[
            ("response_type", "code"),
            ("client_id", PUBLIC),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        let interaction = Expect {
            action: "INTERACTION",
        };
        let Some(answer) = self
            .call(
                url,
                "/auth/authorization",
                &json!({ "parameters": request }),
                &interaction,
            )
            .await
        else {
            return;
        };
        // Subjects in turn, so that no owner (client and subject) holds many families.
        let issue = json!({ "ticket": answer["ticket"], "subject": format!("user-{}", i % 997) });
        let location = Expect { action: "LOCATION" };
        let Some(issued) = self
            .call(url, "/auth/authorization/issue", &issue, &location)
            .await
        else {
            return;
        };
        let redirect = issued["responseContent"].as_str().unwrap_or_default();
        let code = redirect
            .split_once('?')
            .and_then(|(_, query)| {
                form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "code")
            })
            .map(|(_, code)| code.into_owned())
            .unwrap_or_default();
        let redeem = form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("client_id", PUBLIC),
            ("redirect_uri", REDIRECT),
        ]);
        let body = json!({
            "parameters": redeem,
            "dpop": self.proof(key, "POST", HTU, None), "htm": "POST", "htu": HTU,
        });
        if let Some(tokens) = self.call(url, "/auth/token", &body, &OK).await {
            self.remember(url, "/auth/token", body, &["A254302"]);
            let mut pools = self.pools.lock().unwrap();
            if let Some(rt) = tokens["refreshToken"].as_str() {
                let expires = self.expires();
                pools.refresh.push_back(Held {
                    token: rt.to_owned(),
                    key,
                    expires,
                });
                if pools.refresh.len() > POOL {
                    pools.refresh.pop_front();
                }
            }
        }
    }

    async fn revoke_access(&self, url: usize) {
        let Some(held) = self.pools.lock().unwrap().to_revoke.pop_front() else {
            return;
        };
        let body = json!({
            "parameters": format!("token={}", held.token),
            "clientId": CLIENT.0, "clientSecret": CLIENT.1,
        });
        if let Some(answer) = self.call(url, "/auth/revocation", &body, &OK).await {
            if answer["resultCode"] == "A059001" {
                self.pools.lock().unwrap().revoked_access.push(held);
            }
        }
    }

    async fn revoke_refresh(&self, url: usize) {
        let Some(held) = self.next_family() else {
            return;
        };
        let parameters = form(&[
            ("token", &held.token),
            ("token_type_hint", "refresh_token"),
            ("client_id", PUBLIC),
        ]);
        let body = json!({ "parameters": parameters });
        if let Some(answer) = self.call(url, "/auth/revocation", &body, &OK).await {
            if answer["resultCode"] == "A059002" {
                self.pools.lock().unwrap().revoked_refresh.push(held);
            }
        }
    }
}

/// RSS in KiB and the number of open file descriptors (its listening and client sockets, its
/// files) of the process whose pid `pid_file` holds; each `None` if it cannot be read.
fn rss_and_fds(pid_file: &str) -> (Option<u64>, Option<u64>) {
    let Ok(pid) = std::fs::read_to_string(pid_file) else {
        return (None, None);
    };
    let proc = format!("/proc/{}", pid.trim());
    let fds = std::fs::read_dir(format!("{proc}/fd"))
        .ok()
        .map(|dir| dir.count() as u64);
    (rss::vm_rss_kib(&format!("{proc}/status")), fds)
}

fn counts(values: &[Option<u64>]) -> String {
    values
        .iter()
        .map(|v| v.map_or("-".into(), |n| n.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn percentile(values: &mut [u32], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable();
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1] as f64 / 1000.0
}

async fn capacity(args: &Args) {
    let soak = Arc::new(Soak::new(args, Instant::now()));
    // A few code flows first, so that refreshes and revocations have tokens from the start.
    for i in 0..20u64 {
        soak.code_flow(0, (i as usize) % KEYS, i).await;
    }
    let next = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(args.seconds);
    let began = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (soak, next) = (soak.clone(), next.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    soak.op(next.fetch_add(1, Ordering::Relaxed)).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    let elapsed = began.elapsed().as_secs_f64();
    let ops = next.load(Ordering::Relaxed);
    let non_ok: u64 = soak
        .segments
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.non_ok_outside)
        .sum();
    println!(
        "capacity_ops_per_s={:.0} calls_per_s={:.0} non_ok={non_ok} concurrency={}",
        ops as f64 / elapsed,
        soak.calls.load(Ordering::Relaxed) as f64 / (elapsed + 0.0),
        args.concurrency
    );
    if non_ok > 0 {
        fail(&format!("{non_ok} non-OK answers while measuring capacity"));
    }
}

async fn restart(soak: &Soak, command: &str, grace: Duration) -> Result<f64, String> {
    let stopped = Instant::now();
    soak.outages.lock().unwrap().push((stopped, None));
    let window: Vec<Spent> = {
        let pools = soak.pools.lock().unwrap();
        pools
            .spent
            .iter()
            .filter(|s| stopped.duration_since(s.at) < Duration::from_secs(10))
            .rev()
            .take(500)
            .cloned()
            .collect()
    };
    let command = command.to_owned();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(command)
            .status()
    })
    .await
    .expect("restart task")
    .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("restart command failed: {status}"));
    }
    let answered = Instant::now();
    soak.outages.lock().unwrap().last_mut().expect("outage").1 = Some(answered + grace);
    // The store kept what it had recorded before the stop.
    let candidates = window.len();
    let window = soak.young(window);
    let (presented, failures) = present(soak, &window).await;
    if !failures.is_empty() {
        return Err(format!("after the restart: {}", failures.join("; ")));
    }
    println!(
        "soak: restart at t={:.0}s: answering again after {:.2}s; {presented} proofs of the last 10 s before the stop presented again, all refused as replays ({} past the proof window by then, not presented)",
        stopped.duration_since(soak.started).as_secs_f64(),
        answered.duration_since(stopped).as_secs_f64(),
        candidates - presented
    );
    Ok(answered.duration_since(stopped).as_secs_f64())
}

/// Presents `spent` again, each to the next URL, 32 at a time; returns how many were presented
/// and the first few that were not refused for the expected reason.
async fn present(soak: &Soak, spent: &[Spent]) -> (usize, Vec<String>) {
    let failures = Mutex::new(Vec::new());
    for chunk in spent.chunks(32) {
        join_all(
            chunk
                .iter()
                .map(|s| present_one(soak, s, &failures))
                .collect(),
        )
        .await;
    }
    (spent.len(), failures.into_inner().unwrap())
}

async fn present_one(soak: &Soak, s: &Spent, failures: &Mutex<Vec<String>>) {
    let url = (s.url + 1) % soak.urls.len();
    // A token is judged by its age when sent: alive, expired, or too near its expiry to tell.
    let now = Instant::now();
    let (body, alive, expired) = match &s.token {
        None => (Cow::Borrowed(&s.body), true, false),
        Some(again) => (
            Cow::Owned((again.body)(soak, &again.held.token, again.held.key)),
            again.held.expires + EXPIRY_BLUR >= now,
            again.held.expires <= now + EXPIRY_BLUR,
        ),
    };
    if expired && !alive {
        soak.presented_expired.fetch_add(1, Ordering::Relaxed);
    }
    let mut expected: Vec<&str> = Vec::new();
    if alive {
        expected.extend(s.refused_as);
    }
    if let (true, Some(again)) = (expired, &s.token) {
        expected.extend(again.expired_as);
    }
    let answer = soak
        .http
        .post(format!("{}{}", soak.urls[url], s.path))
        .basic_auth(CALLER.0, Some(CALLER.1))
        .json(body.as_ref())
        .send()
        .await;
    let code = match answer {
        Ok(r) => r
            .json::<Value>()
            .await
            .map(|v| v["resultCode"].clone())
            .ok(),
        Err(_) => None,
    };
    if !code
        .as_ref()
        .and_then(Value::as_str)
        .is_some_and(|c| expected.contains(&c))
    {
        let mut failures = failures.lock().unwrap();
        if failures.len() < 5 {
            failures.push(format!(
                "{}: expected {}, got {:?}",
                s.path,
                expected.join(" or "),
                code
            ));
        }
    }
}

/// Runs the futures concurrently on this task (no dependency beyond tokio).
async fn join_all<F: std::future::Future<Output = ()>>(futures: Vec<F>) {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        futures.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if futures.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

/// Starts operations at `rate` per second, each on a task of its own, until `total` seconds
/// after `soak.started`; returns how many it started once every one has ended.
async fn drive(soak: Arc<Soak>, rate: f64, total: f64) -> u64 {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut started_ops = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    loop {
        tick.tick().await;
        let elapsed = soak.started.elapsed().as_secs_f64();
        if elapsed >= total {
            break;
        }
        let due = (elapsed * rate) as u64;
        while started_ops < due {
            let i = started_ops;
            started_ops += 1;
            match permits.clone().try_acquire_owned() {
                Ok(permit) => {
                    let soak = soak.clone();
                    tokio::spawn(async move {
                        soak.op(i).await;
                        drop(permit);
                    });
                }
                Err(_) => {
                    soak.skipped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    let _all = permits.acquire_many(IN_FLIGHT as u32).await;
    started_ops
}

async fn run(args: &Args) {
    if args.warmup > 0.0 {
        // The warm-up fills the replay store to its steady size (a record lives as long as a
        // proof may be presented) before RSS is first sampled.
        let warm = Arc::new(Soak::new(args, Instant::now()));
        drive(warm.clone(), args.rate, args.warmup).await;
        let non_ok: u64 = warm
            .segments
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.non_ok_outside)
            .sum();
        println!(
            "soak: warm-up of {:.0}s at {:.0}/s: {non_ok} non-OK answers",
            args.warmup, args.rate
        );
        if non_ok > 0 {
            eprintln!(
                "soak: FAILED: non-OK answers during the warm-up: {}",
                warm.outside_samples.lock().unwrap().join("; ")
            );
            std::process::exit(1);
        }
    }
    let started = Instant::now();
    let soak = Arc::new(Soak::new(args, started));
    let total = args.seconds;
    let segments = soak.segments.lock().unwrap().len();
    let settle = args.settle;
    if settle >= args.segment {
        fail("--settle must be shorter than --segment");
    }
    let grace = Duration::from_secs_f64(args.grace);
    let mut failures: Vec<String> = Vec::new();
    let mut outage_secs = Vec::new();

    let load = tokio::spawn(drive(soak.clone(), args.rate, total));

    // RSS samples and restarts, on this task.
    let mut next_restart = 1;
    let mut sample = tokio::time::interval(Duration::from_secs(5));
    let mut ticks = 0u64;
    loop {
        sample.tick().await;
        let t = started.elapsed().as_secs_f64();
        if t >= total {
            break;
        }
        let index = ((t / args.segment) as usize).min(segments - 1);
        let (rss, fds): (Vec<Option<u64>>, Vec<Option<u64>>) =
            args.pid_files.iter().map(|f| rss_and_fds(f)).unzip();
        ticks += 1;
        if ticks.is_multiple_of(12) {
            // Once a minute, the RSS trace: warm-up and levelling are told apart by its shape.
            let mib: Vec<String> = rss
                .iter()
                .map(|r| r.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0)))
                .collect();
            println!(
                "soak: t={t:.0}s RSS {} MiB, open fds {}",
                mib.join(", "),
                counts(&fds)
            );
        }
        {
            let mut all = soak.segments.lock().unwrap();
            let segment = &mut all[index];
            if t - index as f64 * args.segment >= settle && segment.rss_start.is_empty() {
                segment.rss_start = rss.clone();
                segment.fds_start = fds.clone();
            }
            if !segment.rss_start.is_empty() {
                segment.rss_end = rss;
                segment.fds_end = fds;
            }
        }
        if let Some(command) = &args.restart {
            if t >= next_restart as f64 * args.segment && next_restart < segments {
                next_restart += 1;
                match restart(&soak, command, grace).await {
                    Ok(secs) => outage_secs.push(secs),
                    Err(e) => {
                        failures.push(e);
                        break;
                    }
                }
            }
        }
    }
    let started_ops = load.await.expect("load");
    let elapsed = args.seconds;
    let calls = soak.calls.load(Ordering::Relaxed);
    println!(
        "soak: {started_ops} operations ({:.0}/s, target {:.0}/s), {calls} calls ({:.0}/s) in {elapsed:.0}s; {} not started (loader {} in flight)",
        started_ops as f64 / elapsed,
        args.rate,
        calls as f64 / elapsed,
        soak.skipped.load(Ordering::Relaxed),
        IN_FLIGHT
    );

    let (mut inside, mut outside) = (0, 0);
    {
        let mut all = soak.segments.lock().unwrap();
        for (n, segment) in all.iter_mut().enumerate() {
            inside += segment.non_ok_inside;
            outside += segment.non_ok_outside;
            let p99_out = percentile(&mut segment.latencies_outside_us, 0.99);
            let p50_out = percentile(&mut segment.latencies_outside_us, 0.50);
            let p99_all = percentile(&mut segment.latencies_us, 0.99);
            let rss: Vec<String> = segment
                .rss_start
                .iter()
                .zip(&segment.rss_end)
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => {
                        format!("{:.1}→{:.1} MiB", *a as f64 / 1024.0, *b as f64 / 1024.0)
                    }
                    _ => "?".into(),
                })
                .collect();
            println!(
                "soak: segment {} ({:.0}-{:.0}s): {} calls, p50 {p50_out:.2} ms, p99 {p99_out:.2} ms outside outages (p99 {p99_all:.2} ms all calls); non-OK {} inside outages, {} outside; RSS {}; open fds {} → {}",
                n + 1,
                n as f64 * args.segment,
                ((n + 1) as f64 * args.segment).min(args.seconds),
                segment.latencies_us.len(),
                segment.non_ok_inside,
                segment.non_ok_outside,
                rss.join(", "),
                counts(&segment.fds_start),
                counts(&segment.fds_end)
            );
        }
        failures.extend(rss_checks(&all, args.rss_tolerance));
    }
    println!(
        "soak: non-OK answers: {inside} inside outages ({} restarts, answering again after {}), {outside} outside",
        outage_secs.len(),
        outage_secs.iter().map(|s| format!("{s:.2}s")).collect::<Vec<_>>().join(", ")
    );
    if outside > 0 {
        failures.push(format!(
            "{outside} non-OK answers outside the outages, first: {}",
            soak.outside_samples.lock().unwrap().join("; ")
        ));
    }
    let sent = started_ops - soak.skipped.load(Ordering::Relaxed);
    if sent as f64 / args.seconds < args.rate * 0.95 {
        failures.push("the loader did not keep the rate".into());
    }
    failures.extend(final_check(&soak).await);
    if failures.is_empty() {
        println!("soak: passed");
    } else {
        for failure in &failures {
            eprintln!("soak: FAILED: {failure}");
        }
        std::process::exit(1);
    }
}

/// RSS per process: within the last segment, start to end; every segment's end against the first
/// segment's end (processes of the same age, in durable mode each a new one); the first segment's
/// start against the last segment's end. Each within `tolerance`.
fn rss_checks(segments: &[Segment], tolerance: f64) -> Vec<String> {
    let mut failures = Vec::new();
    let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
        return failures;
    };
    let mut compare = |what: String, a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => {
            let change = b as f64 / a as f64 - 1.0;
            // A fall is no leak: a process started again is smaller until it has lived as long.
            if change > tolerance {
                failures.push(format!(
                    "RSS {what}: {a} → {b} KiB ({:+.1}%)",
                    change * 100.0
                ));
            }
        }
        _ => failures.push(format!("RSS {what}: no sample")),
    };
    for p in 0..first.rss_start.len().max(last.rss_end.len()) {
        let at = |v: &Vec<Option<u64>>| v.get(p).copied().flatten();
        compare(
            format!("of process {} within the last segment", p + 1),
            at(&last.rss_start),
            at(&last.rss_end),
        );
        for (n, segment) in segments.iter().enumerate().skip(1) {
            compare(
                format!(
                    "of process {} at the end of segment {} against segment 1's",
                    p + 1,
                    n + 1
                ),
                at(&first.rss_end),
                at(&segment.rss_end),
            );
        }
        compare(
            format!(
                "of process {} from the first segment's start to the last one's end",
                p + 1
            ),
            at(&first.rss_start),
            at(&last.rss_end),
        );
        if let (Some(a), Some(b)) = (at(&first.rss_start), at(&last.rss_end)) {
            println!("soak: RSS of process {} from the first segment's start to the last one's end: {:.1} → {:.1} MiB ({:+.1}%)", p + 1, a as f64 / 1024.0, b as f64 / 1024.0, (b as f64 / a as f64 - 1.0) * 100.0);
        }
    }
    failures
}

/// Everything spent or revoked presented again; returns the failures.
async fn final_check(soak: &Soak) -> Vec<String> {
    let (spent, revoked_access, revoked_refresh, rotated, live) = {
        let pools = soak.pools.lock().unwrap();
        let now = Instant::now();
        let spent: Vec<Spent> = pools
            .spent
            .iter()
            .filter(|s| now.duration_since(s.at) <= soak.keep)
            .cloned()
            .collect();
        let spent = soak.young(spent);
        (
            spent,
            pools.revoked_access.clone(),
            pools.revoked_refresh.clone(),
            pools.rotated.iter().cloned().collect::<Vec<_>>(),
            pools.live.iter().take(100).cloned().collect::<Vec<_>>(),
        )
    };
    let mut failures = Vec::new();
    let (proofs, f) = present(soak, &spent).await;
    failures.extend(f);
    // Revoked and rotated tokens, each with a fresh proof of its key: only the token is spent.
    // A token past its lifetime is refused as expired; its revocation record went with it.
    let again = |list: &[Held],
                 path: &'static str,
                 body: fn(&Soak, &str, usize) -> Value,
                 refused_as: &'static [&'static str],
                 expired_as: &'static [&'static str]| {
        list.iter()
            .enumerate()
            .map(|(i, held)| Spent {
                at: Instant::now(),
                url: i,
                path,
                body: Value::Null,
                refused_as,
                token: Some(Again {
                    held: held.clone(),
                    body,
                    expired_as,
                }),
            })
            .collect::<Vec<_>>()
    };
    let access = again(
        &revoked_access,
        "/auth/introspection",
        Soak::introspection_body,
        &["A056305"],
        &["A056303"],
    );
    let refresh = again(
        &revoked_refresh,
        "/auth/token",
        Soak::refresh_body,
        &["A053305"],
        &["A053301"],
    );
    // A reused rotated token revokes its family, so a later one of the same family may be
    // refused as revoked (A053305) rather than reused (A053304); both refuse it. They are
    // presented one at a time, in the order they were rotated away.
    let rotated = again(
        &rotated,
        "/auth/token",
        Soak::refresh_body,
        &["A053304", "A053305"],
        &["A053301"],
    );
    let (n_access, f) = present(soak, &access).await;
    failures.extend(f);
    let (n_refresh, f) = present(soak, &refresh).await;
    failures.extend(f);
    let mut n_rotated = 0;
    for one in rotated.chunks(1) {
        let (n, f) = present(soak, one).await;
        n_rotated += n;
        if failures.len() < 10 {
            failures.extend(f);
        }
    }
    // The control: tokens never revoked are still usable, so the refusals above are for cause.
    let mut n_live_ok = 0;
    for (i, held) in live.iter().enumerate() {
        let body = soak.introspection_body(&held.token, held.key);
        if soak
            .call(i % soak.urls.len(), "/auth/introspection", &body, &OK)
            .await
            .is_some()
        {
            n_live_ok += 1;
        }
    }
    if n_live_ok != live.len() {
        failures.push(format!(
            "{} of {} never-revoked tokens not active",
            live.len() - n_live_ok,
            live.len()
        ));
    }
    for (what, n) in [
        ("accepted proofs", proofs),
        ("revoked access tokens", n_access),
        ("revoked refresh tokens", n_refresh),
        ("rotated refresh tokens", n_rotated),
    ] {
        if n == 0 {
            failures.push(format!(
                "no {what} to present again: the check proves nothing about them"
            ));
        }
    }
    let refused = proofs + n_access + n_refresh + n_rotated;
    println!(
        "soak: presented again {refused}: {proofs} accepted proofs of the last {:.0} s, {n_access} revoked access tokens, {n_refresh} revoked refresh tokens, {n_rotated} rotated refresh tokens ({} of these tokens past their lifetime when presented, so refused as expired); control: {n_live_ok}/{} never-revoked tokens active",
        soak.keep.as_secs_f64(),
        soak.presented_expired.load(Ordering::Relaxed),
        live.len()
    );
    if failures.is_empty() {
        println!("soak: all {refused} refused with the expected result code");
    }
    failures
}

fn main() {
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        match args.mode.as_str() {
            "capacity" => capacity(&args).await,
            "run" => run(&args).await,
            other => fail(&format!("unknown mode {other:?}: capacity or run")),
        }
    });
}
