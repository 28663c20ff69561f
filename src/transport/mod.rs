//! Everything between the engine and the network: the one runtime, the pooled client, and one
//! HTTP exchange with its policy (HTTPS off loopback on every hop, timeouts, no redirect for
//! credentials, the answer's size cap, typed failures).

pub mod body;
pub mod client;
pub mod policy;
pub mod redirect;
pub mod request;
pub mod runtime;

pub use policy::{Policy, DEFAULT_MAX_RESPONSE_SIZE};
pub use request::{check_url, display, is_loopback, Response};
pub use runtime::engine;
