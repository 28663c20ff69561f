//! Engine log records go to Python's `logging`, under the `flet_auth` logger.
//!
//! Levels are cached so that a disabled level costs no GIL; the cache is dropped whenever a
//! service is created, so logging configured after import is honoured from the next login on.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3_log::{Caching, Logger, ResetHandle};

static RESET: Mutex<Option<ResetHandle>> = Mutex::new(None);

pub fn install(py: Python<'_>) -> PyResult<()> {
    let logger = Logger::new(py, Caching::LoggersAndLevels)?.filter(log::LevelFilter::Trace);
    if let Ok(handle) = logger.install() {
        if let Ok(mut slot) = RESET.lock() {
            *slot = Some(handle);
        }
    }
    Ok(())
}

/// Forgets the cached logger levels.
pub fn refresh_levels() {
    if let Ok(slot) = RESET.lock() {
        if let Some(handle) = slot.as_ref() {
            handle.reset();
        }
    }
}
