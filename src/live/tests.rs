//! Unit tests of `live`.
use super::*;
use crate::reload::{apply, tests::settings};
use crate::startup::Application;

#[tokio::test]
async fn a_request_reads_the_configuration_once_and_keeps_it_across_a_reload() {
    let key =
        crate::jose::SigningKey::generate(crate::jose::Alg::ES256, Some("k1".into())).unwrap();
    let started = settings(&[&key]);
    let app = Application::build(started.clone()).await.unwrap();
    let state = app.state();
    let request = actix_web::test::TestRequest::default()
        .app_data(state.clone())
        .to_http_request();
    let first = Live::of(&request).unwrap();

    let mut next = started;
    next.tokens.access_token_lifetime_secs = 60;
    apply(&state, next, UnixTime::now()).unwrap();

    let again = Live::of(&request).unwrap();
    assert!(Arc::ptr_eq(&first.0, &again.0), "the same request");
    assert_eq!(again.core.access_lifetime_secs, 3600);
    let later = actix_web::test::TestRequest::default()
        .app_data(state.clone())
        .to_http_request();
    assert_eq!(Live::of(&later).unwrap().core.access_lifetime_secs, 60);
    let bare = actix_web::test::TestRequest::default().to_http_request();
    assert!(Live::of(&bare).is_none());
}
