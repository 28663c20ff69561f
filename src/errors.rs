//! Every failure of the engine, as one enum. `py::errors` maps each kind to its Python class.

use std::sync::Arc;

use pyo3::PyErr;

/// The error an HTTP or I/O failure came from, kept for `Error::source`.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// Every failure of the engine. `Display` is the exception message: never a token or secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The provider answered with an OAuth error (RFC 6749 §5.2), whatever the HTTP status.
    /// `status` is None for an error the provider sent back in a redirect (§4.1.2.1).
    #[error("{}", oauth_message(.error, .description.as_deref(), *.status))]
    OAuth {
        error: String,
        description: Option<String>,
        uri: Option<String>,
        status: Option<u16>,
    },
    /// A non-success HTTP status without an OAuth error body.
    #[error("{endpoint} answered HTTP {status}")]
    HttpStatus { status: u16, endpoint: String },
    /// A provider answer that cannot be used (not JSON, a field of the wrong type, larger than
    /// `max_response_size`, a redirect that is not followed); `status` is None for a login's
    /// redirect back to the app.
    #[error("{}", invalid_message(.endpoint, *.status, .reason))]
    InvalidResponse {
        status: Option<u16>,
        endpoint: String,
        reason: String,
    },
    /// The request did not complete (connection, TLS, DNS).
    #[error("{message}")]
    Transport {
        message: String,
        #[source]
        source: Option<Cause>,
    },
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    InsecureTransport(String),
    #[error("{0}")]
    StateMismatch(String),
    /// The redirect's `iss` is not the provider's issuer, or is missing where the provider
    /// announced it (RFC 9207 §2.4): the code must not be exchanged.
    #[error("{0}")]
    IssuerMismatch(String),
    #[error("{0}")]
    Configuration(String),
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    IdToken(String),
    /// The engine itself failed (a task panicked, the interpreter is shutting down): a bug or
    /// a shutdown, never the provider's doing.
    #[error("{0}")]
    Internal(String),
    /// An exception raised by Python code the engine called (a hook); re-raised as it is.
    #[error("a Python callback failed")]
    Python(Arc<PyErr>),
}

fn oauth_message(error: &str, description: Option<&str>, status: Option<u16>) -> String {
    let text = match description {
        Some(d) if !d.is_empty() => format!("{error}: {d}"),
        _ => error.to_owned(),
    };
    match status {
        Some(status) => format!("{text} (HTTP {status})"),
        None => format!("the provider refused the login: {text}"),
    }
}

fn invalid_message(endpoint: &str, status: Option<u16>, reason: &str) -> String {
    match status {
        Some(status) => {
            format!("{endpoint} answered HTTP {status} with an unusable body: {reason}")
        }
        None => format!("{endpoint} is unusable: {reason}"),
    }
}

impl Error {
    /// A transport failure with no underlying error to keep.
    pub fn transport(message: impl Into<String>) -> Error {
        Error::Transport {
            message: message.into(),
            source: None,
        }
    }

    /// A provider answer that cannot be used.
    pub fn invalid_response(status: u16, endpoint: &str, reason: impl Into<String>) -> Error {
        Error::InvalidResponse {
            status: Some(status),
            endpoint: endpoint.to_owned(),
            reason: reason.into(),
        }
    }
}

impl From<PyErr> for Error {
    fn from(err: PyErr) -> Self {
        Error::Python(Arc::new(err))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
