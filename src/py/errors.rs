//! The Python exception hierarchy: one class per kind of [`Error`], rooted at `AuthError`.
//!
//! The classes are built once, when the module is imported, so that some of them can also
//! inherit from a builtin (`TimeoutError`, `ValueError`), which `create_exception!` cannot do.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::errors::Error;

/// The Python exception classes, in the order of [`KINDS`].
#[derive(Clone, Copy)]
enum Kind {
    Auth,
    OAuth,
    HttpStatus,
    InvalidResponse,
    Transport,
    Timeout,
    InsecureTransport,
    StateMismatch,
    Configuration,
    InvalidToken,
    IdToken,
    Internal,
    IssuerMismatch,
}

/// name, parent (index into this table), extra builtin base, docstring.
const KINDS: [(&str, Option<usize>, Option<&str>, &str); 13] = [
    (
        "AuthError",
        None,
        None,
        "Base class of every flet_auth error.",
    ),
    (
        "OAuthError",
        Some(0),
        None,
        "The provider answered with an OAuth error; see `error`, `error_description`, `status`.",
    ),
    (
        "HTTPStatusError",
        Some(0),
        None,
        "The provider answered with a non-success HTTP status and no OAuth error body.",
    ),
    (
        "InvalidResponseError",
        Some(0),
        None,
        "The provider answered with a body that cannot be used (not JSON, fields missing).",
    ),
    (
        "TransportError",
        Some(0),
        None,
        "The request did not complete: connection refused or closed, TLS or DNS failure.",
    ),
    (
        "TimeoutError",
        Some(4),
        Some("TimeoutError"),
        "The provider did not answer within the timeout.",
    ),
    (
        "InsecureTransportError",
        Some(0),
        None,
        "An endpoint uses plain HTTP off loopback and the provider does not allow it.",
    ),
    (
        "StateMismatchError",
        Some(0),
        None,
        "The `state` of a redirect is unknown, already used or expired.",
    ),
    (
        "ConfigurationError",
        Some(0),
        Some("ValueError"),
        "The provider or a call is configured wrongly.",
    ),
    (
        "InvalidToken",
        Some(0),
        Some("ValueError"),
        "Encrypted data cannot be decrypted: wrong key, damaged or not encrypted data.",
    ),
    (
        "IDTokenError",
        Some(0),
        None,
        "An OpenID Connect ID token failed verification (signature, issuer, audience, time, nonce).",
    ),
    (
        "InternalError",
        Some(0),
        Some("RuntimeError"),
        "The engine itself failed (a task panicked, the interpreter is shutting down); not the provider.",
    ),
    (
        "IssuerMismatchError",
        Some(0),
        None,
        "The redirect's `iss` is not the provider's issuer, or is missing though the provider announced it (RFC 9207).",
    ),
];

static TYPES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

fn types(py: Python<'_>) -> PyResult<&Vec<Py<PyType>>> {
    TYPES.get_or_try_init(py, || {
        let builtins = py.import("builtins")?;
        let type_fn = builtins.getattr("type")?;
        let mut made: Vec<Py<PyType>> = Vec::with_capacity(KINDS.len());
        for (name, parent, builtin, doc) in KINDS {
            let mut bases: Vec<Bound<'_, PyAny>> = Vec::new();
            match parent {
                Some(i) => bases.push(made[i].bind(py).clone().into_any()),
                None => bases.push(py.get_type::<PyException>().into_any()),
            }
            if let Some(b) = builtin {
                bases.push(builtins.getattr(b)?);
            }
            let attrs = PyDict::new(py);
            attrs.set_item("__module__", "flet_auth")?;
            attrs.set_item("__doc__", doc)?;
            if name == "OAuthError" {
                attrs.set_item("error", "")?;
                attrs.set_item("error_description", py.None())?;
                attrs.set_item("error_uri", py.None())?;
            }
            if matches!(
                name,
                "OAuthError" | "HTTPStatusError" | "InvalidResponseError"
            ) {
                attrs.set_item("status", py.None())?;
            }
            let cls = type_fn.call1((name, PyTuple::new(py, bases)?, attrs))?;
            made.push(cls.cast_into::<PyType>()?.unbind());
        }
        Ok(made)
    })
}

/// Adds every exception class to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    for (i, (name, ..)) in KINDS.iter().enumerate() {
        m.add(*name, types(py)?[i].bind(py))?;
    }
    Ok(())
}

fn kind(err: &Error) -> Kind {
    match err {
        Error::OAuth { .. } => Kind::OAuth,
        Error::HttpStatus { .. } => Kind::HttpStatus,
        Error::InvalidResponse { .. } => Kind::InvalidResponse,
        Error::Transport { .. } => Kind::Transport,
        Error::Timeout(_) => Kind::Timeout,
        Error::InsecureTransport(_) => Kind::InsecureTransport,
        Error::StateMismatch(_) => Kind::StateMismatch,
        Error::IssuerMismatch(_) => Kind::IssuerMismatch,
        Error::Configuration(_) => Kind::Configuration,
        Error::InvalidToken(_) => Kind::InvalidToken,
        Error::IdToken(_) => Kind::IdToken,
        Error::Internal(_) => Kind::Internal,
        Error::Python(_) => Kind::Auth,
    }
}

/// The Python exception of an engine error, with its attributes (`error`, `status`, ...).
fn to_pyerr(err: &Error, py: Python<'_>) -> PyResult<PyErr> {
    if let Error::Python(e) = err {
        return Ok(e.clone_ref(py));
    }
    let cls = types(py)?[kind(err) as usize].bind(py).clone();
    let value = cls.call1((err.to_string(),))?;
    match err {
        Error::OAuth {
            error,
            description,
            uri,
            status,
        } => {
            value.setattr("error", error)?;
            value.setattr("error_description", description)?;
            value.setattr("error_uri", uri)?;
            value.setattr("status", status)?;
        }
        Error::HttpStatus { status, .. } => value.setattr("status", status)?,
        Error::InvalidResponse { status, .. } => value.setattr("status", status)?,
        _ => {}
    }
    Ok(PyErr::from_value(value))
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        Python::attach(|py| to_pyerr(&err, py).unwrap_or_else(|e| e))
    }
}
