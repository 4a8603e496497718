//! Resource limits against the real server (docs/api.md, "Proof validation", check 1; `[server]`
//! settings): a client
//! that sends its request slowly, huge or numerous headers, a huge body, deeply nested JSON or
//! an oversized proof is refused with a 4xx or cut off, never answered with a 500, never left
//! holding the server, while other clients are still served.
//!
//! The attacks use raw TCP (std::net, on their own threads) so that each byte on the wire is
//! the test's choice; the well-behaved client is reqwest.
use dpopd::config::Settings;
use dpopd::development::{
    add_demo_credentials, DEMO_CALLER_KEY, DEMO_CALLER_SECRET, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
};
use dpopd::startup::Application;
use serde_json::{json, Value};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

const REQUEST_TIMEOUT_MS: u64 = 500;
const WORKERS: usize = 2;

/// Development settings with the demo credentials, on port 0, with short timeouts so that
/// the timeouts can be observed.
fn settings() -> Settings {
    let mut s = Settings::development();
    add_demo_credentials(&mut s);
    s.server.port = 0;
    s.server.workers = WORKERS;
    s.server.client_request_timeout_ms = REQUEST_TIMEOUT_MS;
    s.server.keep_alive_secs = 1;
    s
}

async fn spawn_app() -> u16 {
    let app = Application::build(settings())
        .await
        .expect("application builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    port
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

fn basic_auth() -> String {
    use base64::Engine;
    let pair = format!("{DEMO_CALLER_KEY}:{DEMO_CALLER_SECRET}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// What the server did with a connection: answered with a status, closed it silently, or
/// neither within the client's 10 s read timeout.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Status(u16),
    Closed,
    Held,
}

/// Reads up to the end of a response head; a reset or EOF before any byte is `Closed`.
fn read_outcome(stream: &mut TcpStream) -> Outcome {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                head.extend_from_slice(&buf[..n]);
                if head.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Outcome::Held
            }
            Err(_) => break, // reset: the server dropped the connection
        }
    }
    let text = String::from_utf8_lossy(&head);
    match text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
    {
        Some(status) => Outcome::Status(status),
        None => Outcome::Closed,
    }
}

/// Writes `bytes`, ignoring a write refused because the server already answered and closed.
fn write_all_or_refused(stream: &mut TcpStream, bytes: &[u8]) {
    match stream.write_all(bytes) {
        Ok(()) => {}
        Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {}
        Err(e) => panic!("write failed: {e}"),
    }
}

/// A request head that never ends: `start`, then a header value one byte every 50 ms, for up
/// to 20 s or until the server answers or closes.
fn dribble_head(stream: &TcpStream, start: &'static [u8]) -> thread::JoinHandle<()> {
    let mut writer = stream.try_clone().expect("clone");
    thread::spawn(move || {
        let pieces = start
            .chunks(1)
            .chain(std::iter::once(&b"X-Slow: "[..]))
            .chain(std::iter::repeat_n(&b"a"[..], 400));
        for piece in pieces {
            if writer.write_all(piece).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
    })
}

/// Opens a connection and dribbles a request head on it; returns what the server did and how
/// long after the connection opened.
fn slow_head(port: u16) -> (Outcome, Duration) {
    let start = Instant::now();
    let mut stream = connect(port);
    let sender = dribble_head(&stream, b"POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let outcome = read_outcome(&mut stream);
    let elapsed = start.elapsed();
    let _ = stream.shutdown(Shutdown::Both); // stops the sender's writes too
    let _ = sender.join();
    (outcome, elapsed)
}

/// A slow client is cut off by `client_request_timeout`: 408, or a plain close.
fn assert_cut_off(outcome: &Outcome, elapsed: Duration, what: &str) {
    assert!(
        matches!(outcome, Outcome::Status(408) | Outcome::Closed),
        "{what}: {outcome:?}"
    );
    let limit = Duration::from_millis(REQUEST_TIMEOUT_MS) + Duration::from_secs(2);
    assert!(elapsed < limit, "{what}: held for {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_clients_are_cut_off_after_the_request_timeout_while_others_are_served() {
    let port = spawn_app().await;
    let attackers: Vec<_> = (0..8 * WORKERS)
        .map(|_| thread::spawn(move || slow_head(port)))
        .collect();

    // During the attack a well-behaved client is served, promptly, every time.
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(REQUEST_TIMEOUT_MS) {
        let asked = Instant::now();
        let response = http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .expect("served");
        assert_eq!(response.status(), 200);
        assert!(
            asked.elapsed() < Duration::from_millis(REQUEST_TIMEOUT_MS),
            "a normal request waited {:?}",
            asked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for attacker in attackers {
        let (outcome, elapsed) =
            tokio::task::spawn_blocking(move || attacker.join().expect("attacker thread"))
                .await
                .unwrap();
        assert_cut_off(&outcome, elapsed, "slow request head");
        assert!(
            elapsed >= Duration::from_millis(REQUEST_TIMEOUT_MS) / 2,
            "cut off before the timeout: {elapsed:?}"
        );
    }
}

/// What dpopd allows from a request's first byte to the first byte of its answer, on every
/// request of a connection (`connection::Deadlined`): twice `client_request_timeout_ms`.
const ANSWER_WITHIN: Duration = Duration::from_millis(2 * REQUEST_TIMEOUT_MS);

/// Opens a connection, has one request answered on it, then sends the head of a second
/// request as `second` does; returns what the server did and how long after the second
/// request's first byte.
fn after_one_answer(port: u16, second: fn(&TcpStream)) -> (Outcome, Duration) {
    let mut stream = connect(port);
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let start = Instant::now();
    second(&stream);
    let outcome = read_outcome(&mut stream);
    let elapsed = start.elapsed();
    let _ = stream.shutdown(Shutdown::Both); // stops a dribbling sender too
    (outcome, elapsed)
}

/// A slow client on a kept-alive connection is cut off by the answer deadline: closed
/// (actix-http has no head timer after the first request, so nothing answers 408), no later
/// than `ANSWER_WITHIN` after its first byte and not before a client in time would be done.
fn assert_cut_off_by_the_answer_deadline(outcome: &Outcome, elapsed: Duration, what: &str) {
    assert!(
        matches!(outcome, Outcome::Status(408) | Outcome::Closed),
        "{what}: {outcome:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(REQUEST_TIMEOUT_MS),
        "{what}: cut off after {elapsed:?}"
    );
    assert!(
        elapsed < ANSWER_WITHIN + Duration::from_millis(500),
        "{what}: held for {elapsed:?}"
    );
}

/// actix-http 3 arms its request-head timer for the first request of a connection only, and
/// a byte of the next request stops its keep-alive timer: before `connection::Deadlined`, a
/// client dribbling its second request held the connection for as long as it kept sending
/// (the test client's 10 s read timeout, every time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_second_requests_on_kept_alive_connections_are_cut_off_while_others_are_served() {
    let port = spawn_app().await;
    let attackers: Vec<_> = (0..8 * WORKERS)
        .map(|_| {
            thread::spawn(move || {
                after_one_answer(port, |stream| {
                    let sender =
                        dribble_head(stream, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
                    drop(sender); // it stops when the connection does
                })
            })
        })
        .collect();
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < ANSWER_WITHIN {
        let response = http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .expect("served");
        assert_eq!(response.status(), 200);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for attacker in attackers {
        let (outcome, elapsed) =
            tokio::task::spawn_blocking(move || attacker.join().expect("attacker thread"))
                .await
                .unwrap();
        assert_cut_off_by_the_answer_deadline(&outcome, elapsed, "slow second request head");
    }
}

/// One byte of a second request and then silence: before `connection::Deadlined` the
/// connection was held with no timer at all, for no bandwidth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_request_that_stops_after_its_first_bytes_is_cut_off() {
    let port = spawn_app().await;
    let (outcome, elapsed) = tokio::task::spawn_blocking(move || {
        after_one_answer(port, |mut stream| {
            stream.write_all(b"G").unwrap();
        })
    })
    .await
    .unwrap();
    assert_cut_off_by_the_answer_deadline(&outcome, elapsed, "one byte, then silence");
}

/// Sends the head of a token call with `framing` (a length or chunked) and then its body a
/// byte (or a one-byte chunk) at a time; returns what the server answered and when, and when
/// it closed the connection (`None`: not within 3 s of the answer).
fn slow_body(
    port: u16,
    framing: &str,
    piece: &'static [u8],
) -> (Outcome, Duration, Option<Duration>) {
    let mut stream = connect(port);
    let head = format!(
        "POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n",
        basic_auth()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let start = Instant::now();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        for _ in 0..400 {
            if writer.write_all(piece).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
    });
    let outcome = read_outcome(&mut stream);
    let answered = start.elapsed();
    let mut rest = Vec::new();
    // A reset is a close too: the server drops a connection with unread bytes in it.
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("read timeout");
    let closed = match stream.read_to_end(&mut rest) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
        _ => Some(start.elapsed()),
    };
    let _ = stream.shutdown(Shutdown::Both); // stops the sender's writes too
    let _ = sender.join();
    (outcome, answered, closed)
}

/// actix-web's `client_request_timeout` covers request heads only; dpopd's own deadline
/// (`startup::within_deadline`) answers a body that does not arrive in time with 408 and
/// closes the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_answered_408_and_the_connection_closed() {
    let port = spawn_app().await;
    let (outcome, answered, closed) =
        tokio::task::spawn_blocking(move || slow_body(port, "Content-Length: 4000", b" "))
            .await
            .unwrap();
    assert_eq!(outcome, Outcome::Status(408));
    assert_cut_off(&outcome, answered, "slow body");
    // Closed at once, or after `client_disconnect_timeout_ms` (1 s by default) of lingering.
    assert!(
        closed.is_some_and(|t| t < answered + Duration::from_secs(2)),
        "answered after {answered:?}, closed after {closed:?}"
    );

    let (outcome, answered, _) = tokio::task::spawn_blocking(move || {
        slow_body(port, "Transfer-Encoding: chunked", b"1\r\n \r\n")
    })
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Status(408), "slow chunked body");
    assert_cut_off(&outcome, answered, "slow chunked body");
}

/// After answering a chunked request whose body it did not read, actix-http 3 keeps reading
/// ("draining") the body so that the connection can be reused, with no timer, even when the
/// answer says `Connection: close`: before `connection::Deadlined`, a client sending one
/// chunk now and then held the connection (not closed 3 s after the answer, every time).
/// Now the chunks after the answer must stop within `ANSWER_WITHIN`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_chunked_body_is_not_drained_forever() {
    let port = spawn_app().await;
    let (outcome, answered, closed) = tokio::task::spawn_blocking(move || {
        slow_body(port, "Transfer-Encoding: chunked", b"1\r\n \r\n")
    })
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Status(408));
    assert!(
        closed.is_some_and(|t| t < answered + ANSWER_WITHIN + Duration::from_millis(500)),
        "answered after {answered:?}, closed after {closed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed_after_keep_alive() {
    let port = spawn_app().await;
    let elapsed = tokio::task::spawn_blocking(move || {
        let mut stream = connect(port);
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .unwrap();
        assert_eq!(read_outcome(&mut stream), Outcome::Status(200));
        let start = Instant::now();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        start.elapsed()
    })
    .await
    .unwrap();
    // keep_alive_secs = 1 in these settings.
    assert!(
        elapsed < Duration::from_secs(4),
        "idle connection held for {elapsed:?}"
    );
}

/// Sends `request` whole (or as much as the server reads before answering) and reports what
/// the server did.
async fn send_raw(port: u16, request: Vec<u8>) -> (Outcome, Duration) {
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let mut stream = connect(port);
        let mut writer = stream.try_clone().unwrap();
        let sender = thread::spawn(move || write_all_or_refused(&mut writer, &request));
        let outcome = read_outcome(&mut stream);
        let elapsed = start.elapsed();
        let _ = stream.shutdown(Shutdown::Both); // stops the sender's writes too
        let _ = sender.join();
        (outcome, elapsed)
    })
    .await
    .unwrap()
}

fn refused_with(outcome: &Outcome, allowed: &[u16], what: &str) {
    match outcome {
        Outcome::Status(status) => assert!(
            allowed.contains(status),
            "{what}: status {status}, expected one of {allowed:?}"
        ),
        other => panic!("{what}: {other:?} without an answer"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_header_block_is_refused_with_431() {
    let port = spawn_app().await;
    let one_huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let (outcome, elapsed) = send_raw(port, one_huge.into_bytes()).await;
    refused_with(&outcome, &[431, 400], "one 200 KiB header");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");

    let many_long: String = (0..90)
        .map(|i| format!("X-Long-{i}: {}\r\n", "b".repeat(2048)))
        .collect();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{many_long}\r\n");
    let (outcome, _) = send_raw(port, request.into_bytes()).await;
    refused_with(&outcome, &[431, 400], "90 headers of 2 KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_headers_are_refused() {
    let port = spawn_app().await;
    let headers: String = (0..200).map(|i| format!("X-H-{i}: v\r\n")).collect();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n");
    let (outcome, elapsed) = send_raw(port, request.into_bytes()).await;
    refused_with(&outcome, &[431, 400], "200 headers");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");

    // The limit is generous enough for real clients.
    let headers: String = (0..60).map(|i| format!("X-H-{i}: v\r\n")).collect();
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n");
    assert_eq!(
        send_raw(port, request.into_bytes()).await.0,
        Outcome::Status(200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_is_refused_with_413_without_being_read() {
    let port = spawn_app().await;
    let (outcome, elapsed) = tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let mut stream = connect(port);
        let head = format!(
            "POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            basic_auth(),
            10 * 1024 * 1024
        );
        stream.write_all(head.as_bytes()).unwrap();
        // A first slice of the body only: the answer must come without the other 10 MB.
        write_all_or_refused(&mut stream, &[b' '; 16 * 1024]);
        let outcome = read_outcome(&mut stream);
        (outcome, start.elapsed())
    })
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Status(413));
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

async fn post_token(port: u16, body: String) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/auth/token"))
        .basic_auth(DEMO_CALLER_KEY, Some(DEMO_CALLER_SECRET))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json_is_refused_with_400_quickly() {
    let port = spawn_app().await;
    // Within the 64 KiB body limit, far past serde_json's recursion limit of 128.
    for (what, body) in [
        ("60k '['", "[".repeat(60_000)),
        ("nested objects", r#"{"a":"#.repeat(12_000)),
        (
            "nested parameters",
            format!(r#"{{"parameters":{}}}"#, "[".repeat(60_000)),
        ),
    ] {
        let (status, answer, elapsed) = post_token(port, body).await;
        assert_eq!(status, 400, "{what}: {answer}");
        assert_eq!(answer["resultCode"], "A001203", "{what}: {answer}");
        assert!(elapsed < Duration::from_secs(2), "{what}: {elapsed:?}");
    }
    // 100k '[' is refused before any parsing: it is past the body limit.
    let (status, answer, _) = post_token(port, "[".repeat(100_000)).await;
    assert_eq!(
        (status, answer["resultCode"].as_str()),
        (413, Some("A001204")),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_proof_is_refused_as_an_invalid_dpop_proof() {
    let port = spawn_app().await;
    let body = json!({
        "parameters": "grant_type=client_credentials&scope=read",
        "clientId": DEMO_CLIENT_ID, "clientSecret": DEMO_CLIENT_SECRET,
        "dpop": format!("{}.{}.{}", "e".repeat(4000), "e".repeat(4000), "e".repeat(1000)),
    });
    let (status, answer, elapsed) = post_token(port, body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["action"], "BAD_REQUEST", "{answer}");
    let content: Value =
        serde_json::from_str(answer["responseContent"].as_str().expect("content")).unwrap();
    assert_eq!(content["error"], "invalid_dpop_proof", "{answer}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}
