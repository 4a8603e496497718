//! [`Deadlined`]: deadlines on each accepted connection, beneath the HTTP/1.1 server.
//!
//! actix-http 3 bounds the head of a connection's first request (`client_request_timeout`)
//! and an idle kept-alive connection (`keep_alive`), but no later request's head: one byte of
//! a second request stops the keep-alive timer and arms nothing, so a client that sends a
//! byte now and then, or one byte and then nothing, holds the connection for as long as it
//! likes. It also drains the unread chunked body of a request it has answered, with no timer.
//! The transport sees enough to close both: once a request's first byte has arrived, the first
//! byte of an answer must be written within the deadline; and a write may not stall for longer
//! than the deadline (a client that does not read its answers). A connection that misses
//! either is failed with `TimedOut`, which makes actix-http drop it. An idle connection with
//! nothing unanswered is left to `keep_alive`. See docs/operations.md, "Slow clients".
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// A stream whose unanswered requests and stalled writes have a deadline.
pub struct Deadlined<IO> {
    io: IO,
    limit: Duration,
    /// Armed at the first byte read since the last byte written: the answer is due by then.
    answer_due: Option<Pin<Box<Sleep>>>,
    answer_pending: bool,
    /// Armed when a write finds the peer's window full: it must move by then.
    write_due: Option<Pin<Box<Sleep>>>,
    write_pending: bool,
}

impl<IO> Deadlined<IO> {
    /// `limit` bounds the time from a request's first byte to the first byte of its answer,
    /// and any stall of a write.
    pub fn new(io: IO, limit: Duration) -> Deadlined<IO> {
        Deadlined {
            io,
            limit,
            answer_due: None,
            answer_pending: false,
            write_due: None,
            write_pending: false,
        }
    }
}

/// Arms `timer` to fire `limit` from now, reusing its allocation.
fn arm(timer: &mut Option<Pin<Box<Sleep>>>, limit: Duration) {
    let deadline = Instant::now() + limit;
    match timer {
        Some(sleep) => sleep.as_mut().reset(deadline),
        None => *timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
    }
}

/// Whether the armed `timer` has fired; registers the task to be woken when it does.
fn expired(timer: &mut Option<Pin<Box<Sleep>>>, cx: &mut Context<'_>) -> bool {
    timer
        .as_mut()
        .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready())
}

fn timed_out(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what)
}

impl<IO: AsyncRead + Unpin> AsyncRead for Deadlined<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.answer_pending && expired(&mut this.answer_due, cx) {
            return Poll::Ready(Err(timed_out("request not answered in time")));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        if buf.filled().len() > before && !this.answer_pending {
            this.answer_pending = true;
            arm(&mut this.answer_due, this.limit);
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Deadlined<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    this.answer_pending = false;
                    this.write_pending = false;
                }
                Poll::Ready(Ok(written))
            }
            Poll::Pending => {
                if !this.write_pending {
                    this.write_pending = true;
                    arm(&mut this.write_due, this.limit);
                }
                if expired(&mut this.write_due, cx) {
                    return Poll::Ready(Err(timed_out("answer not read in time")));
                }
                Poll::Pending
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    /// Bounded by actix-http's `client_disconnect_timeout`.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
