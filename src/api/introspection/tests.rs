//! Unit tests of `api::introspection`.
use super::*;
use proptest::prelude::*;

fn response() -> impl Strategy<Value = IntrospectionResponse> {
    let text = || any::<Option<String>>();
    let list = || proptest::option::of(proptest::collection::vec(any::<String>(), 0..3));
    let property = (any::<String>(), any::<String>(), any::<bool>())
        .prop_map(|(key, value, hidden)| Property { key, value, hidden });
    (
        (
            0..Action::ALL.len(),
            any::<String>(),
            text(),
            text(),
            any::<[bool; 3]>(),
        ),
        (text(), text(), text(), list(), any::<Option<i64>>(), text()),
        (
            proptest::option::of(proptest::collection::vec(property, 0..3)),
            list(),
        ),
    )
        .prop_map(|(head, token, more)| IntrospectionResponse {
            head: Head {
                action: Action::ALL[head.0],
                result_code: "A150001",
                result_message: head.1,
                response_content: head.2,
                dpop_nonce: head.3,
            },
            client_id: token.0,
            issuer: token.1,
            subject: token.2,
            scopes: token.3,
            expires_at: token.4,
            jkt: token.5,
            properties: more.0,
            claims: more.1,
            existent: head.4[0],
            usable: head.4[1],
            sufficient: head.4[2],
        })
}

proptest! {
    #[test]
    fn to_json_writes_what_serde_writes(response in response()) {
        prop_assert_eq!(response.to_json(), serde_json::to_string(&response).unwrap());
    }
}
