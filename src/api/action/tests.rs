//! Unit tests of `api::action`.
use super::*;

#[test]
fn every_name_is_the_serialized_one() {
    for action in Action::ALL {
        assert_eq!(
            serde_json::to_string(&action).unwrap(),
            format!("\"{}\"", action.name())
        );
    }
}
