//! The app's `on_token_update(token)` hook, sync or async, run on the caller's thread: the
//! event loop of an awaited call (in the task's contextvars), or the thread of a `_sync` call.

use std::sync::{Arc, Mutex};

use futures_util::future::{BoxFuture, FutureExt};
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;

use crate::errors::{Error, Result};
use crate::py::bridge::{Caller, Site};
use crate::py::token::OAuthToken;
use crate::rfc6749::token::TokenData;
use crate::service::Notify;

/// An async hook's coroutine, awaited on the caller's loop.
type HookAwait = BoxFuture<'static, PyResult<Py<PyAny>>>;

/// What hands a new token to `hook` for a call made by `caller`.
pub fn notify(hook: &Option<Arc<Py<PyAny>>>, caller: &Caller) -> Option<Notify> {
    let hook = hook.clone()?;
    let caller = caller.clone();
    Some(Arc::new(move |data| {
        call(hook.clone(), data, caller.clone()).boxed()
    }))
}

/// Calls the hook with a new `OAuthToken` on the caller's thread and waits for it.
async fn call(hook: Arc<Py<PyAny>>, data: TokenData, caller: Caller) -> Result<()> {
    let pending = caller
        .call(move |py, site| -> PyResult<Option<HookAwait>> {
            let token = OAuthToken::new_shared(Arc::new(Mutex::new(data)));
            let result = hook.bind(py).call1((token,))?;
            if !result.hasattr("__await__")? {
                return Ok(None);
            }
            let locals = match site {
                Site::Thread => {
                    py.import("asyncio")?.call_method1("run", (result,))?;
                    return Ok(None);
                }
                Site::Loop(Some(locals)) => locals.clone(),
                Site::Loop(None) => TaskLocals::with_running_loop(py)?,
            };
            Ok(Some(
                pyo3_async_runtimes::into_future_with_locals(&locals, result)?.boxed(),
            ))
        })
        .await
        .map_err(|_| Error::Internal("the on_token_update hook could not run".into()))??;
    if let Some(awaitable) = pending {
        awaitable.await?;
    }
    Ok(())
}
