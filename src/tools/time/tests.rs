//! Unit tests of `time`.
use super::*;

#[test]
fn rfc9449_figure_times_read_both_ways() {
    // RFC 9449 figure 4's iat, 1562262616, is 2019-07-04T17:50:16Z.
    assert_eq!(format(UnixTime(1_562_262_616)), "2019-07-04T17:50:16Z");
    for text in [
        "1562262616",
        "2019-07-04T17:50:16Z",
        "2019-07-04t17:50:16.250z",
        "2019-07-04T19:50:16+02:00",
        "2019-07-04T12:50:16-05:00",
        "2019-07-04 17:50:16Z",
    ] {
        assert_eq!(parse(text), Some(UnixTime(1_562_262_616)), "{text}");
    }
    assert_eq!(format(UnixTime(0)), "1970-01-01T00:00:00Z");
    assert_eq!(parse("2000-02-29T00:00:00Z"), Some(UnixTime(951_782_400)));
    assert_eq!(format(UnixTime(951_782_400)), "2000-02-29T00:00:00Z");
}

#[test]
fn other_text_is_no_time() {
    for text in [
        "",
        "yesterday",
        "2019-07-04",
        "2019-13-04T17:50:16Z",
        "2019-07-04T24:50:16Z",
        "2019-07-04T17:50:16",
        "2019-07-04T17:50:16+0200",
        "2019-07-04T17:50:16.Z",
        "2019-0a-04T17:50:16Z",
    ] {
        assert_eq!(parse(text), None, "{text}");
    }
}
