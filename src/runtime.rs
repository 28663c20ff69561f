//! The one tokio runtime and the one pooled HTTP client of the process (see `bridge` for how
//! Python awaits them).
//!
//! A runtime does not survive `fork()`: the engine remembers the pid that built it and a child
//! builds its own (the parent's worker threads do not exist in the child, so the old engine is
//! leaked rather than dropped).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::{Error, Result};

/// Connect timeout of every request; the total timeout is the provider's.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Total timeout when the caller gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT: &str = concat!("flet-auth/", env!("CARGO_PKG_VERSION"));

pub struct Engine {
    pid: u32,
    pub runtime: tokio::runtime::Handle,
    pub client: reqwest::Client,
}

static ENGINE: Mutex<Option<Arc<Engine>>> = Mutex::new(None);
/// The runtime itself, owned apart from the engine so that [`shutdown`] can stop it while
/// callers still hold the engine.
static RUNTIME: Mutex<Option<tokio::runtime::Runtime>> = Mutex::new(None);
static SHUT_DOWN: AtomicBool = AtomicBool::new(false);

/// The engine of this process, built on first use (and again in a forked child).
pub fn engine() -> Result<Arc<Engine>> {
    let pid = std::process::id();
    let mut slot = ENGINE.lock().unwrap_or_else(PoisonError::into_inner);
    if SHUT_DOWN.load(Ordering::SeqCst) {
        return Err(Error::Transport(
            "the Python interpreter is shutting down".into(),
        ));
    }
    if let Some(current) = slot.as_ref() {
        if current.pid == pid {
            return Ok(current.clone());
        }
    }
    if let Some(inherited) = slot.take() {
        std::mem::forget(inherited);
        if let Some(runtime) = RUNTIME
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            std::mem::forget(runtime);
        }
    }
    let built = Arc::new(Engine::new(pid)?);
    *slot = Some(built.clone());
    Ok(built)
}

impl Engine {
    fn new(pid: u32) -> Result<Engine> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("flet-auth")
            .build()
            .map_err(|e| Error::Transport(format!("cannot start the I/O runtime: {e}")))?;
        let client = build_client()?;
        let handle = runtime.handle().clone();
        *RUNTIME.lock().unwrap_or_else(PoisonError::into_inner) = Some(runtime);
        Ok(Engine {
            pid,
            runtime: handle,
            client,
        })
    }
}

fn build_client() -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(90))
        .redirect(redirect_policy());
    for cert in certificates_from_env() {
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build()
        .map_err(|e| Error::Configuration(format!("cannot build the HTTP client: {e}")))
}

/// Follows at most 5 redirects and never from HTTPS down to plain HTTP.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.url().scheme() == "http"
            && attempt.previous().iter().any(|u| u.scheme() == "https");
        if downgrade {
            attempt.error("refusing a redirect from HTTPS to plain HTTP")
        } else if attempt.previous().len() >= 5 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
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

/// Runs a future on the engine in the background; used where a result must not be lost when
/// the caller goes away (a refresh whose answer rotates the refresh token).
pub fn spawn<F>(fut: F) -> Result<tokio::task::JoinHandle<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(engine()?.runtime.spawn(fut))
}

/// Stops the engine before the interpreter finalizes (registered with `atexit`): its tasks are
/// dropped and its threads joined, so none of them can touch a finalizing interpreter.
#[pyfunction]
pub fn shutdown(py: Python<'_>) {
    let runtime = {
        let mut slot = ENGINE.lock().unwrap_or_else(PoisonError::into_inner);
        SHUT_DOWN.store(true, Ordering::SeqCst);
        let ours = match slot.take() {
            Some(e) if e.pid == std::process::id() => true,
            Some(inherited) => {
                std::mem::forget(inherited);
                false
            }
            None => false,
        };
        let runtime = RUNTIME
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match runtime {
            Some(r) if !ours => {
                std::mem::forget(r);
                None
            }
            other => other,
        }
    };
    if let Some(runtime) = runtime {
        py.detach(move || runtime.shutdown_timeout(Duration::from_secs(2)));
    }
}
