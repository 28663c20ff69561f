//! `DeviceAuthorizationResponse`, the engine half of `flet_auth.DeviceAuthorization`: the
//! codes of a device login (RFC 8628 §3.2) and its polling. The device code stays in Rust.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::py::bridge::{block_on_with, py_future_with};
use crate::py::hooks;
use crate::py::json::PyJson;
use crate::py::token::OAuthToken;
use crate::rfc8628::DeviceAuthorization;
use crate::service::Service;

/// The codes of a device login and the service it logs in.
#[pyclass(frozen, module = "flet_auth._core")]
pub struct DeviceAuthorizationResponse {
    service: Arc<Service>,
    on_token_update: Option<Arc<Py<PyAny>>>,
    device: Arc<DeviceAuthorization>,
}

impl DeviceAuthorizationResponse {
    pub fn new(
        service: Arc<Service>,
        on_token_update: Option<Arc<Py<PyAny>>>,
        device: DeviceAuthorization,
    ) -> Self {
        DeviceAuthorizationResponse {
            service,
            on_token_update,
            device: Arc::new(device),
        }
    }
}

#[pymethods]
impl DeviceAuthorizationResponse {
    #[getter]
    fn user_code(&self) -> &str {
        &self.device.user_code
    }

    #[getter]
    fn verification_uri(&self) -> &str {
        &self.device.verification_uri
    }

    #[getter]
    fn verification_uri_complete(&self) -> Option<&str> {
        self.device.verification_uri_complete.as_deref()
    }

    #[getter]
    fn expires_in(&self) -> u64 {
        self.device.expires_in
    }

    /// Seconds between polls: the provider's (5 by default), 5 more after each `slow_down`.
    #[getter]
    fn interval(&self) -> f64 {
        self.device.interval().as_secs_f64()
    }

    /// Polls until the user decides (an awaitable of `(token, user)`); with `user_endpoint`,
    /// also GETs the user's JSON there. Cancelling it stops the polling.
    #[pyo3(signature = (user_endpoint=None))]
    fn _wait<'py>(
        &self,
        py: Python<'py>,
        user_endpoint: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (service, device) = (self.service.clone(), self.device.clone());
        let hook = self.on_token_update.clone();
        py_future_with(py, hook.is_some(), move |caller| async move {
            let notify = hooks::notify(&hook, &caller);
            let (cell, user) = service.device_login(device, notify, user_endpoint).await?;
            Ok((OAuthToken::new_shared(cell), user.map(PyJson)))
        })
    }

    #[pyo3(signature = (user_endpoint=None))]
    fn _wait_sync(
        &self,
        py: Python<'_>,
        user_endpoint: Option<String>,
    ) -> PyResult<(OAuthToken, Option<PyJson>)> {
        let (service, device) = (self.service.clone(), self.device.clone());
        let hook = self.on_token_update.clone();
        block_on_with(py, move |caller| async move {
            let notify = hooks::notify(&hook, &caller);
            let (cell, user) = service.device_login(device, notify, user_endpoint).await?;
            Ok((OAuthToken::new_shared(cell), user.map(PyJson)))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "DeviceAuthorizationResponse(user_code={:?}, verification_uri={:?}, expires_in={})",
            self.device.user_code, self.device.verification_uri, self.device.expires_in
        )
    }
}
