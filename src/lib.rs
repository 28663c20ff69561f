//! flet-auth's engine: OAuth 2.0 / OpenID Connect login for Python, exposed as `flet_auth._core`.

use pyo3::prelude::*;

pub mod bridge;
pub mod crypto;
pub mod errors;
pub mod http;
pub mod json;
pub mod logging;
pub mod loopback;
pub mod oidc;
pub mod provider;
pub mod py;
pub mod runtime;
pub mod secret_box;
pub mod service;
pub mod token;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<token::OAuthToken>()?;
    m.add_class::<service::ServiceCore>()?;
    m.add_class::<py::mock_server::MockServerCore>()?;
    m.add_class::<loopback::LoopbackListener>()?;
    m.add_class::<secret_box::SecretBox>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(crypto::encrypt, m)?)?;
    m.add_function(wrap_pyfunction!(crypto::decrypt, m)?)?;
    m.add_function(wrap_pyfunction!(crypto::encrypt_fernet, m)?)?;
    m.add_function(wrap_pyfunction!(crypto::encrypt_aes_gcm_256, m)?)?;
    m.add_function(wrap_pyfunction!(crypto::decrypt_aes_gcm_256, m)?)?;
    m.add_function(wrap_pyfunction!(oidc::discover_py, m)?)?;
    m.add_function(wrap_pyfunction!(oidc::discover_sync, m)?)?;
    let fetch = wrap_pyfunction!(service::fetch_json_py, m)?;
    m.add("fetch_json", fetch)?;
    let shutdown = wrap_pyfunction!(runtime::shutdown, m)?;
    m.py()
        .import("atexit")?
        .call_method1("register", (&shutdown,))?;
    m.add("_shutdown", shutdown)?;
    Ok(())
}
