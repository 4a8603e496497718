//! Unit tests of `explain`: input as pasted, the bound key of a JWT token, the text.
use super::*;

/// RFC 9449 figure 4.
const FIG4: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

fn fig4_request() -> ExplainRequest {
    ExplainRequest {
        proof: FIG4.into(),
        htm: Some("POST".into()),
        htu: Some("https://server.example.com/token".into()),
        time: Some(UnixTime(1_562_262_616)),
        ..Default::default()
    }
}

#[test]
fn a_pasted_header_line_is_cleaned() {
    assert_eq!(clean_proof(&format!("  DPoP: {FIG4}\n")), FIG4);
    assert_eq!(clean_proof(&format!("{FIG4}\n")), FIG4);
}

#[test]
fn rfc9449_fig8_token_names_its_bound_key() {
    // RFC 9449 figure 8: a JWT access token whose cnf.jkt is the figures' EC key.
    let token = "eyJhbGciOiJFUzI1NiIsImtpZCI6IkJlQUxrYiJ9.eyJzdWIiOiJzb21lb25lQGV4YW1wbGUuY29tIiwiaXNzIjoiaHR0cHM6Ly9zZXJ2ZXIuZXhhbXBsZS5jb20iLCJuYmYiOjE1NjIyNjI2MTEsImV4cCI6MTU2MjI2NjIxNiwiY25mIjp7ImprdCI6IjBaY09DT1JaTll5LURXcHFxMzBqWnlKR0hUTjBkMkhnbEJWM3VpZ3VBNEkifX0.3Tyo8VTcn6u_PboUmAOYUY1kfAavomW_YwYMkmRNizLJoQzWy2fCo79Zi5yObpIzjWb5xW4OGld7ESZrh0fsrA";
    assert_eq!(
        cnf_jkt(token).map(|j| j.as_str().to_owned()).as_deref(),
        Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
    );
    assert!(cnf_jkt("opaque-token").is_none());
}

#[test]
fn rfc9449_fig4_explained_offline_reads_as_accepted() {
    let explained = offline(&fig4_request(), UnixTime(0)).unwrap();
    assert!(explained.report.accepted);
    let text = render(&explained);
    assert!(text.starts_with(
        "DPoP proof for POST https://server.example.com/token at 1562262616 (2019-07-04T17:50:16Z)"
    ));
    assert!(text.contains("jkt     0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"));
    assert!(text.contains("clock   iat - now = +0 s"));
    assert!(text.contains("(6)      htm        PASS\n    expected  POST\n    received  POST"));
    assert!(text.ends_with("verdict: ACCEPTED\n"), "{text}");
}

#[test]
fn a_wrong_time_and_nonce_read_as_refused() {
    let late = ExplainRequest {
        time: Some(UnixTime(1_562_262_616 + 3600)),
        nonce: Some("server-nonce".into()),
        ..fig4_request()
    };
    let explained = offline(&late, UnixTime(0)).unwrap();
    let text = render(&explained);
    // The validator judges the nonce (9) before the time (8).
    assert!(
        text.ends_with("verdict: REFUSED at check nonce\n"),
        "{text}"
    );
    assert!(text.contains("(8)      iat        FAIL"), "{text}");
    assert!(text.contains("iat - now = -3600 s"), "{text}");
}

#[test]
fn offline_needs_the_request() {
    let err = offline(
        &ExplainRequest {
            htm: None,
            ..fig4_request()
        },
        UnixTime(0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("--htm is required"));
    let err = offline(
        &ExplainRequest {
            htu: Some("token".into()),
            ..fig4_request()
        },
        UnixTime(0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("--htu \"token\""));
}
