//! Serves the listener's sockets within limits a local process cannot exhaust: a connection
//! has [`HEADER_TIMEOUT`] to send its request head, at most [`MAX_CONNECTIONS`] are open (a
//! new one replaces the oldest still sending its head, so the browser's redirect always gets
//! in), and stopping closes the sockets and every connection.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper::service::{service_fn, Service as _};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinSet};

use crate::errors::{Error, Result};
use crate::transport::engine;

/// How long a connection may take to send its request head (and then its answer may take).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at most: a few for the browser, the rest slack.
pub const MAX_CONNECTIONS: usize = 64;
/// The largest request head read (a redirect's query included).
const MAX_HEAD: usize = 64 * 1024;
/// The pause after a failed accept (out of file descriptors, say) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);
/// How long `stop` waits for the sockets to close; it takes far less.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// The serving task of a listener.
pub struct Server {
    stop: Mutex<Option<oneshot::Sender<()>>>,
    /// Disconnected once the task has closed every socket.
    stopped: Mutex<mpsc::Receiver<()>>,
}

impl Server {
    pub fn start(
        listeners: Vec<std::net::TcpListener>,
        app: Router,
        header_timeout: Duration,
    ) -> Result<Server> {
        let engine = engine()?;
        let _entered = engine.runtime.enter();
        let listeners = listeners
            .into_iter()
            .map(|l| {
                l.set_nonblocking(true)?;
                TcpListener::from_std(l)
            })
            .collect::<io::Result<Vec<_>>>()
            .map_err(|e| Error::transport(format!("cannot listen for the redirect: {e}")))?;
        let (stop, stop_rx) = oneshot::channel();
        let (stopped_tx, stopped) = mpsc::channel();
        engine.runtime.spawn(async move {
            serve(listeners, app, header_timeout, stop_rx).await;
            drop(stopped_tx);
        });
        Ok(Server {
            stop: Mutex::new(Some(stop)),
            stopped: Mutex::new(stopped),
        })
    }

    /// Tells the task to stop, without waiting.
    pub fn signal_stop(&self) {
        self.stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    pub fn is_stopping(&self) -> bool {
        self.stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Stops the task and returns once every socket is closed (the port is free again).
    pub fn stop(&self) {
        self.signal_stop();
        let stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = stopped.recv_timeout(STOP_WAIT);
    }
}

/// A connection being served, in the order they came.
struct Open {
    head_received: Arc<AtomicBool>,
    task: AbortHandle,
}

async fn serve(
    listeners: Vec<TcpListener>,
    app: Router,
    header_timeout: Duration,
    mut stop: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    let mut open = VecDeque::with_capacity(MAX_CONNECTIONS);
    let mut first = 0;
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = accept(&listeners, &mut first) => accepted,
        };
        let Ok(stream) = accepted else {
            tokio::select! {
                _ = &mut stop => break,
                () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
            }
        };
        while connections.try_join_next().is_some() {}
        open.retain(|c: &Open| !c.task.is_finished());
        if open.len() >= MAX_CONNECTIONS {
            let oldest_unsent = open
                .iter()
                .position(|c| !c.head_received.load(Ordering::Relaxed))
                .unwrap_or(0);
            if let Some(dropped) = open.remove(oldest_unsent) {
                dropped.task.abort();
            }
        }
        let head_received = Arc::new(AtomicBool::new(false));
        let task = connections.spawn(connection(
            stream,
            app.clone(),
            head_received.clone(),
            header_timeout,
        ));
        open.push_back(Open {
            head_received,
            task,
        });
    }
    drop(listeners);
    connections.shutdown().await;
}

/// The next connection on any of the sockets, taking turns so none is starved.
async fn accept(listeners: &[TcpListener], first: &mut usize) -> io::Result<TcpStream> {
    poll_fn(|cx| {
        for i in 0..listeners.len() {
            let at = (*first + i) % listeners.len();
            if let Poll::Ready(accepted) = listeners[at].poll_accept(cx) {
                *first = at + 1;
                return Poll::Ready(accepted.map(|(stream, _)| stream));
            }
        }
        Poll::Pending
    })
    .await
}

/// One request per connection (no keep-alive); dropped, the connection is closed.
async fn connection(
    stream: TcpStream,
    app: Router,
    head_received: Arc<AtomicBool>,
    header_timeout: Duration,
) {
    let received = head_received.clone();
    let app = TowerToHyperService::new(app);
    let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        received.store(true, Ordering::Relaxed);
        app.call(request)
    });
    let mut served = pin!(http1::Builder::new()
        .keep_alive(false)
        .max_buf_size(MAX_HEAD)
        .serve_connection(TokioIo::new(stream), service));
    if tokio::time::timeout(header_timeout, served.as_mut())
        .await
        .is_ok()
    {
        return;
    }
    if head_received.load(Ordering::Relaxed) {
        let _ = tokio::time::timeout(header_timeout, served).await;
    }
}
