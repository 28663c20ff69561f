//! What a provider's settings ask of every exchange with it: the total time, the largest answer
//! read, and whether plain HTTP is allowed off loopback (on every redirect hop too).

use std::time::Duration;

/// The largest provider answer read when the provider sets no `max_response_size`: 1 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// For the whole exchange, redirects included.
    pub timeout: Duration,
    /// In bytes, of the body of each answer.
    pub max_response_size: usize,
    pub allow_insecure_http: bool,
}
