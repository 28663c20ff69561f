//! Engine futures for Python callers: awaitables on any asyncio loop and blocking calls from
//! any thread, built so that no engine thread ever takes the GIL on their behalf.
//!
//! An engine task that finishes (or needs Python, to call a hook) hands a [`Job`] back to its
//! [`Caller`]. For an asyncio caller the job is queued on a per-loop [`LoopChannel`]; the loop
//! watches a socket (`loop.add_reader`) and drains the queue itself, so a burst of finished
//! futures costs one wake-up. For a thread in [`block_on`] the job travels over a channel the
//! thread is waiting on. Either way Python runs only on the thread that asked.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::prelude::*;
use pyo3::{intern, IntoPyObjectExt};
use pyo3_async_runtimes::TaskLocals;

use crate::errors::{Error, Result};
use crate::transport::engine;

/// Work that needs Python, run on the caller's thread with the GIL held.
pub type Job = Box<dyn FnOnce(Python<'_>) + Send>;

/// Where an engine task hands back work that needs Python.
#[derive(Clone)]
pub enum Caller {
    /// An asyncio task: jobs run on its event loop; `locals` (loop and contextvars) are kept
    /// when Python awaitables may have to be awaited there (an async hook).
    Loop {
        channel: Arc<LoopChannel>,
        locals: Option<TaskLocals>,
    },
    /// A thread blocked in [`block_on`].
    Thread(mpsc::Sender<Job>),
}

impl Caller {
    /// A caller of `event_loop`, the running loop of this thread; `with_locals` also captures
    /// the task's contextvars (needed only to await Python code there).
    pub fn of_loop(event_loop: &Bound<'_, PyAny>, with_locals: bool) -> PyResult<Caller> {
        let channel = channel_for(event_loop)?;
        let locals = if with_locals {
            Some(TaskLocals::new(event_loop.clone()).copy_context(event_loop.py())?)
        } else {
            None
        };
        Ok(Caller::Loop { channel, locals })
    }

    /// Queues `job` for the caller; false when the caller is gone (loop closed, thread done).
    pub fn run(&self, job: Job) -> bool {
        match self {
            Caller::Loop { channel, .. } => channel.send(job),
            Caller::Thread(sender) => sender.send(job).is_ok(),
        }
    }

    /// Runs `f` on the caller's thread and returns what it gave; `Err` when it could not run.
    pub async fn call<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(Python<'_>, &Site) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Not the caller itself: a job holding its own channel would never be freed unrun.
        let site = match self {
            Caller::Loop { locals, .. } => Site::Loop(locals.clone()),
            Caller::Thread(_) => Site::Thread,
        };
        let queued = self.run(Box::new(move |py| {
            let _ = tx.send(f(py, &site));
        }));
        if !queued {
            return Err(Error::Internal("the caller went away".into()));
        }
        rx.await
            .map_err(|_| Error::Internal("the caller went away".into()))
    }
}

/// Where a job of [`Caller::call`] runs.
pub enum Site {
    /// On the caller's event loop, with its task's contextvars when they were captured.
    Loop(Option<TaskLocals>),
    /// On a thread blocked in [`block_on`].
    Thread,
}

/// `asyncio.get_running_loop()` (pyo3-async-runtimes caches the function).
pub use pyo3_async_runtimes::get_running_loop as running_loop;

/// The queue of jobs for one event loop, and how to wake the loop up.
pub struct LoopChannel {
    queue: Mutex<Vec<Job>>,
    wake_pending: AtomicBool,
    wake: Wake,
    pid: u32,
}

enum Wake {
    /// One byte on a socket the loop reads (`add_reader`): no GIL needed to wake it.
    #[cfg(unix)]
    Socket(std::os::unix::net::UnixStream),
    /// Loops without `add_reader` (Windows' proactor): `call_soon_threadsafe`, with the GIL.
    CallSoon {
        event_loop: Py<PyAny>,
        me: Weak<LoopChannel>,
    },
}

impl LoopChannel {
    fn send(&self, job: Job) -> bool {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(job);
        if !self.wake_pending.swap(true, Ordering::SeqCst) {
            match &self.wake {
                #[cfg(unix)]
                Wake::Socket(writer) => {
                    use std::io::Write;
                    // A full socket buffer means a wake-up is already waiting to be read.
                    let _ = (&*writer).write(&[1]);
                }
                Wake::CallSoon { event_loop, me } => {
                    let Some(channel) = me.upgrade() else {
                        return false;
                    };
                    let scheduled = Python::attach(|py| {
                        let drain = Drain {
                            channel,
                            #[cfg(unix)]
                            reader: None,
                        };
                        event_loop
                            .bind(py)
                            .call_method1(intern!(py, "call_soon_threadsafe"), (drain,))
                            .is_ok()
                    });
                    if !scheduled {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn take(&self) -> Vec<Job> {
        self.wake_pending.store(false, Ordering::SeqCst);
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The loop's reader callback: reads the wake-up bytes and runs the queued jobs.
#[pyclass(frozen, module = "flet_auth._core")]
pub struct Drain {
    channel: Arc<LoopChannel>,
    #[cfg(unix)]
    reader: Option<std::os::unix::net::UnixStream>,
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Some(reader) = &self.reader {
            use std::io::Read;
            let mut buf = [0u8; 64];
            while matches!((&*reader).read(&mut buf), Ok(n) if n > 0) {}
        }
        for job in self.channel.take() {
            run_job(py, job);
        }
    }
}

fn run_job(py: Python<'_>, job: Job) {
    if std::panic::catch_unwind(AssertUnwindSafe(|| job(py))).is_err() {
        log::error!(target: "flet_auth", "an engine completion panicked");
    }
}

thread_local! {
    /// The last loop seen on this thread and its channel: the common case is one loop per thread.
    static CURRENT: RefCell<Option<(Py<PyAny>, Arc<LoopChannel>)>> = const { RefCell::new(None) };
}

const DRAIN_ATTR: &str = "_flet_auth_drain";

fn channel_for(event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<LoopChannel>> {
    let pid = std::process::id();
    let cached = CURRENT.with(|c| {
        c.borrow().as_ref().and_then(|(l, ch)| {
            (l.as_ptr() == event_loop.as_ptr() && ch.pid == pid).then(|| ch.clone())
        })
    });
    if let Some(channel) = cached {
        return Ok(channel);
    }
    let channel = match event_loop.getattr(DRAIN_ATTR) {
        Ok(drain) => match drain.cast::<Drain>() {
            Ok(d) if d.get().channel.pid == pid => Some(d.get().channel.clone()),
            Ok(d) => {
                forget_reader(event_loop, d.get());
                None
            }
            Err(_) => None,
        },
        Err(_) => None,
    };
    let channel = match channel {
        Some(c) => c,
        None => new_channel(event_loop, pid)?,
    };
    CURRENT.with(|c| *c.borrow_mut() = Some((event_loop.clone().unbind(), channel.clone())));
    Ok(channel)
}

/// A forked child inherits its parent's socket; it must not read the parent's wake-ups.
#[cfg_attr(not(unix), allow(unused_variables))]
fn forget_reader(event_loop: &Bound<'_, PyAny>, drain: &Drain) {
    #[cfg(unix)]
    if let Some(reader) = &drain.reader {
        use std::os::fd::AsRawFd;
        let _ = event_loop.call_method1(
            intern!(event_loop.py(), "remove_reader"),
            (reader.as_raw_fd(),),
        );
    }
}

fn new_channel(event_loop: &Bound<'_, PyAny>, pid: u32) -> PyResult<Arc<LoopChannel>> {
    let py = event_loop.py();
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let (reader, writer) = std::os::unix::net::UnixStream::pair()
            .and_then(|(r, w)| {
                r.set_nonblocking(true)?;
                w.set_nonblocking(true)?;
                Ok((r, w))
            })
            .map_err(|e| {
                Error::Internal(format!("cannot make the event-loop wake-up socket: {e}"))
            })?;
        let fd = reader.as_raw_fd();
        let channel = Arc::new(LoopChannel {
            queue: Mutex::new(Vec::new()),
            wake_pending: AtomicBool::new(false),
            wake: Wake::Socket(writer),
            pid,
        });
        let drain = Bound::new(
            py,
            Drain {
                channel: channel.clone(),
                reader: Some(reader),
            },
        )?;
        match event_loop.call_method1(intern!(py, "add_reader"), (fd, &drain)) {
            Ok(_) => {
                let _ = event_loop.setattr(DRAIN_ATTR, &drain);
                return Ok(channel);
            }
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyNotImplementedError>(py) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Arc::new_cyclic(|me| LoopChannel {
        queue: Mutex::new(Vec::new()),
        wake_pending: AtomicBool::new(false),
        wake: Wake::CallSoon {
            event_loop: event_loop.clone().unbind(),
            me: me.clone(),
        },
        pid,
    }))
}

/// Turns an engine future into an awaitable of the caller's asyncio loop. Cancelling the
/// awaiting task drops the future, which cancels its request.
pub fn py_future<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    py_future_with(py, false, |_| fut)
}

/// [`py_future`] for a future that may hand work back to its caller (`with_locals`: work that
/// awaits Python code on the caller's loop, in the caller's contextvars).
pub fn py_future_with<'py, F, T>(
    py: Python<'py>,
    with_locals: bool,
    make: impl FnOnce(Caller) -> F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    crate::py::logging::ensure(py)?;
    let event_loop = running_loop(py)?;
    let caller = Caller::of_loop(&event_loop, with_locals)?;
    spawn_on(&event_loop, &caller, make(caller.clone()))
}

/// Runs `fut` on the engine; returns a future of `event_loop` that `caller` (a caller of that
/// loop) completes with its result.
pub fn spawn_on<'py, F, T>(
    event_loop: &Bound<'py, PyAny>,
    caller: &Caller,
    fut: F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let py = event_loop.py();
    let engine = engine()?;
    let future = event_loop.call_method0(intern!(py, "create_future"))?;
    let target = future.clone().unbind();
    let caller = caller.clone();
    let task = engine.runtime.spawn(async move {
        // A panic must still settle the Python future, or its awaiter would wait forever.
        let result = AssertUnwindSafe(fut)
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(Error::Internal("the engine task panicked".into())));
        caller.run(Box::new(move |py| settle(py, target, result)));
    });
    future.call_method1(
        intern!(py, "add_done_callback"),
        (Canceller(task.abort_handle()),),
    )?;
    Ok(future)
}

/// A future of `event_loop` that is already done with `value`.
pub fn ready_on<'py, T: IntoPyObject<'py>>(
    event_loop: &Bound<'py, PyAny>,
    value: T,
) -> PyResult<Bound<'py, PyAny>> {
    let py = event_loop.py();
    let future = event_loop.call_method0(intern!(py, "create_future"))?;
    future.call_method1(intern!(py, "set_result"), (value,))?;
    Ok(future)
}

/// Cancels the engine task when the asyncio future it feeds is cancelled.
#[pyclass(frozen, module = "flet_auth._core")]
struct Canceller(tokio::task::AbortHandle);

#[pymethods]
impl Canceller {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future
            .call_method0(intern!(future.py(), "cancelled"))?
            .is_truthy()?
        {
            self.0.abort();
        }
        Ok(())
    }
}

/// Gives an engine result to its asyncio future, unless the future was cancelled meanwhile.
fn settle<T>(py: Python<'_>, future: Py<PyAny>, result: Result<T>)
where
    T: for<'a> IntoPyObject<'a>,
{
    let future = future.bind(py);
    let outcome = (|| -> PyResult<()> {
        if future.call_method0(intern!(py, "done"))?.is_truthy()? {
            return Ok(());
        }
        match result.map_err(PyErr::from).and_then(|v| v.into_py_any(py)) {
            Ok(value) => future.call_method1(intern!(py, "set_result"), (value,))?,
            Err(err) => future.call_method1(intern!(py, "set_exception"), (err.into_value(py),))?,
        };
        Ok(())
    })();
    if let Err(e) = outcome {
        e.write_unraisable(py, Some(future));
    }
}

/// Runs an engine future to completion for a synchronous caller, with the GIL released.
/// Ctrl-C in the main thread aborts the future.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    block_on_with(py, |_| fut)
}

/// [`block_on`] for a future that may hand work back to the calling thread (a hook).
pub fn block_on_with<F, T>(py: Python<'_>, make: impl FnOnce(Caller) -> F) -> PyResult<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    crate::py::logging::ensure(py)?;
    let engine = engine()?;
    let (tx, rx) = mpsc::channel::<Job>();
    let slot: Arc<Mutex<Option<Result<T>>>> = Arc::new(Mutex::new(None));
    let out = slot.clone();
    let fut = make(Caller::Thread(tx.clone()));
    let task = engine.runtime.spawn(async move {
        let result = fut.await;
        let _ = tx.send(Box::new(move |_| {
            *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        }));
    });
    let mut rx = rx;
    loop {
        let (back, received) = py.detach(move || {
            let received = rx.recv_timeout(Duration::from_millis(100));
            (rx, received)
        });
        rx = back;
        match received {
            Ok(job) => {
                run_job(py, job);
                let done = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
                if let Some(result) = done {
                    return result.map_err(PyErr::from);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    task.abort();
                    return Err(interrupt);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Error::Internal("the engine task ended without a result".into()).into())
            }
        }
    }
}
