//! A client's `jwks_uri` or a trusted issuer's JWKS endpoint for the tests: HTTP/1.1 on 127.0.0.1, port 0, one answer per
//! connection, whose status and body a test changes while it runs, counting requests. It stops
//! when the test's runtime ends (or at [`JwksServer::stop`]).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

struct Shared {
    answer: Mutex<(u16, Vec<u8>)>,
    hits: AtomicUsize,
}

pub struct JwksServer {
    pub uri: String,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl JwksServer {
    /// Serves `body` with status 200.
    pub async fn start(body: Vec<u8>) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let shared = Arc::new(Shared {
            answer: Mutex::new((200, body)),
            hits: AtomicUsize::new(0),
        });
        let serving = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let shared = Arc::clone(&serving);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    shared.hits.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = shared.answer.lock().expect("answer").clone();
                    let head = format!(
                        "HTTP/1.1 {status} Test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&body).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        JwksServer {
            uri: format!("http://{addr}/jwks"),
            shared,
            accept,
        }
    }

    /// What the next requests get.
    pub fn answer(&self, status: u16, body: Vec<u8>) {
        *self.shared.answer.lock().expect("answer") = (status, body);
    }

    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// Closes the listening socket: from now on connections are refused, as by a server
    /// that is down.
    /// Waits until `n` requests have arrived (the fetch at start), at most five seconds.
    pub async fn wait_for_hits(&self, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.hits() < n {
            assert!(
                std::time::Instant::now() < deadline,
                "no JWKS fetch arrived"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub async fn stop(&self) {
        self.accept.abort();
        while !self.accept.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
}

/// A loopback URI where nothing listens.
pub async fn dead_uri() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}/jwks")
}
