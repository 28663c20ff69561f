//! flet-auth's engine: OAuth 2.0 / OpenID Connect login for Python, exposed as `flet_auth._core`.
//!
//! The protocol modules carry the words of the RFCs (`rfc6749`, `rfc6750`, `rfc7009`,
//! `rfc7523`, `rfc8628`, `rfc9126`, `oidc`);
//! `service` keeps one login's state between them; `transport` is the runtime and the HTTP
//! client; `py` is the thin PyO3 layer.

use pyo3::prelude::*;

mod crypto;
mod errors;
mod loopback;
mod oidc;
mod py;
mod python_json;
mod rfc6749;
mod rfc6750;
mod rfc7009;
mod rfc7523;
mod rfc8628;
mod rfc9126;
mod rfc9449;
mod service;
mod transport;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    py::register(m)
}
