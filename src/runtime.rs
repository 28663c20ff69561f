//! The one tokio runtime and the one pooled HTTP client of the process, and the bridges that
//! run engine futures for Python: awaitables on any asyncio loop, blocking calls from any thread.
//!
//! A runtime does not survive `fork()`: the engine remembers the pid that built it and a child
//! builds its own (the parent's worker threads do not exist in the child, so the old engine is
//! leaked rather than dropped).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3_async_runtimes::generic::{self, ContextExt, JoinError, Runtime};
use pyo3_async_runtimes::TaskLocals;

use crate::errors::{Error, Result};

/// Connect timeout of every request; the total timeout is the provider's.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Total timeout when the caller gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT: &str = concat!("flet-auth/", env!("CARGO_PKG_VERSION"));

pub struct Engine {
    pid: u32,
    pub runtime: tokio::runtime::Runtime,
    pub client: reqwest::Client,
}

static ENGINE: Mutex<Option<Arc<Engine>>> = Mutex::new(None);

/// The engine of this process, built on first use (and again in a forked child).
pub fn engine() -> Result<Arc<Engine>> {
    let pid = std::process::id();
    let mut slot = ENGINE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(current) = slot.as_ref() {
        if current.pid == pid {
            return Ok(current.clone());
        }
    }
    if let Some(inherited) = slot.take() {
        std::mem::forget(inherited);
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
        Ok(Engine {
            pid,
            runtime,
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

/// The engine's runtime as seen by pyo3-async-runtimes.
pub struct EngineRuntime;

pub struct TaskFailed;

impl JoinError for TaskFailed {
    fn is_panic(&self) -> bool {
        false
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        Box::new("the engine task failed")
    }
}

pub struct EngineJoinHandle(Option<tokio::task::JoinHandle<()>>);

impl Future for EngineJoinHandle {
    type Output = std::result::Result<(), TaskFailed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.as_mut() {
            None => Poll::Ready(Err(TaskFailed)),
            Some(handle) => Pin::new(handle).poll(cx).map(|r| r.map_err(|_| TaskFailed)),
        }
    }
}

tokio::task_local! {
    static TASK_LOCALS: TaskLocals;
}

impl Runtime for EngineRuntime {
    type JoinError = TaskFailed;
    type JoinHandle = EngineJoinHandle;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // `py_future` made sure the engine exists, so `None` cannot happen in practice.
        EngineJoinHandle(engine().ok().map(|e| e.runtime.spawn(fut)))
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        EngineJoinHandle(engine().ok().map(|e| e.runtime.spawn_blocking(f)))
    }
}

impl ContextExt for EngineRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(TASK_LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(|l| l.clone()).ok()
    }
}

/// The running asyncio loop of the caller, for engine tasks that call back into Python.
pub fn current_locals(py: Python<'_>) -> PyResult<TaskLocals> {
    generic::get_current_locals::<EngineRuntime>(py)
}

/// Turns an engine future into an awaitable of the caller's asyncio loop. Cancelling the
/// awaiting task drops the future, which cancels its request.
pub fn py_future<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    engine()?;
    let locals = current_locals(py)?;
    generic::future_into_py_with_locals::<EngineRuntime, _, T>(py, locals, async move {
        fut.await.map_err(PyErr::from)
    })
}

/// Runs an engine future to completion for a synchronous caller, with the GIL released.
/// Ctrl-C in the main thread aborts the future.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let engine = engine()?;
    let (tx, rx) = std::sync::mpsc::channel();
    let task = engine.runtime.spawn(async move {
        let _ = tx.send(fut.await);
    });
    let mut rx = rx;
    loop {
        let (back, received) = py.detach(move || {
            let received = rx.recv_timeout(Duration::from_millis(100));
            (rx, received)
        });
        rx = back;
        match received {
            Ok(result) => return result.map_err(PyErr::from),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    task.abort();
                    return Err(interrupt);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(
                    Error::Transport("the engine task ended without a result".into()).into(),
                )
            }
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
