//! Everything between the engine and the network: the one runtime, the pooled client, and one
//! HTTP exchange with its policy (HTTPS off loopback, timeouts, typed failures).

pub mod client;
pub mod request;
pub mod runtime;

pub use request::{check_url, display, is_loopback, Response};
pub use runtime::engine;
