//! `LoopbackListener`: the one-shot redirect listener of desktop and command-line logins.

use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::Error;
use crate::loopback::{self, Params};
use crate::py::bridge::{block_on, py_future};

/// Listens on the host and port of a loopback `redirect_url` for one authorization redirect.
///
/// Use `http://127.0.0.1:PORT/...` (RFC 8252 §8.3); `localhost` listens on both 127.0.0.1
/// and ::1.
#[pyclass(frozen, module = "flet_auth._core")]
pub struct LoopbackListener(loopback::LoopbackListener);

#[pymethods]
impl LoopbackListener {
    /// `_header_timeout` (seconds a connection may take to send its request head, 10 by
    /// default) is for tests only.
    #[new]
    #[pyo3(signature = (redirect_url, *, _header_timeout=None))]
    fn py_new(redirect_url: &str, _header_timeout: Option<f64>) -> PyResult<Self> {
        let header_timeout = match _header_timeout {
            None => loopback::HEADER_TIMEOUT,
            Some(seconds) => Duration::try_from_secs_f64(seconds)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    Error::Configuration(
                        "_header_timeout must be a positive number of seconds".into(),
                    )
                })?,
        };
        Ok(LoopbackListener(loopback::LoopbackListener::bind(
            redirect_url,
            header_timeout,
        )?))
    }

    /// The redirect URL, with the port the listener got when the given one was 0.
    #[getter]
    fn redirect_url(&self) -> String {
        self.0.redirect_url().to_owned()
    }

    #[getter]
    fn port(&self) -> u16 {
        self.0.port()
    }

    /// Waits for the redirect that carries `state`; other requests get 400 and the wait goes
    /// on. Returns the redirect's query (`code` and `state`, or `error`). The listener closes.
    #[pyo3(signature = (state, timeout=300.0, complete_page_html=None))]
    fn wait<'py>(
        &self,
        py: Python<'py>,
        state: String,
        timeout: f64,
        complete_page_html: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = self.0.arm(state, complete_page_html, timeout)?;
        py_future(py, fut)
    }

    #[pyo3(signature = (state, timeout=300.0, complete_page_html=None))]
    fn wait_sync(
        &self,
        py: Python<'_>,
        state: String,
        timeout: f64,
        complete_page_html: Option<String>,
    ) -> PyResult<Params> {
        let fut = self.0.arm(state, complete_page_html, timeout)?;
        block_on(py, fut)
    }

    /// Stops listening and returns once the port is free and every connection is closed,
    /// unanswered; a wait in progress raises `TransportError`. Also done when a wait ends.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.0.close());
    }

    fn __repr__(&self) -> String {
        format!("LoopbackListener({})", self.0.redirect_url())
    }
}
