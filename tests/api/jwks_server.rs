//! A trusted issuer's JWKS endpoint for the tests: HTTP/1.1 on 127.0.0.1 and port 0, one
//! answer per connection, the set changeable while it runs, every request counted. It stops
//! when told or dropped.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

struct Shared {
    body: Mutex<String>,
    hits: AtomicUsize,
}

pub struct JwksServer {
    port: u16,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl JwksServer {
    /// Serves `body` (a JWK Set's JSON) at `/jwks`.
    pub async fn start(body: String) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Shared {
            body: Mutex::new(body),
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
                    let body = shared.body.lock().expect("body").clone();
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        JwksServer {
            port,
            shared,
            accept,
        }
    }

    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}/jwks", self.port)
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// What the next requests get.
    pub fn serve(&self, body: String) {
        *self.shared.body.lock().expect("body") = body;
    }

    /// Closes the listening socket: connections are refused from now on.
    pub async fn stop(&self) {
        self.accept.abort();
        while !self.accept.is_finished() {
            tokio::task::yield_now().await;
        }
    }

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
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
