//! Engine log records go to Python's `logging`, under the `flet_auth` logger.
//!
//! Installed on the first engine call rather than at import (importing `logging` costs more
//! than the rest of the package). Levels are cached so that a disabled level costs no GIL;
//! the cache is dropped when a service is created after the `flet_auth` logger's effective
//! level changed, so logging configured after import is honoured from the next login on.
//! Other crates' records (rustls, reqwest) pass only from `WARN` up.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3_log::{Caching, Logger, ResetHandle};

static RESET: Mutex<Option<ResetHandle>> = Mutex::new(None);
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The effective level of the `flet_auth` logger when the cache was last filled.
static LEVEL: AtomicI64 = AtomicI64::new(-1);

/// Sends the engine's records to Python's `logging` (once per process).
pub fn ensure(py: Python<'_>) -> PyResult<()> {
    LOGGER.get_or_try_init(py, || {
        let logger = Logger::new(py, Caching::LoggersAndLevels)?
            .filter(log::LevelFilter::Warn)
            .filter_target("flet_auth".into(), log::LevelFilter::Trace);
        if let Ok(handle) = logger.install() {
            if let Ok(mut slot) = RESET.lock() {
                *slot = Some(handle);
            }
        }
        Ok::<_, PyErr>(
            py.import("logging")?
                .call_method1("getLogger", ("flet_auth",))?
                .unbind(),
        )
    })?;
    Ok(())
}

/// Forgets the cached levels if the `flet_auth` logger's effective level changed.
pub fn refresh_levels(py: Python<'_>) -> PyResult<()> {
    ensure(py)?;
    let Some(logger) = LOGGER.get(py) else {
        return Ok(());
    };
    let level: i64 = logger
        .bind(py)
        .call_method0("getEffectiveLevel")?
        .extract()?;
    if LEVEL.swap(level, Ordering::SeqCst) != level {
        if let Ok(slot) = RESET.lock() {
            if let Some(handle) = slot.as_ref() {
                handle.reset();
            }
        }
    }
    Ok(())
}
