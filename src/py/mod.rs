//! The PyO3 layer: classes and functions of `flet_auth._core`. It converts, releases the GIL
//! and bridges engine futures to asyncio; the logic lives in the protocol modules.

pub mod bridge;
mod client_credentials;
mod crypto;
mod device;
pub mod errors;
mod fetch;
mod hooks;
pub mod json;
pub mod logging;
mod loopback;
mod mock_server;
mod oidc;
mod provider;
mod service;
mod token;

use std::time::Duration;

use pyo3::prelude::*;

use crate::rfc6749::authorization::LOGIN_TTL;
use crate::rfc6749::refresh::REFRESH_LEEWAY;
use crate::transport::{runtime, DEFAULT_MAX_RESPONSE_SIZE};

/// Stops the engine before the interpreter finalizes (registered with `atexit`): its tasks are
/// dropped and its threads joined, so none of them can touch a finalizing interpreter.
#[pyfunction]
fn shutdown(py: Python<'_>) {
    if let Some(rt) = runtime::shut_down() {
        py.detach(move || rt.shutdown_timeout(Duration::from_secs(2)));
    }
}

/// Fills `flet_auth._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<token::OAuthToken>()?;
    m.add_class::<service::ServiceCore>()?;
    m.add_class::<client_credentials::ClientCredentialsService>()?;
    m.add_class::<device::DeviceAuthorizationResponse>()?;
    m.add_class::<fetch::FetchResponse>()?;
    m.add_class::<loopback::LoopbackListener>()?;
    m.add_class::<crypto::SecretBox>()?;
    m.add_class::<mock_server::MockServerCore>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("REFRESH_LEEWAY", REFRESH_LEEWAY)?;
    m.add("LOGIN_TTL", LOGIN_TTL.as_secs_f64())?;
    m.add("MAX_RESPONSE_SIZE", DEFAULT_MAX_RESPONSE_SIZE)?;
    m.add_function(wrap_pyfunction!(crypto::encrypt, m)?)?;
    m.add_function(wrap_pyfunction!(crypto::decrypt, m)?)?;
    m.add_function(wrap_pyfunction!(crypto::encrypt_fernet, m)?)?;
    m.add_function(wrap_pyfunction!(crypto::encrypt_aes_gcm_256, m)?)?;
    m.add_function(wrap_pyfunction!(crypto::decrypt_aes_gcm_256, m)?)?;
    m.add_function(wrap_pyfunction!(oidc::discover_py, m)?)?;
    m.add_function(wrap_pyfunction!(oidc::discover_sync, m)?)?;
    m.add_function(wrap_pyfunction!(oidc::metadata_url, m)?)?;
    m.add_function(wrap_pyfunction!(oidc::fetch_json, m)?)?;
    m.add_function(wrap_pyfunction!(provider::check_client_key, m)?)?;
    let shutdown = wrap_pyfunction!(shutdown, m)?;
    m.py()
        .import("atexit")?
        .call_method1("register", (&shutdown,))?;
    m.add("_shutdown", shutdown)?;
    Ok(())
}
