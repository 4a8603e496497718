//! One integration-test binary: each module drives the real application on port 0.
mod authorization;
mod authorization_code;
mod client_authorization;
mod code_flow;
mod contract;
mod durable;
mod helpers;
mod introspection;
mod redis_topologies;
mod replicas;
mod resource;
mod revocation;
mod security;
mod service_prefix;
mod token;
mod token_create;
mod userinfo;
