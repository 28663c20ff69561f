//! The pooled HTTP client: rustls with the system roots plus `SSL_CERT_FILE`, proxies from the
//! environment, the connect timeout; it follows no redirect (`transport::redirect` does, for
//! GETs only, with the provider's HTTPS rule) and never sends `Referer`.

use std::time::Duration;

use crate::errors::{Error, Result};

/// Connect timeout of every request; the total timeout is the provider's.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Total timeout when the caller gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT: &str = concat!("flet-auth/", env!("CARGO_PKG_VERSION"));

pub fn build_client() -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(90))
        .redirect(reqwest::redirect::Policy::none())
        .referer(false);
    for cert in certificates_from_env() {
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build()
        .map_err(|e| Error::Configuration(format!("cannot build the HTTP client: {e}")))
}

/// Certificates named by `SSL_CERT_FILE`, trusted on top of the system roots.
fn certificates_from_env() -> Vec<reqwest::Certificate> {
    let Some(path) = std::env::var_os("SSL_CERT_FILE") else {
        return Vec::new();
    };
    match std::fs::read(&path).map(|pem| reqwest::Certificate::from_pem_bundle(&pem)) {
        Ok(Ok(certs)) => certs,
        Ok(Err(e)) => {
            log::warn!(target: "flet_auth", "SSL_CERT_FILE {path:?} has no usable certificate: {e}");
            Vec::new()
        }
        Err(e) => {
            log::warn!(target: "flet_auth", "SSL_CERT_FILE {path:?} cannot be read: {e}");
            Vec::new()
        }
    }
}
