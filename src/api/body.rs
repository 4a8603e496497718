//! The JSON body of an API call (docs/api.md, "Calls"): any content type, at most
//! `server.max_body_bytes` octets, then deserialized. `Content-Length` above the limit is 413
//! `A001204` before anything is read, and so is a body that grows past it; a body that cannot
//! be read is 400 `A001203`; one that does not deserialize is answered as [`body_error`] says.
//!
//! In place of actix-web's `web::Json`, which copies every body into a fresh 8 KiB buffer and
//! parses bytes, checking the UTF-8 of each string on its own: a body that arrives in one piece
//! (the usual case) is parsed where it lies, and its UTF-8 is checked once, whole
//! (docs/performance.md, "What was changed for speed").
use super::result_code::ResultCode;
use super::{body_error, ApiError};
use actix_web::dev::Payload;
use actix_web::http::header::{ContentLength, Header};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_core::Stream;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// The most octets a call's body may have (`server.max_body_bytes`), as the app's data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The limit when the app sets none: the embedded default of `server.max_body_bytes`.
const DEFAULT_LIMIT: usize = 64 * 1024;

/// A call's JSON body, deserialized into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ApiJson<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = ReadBody<T>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> ReadBody<T> {
        let limit = req.app_data::<BodyLimit>().map_or(DEFAULT_LIMIT, |l| l.0);
        // A `Content-Length` that does not parse is left to the reading, as actix-web does.
        let declared = ContentLength::parse(req).ok().map(|length| length.0);
        if declared.is_some_and(|length| length > limit) {
            return ReadBody::Refused(Some(ApiError::new(ResultCode::BodyTooLarge)));
        }
        ReadBody::Reading {
            limit,
            declared: declared.unwrap_or(0),
            payload: payload.take(),
            first: None,
            rest: BytesMut::new(),
            _body: PhantomData,
        }
    }
}

/// Reads the body to its end, then deserializes it.
pub enum ReadBody<T> {
    Refused(Option<ApiError>),
    Reading {
        limit: usize,
        /// `Content-Length`, or 0: the size to reserve once the body comes in pieces.
        declared: usize,
        payload: Payload,
        /// The first piece, kept as received while it is the only one.
        first: Option<Bytes>,
        /// The pieces so far, once there are two or more.
        rest: BytesMut,
        _body: PhantomData<T>,
    },
}

// Nothing of `T` is held while reading (it exists only once the future is ready), and the
// payload is itself `Unpin`.
impl<T> Unpin for ReadBody<T> {}

impl<T: DeserializeOwned> Future for ReadBody<T> {
    type Output = Result<ApiJson<T>, ApiError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (limit, declared, payload, first, rest) = match self.get_mut() {
            ReadBody::Refused(refusal) => {
                // Polled again after it answered: a caller's bug, never a panic here.
                let refusal = refusal
                    .take()
                    .unwrap_or_else(|| ApiError::new(ResultCode::InternalError));
                return Poll::Ready(Err(refusal));
            }
            ReadBody::Reading {
                limit,
                declared,
                payload,
                first,
                rest,
                ..
            } => (*limit, *declared, payload, first, rest),
        };
        loop {
            match ready!(Pin::new(&mut *payload).poll_next(cx)) {
                Some(Ok(piece)) => {
                    let held = first.as_ref().map_or(0, Bytes::len) + rest.len();
                    if held + piece.len() > limit {
                        return Poll::Ready(Err(ApiError::new(ResultCode::BodyTooLarge)));
                    }
                    if first.is_none() && rest.is_empty() {
                        *first = Some(piece);
                        continue;
                    }
                    if let Some(head) = first.take() {
                        rest.reserve(declared.max(head.len() + piece.len()));
                        rest.extend_from_slice(&head);
                    }
                    rest.extend_from_slice(&piece);
                }
                Some(Err(_)) => {
                    return Poll::Ready(Err(ApiError::new(ResultCode::MalformedRequest)))
                }
                None => {
                    let body = first.take().unwrap_or_else(|| rest.split().freeze());
                    return Poll::Ready(parse_body(&body).map(ApiJson));
                }
            }
        }
    }
}

/// A call's JSON body into `T` ([`crate::json::from_bytes`]), or its refusal.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::json::from_bytes(body).map_err(|e| body_error(&e))
}

#[cfg(test)]
mod tests;
