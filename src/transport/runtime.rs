//! The one tokio runtime and the one pooled HTTP client of the process (see `py::bridge` for
//! how Python awaits them).
//!
//! A runtime does not survive `fork()`: the engine remembers the pid that built it and a child
//! builds its own (the parent's worker threads do not exist in the child, so the old engine is
//! leaked rather than dropped).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::errors::{Error, Result};
use crate::transport::client::build_client;

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
        return Err(Error::Internal(
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
            .map_err(|e| Error::Internal(format!("cannot start the I/O runtime: {e}")))?;
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

/// Runs a future on the engine in the background; used where a result must not be lost when
/// the caller goes away (a refresh whose answer rotates the refresh token).
pub fn spawn<F>(fut: F) -> Result<tokio::task::JoinHandle<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(engine()?.runtime.spawn(fut))
}

/// Stops the engine for good and hands back its runtime to be shut down (by the caller, with
/// the GIL released): called before the interpreter finalizes, so that no engine thread can
/// touch a finalizing interpreter. A runtime inherited over `fork()` is leaked, not dropped.
pub fn shut_down() -> Option<tokio::runtime::Runtime> {
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
}
