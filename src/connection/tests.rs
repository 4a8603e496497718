//! Unit tests of `connection`.
use super::*;
use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// The client's end and the server's deadlined end of a connection whose buffers hold
/// `capacity` bytes each way.
fn connection(capacity: usize) -> (DuplexStream, Deadlined<DuplexStream>) {
    let (client, server) = duplex(capacity);
    (client, Deadlined::new(server, LIMIT))
}

async fn read_some(server: &mut Deadlined<DuplexStream>) -> io::Result<usize> {
    let mut buf = [0u8; 256];
    server.read(&mut buf).await
}

#[tokio::test(start_paused = true)]
async fn a_request_head_that_stops_halfway_fails_at_the_deadline() {
    let (mut client, mut server) = connection(1024);
    client.write_all(b"GET /healthz HT").await.unwrap();
    let started = Instant::now();
    assert_eq!(read_some(&mut server).await.unwrap(), 15);
    let err = read_some(&mut server).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), LIMIT);
}

#[tokio::test(start_paused = true)]
async fn a_request_dribbled_a_byte_at_a_time_fails_at_the_deadline_of_its_first_byte() {
    let (mut client, mut server) = connection(1024);
    let sender = tokio::spawn(async move {
        for _ in 0..1000 {
            if client.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(LIMIT / 20).await;
        }
    });
    let started = Instant::now();
    let outcome = loop {
        match read_some(&mut server).await {
            Ok(n) => assert!(n > 0, "the client never closes"),
            Err(e) => break e,
        }
    };
    assert_eq!(outcome.kind(), io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), LIMIT);
    drop(server);
    sender.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_answered_connection_may_idle_and_each_request_gets_its_own_deadline() {
    let (mut client, mut server) = connection(1024);
    for _ in 0..5 {
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        assert!(read_some(&mut server).await.unwrap() > 0);
        tokio::time::sleep(LIMIT - Duration::from_secs(1)).await;
        server.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        let mut answer = [0u8; 19];
        client.read_exact(&mut answer).await.unwrap();
        // Nothing unanswered: idling is keep-alive's business, not a deadline's.
        let idle = timeout(10 * LIMIT, read_some(&mut server)).await;
        assert!(idle.is_err(), "an idle connection was failed: {idle:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn bytes_after_an_answer_start_a_new_deadline() {
    let (mut client, mut server) = connection(1024);
    client.write_all(b"POST / HTTP/1.1\r\n").await.unwrap();
    read_some(&mut server).await.unwrap();
    server.write_all(b"HTTP/1.1 408 \r\n\r\n").await.unwrap();
    tokio::time::sleep(LIMIT * 3).await;
    // The rest of a body the answer did not wait for: it must stop in time too.
    client.write_all(b"1\r\n \r\n").await.unwrap();
    let started = Instant::now();
    read_some(&mut server).await.unwrap();
    let err = read_some(&mut server).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), LIMIT);
}

#[tokio::test(start_paused = true)]
async fn a_write_the_client_does_not_read_fails_at_the_deadline() {
    let (client, mut server) = connection(64);
    server.write_all(&[b'x'; 64]).await.unwrap();
    let started = Instant::now();
    let err = server.write_all(b"more").await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), LIMIT);

    // A client that reads, however slowly within the deadline, keeps the writes going.
    let (mut client2, mut server2) = connection(64);
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 16];
        let mut total = 0;
        while total < 640 {
            tokio::time::sleep(LIMIT / 2).await;
            total += client2.read(&mut buf).await.unwrap();
        }
    });
    server2.write_all(&[b'y'; 640]).await.unwrap();
    reader.await.unwrap();
    drop(client);
}
