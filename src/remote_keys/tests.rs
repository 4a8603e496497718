//! Remote key sources against a real HTTP server on 127.0.0.1 (`test_server`), which counts
//! the fetches. The clock of the cache is pinned (`T0` plus offsets); only the timeouts of
//! the HTTP exchange run in real time.
use super::test_server::{Answer, TestServer};
use super::*;
use crate::clock::UnixTime;
use crate::jose::jwks_verify::JwksVerifyError;
use crate::jose::{Alg, SigningKey};
use std::time::{Duration, Instant};

const T0: UnixTime = UnixTime(1_700_000_000);
const ES256: &[Alg] = &[Alg::ES256];

fn settings() -> JwksSettings {
    JwksSettings {
        connect_timeout_ms: 500,
        timeout_ms: 1_000,
        ..JwksSettings::default()
    }
}

fn key(kid: &str) -> SigningKey {
    SigningKey::generate(Alg::ES256, Some(kid.into())).expect("key")
}

fn jwks(keys: &[&SigningKey]) -> Vec<u8> {
    let keys: Vec<_> = keys.iter().map(|k| k.public_jwk()).collect();
    serde_json::json!({ "keys": keys }).to_string().into_bytes()
}

fn token(key: &SigningKey) -> String {
    key.sign_compact("at+jwt", br#"{"sub":"s"}"#)
        .expect("token")
}

/// A server publishing `keys`, and a source named `name` for it.
async fn remote(
    name: &str,
    keys: &[&SigningKey],
    settings: JwksSettings,
) -> (TestServer, SourceKeys) {
    let server = TestServer::start(Answer::json(jwks(keys))).await;
    let fetcher = JwksFetcher::new(&settings).expect("fetcher");
    let source = fetcher.source(name, KeySource::Remote { uri: server.uri() });
    (server, source)
}

#[tokio::test]
async fn a_known_kid_is_verified_without_a_fetch() {
    let a = key("a");
    let (server, source) = remote("known-kid", &[&a], settings()).await;
    assert_eq!(source.refresh(T0).await, Ok(1));
    for offset in [0, 1, 299, 300, 3_600, 86_400] {
        let verified = source.verify(&token(&a), ES256, T0.plus(offset)).await;
        assert_eq!(
            verified.map(|v| v.kid),
            Ok(Some("a".to_owned())),
            "at +{offset}s"
        );
    }
    assert_eq!(
        server.hits(),
        1,
        "no fetch on the request path of a known kid"
    );
}

#[tokio::test]
async fn an_unknown_kid_fetches_once_and_then_verifies() {
    let (a, b) = (key("a"), key("b"));
    let (server, source) = remote("unknown-kid", &[&a], settings()).await;
    source.refresh(T0).await.expect("first fetch");
    server.answer(Answer::json(jwks(&[&a, &b])));
    let verified = source.verify(&token(&b), ES256, T0.plus(60)).await;
    assert_eq!(verified.map(|v| v.kid), Ok(Some("b".to_owned())));
    assert_eq!(server.hits(), 2);
    assert!(source.verify(&token(&b), ES256, T0.plus(61)).await.is_ok());
    assert_eq!(server.hits(), 2, "b is known now");
}

#[tokio::test]
async fn unknown_kids_fetch_at_most_once_per_interval() {
    let (a, stranger) = (key("a"), key("stranger"));
    let (server, source) = remote("interval", &[&a], settings()).await;
    source.refresh(T0).await.expect("first fetch");
    let unknown = Err(KeysError::Jws(JwksVerifyError::UnknownKid));
    let steps = [
        // (seconds after T0, fetches seen by the server afterwards)
        (10, 1), // within min_refresh_secs of the first fetch
        (29, 1),
        (30, 2), // the interval has passed: one fetch, the kid is still unknown
        (31, 2),
        (59, 2),
        (60, 3),
    ];
    for (offset, hits) in steps {
        let got = source
            .verify(&token(&stranger), ES256, T0.plus(offset))
            .await;
        assert_eq!(got, unknown, "at +{offset}s");
        assert_eq!(server.hits(), hits, "at +{offset}s");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_unknown_kid_requests_share_one_fetch() {
    let (a, b) = (key("a"), key("b"));
    let (server, source) = remote("single-flight", &[&a], settings()).await;
    source.refresh(T0).await.expect("first fetch");
    let mut slow = Answer::json(jwks(&[&a, &b]));
    slow.delay = Duration::from_millis(300);
    server.answer(slow);
    let jwt = token(&b);
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (source, jwt) = (source.clone(), jwt.clone());
        requests.spawn(async move { source.verify(&jwt, ES256, T0.plus(60)).await });
    }
    while let Some(result) = requests.join_next().await {
        assert!(result.expect("task").is_ok());
    }
    assert_eq!(server.hits(), 2, "32 requests, one fetch");
    // Explicit refreshes under way at once share one fetch too.
    let mut refreshes = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let source = source.clone();
        refreshes.spawn(async move { source.refresh(T0.plus(120)).await });
    }
    while let Some(result) = refreshes.join_next().await {
        assert_eq!(result.expect("task"), Ok(2));
    }
    assert_eq!(server.hits(), 3, "8 refreshes, one fetch");
}

#[tokio::test]
async fn cached_keys_keep_verifying_while_the_server_is_down() {
    let (a, b) = (key("a"), key("b"));
    let (server, source) = remote("server-down", &[&a], settings()).await;
    source.refresh(T0).await.expect("first fetch");
    server.stop().await;
    assert_eq!(
        source.refresh(T0.plus(300)).await,
        Err(FetchError::Unreachable)
    );
    assert!(source.verify(&token(&a), ES256, T0.plus(301)).await.is_ok());
    // An unknown kid is still refused: the fetch it may cause fails.
    let got = source.verify(&token(&b), ES256, T0.plus(400)).await;
    assert_eq!(got, Err(KeysError::Jws(JwksVerifyError::UnknownKid)));
    assert!(source.verify(&token(&a), ES256, T0.plus(401)).await.is_ok());
}

#[tokio::test]
async fn an_unfetched_source_with_its_server_down_refuses() {
    let a = key("a");
    let (server, source) = remote("never-fetched", &[&a], settings()).await;
    server.stop().await;
    let got = source.verify(&token(&a), ES256, T0).await;
    assert_eq!(got, Err(KeysError::NoKeySet));
    assert_eq!(source.current(T0), None);
    assert_eq!(source.refresh(T0).await, Err(FetchError::Unreachable));
}

#[tokio::test]
async fn keys_older_than_max_stale_are_refused() {
    let a = key("a");
    let settings = JwksSettings {
        max_refresh_secs: 600,
        max_stale_secs: 3_600,
        ..settings()
    };
    let (server, source) = remote("stale", &[&a], settings).await;
    source.refresh(T0).await.expect("first fetch");
    server.stop().await;
    assert!(source
        .verify(&token(&a), ES256, T0.plus(3_600))
        .await
        .is_ok());
    let got = source.verify(&token(&a), ES256, T0.plus(3_601)).await;
    assert_eq!(got, Err(KeysError::NoKeySet));
    assert_eq!(source.current(T0.plus(3_601)), None);
}

#[tokio::test]
async fn a_failed_fetch_keeps_the_last_good_set_and_a_new_set_replaces_it() {
    let a = key("a");
    let (server, source) = remote("replace", &[&a], settings()).await;
    source.refresh(T0).await.expect("first fetch");
    let mut error = Answer::json(b"{}".to_vec());
    error.status = 500;
    server.answer(error);
    assert_eq!(
        source.refresh(T0.plus(300)).await,
        Err(FetchError::Status(500))
    );
    assert!(source.verify(&token(&a), ES256, T0.plus(301)).await.is_ok());
    // The publisher's set is the authority: a set without `a` retires it at once.
    server.answer(Answer::json(br#"{"keys":[]}"#.to_vec()));
    assert_eq!(source.refresh(T0.plus(600)).await, Ok(0));
    let got = source.verify(&token(&a), ES256, T0.plus(601)).await;
    assert_eq!(got, Err(KeysError::Jws(JwksVerifyError::UnknownKid)));
}

#[tokio::test]
async fn oversized_answers_are_refused_without_reading_them_whole() {
    let a = key("a");
    let (server, source) = remote("too-large", &[&a], settings()).await;
    let too_large = Err(FetchError::TooLarge { limit: 64 * 1024 });
    // A declared length over the limit is refused on the head: the body, sent 5 s later,
    // is never waited for.
    let mut declared = Answer::json(vec![b' '; 70 * 1024]);
    declared.body_delay = Duration::from_secs(5);
    server.answer(declared);
    let started = Instant::now();
    assert_eq!(source.refresh(T0).await, too_large);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Without a length, reading stops at the limit: the connection, left open after the
    // body, is not read to its end.
    let mut chunked = Answer::json(vec![b' '; 70 * 1024]);
    chunked.chunked = true;
    chunked.hang_after_body = true;
    server.answer(chunked);
    let started = Instant::now();
    assert_eq!(source.refresh(T0.plus(60)).await, too_large);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(source.current(T0.plus(60)), None);
}

#[tokio::test]
async fn a_slow_server_times_out_within_the_bound() {
    let a = key("a");
    let settings = JwksSettings {
        connect_timeout_ms: 200,
        timeout_ms: 300,
        ..JwksSettings::default()
    };
    let (server, source) = remote("slow", &[&a], settings).await;
    let mut slow_head = Answer::json(jwks(&[&a]));
    slow_head.delay = Duration::from_secs(5);
    let mut slow_body = Answer::json(jwks(&[&a]));
    slow_body.body_delay = Duration::from_secs(5);
    for (offset, answer) in [(0, slow_head), (60, slow_body)] {
        server.answer(answer);
        let started = Instant::now();
        let got = source.verify(&token(&a), ES256, T0.plus(offset)).await;
        let took = started.elapsed();
        assert_eq!(got, Err(KeysError::NoKeySet));
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_millis(1_500),
            "{took:?}"
        );
        assert_eq!(
            source.refresh(T0.plus(offset + 30)).await,
            Err(FetchError::Timeout)
        );
    }
}

#[tokio::test]
async fn answers_other_than_a_200_json_jwks_are_refused() {
    let a = key("a");
    let (server, source) = remote("bad-answers", &[&a], settings()).await;
    let with = |status: u16, content_type: Option<&'static str>, body: &[u8]| {
        let mut answer = Answer::json(body.to_vec());
        answer.status = status;
        answer.content_type = content_type;
        answer
    };
    let json = Some("application/json");
    let mut redirect = with(302, None, b"");
    redirect.location = Some(server.uri().as_str().to_owned());
    let cases: Vec<(&str, Answer, FetchError)> = vec![
        (
            "server error",
            with(500, json, b"{}"),
            FetchError::Status(500),
        ),
        (
            "not found",
            with(404, Some("text/html"), b"<html>"),
            FetchError::Status(404),
        ),
        ("no content", with(204, None, b""), FetchError::Status(204)),
        (
            "redirect to a good set, not followed",
            redirect,
            FetchError::Status(302),
        ),
        (
            "an HTML page",
            with(200, Some("text/html"), b"<html>login</html>"),
            FetchError::NotJson,
        ),
        (
            "text/plain",
            with(200, Some("text/plain"), &jwks(&[&a])),
            FetchError::NotJson,
        ),
        (
            "not JSON",
            with(200, json, b"keys: []"),
            FetchError::Invalid(crate::jose::jwks::JwksError::NotJson(
                "expected value at line 1 column 1".into(),
            )),
        ),
        (
            "not a set",
            with(200, json, br#"{"keys":{}}"#),
            FetchError::Invalid(crate::jose::jwks::JwksError::NotASet),
        ),
    ];
    for (i, (description, answer, want)) in cases.into_iter().enumerate() {
        server.answer(answer);
        let now = T0.plus(60 * i as i64);
        assert_eq!(source.refresh(now).await, Err(want), "{description}");
        assert_eq!(
            server.hits(),
            i + 1,
            "{description}: one request, nothing followed"
        );
        assert_eq!(source.current(now), None, "{description}");
    }
    // The same source accepts a good answer afterwards.
    let mut good = Answer::json(jwks(&[&a]));
    good.content_type = Some("application/jwk-set+json; charset=utf-8");
    server.answer(good);
    assert_eq!(source.refresh(T0.plus(3_600)).await, Ok(1));
}

#[tokio::test]
async fn hostile_tokens_never_cause_a_fetch() {
    use crate::jose::b64;
    let (a, stranger) = (key("a"), key("stranger"));
    let (server, source) = remote("hostile", &[&a], settings()).await;
    source.refresh(T0).await.expect("first fetch");
    let forged = |header: &str| {
        let input = format!("{}.{}", b64::encode(header.as_bytes()), b64::encode(b"{}"));
        let sig = stranger.sign_raw(input.as_bytes()).expect("signature");
        format!("{input}.{}", b64::encode(&sig))
    };
    let jwk = serde_json::Value::Object(stranger.public().to_json());
    let cases: Vec<(String, JwksVerifyError)> = vec![
        (
            forged(r#"{"alg":"ES256","kid":"new","jku":"http://127.0.0.1:1/jwks"}"#),
            JwksVerifyError::ForbiddenHeader("jku"),
        ),
        (
            forged(&format!(r#"{{"alg":"ES256","kid":"new","jwk":{jwk}}}"#)),
            JwksVerifyError::ForbiddenHeader("jwk"),
        ),
        (
            forged(r#"{"alg":"ES256","kid":"new","x5u":"https://attacker.example/c"}"#),
            JwksVerifyError::ForbiddenHeader("x5u"),
        ),
        (
            forged(r#"{"alg":"none","kid":"new"}"#),
            JwksVerifyError::AlgNotAllowed("none".into()),
        ),
        (
            forged(r#"{"alg":"HS256","kid":"new"}"#),
            JwksVerifyError::AlgNotAllowed("HS256".into()),
        ),
        (
            forged(r#"{"alg":"ES256","kid":"a"}"#),
            JwksVerifyError::BadSignature,
        ),
        (
            "not.a.jws".to_owned(),
            JwksVerifyError::Malformed(crate::jose::JwsError::BadBase64("header")),
        ),
    ];
    for (jwt, want) in cases {
        let got = source.verify(&jwt, ES256, T0.plus(3_600)).await;
        assert_eq!(got, Err(KeysError::Jws(want)));
    }
    assert_eq!(server.hits(), 1, "no refusal above fetched anything");
}

#[tokio::test]
async fn start_fetches_at_once_in_the_background() {
    let a = key("a");
    let (server, source) = remote("background", &[&a], settings()).await;
    let task = source
        .start()
        .expect("runtime")
        .expect("a remote source has a task");
    let deadline = Instant::now() + Duration::from_secs(2);
    while server.hits() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.hits(), 1);
    // The next fetch is due refresh_secs later; nothing else happens in the meantime.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.hits(), 1);
    assert!(source
        .verify(&token(&a), ES256, UnixTime::now())
        .await
        .is_ok());
    assert!(
        !task.is_finished(),
        "the task sleeps until the next refresh"
    );
    task.abort();
}

#[test]
fn start_outside_a_runtime_is_an_error() {
    let fetcher = JwksFetcher::new(&settings()).expect("fetcher");
    let uri = JwksUri::parse("https://issuer.example.com/jwks").expect("uri");
    let source = fetcher.source("no-runtime", KeySource::Remote { uri });
    assert_eq!(source.start().err(), Some(NoRuntime));
}

#[tokio::test]
async fn inline_sources_never_fetch() {
    let (a, b) = (key("a"), key("b"));
    let fetcher = JwksFetcher::new(&settings()).expect("fetcher");
    let set = JwkSet::parse(&jwks(&[&a]), &fetcher.limits()).expect("set");
    let source = fetcher.source("inline", KeySource::Inline(set));
    assert!(source
        .verify(&token(&a), ES256, T0.plus(10_000_000))
        .await
        .is_ok());
    let got = source.verify(&token(&b), ES256, T0).await;
    assert_eq!(got, Err(KeysError::Jws(JwksVerifyError::UnknownKid)));
    assert_eq!(source.refresh(T0).await, Ok(1));
    assert!(source.start().expect("runtime").is_none());
}

#[tokio::test]
async fn fetches_are_counted_by_source_and_outcome() {
    let metrics = crate::telemetry::metrics_handle();
    let a = key("a");
    let (server, source) = remote("metrics-src", &[&a], settings()).await;
    source.refresh(T0).await.expect("first fetch");
    let mut error = Answer::json(Vec::new());
    error.status = 503;
    server.answer(error);
    let _ = source.refresh(T0.plus(60)).await;
    let text = metrics.render();
    for line in [
        r#"dpopd_jwks_fetches_total{source="metrics-src",outcome="ok"} 1"#,
        r#"dpopd_jwks_fetches_total{source="metrics-src",outcome="http_error"} 1"#,
        r#"dpopd_jwks_keys{source="metrics-src"} 1"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from:\n{text}"
        );
    }
    assert!(!text.contains("127.0.0.1"), "no URL in the metrics");
}

#[tokio::test]
async fn cache_control_sets_the_next_background_refresh() {
    let a = key("a");
    let (server, source) = remote("max-age", &[&a], settings()).await;
    let cases = [
        (None, 300),
        (Some("public, max-age=1200"), 1_200),
        (Some("max-age=5"), 30),
        (Some("max-age=999999"), 3_600),
        (Some("no-store"), 30),
    ];
    for (i, (cache_control, after)) in cases.into_iter().enumerate() {
        let mut answer = Answer::json(jwks(&[&a]));
        answer.cache_control = cache_control;
        server.answer(answer);
        let now = T0.plus(10_000 * i as i64);
        source.refresh(now).await.expect("fetch");
        assert_eq!(
            source.next_refresh(),
            Some(now.plus(after)),
            "{cache_control:?}"
        );
    }
    // A failure retries after min_refresh_secs.
    server.stop().await;
    let now = T0.plus(100_000);
    let _ = source.refresh(now).await;
    assert_eq!(source.next_refresh(), Some(now.plus(30)));
}

#[tokio::test]
async fn a_reload_keeps_the_cache_of_a_source_it_leaves_as_it_was() {
    let a = key("a");
    let server = TestServer::start(Answer::json(jwks(&[&a]))).await;
    let remote = || KeySource::Remote { uri: server.uri() };
    let first = KeySources::new(&settings(), None);
    let source = first.source("kept", remote()).expect("source");
    first.seal();
    source.refresh(T0).await.expect("first fetch");
    let hits = server.hits();

    let second = KeySources::new(&settings(), Some(&first));
    let kept = second.source("kept", remote()).expect("source");
    second.seal();
    assert!(kept.current(T0).is_some(), "the fetched set came along");
    assert!(kept.verify(&token(&a), ES256, T0.plus(1)).await.is_ok());
    assert_eq!(
        server.hits(),
        hits,
        "no fetch for a source the reload left alone"
    );
    assert_eq!(second.remote_count(), 1);
}

#[tokio::test]
async fn a_reload_starts_afresh_a_source_whose_uri_or_fetch_settings_changed() {
    let a = key("a");
    let server = TestServer::start(Answer::json(jwks(&[&a]))).await;
    let other = TestServer::start(Answer::json(jwks(&[&a]))).await;
    let first = KeySources::new(&settings(), None);
    let source = first
        .source("moved", KeySource::Remote { uri: server.uri() })
        .expect("source");
    first.seal();
    source.refresh(T0).await.expect("first fetch");

    let second = KeySources::new(&settings(), Some(&first));
    let moved = second
        .source("moved", KeySource::Remote { uri: other.uri() })
        .expect("source");
    assert!(
        moved.current(T0).is_none(),
        "a new uri has no keys until fetched"
    );

    let slower = JwksSettings {
        timeout_ms: 1_500,
        ..settings()
    };
    let third = KeySources::new(&slower, Some(&first));
    let renewed = third
        .source("moved", KeySource::Remote { uri: server.uri() })
        .expect("source");
    assert!(
        renewed.current(T0).is_none(),
        "new fetch settings start over"
    );
}
