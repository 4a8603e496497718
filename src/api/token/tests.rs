//! Unit tests of `api::token`.
use super::*;
use proptest::prelude::*;

fn response() -> impl Strategy<Value = TokenResponse> {
    let text = || any::<Option<String>>();
    let property = (any::<String>(), any::<String>(), any::<bool>())
        .prop_map(|(key, value, hidden)| Property { key, value, hidden });
    let issued = (
        (
            any::<String>(),
            any::<i64>(),
            any::<i64>(),
            text(),
            any::<Option<i64>>(),
            any::<bool>(),
        ),
        (
            any::<String>(),
            any::<String>(),
            proptest::collection::vec(any::<String>(), 0..3),
            proptest::option::of(proptest::collection::vec(property, 0..3)),
            text(),
        ),
    )
        .prop_map(|(a, b)| IssuedTokens {
            access_token: a.0,
            access_token_expires_at: a.1,
            access_token_duration: a.2,
            refresh_token: a.3,
            refresh_token_expires_at: a.4,
            token_type: if a.5 { "DPoP" } else { "Bearer" },
            grant_type: "CLIENT_CREDENTIALS",
            client_id: b.0,
            subject: b.1,
            scopes: b.2,
            properties: b.3,
            id_token: b.4.as_ref().map(|jkt| format!("h.{jkt}.s")),
            jkt: b.4,
        });
    (
        any::<bool>(),
        any::<String>(),
        text(),
        text(),
        proptest::option::of(issued),
    )
        .prop_map(|(ok, message, content, nonce, issued)| TokenResponse {
            head: Head {
                action: if ok { Action::Ok } else { Action::BadRequest },
                result_code: "A050001",
                result_message: message,
                response_content: content,
                dpop_nonce: nonce,
            },
            issued,
        })
}

proptest! {
    #[test]
    fn to_json_writes_what_serde_writes(response in response()) {
        prop_assert_eq!(response.to_json(), serde_json::to_string(&response).unwrap());
    }
}
