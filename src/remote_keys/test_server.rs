//! A JWKS server for the tests: HTTP/1.1 on 127.0.0.1 and port 0, one answer per connection,
//! whose status, headers, body and delays a test sets while it runs, counting requests. Real
//! sockets, so the fetcher under test is the one production runs.
use super::JwksUri;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub(super) struct Answer {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub cache_control: Option<&'static str>,
    pub location: Option<String>,
    pub body: Vec<u8>,
    /// Before the status line.
    pub delay: Duration,
    /// Between the head and the body.
    pub body_delay: Duration,
    /// Chunked, without `Content-Length`.
    pub chunked: bool,
    /// Keeps the connection open after the body instead of ending it.
    pub hang_after_body: bool,
    /// Declares this `Content-Length` instead of the body's.
    pub declared_length: Option<usize>,
}

impl Answer {
    pub fn json(body: Vec<u8>) -> Answer {
        Answer {
            status: 200,
            content_type: Some("application/json"),
            cache_control: None,
            location: None,
            body,
            delay: Duration::ZERO,
            body_delay: Duration::ZERO,
            chunked: false,
            hang_after_body: false,
            declared_length: None,
        }
    }
}

struct Shared {
    answer: Mutex<Answer>,
    hits: AtomicUsize,
}

pub(super) struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(answer: Answer) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let shared = Arc::new(Shared {
            answer: Mutex::new(answer),
            hits: AtomicUsize::new(0),
        });
        let serving = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&serving)));
            }
        });
        TestServer {
            addr,
            shared,
            accept,
        }
    }

    pub fn uri(&self) -> JwksUri {
        JwksUri::parse(&format!("http://{}/jwks", self.addr)).expect("loopback URI")
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// What the next requests get.
    pub fn answer(&self, answer: Answer) {
        *self.shared.answer.lock().expect("answer lock") = answer;
    }

    /// Closes the listening socket: connections are refused from now on.
    pub async fn stop(&self) {
        self.accept.abort();
        // The listener closes when the aborted task is dropped.
        while !self.accept.is_finished() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    // The request head; its content does not matter, only that one arrived.
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    shared.hits.fetch_add(1, Ordering::SeqCst);
    let answer = shared.answer.lock().expect("answer lock").clone();
    tokio::time::sleep(answer.delay).await;
    let mut out = format!("HTTP/1.1 {} Test\r\nConnection: close\r\n", answer.status);
    if let Some(content_type) = answer.content_type {
        out.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    if let Some(cache_control) = answer.cache_control {
        out.push_str(&format!("Cache-Control: {cache_control}\r\n"));
    }
    if let Some(location) = &answer.location {
        out.push_str(&format!("Location: {location}\r\n"));
    }
    if answer.chunked {
        out.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        let length = answer.declared_length.unwrap_or(answer.body.len());
        out.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    }
    if stream.write_all(out.as_bytes()).await.is_err() {
        return;
    }
    tokio::time::sleep(answer.body_delay).await;
    let written = if answer.chunked {
        write_chunked(&mut stream, &answer.body, !answer.hang_after_body).await
    } else {
        stream.write_all(&answer.body).await
    };
    if written.is_err() {
        return;
    }
    if answer.hang_after_body {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    let _ = stream.shutdown().await;
}

async fn write_chunked(stream: &mut TcpStream, body: &[u8], last: bool) -> std::io::Result<()> {
    for chunk in body.chunks(4096) {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await?;
        stream.write_all(chunk).await?;
        stream.write_all(b"\r\n").await?;
    }
    if last {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    Ok(())
}
