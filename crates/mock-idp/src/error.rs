//! What can go wrong when a program sets up or drives the provider, or when it makes a key or
//! an ID token.

/// A signing key could not be generated or encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot make a {alg} signing key: {reason}")]
pub struct KeyError {
    pub(crate) alg: &'static str,
    pub(crate) reason: String,
}

/// An ID token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot sign the ID token: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    #[error(transparent)]
    Hash(#[from] flet_auth_primitives::token_hash::UnsupportedAlgorithm),
}

/// A failure of the provider's Rust API. `Display` is a message for the test's author.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// A setting or argument is wrong: an unknown endpoint, forgery kind or `alg`, bad users.
    #[error("{0}")]
    Configuration(String),
    /// A signing key could not be made.
    #[error("the mock provider {0}")]
    Key(#[from] KeyError),
    /// The listening socket could not be bound or served.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The provider is not serving; `start` it first.
    #[error("the server is not running; call start()")]
    NotRunning,
    /// `authorize` could not reach the authorization endpoint.
    #[error("the authorization endpoint cannot be reached: {0}")]
    Transport(#[source] reqwest::Error),
    /// The authorization endpoint answered without redirecting back to the client.
    #[error("the authorization endpoint answered HTTP {status} without a redirect")]
    NoRedirect { status: u16 },
}
