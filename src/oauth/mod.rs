//! OAuth 2.0 domain logic with no HTTP in it: form parameters, clients and their
//! authentication, scopes, sealed values, access and refresh tokens, and the grants of the
//! token endpoint. [`Core`] holds everything a grant needs.
pub mod access;
pub mod authorization;
pub mod client_assertion;
pub mod client_auth_header;
pub mod client_proof;
pub mod clients;
pub mod code;
pub mod core;
pub mod dpop_explain;
pub mod fapi2;
pub mod grants;
pub mod id_token;
pub mod introspection;
pub mod introspection_standard;
pub mod issuers;
pub mod par;
pub mod params;
pub mod pkce;
pub mod refresh;
pub mod revocation;
pub mod revoked_before;
pub mod scope;
pub mod token_create;
pub mod tokens;
pub mod userinfo;

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
