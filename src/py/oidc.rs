//! OpenID Connect discovery and bearer GETs for Python: `discover`, `discover_sync`,
//! `fetch_json` and the issuer's metadata URL.

use pyo3::prelude::*;
use serde_json::Value;

use crate::oidc::discovery::{self, discover};
use crate::py::bridge::{block_on, py_future};
use crate::py::json::PyJson;
use crate::rfc6749::provider::timeout_from;
use crate::rfc6750;

/// Fetches an OpenID provider's discovery document (cached per process) and checks its
/// `issuer`; an awaitable of the document.
#[pyfunction]
#[pyo3(name = "discover", signature = (url, issuer=None, timeout=None, allow_insecure_http=false))]
pub fn discover_py<'py>(
    py: Python<'py>,
    url: String,
    issuer: Option<String>,
    timeout: Option<f64>,
    allow_insecure_http: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let fut = discover(url, issuer, timeout_from(timeout)?, allow_insecure_http);
    py_future(py, async move {
        fut.await.map(|m| PyJson(Value::Object((*m).clone())))
    })
}

/// `discover` for code without an event loop.
#[pyfunction]
#[pyo3(signature = (url, issuer=None, timeout=None, allow_insecure_http=false))]
pub fn discover_sync(
    py: Python<'_>,
    url: String,
    issuer: Option<String>,
    timeout: Option<f64>,
    allow_insecure_http: bool,
) -> PyResult<Py<PyAny>> {
    let fut = discover(url, issuer, timeout_from(timeout)?, allow_insecure_http);
    let metadata = block_on(py, fut)?;
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
#[pyo3(name = "fetch_json", signature = (url, access_token, timeout=None, allow_insecure_http=false))]
pub fn fetch_json<'py>(
    py: Python<'py>,
    url: String,
    access_token: String,
    timeout: Option<f64>,
    allow_insecure_http: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let fut = rfc6750::get_json(
        url,
        access_token,
        timeout_from(timeout)?,
        allow_insecure_http,
    );
    py_future(py, async move { fut.await.map(PyJson) })
}
