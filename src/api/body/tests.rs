//! Unit tests of `api::body`.
use super::*;
use actix_web::error::PayloadError;
use actix_web::test::TestRequest;
use serde::Deserialize;
use std::collections::VecDeque;

#[derive(Debug, Deserialize, PartialEq)]
struct Call {
    token: String,
    n: Option<u32>,
}

/// A payload that yields `pieces` in turn, and records whether it was ever polled.
struct Pieces {
    pieces: VecDeque<Result<Bytes, PayloadError>>,
    polled: std::rc::Rc<std::cell::Cell<bool>>,
}

impl Stream for Pieces {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.polled.set(true);
        Poll::Ready(self.pieces.pop_front())
    }
}

/// Extracts a `Call` from `pieces`, with `limit` as the app's and `length` as the declared
/// `Content-Length`; and whether the payload was read at all.
async fn extract(
    pieces: Vec<Result<&'static [u8], PayloadError>>,
    limit: usize,
    length: Option<usize>,
) -> (Result<Call, ApiError>, bool) {
    let polled = std::rc::Rc::new(std::cell::Cell::new(false));
    let stream = Pieces {
        pieces: pieces
            .into_iter()
            .map(|p| p.map(Bytes::from_static))
            .collect(),
        polled: polled.clone(),
    };
    let mut request = TestRequest::post().app_data(BodyLimit(limit));
    if let Some(length) = length {
        request = request.insert_header(("content-length", length.to_string()));
    }
    let request = request.to_http_request();
    let boxed: actix_http::BoxedPayloadStream = Box::pin(stream);
    let mut payload = Payload::Stream { payload: boxed };
    let result = ApiJson::<Call>::from_request(&request, &mut payload)
        .await
        .map(ApiJson::into_inner);
    (result, polled.get())
}

fn code(result: &Result<Call, ApiError>) -> Option<ResultCode> {
    result.as_ref().err().map(|e| e.code)
}

const BODY: &[u8] = br#"{"token":"t\u00e9","n":3}"#;

#[actix_web::test]
async fn a_body_in_one_piece_or_several_is_the_same_call() {
    let want = Call {
        token: "té".into(),
        n: Some(3),
    };
    let (one, _) = extract(vec![Ok(BODY)], 64, Some(BODY.len())).await;
    assert_eq!(one.unwrap(), want);
    let (split, _) = extract(
        vec![Ok(&BODY[..5]), Ok(b""), Ok(&BODY[5..9]), Ok(&BODY[9..])],
        64,
        None,
    )
    .await;
    assert_eq!(split.unwrap(), want);
    // Exactly the limit is within it.
    let (at_limit, _) = extract(vec![Ok(&BODY[..7]), Ok(&BODY[7..])], BODY.len(), None).await;
    assert_eq!(at_limit.unwrap(), want);
}

#[actix_web::test]
async fn a_declared_length_over_the_limit_is_refused_unread() {
    let (result, polled) = extract(vec![Ok(BODY)], BODY.len() - 1, Some(BODY.len())).await;
    assert_eq!(code(&result), Some(ResultCode::BodyTooLarge));
    assert!(!polled, "the body was read");
}

#[actix_web::test]
async fn a_body_that_grows_past_the_limit_is_refused() {
    let (one, _) = extract(vec![Ok(BODY)], BODY.len() - 1, None).await;
    assert_eq!(code(&one), Some(ResultCode::BodyTooLarge));
    let (pieces, _) = extract(vec![Ok(&BODY[..10]), Ok(&BODY[10..])], 12, None).await;
    assert_eq!(code(&pieces), Some(ResultCode::BodyTooLarge));
}

#[actix_web::test]
async fn a_body_that_cannot_be_read_is_malformed() {
    let (result, _) = extract(
        vec![Ok(&BODY[..4]), Err(PayloadError::Incomplete(None))],
        64,
        None,
    )
    .await;
    assert_eq!(code(&result), Some(ResultCode::MalformedRequest));
}

#[actix_web::test]
async fn refusals_of_the_text_are_serde_json_s_as_before() {
    // Not UTF-8, not JSON, a field of the wrong type: the same refusal, detail included, as
    // parsing the bytes gives.
    for body in [
        &b"{\"token\":\"\xff\"}"[..],
        b"{\"token\":",
        b"{\"token\":1}",
        b"{\"token\":\"a\"} trailing",
    ] {
        let (result, _) = extract(vec![Ok(body)], 64, None).await;
        let got = result.unwrap_err();
        let want = body_error(&serde_json::from_slice::<Call>(body).unwrap_err());
        assert_eq!(
            (got.code, got.detail.as_deref()),
            (want.code, want.detail.as_deref()),
            "{body:?}"
        );
    }
}
