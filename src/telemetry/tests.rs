//! Unit tests of `telemetry`: the handles of `Series` are the series their labels name.
use super::*;

/// `Series` finds a handle by `value as usize`: the place of the value in `all`.
fn assert_in_order<T: Copy + std::fmt::Debug>(name: &str, all: &[T], index: fn(T) -> usize) {
    for (i, &value) in all.iter().enumerate() {
        assert_eq!(index(value), i, "{value:?} is out of place in {name}");
    }
}

#[test]
fn every_label_enum_lists_its_variants_in_their_order() {
    assert_in_order("Api::ALL", &Api::ALL, |v| v as usize);
    assert_in_order("Action::ALL", &Action::ALL, |v| v as usize);
    assert_in_order("Check::ALL", &Check::ALL, |v| v as usize);
    assert_in_order("GrantType::ALL", &GrantType::ALL, |v| v as usize);
    assert_in_order("CacheOutcome::ALL", &CacheOutcome::ALL, |v| v as usize);
}

/// The value of the series whose rendered line starts with `series` (name and labels), 0 when
/// it is not rendered.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().expect("a number"))
}

#[test]
fn each_handle_counts_under_its_own_labels() {
    // Amounts no request of another test adds to these series (the recorder is the process's):
    // a handle indexed wrongly would put them under another label.
    let cases: [(&dyn Fn() -> &'static Counter, &str, u64); 4] = [
        (
            &|| series().request(Api::Gateway, Action::Location),
            r#"dpopd_requests_total{api="gateway",action="LOCATION"}"#,
            1_000_003,
        ),
        (
            &|| series().request(Api::DpopExplain, Action::Created),
            r#"dpopd_requests_total{api="dpop_explain",action="CREATED"}"#,
            2_000_003,
        ),
        (
            &|| series().dpop_failure(Check::Ath),
            r#"dpopd_dpop_failures_total{check="ath"}"#,
            3_000_003,
        ),
        (
            &|| series().token_issued(GrantType::RefreshToken),
            r#"dpopd_tokens_issued_total{grant="refresh_token"}"#,
            4_000_003,
        ),
    ];
    let handle = metrics_handle();
    let before = handle.render();
    for (counter, _, amount) in &cases {
        counter().increment(*amount);
    }
    let after = handle.render();
    for (_, name, amount) in cases {
        assert_eq!(
            value(&after, name) - value(&before, name),
            amount as f64,
            "{name}"
        );
    }
}

#[test]
fn durations_and_store_calls_record_under_their_own_labels() {
    let handle = metrics_handle();
    let before = handle.render();
    series().duration(None).record(0.0);
    series().duration(Some(Api::TokenRevoke)).record(0.0);
    series().store_call(StoreOp::Advance, 0.0);
    series().store_call(StoreOp::Journal, 0.0);
    let after = handle.render();
    let delta = |labels: &str, metric: &str| {
        let line = format!("{metric}_count{{{labels}}}");
        value(&after, &line) - value(&before, &line)
    };
    assert!(delta(r#"api="other""#, request_time::METRIC) >= 1.0);
    assert!(delta(r#"api="token_revoke""#, request_time::METRIC) >= 1.0);
    assert!(delta(r#"op="advance""#, "dpopd_store_seconds") >= 1.0);
    // A call outside the three every store makes is recorded too, under its own label.
    assert!(delta(r#"op="journal""#, "dpopd_store_seconds") >= 1.0);
}
