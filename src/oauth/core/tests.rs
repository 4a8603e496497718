//! Unit tests of `oauth::core`.
use super::*;
use crate::store::memory::MemoryStore;

const NOW: UnixTime = UnixTime(1_700_000_000);

fn core(nonce_required: bool) -> Core {
    let mut settings = Settings::development();
    settings.dpop.nonce_required = nonce_required;
    Core::from_settings(&settings, Arc::new(MemoryStore::new(100))).unwrap()
}

/// A nonce comes back when the caller, the configuration or the step (a client registered
/// with `dpop_nonce_required`) requires one, whatever the step's result; it is the nonce of
/// the call's time.
#[tokio::test]
async fn the_nonce_is_returned_whenever_the_call_ends_up_requiring_one() {
    let cases = [
        ("nobody requires one", false, false, false, false),
        ("the caller requires one", true, false, false, true),
        ("the configuration requires one", false, true, false, true),
        ("the client requires one", false, false, true, true),
    ];
    for (why, caller, configured, client, returned) in cases {
        let core = core(configured);
        let step = async |required: &mut bool| {
            let seen = *required;
            *required |= client;
            Err::<(), _>(seen)
        };
        let (result, nonce) = core.with_dpop_nonce(NOW, caller, step).await;
        assert_eq!(result, Err(caller || configured), "{why}");
        assert_eq!(
            nonce,
            returned.then(|| core.dpop.nonces().current(NOW)),
            "{why}"
        );
    }
}
