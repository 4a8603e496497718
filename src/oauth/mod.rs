//! OAuth 2.0 domain logic with no HTTP in it: form parameters, clients and their
//! authentication, scopes, sealed values, access and refresh tokens, and the grants of the
//! token endpoint. [`Core`] holds everything a grant needs.
pub mod access;
pub mod authorization;
pub mod client_auth_header;
pub mod client_proof;
pub mod clients;
pub mod code;
pub mod core;
pub mod grants;
pub mod introspection;
pub mod par;
pub mod params;
pub mod pkce;
pub mod refresh;
pub mod revocation;
pub mod scope;
pub mod sealed;
pub mod token_create;
pub mod token_info;
pub mod tokens;

pub use self::core::Core;

/// The most `properties` one call may attach to its tokens. Every property is sealed into the
/// tokens (at least 38 octets of the 6111 a sealed value holds), so no call with more could
/// be issued anyway; the bound refuses such a list before it is copied and serialized.
pub const MAX_PROPERTIES: usize = 256;

/// An Authlete-style property: extra data carried with a token. Non-hidden properties are
/// shown to the client in the token response; hidden ones only to callers (introspection).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Property {
    pub key: String,
    pub value: String,
    #[serde(default)]
    pub hidden: bool,
}

/// 16 random octets, base64url: token ids, family ids.
///
/// The octets come from the OS source like every other random value, but are drawn 512 at a
/// time into a per-thread buffer, each octet handed out once: one `getrandom` call per 32 ids
/// instead of one per token issued. Ids name things; they are not keys.
pub fn random_id() -> String {
    use ring::rand::SecureRandom;
    use std::cell::RefCell;
    const POOL: usize = 512;
    thread_local! {
        static BUFFER: RefCell<([u8; POOL], usize)> = const { RefCell::new(([0; POOL], POOL)) };
    }
    BUFFER.with(|buffer| {
        let (pool, used) = &mut *buffer.borrow_mut();
        if *used + 16 > POOL {
            // SystemRandom reads the OS source; it only fails if the OS has none, which start-up checks.
            let _ = ring::rand::SystemRandom::new().fill(pool);
            *used = 0;
        }
        let id = crate::jose::b64::encode(&pool[*used..*used + 16]);
        pool[*used..*used + 16].fill(0);
        *used += 16;
        id
    })
}
