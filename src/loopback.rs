//! The one-shot redirect listener of desktop and command-line logins (RFC 8252 §7.3): it
//! binds a loopback address only, answers the browser's redirect for the login in progress,
//! and closes.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;
use url::{Host, Url};

use crate::errors::{Error, Result};
use crate::transport::{engine, is_loopback};
use flet_auth_primitives::html::escape;

pub type Params = BTreeMap<String, String>;

const DEFAULT_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Signed in</title>\
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:5rem auto;text-align:center}</style>\
</head><body><h1>You are signed in</h1><p>You can close this window and return to the application.</p>\
<script>window.close()</script></body></html>";

fn message_page(title: &str, text: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:5rem auto;text-align:center}}</style>\
</head><body><h1>{title}</h1><p>{text}</p></body></html>"
    )
}

/// What the waiting login expects, and where to deliver the redirect.
struct Expected {
    state: String,
    page: String,
    deliver: oneshot::Sender<Params>,
}

#[derive(Default)]
struct Shared {
    path: String,
    expected: Mutex<Option<Expected>>,
}

impl Shared {
    fn expected(&self) -> std::sync::MutexGuard<'_, Option<Expected>> {
        self.expected.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn redirect(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    Query(params): Query<Params>,
) -> Response {
    if uri.path() != shared.path {
        return (
            StatusCode::NOT_FOUND,
            Html(message_page("Not found", "Nothing here.")),
        )
            .into_response();
    }
    let mut slot = shared.expected();
    let matches = match (slot.as_ref(), params.get("state")) {
        (Some(e), Some(state)) => bool::from(e.state.as_bytes().ct_eq(state.as_bytes())),
        _ => false,
    };
    if !matches {
        let text = "This sign-in response does not belong to the login in progress.";
        return (
            StatusCode::BAD_REQUEST,
            Html(message_page("Sign-in not completed", text)),
        )
            .into_response();
    }
    let Some(expected) = slot.take() else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let page = match params.get("error") {
        Some(error) => message_page(
            "Sign-in failed",
            &format!("The provider answered: {}", escape(error)),
        ),
        None => expected.page,
    };
    let _ = expected.deliver.send(params);
    Html(page).into_response()
}

/// The serving task; stopping it drops the socket, so the port is free again.
struct Running {
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Listens on the host and port of a loopback `redirect_url` for one authorization redirect.
pub struct LoopbackListener {
    redirect_url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    running: Mutex<Option<Running>>,
}

fn bind_address(url: &Url) -> Result<(SocketAddr, bool)> {
    let host = url
        .host()
        .ok_or_else(|| Error::Configuration("redirect_url has no host".into()))?;
    if url.scheme() != "http" || !is_loopback(&host) {
        return Err(Error::Configuration(format!(
            "a desktop login needs a loopback redirect_url such as http://127.0.0.1:0/callback, not {}://{}",
            url.scheme(),
            host
        )));
    }
    let ip = match host {
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
        Host::Domain(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let port = url.port().unwrap_or(80);
    Ok((SocketAddr::new(ip, port), port == 0))
}

impl LoopbackListener {
    pub fn bind(redirect_url: &str) -> Result<LoopbackListener> {
        let mut url = Url::parse(redirect_url)
            .map_err(|e| Error::Configuration(format!("redirect_url is not a URL: {e}")))?;
        let (addr, pick_port) = bind_address(&url)?;
        let listener = std::net::TcpListener::bind(addr).map_err(|e| {
            Error::transport(format!("cannot listen for the redirect on {addr}: {e}"))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::transport(format!("cannot listen for the redirect: {e}")))?;
        if pick_port {
            let _ = url.set_port(Some(addr.port()));
        }
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::transport(e.to_string()))?;
        let shared = Arc::new(Shared {
            path: url.path().to_owned(),
            expected: Mutex::new(None),
        });
        let engine = engine()?;
        let _entered = engine.runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::transport(e.to_string()))?;
        let app = Router::new().fallback(redirect).with_state(shared.clone());
        let task = engine.runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(LoopbackListener {
            redirect_url: url.into(),
            addr,
            shared,
            running: Mutex::new(Some(Running { task })),
        })
    }

    /// Stops listening (also done when a wait ends).
    pub fn close(&self) {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Arms the listener for `state` and returns the future of the redirect's query.
    pub fn arm(
        &self,
        state: String,
        complete_page_html: Option<String>,
        timeout: f64,
    ) -> Result<impl std::future::Future<Output = Result<Params>> + Send + 'static> {
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(Error::Configuration(
                "timeout must be a positive number of seconds".into(),
            ));
        }
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(running) = running else {
            return Err(Error::Configuration(
                "this listener is closed; make a new one".into(),
            ));
        };
        let (deliver, delivered) = oneshot::channel();
        *self.shared.expected() = Some(Expected {
            state,
            page: complete_page_html.unwrap_or_else(|| DEFAULT_PAGE.to_owned()),
            deliver,
        });
        let timeout = Duration::from_secs_f64(timeout);
        Ok(async move {
            // Dropped, `running` stops the listener too: a cancelled wait leaks nothing.
            let result = match tokio::time::timeout(timeout, delivered).await {
                Ok(Ok(params)) => {
                    // Let the browser's answer go out before the server stops.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(params)
                }
                Ok(Err(_)) => Err(Error::Internal("the redirect listener stopped".into())),
                Err(_) => Err(Error::Timeout(format!(
                    "no sign-in redirect arrived within {} s",
                    timeout.as_secs_f64()
                ))),
            };
            running.stop().await;
            result
        })
    }

    /// The redirect URL, with the port the listener got when the given one was 0.
    pub fn redirect_url(&self) -> &str {
        &self.redirect_url
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}
