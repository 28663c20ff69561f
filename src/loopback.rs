//! The one-shot redirect listener of desktop and command-line logins (RFC 8252 §7.3): it
//! binds a loopback address only (both of them for `localhost`), answers the browser's
//! redirect for the login in progress, and closes.

mod bind;
mod serve;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
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
use crate::transport::is_loopback;
use flet_auth_primitives::html::escape;
use serve::Server;
pub use serve::HEADER_TIMEOUT;

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

/// Listens on the host and port of a loopback `redirect_url` for one authorization redirect.
pub struct LoopbackListener {
    redirect_url: String,
    port: u16,
    shared: Arc<Shared>,
    server: Arc<Server>,
    armed: AtomicBool,
}

/// The host and port to listen on (port 0: any free one).
fn bind_address(url: &Url) -> Result<(Host<&str>, u16)> {
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
    Ok((host, url.port().unwrap_or(80)))
}

impl LoopbackListener {
    /// Listens at `redirect_url`; `header_timeout` is how long a connection may take to send
    /// its request head ([`HEADER_TIMEOUT`] but in tests).
    pub fn bind(redirect_url: &str, header_timeout: Duration) -> Result<LoopbackListener> {
        let mut url = Url::parse(redirect_url)
            .map_err(|e| Error::Configuration(format!("redirect_url is not a URL: {e}")))?;
        let (host, port) = bind_address(&url)?;
        let listeners = bind::bind(&host, port)?;
        let addr = listeners
            .first()
            .map(std::net::TcpListener::local_addr)
            .transpose()
            .map_err(|e| Error::transport(format!("cannot listen for the redirect: {e}")))?
            .ok_or_else(|| Error::Internal("no socket to listen on".into()))?;
        if port == 0 {
            let _ = url.set_port(Some(addr.port()));
        }
        let shared = Arc::new(Shared {
            path: url.path().to_owned(),
            expected: Mutex::new(None),
        });
        let app = Router::new().fallback(redirect).with_state(shared.clone());
        let server = Arc::new(Server::start(listeners, app, header_timeout)?);
        Ok(LoopbackListener {
            redirect_url: url.into(),
            port: addr.port(),
            shared,
            server,
            armed: AtomicBool::new(false),
        })
    }

    /// Stops listening and returns once the port is free and every connection is closed,
    /// unanswered; a wait in progress ends. Also done (without waiting) when a wait ends.
    pub fn close(&self) {
        self.shared.expected().take();
        self.server.stop();
    }

    /// Arms the listener for `state` and returns the future of the redirect's query.
    pub fn arm(
        &self,
        state: String,
        complete_page_html: Option<String>,
        timeout: f64,
    ) -> Result<impl std::future::Future<Output = Result<Params>> + Send + 'static> {
        let timeout = Duration::try_from_secs_f64(timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| {
                Error::Configuration("timeout must be a positive number of seconds".into())
            })?;
        if self.server.is_stopping() || self.armed.swap(true, Ordering::SeqCst) {
            return Err(Error::Configuration(
                "this listener is closed; make a new one".into(),
            ));
        }
        let (deliver, delivered) = oneshot::channel();
        *self.shared.expected() = Some(Expected {
            state,
            page: complete_page_html.unwrap_or_else(|| DEFAULT_PAGE.to_owned()),
            deliver,
        });
        if self.server.is_stopping() {
            // close() ran meanwhile, before the wait was armed.
            self.shared.expected().take();
            return Err(Error::Configuration(
                "this listener is closed; make a new one".into(),
            ));
        }
        let stop = StopOnDrop(self.server.clone());
        Ok(async move {
            // Dropped, `stop` stops the listener too: a cancelled wait leaks nothing.
            let _stop = stop;
            match tokio::time::timeout(timeout, delivered).await {
                Ok(Ok(params)) => {
                    // Let the browser's answer go out before the server stops.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(params)
                }
                Ok(Err(_)) => Err(Error::transport(
                    "the redirect listener was closed before the redirect arrived",
                )),
                Err(_) => Err(Error::Timeout(format!(
                    "no sign-in redirect arrived within {} s",
                    timeout.as_secs_f64()
                ))),
            }
        })
    }

    /// The redirect URL, with the port the listener got when the given one was 0.
    pub fn redirect_url(&self) -> &str {
        &self.redirect_url
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for LoopbackListener {
    fn drop(&mut self) {
        self.server.signal_stop();
    }
}

/// Tells the server to stop when a wait ends, however it ends.
struct StopOnDrop(Arc<Server>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.signal_stop();
    }
}
