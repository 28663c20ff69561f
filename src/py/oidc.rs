//! OpenID Connect discovery and bearer GETs for Python: `discover`, `discover_sync`,
//! `fetch_json` and the issuer's metadata URL.

use pyo3::prelude::*;
use serde_json::Value;

use crate::oidc::discovery::{self, discover};
use crate::py::bridge::{block_on, py_future};
use crate::py::json::PyJson;
use crate::rfc6749::provider::{max_response_size_from, timeout_from};
use crate::rfc6750;
use crate::transport::Policy;

/// The transport policy of a call made with these arguments.
fn policy(
    timeout: Option<f64>,
    allow_insecure_http: bool,
    max_response_size: Option<u64>,
) -> PyResult<Policy> {
    Ok(Policy {
        timeout: timeout_from(timeout)?,
        max_response_size: max_response_size_from(max_response_size)?,
        allow_insecure_http,
    })
}

/// Fetches an OpenID provider's discovery document (cached per process) and checks its
/// `issuer`; an awaitable of the document.
#[pyfunction]
#[pyo3(
    name = "discover",
    signature = (url, issuer=None, timeout=None, allow_insecure_http=false, max_response_size=None)
)]
pub fn discover_py<'py>(
    py: Python<'py>,
    url: String,
    issuer: Option<String>,
    timeout: Option<f64>,
    allow_insecure_http: bool,
    max_response_size: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let policy = policy(timeout, allow_insecure_http, max_response_size)?;
    let fut = discover(url, issuer, policy);
    py_future(py, async move {
        fut.await.map(|m| PyJson(Value::Object((*m).clone())))
    })
}

/// `discover` for code without an event loop.
#[pyfunction]
#[pyo3(signature = (url, issuer=None, timeout=None, allow_insecure_http=false, max_response_size=None))]
pub fn discover_sync(
    py: Python<'_>,
    url: String,
    issuer: Option<String>,
    timeout: Option<f64>,
    allow_insecure_http: bool,
    max_response_size: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let policy = policy(timeout, allow_insecure_http, max_response_size)?;
    let metadata = block_on(py, discover(url, issuer, policy))?;
    Ok(PyJson(Value::Object((*metadata).clone()))
        .into_pyobject(py)?
        .unbind())
}

/// The discovery document's URL for an issuer (OpenID Connect Discovery §4).
#[pyfunction]
pub fn metadata_url(issuer: &str) -> String {
    discovery::metadata_url(issuer)
}

/// GET a JSON document with a bearer token: `await fetch_json(url, access_token)`.
#[pyfunction]
#[pyo3(
    name = "fetch_json",
    signature = (url, access_token, timeout=None, allow_insecure_http=false, max_response_size=None)
)]
pub fn fetch_json<'py>(
    py: Python<'py>,
    url: String,
    access_token: String,
    timeout: Option<f64>,
    allow_insecure_http: bool,
    max_response_size: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let policy = policy(timeout, allow_insecure_http, max_response_size)?;
    let fut = rfc6750::get_json(url, access_token, policy, None);
    py_future(py, async move { fut.await.map(PyJson) })
}
