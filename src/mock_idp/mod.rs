//! A local OAuth 2.0 / OpenID Connect provider for tests and offline development, served on
//! 127.0.0.1. `flet_auth.testing.MockOAuthServer` is its Python face.

mod discovery;
mod forgery;
mod id_token;
mod keys;
mod pages;
mod routes;
mod state;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
use tokio::sync::oneshot;
use url::Url;

use crate::errors::Error;
use crate::py::bridge::block_on;
use crate::transport::engine;
use forgery::Forgery;
use keys::{KeyError, KeyRing, SigningAlg};
use state::{default_users, random_string, Config, Fault, MockState, MockUser, ENDPOINTS};

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::Configuration(format!("the mock provider {e}"))
    }
}

struct Running {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// The engine of `flet_auth.testing.MockOAuthServer`.
#[pyclass(frozen, subclass, module = "flet_auth._core")]
pub struct MockServerCore {
    state: Arc<MockState>,
    port: u16,
    running: Mutex<Option<Running>>,
}

fn users_from_py(users: &Bound<'_, PyDict>) -> PyResult<Vec<MockUser>> {
    let py = users.py();
    let dumps = py.import("json")?.getattr("dumps")?;
    let mut out = Vec::new();
    for (i, (name, claims)) in users.iter().enumerate() {
        let name: String = name.extract()?;
        let text: String = dumps.call1((claims,))?.extract()?;
        let Ok(Value::Object(mut claims)) = serde_json::from_str::<Value>(&text) else {
            return Err(Error::Configuration(format!(
                "the claims of user {name:?} must be a dict"
            ))
            .into());
        };
        let id = match claims.remove("id") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(1001 + i as u64),
            _ => 1001 + i as u64,
        };
        out.push(MockUser::new(&name, id, claims));
    }
    if out.is_empty() {
        return Err(Error::Configuration("users must name at least one user".into()).into());
    }
    Ok(out)
}

impl MockServerCore {
    fn running<T>(&self, f: impl FnOnce(&Running) -> T) -> PyResult<T> {
        let guard = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        guard.as_ref().map(f).ok_or_else(|| {
            Error::Configuration("the server is not running; call start()".into()).into()
        })
    }
}

#[pymethods]
impl MockServerCore {
    #[new]
    #[pyo3(signature = (port=0, *, users=None, client_id=None, client_secret=None,
                        public_client_id=None, access_token_ttl=3600,
                        refresh_tokens=true, login_form=false, redirect_uris=None,
                        id_token_alg="RS256", issuer=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        port: u16,
        users: Option<&Bound<'_, PyDict>>,
        client_id: Option<String>,
        client_secret: Option<String>,
        public_client_id: Option<String>,
        access_token_ttl: i64,
        refresh_tokens: bool,
        login_form: bool,
        redirect_uris: Option<Vec<String>>,
        id_token_alg: &str,
        issuer: Option<String>,
    ) -> PyResult<Self> {
        crate::py::logging::ensure(py)?;
        let users = match users {
            Some(u) => users_from_py(u)?,
            None => default_users(),
        };
        let id_token_alg = SigningAlg::parse(id_token_alg).ok_or_else(|| {
            Error::Configuration(format!(
                "id_token_alg must be one of {}, not {id_token_alg:?}",
                SigningAlg::NAMES.join(", ")
            ))
        })?;
        // The first key of the process is generated here (an RSA key takes a while).
        let keys = py
            .detach(|| KeyRing::new(id_token_alg))
            .map_err(Error::from)?;
        let config = Config {
            client_id: client_id.unwrap_or_else(|| "mock-client".into()),
            client_secret: client_secret.unwrap_or_else(|| random_string(24)),
            public_client_id: public_client_id.unwrap_or_else(|| "mock-public-client".into()),
            redirect_uris,
            users,
            login_form,
            issue_refresh_tokens: refresh_tokens,
            id_token_alg,
            issuer,
        };
        Ok(MockServerCore {
            state: Arc::new(MockState::new(config, access_token_ttl, keys)),
            port,
            running: Mutex::new(None),
        })
    }

    /// Binds 127.0.0.1 (port 0 picks a free port) and serves in the background.
    fn start(&self) -> PyResult<()> {
        let mut slot = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_some() {
            return Ok(());
        }
        let engine = engine()?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        self.state.set_base_url(format!("http://{addr}"));
        let _entered = engine.runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = routes::router(self.state.clone());
        let task = engine.runtime.spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = served.await {
                log::warn!(target: "flet_auth::testing", "mock provider stopped: {e}");
            }
        });
        *slot = Some(Running {
            addr,
            shutdown,
            task,
        });
        Ok(())
    }

    /// Stops serving; waits up to 3 s for answers in progress.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(Running { shutdown, task, .. }) = running {
            let _ = shutdown.send(());
            let abort = task.abort_handle();
            block_on(py, async move {
                if tokio::time::timeout(Duration::from_secs(3), task)
                    .await
                    .is_err()
                {
                    abort.abort();
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    #[getter]
    fn running_flag(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Base URL, `http://127.0.0.1:PORT`.
    #[getter]
    fn url(&self) -> PyResult<String> {
        self.running(|r| format!("http://{}", r.addr))
    }

    #[getter]
    fn port(&self) -> PyResult<u16> {
        self.running(|r| r.addr.port())
    }

    #[getter]
    fn client_id(&self) -> String {
        self.state.config.client_id.clone()
    }

    #[getter]
    fn client_secret(&self) -> String {
        self.state.config.client_secret.clone()
    }

    #[getter]
    fn public_client_id(&self) -> String {
        self.state.config.public_client_id.clone()
    }

    /// `iss` of the ID tokens: the `issuer` given, else the base URL.
    #[getter]
    fn issuer(&self) -> PyResult<String> {
        match self.state.issuer() {
            Some(issuer) => Ok(issuer),
            None => self.url(),
        }
    }

    /// `alg` of the ID tokens: "RS256" or "ES256".
    #[getter]
    fn id_token_alg(&self) -> &'static str {
        self.state.config.id_token_alg.name()
    }

    #[getter]
    fn users(&self) -> Vec<String> {
        self.state
            .config
            .users
            .iter()
            .map(|u| u.username.clone())
            .collect()
    }

    /// Lifetime in seconds of the access tokens issued from now on.
    #[getter]
    fn get_access_token_ttl(&self) -> i64 {
        self.state.access_token_ttl.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_access_token_ttl(&self, seconds: i64) {
        self.state
            .access_token_ttl
            .store(seconds, Ordering::Relaxed);
    }

    /// Follows an authorization URL as `user` would in a browser, approving (or denying) it,
    /// and returns the query of the redirect: `code` and `state`, or `error`.
    #[pyo3(signature = (authorization_url, user=None, approve=true))]
    fn authorize(
        &self,
        py: Python<'_>,
        authorization_url: String,
        user: Option<String>,
        approve: bool,
    ) -> PyResult<BTreeMap<String, String>> {
        let user = user
            .or_else(|| self.state.config.users.first().map(|u| u.username.clone()))
            .unwrap_or_default();
        let url = Url::parse(&authorization_url)
            .map_err(|e| Error::Configuration(format!("authorization_url is not a URL: {e}")))?;
        block_on(py, async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| Error::transport(e.to_string()))?;
            let response = client
                .get(url)
                .header("x-mock-user", user)
                .header("x-mock-decision", if approve { "allow" } else { "deny" })
                .send()
                .await
                .map_err(|e| Error::transport(e.without_url().to_string()))?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Url::parse(v).ok())
                .ok_or(Error::HttpStatus {
                    status,
                    endpoint: "authorization endpoint (no redirect)".into(),
                })?;
            Ok(location.query_pairs().into_owned().collect())
        })
    }

    /// Answers the next `times` requests of `endpoint` with a fault instead of the normal
    /// answer: `status` and `body`, after `delay` seconds, or a connection closed mid-answer.
    /// A fault with only a `delay` slows the normal answer down.
    #[pyo3(signature = (endpoint, status=None, body=None, *, content_type=None, delay=None, close=false, times=1))]
    #[allow(clippy::too_many_arguments)]
    fn fail(
        &self,
        endpoint: &str,
        status: Option<u16>,
        body: Option<String>,
        content_type: Option<String>,
        delay: Option<f64>,
        close: bool,
        times: usize,
    ) -> PyResult<()> {
        if !ENDPOINTS.contains(&endpoint) {
            return Err(Error::Configuration(format!(
                "unknown endpoint {endpoint:?}; one of {}",
                ENDPOINTS.join(", ")
            ))
            .into());
        }
        let delay = match delay {
            Some(d) if d.is_finite() && d >= 0.0 => Some(Duration::from_secs_f64(d)),
            Some(_) => return Err(Error::Configuration("delay must be >= 0 seconds".into()).into()),
            None => None,
        };
        let status = match (status, delay, close) {
            (None, None, false) => Some(500),
            (s, _, _) => s,
        };
        let fault = Fault {
            status,
            body,
            content_type,
            delay,
            close,
        };
        self.state.add_fault(endpoint, fault, times);
        Ok(())
    }

    /// Forgets the queued faults and forged ID tokens.
    fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// Signs ID tokens with a new key of the same `alg`; the old keys stay in the JWKS (so
    /// tokens they signed still verify) unless `drop_old`.
    #[pyo3(signature = (drop_old=false))]
    fn rotate_keys(&self, py: Python<'_>, drop_old: bool) -> PyResult<()> {
        let alg = self.state.config.id_token_alg;
        let index = self.state.keys().reserve();
        let key = py
            .detach(|| keys::pooled(alg, index))
            .map_err(Error::from)?;
        self.state.keys().rotate(key, drop_old);
        Ok(())
    }

    /// Makes the next `times` ID tokens wrong in one way (`kind`: wrong_iss, wrong_aud,
    /// multiple_aud_no_azp, wrong_azp, expired, future_iat, nbf_future, bad_signature,
    /// unknown_kid, alg_none, hs256_with_public_key, missing_nonce, wrong_nonce, wrong_at_hash).
    #[pyo3(signature = (kind, times=1))]
    fn forge_id_token(&self, py: Python<'_>, kind: &str, times: usize) -> PyResult<()> {
        let forgery = Forgery::parse(kind).ok_or_else(|| {
            Error::Configuration(format!(
                "unknown ID token forgery {kind:?}; one of {}",
                Forgery::names()
            ))
        })?;
        if forgery == Forgery::UnknownKid {
            // Made now, not while a token request waits.
            let alg = self.state.config.id_token_alg;
            py.detach(|| keys::stranger(alg)).map_err(Error::from)?;
        }
        self.state.add_forgery(forgery, times);
        Ok(())
    }

    /// The query of the last request to `/end_session`, or None.
    fn last_end_session(&self) -> Option<BTreeMap<String, String>> {
        self.state.last_end_session()
    }

    /// Requests received per endpoint (and per grant type: `token.refresh_token`, ...).
    fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts()
    }

    fn count(&self, endpoint: &str) -> u64 {
        self.state.counts().get(endpoint).copied().unwrap_or(0)
    }

    fn reset_counts(&self) {
        self.state.reset_counts();
    }

    fn __repr__(&self) -> String {
        let url = self.url().unwrap_or_else(|_| "not running".into());
        format!(
            "MockOAuthServer({url}, client_id={:?})",
            self.state.config.client_id
        )
    }
}
