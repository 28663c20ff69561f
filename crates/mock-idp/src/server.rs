//! The provider's Rust API: set it up, serve it on 127.0.0.1 on a tokio runtime, play the
//! user's browser, inject faults, rotate keys, forge ID tokens, read the request counts.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use url::Url;

use crate::config::Settings;
use crate::error::MockError;
use crate::faults::{Endpoint, Fault};
use crate::forgery::Forgery;
use crate::keys::{self, KeyRing, SigningAlg};
use crate::rfc9207::IssForgery;
use crate::routes;
use crate::state::MockState;

/// How long `stop` waits for answers in progress.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// Total timeout of `authorize`'s request.
const AUTHORIZE_TIMEOUT: Duration = Duration::from_secs(10);

struct Running {
    addr: SocketAddr,
    /// Dropping it (with the server) shuts the server down too.
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

struct Inner {
    state: Arc<MockState>,
    port: u16,
    running: Mutex<Option<Running>>,
}

/// A local OAuth 2.0 / OpenID Connect provider. Clones share one provider.
#[derive(Clone)]
pub struct MockServer {
    inner: Arc<Inner>,
}

impl MockServer {
    /// A provider with `settings` that will listen on `port` of 127.0.0.1 (0: a free one).
    /// Blocks while the process's first key of the `alg` is generated (RSA takes a while).
    pub fn new(settings: Settings, port: u16) -> Result<MockServer, MockError> {
        if settings.users.is_empty() {
            return Err(MockError::Configuration(
                "users must name at least one user".into(),
            ));
        }
        let keys = KeyRing::new(settings.id_token_alg)?;
        let inner = Inner {
            state: Arc::new(MockState::new(settings, keys)),
            port,
            running: Mutex::new(None),
        };
        Ok(MockServer {
            inner: Arc::new(inner),
        })
    }

    fn running(&self) -> MutexGuard<'_, Option<Running>> {
        self.inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Binds 127.0.0.1 and serves on `runtime` in the background; does nothing when already
    /// serving. Returns the address bound.
    pub fn start(&self, runtime: &Handle) -> Result<SocketAddr, MockError> {
        let mut slot = self.running();
        if let Some(running) = slot.as_ref() {
            return Ok(running.addr);
        }
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.inner.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        self.inner.state.set_base_url(format!("http://{addr}"));
        let _entered = runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = routes::router(self.inner.state.clone());
        let task = runtime.spawn(async move {
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
        Ok(addr)
    }

    /// Stops serving and frees the port; waits up to 3 s for answers in progress, then
    /// drops them. Does nothing when not serving.
    pub async fn stop(&self) {
        let running = self.running().take();
        if let Some(Running { shutdown, task, .. }) = running {
            let _ = shutdown.send(());
            let abort = task.abort_handle();
            if tokio::time::timeout(STOP_GRACE, task).await.is_err() {
                abort.abort();
            }
        }
    }

    /// The address served, or None when not serving.
    pub fn address(&self) -> Option<SocketAddr> {
        self.running().as_ref().map(|r| r.addr)
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> Result<String, MockError> {
        let addr = self.address().ok_or(MockError::NotRunning)?;
        Ok(format!("http://{addr}"))
    }

    /// `iss` of the ID tokens: the `issuer` setting, else the base URL.
    pub fn issuer(&self) -> Result<String, MockError> {
        match &self.inner.state.settings.issuer {
            Some(issuer) => Ok(issuer.clone()),
            None => self.url(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.state.settings
    }

    /// Lifetime in seconds of the access tokens issued from now on.
    pub fn access_token_ttl(&self) -> i64 {
        self.inner.state.access_token_ttl()
    }

    pub fn set_access_token_ttl(&self, seconds: i64) {
        self.inner.state.set_access_token_ttl(seconds);
    }

    /// Follows `authorization_url` as `user` (the first user when None) would in a browser,
    /// approving or denying it, and returns the query of the redirect: `code` and `state`,
    /// or `error`.
    pub async fn authorize(
        &self,
        authorization_url: &str,
        user: Option<&str>,
        approve: bool,
    ) -> Result<BTreeMap<String, String>, MockError> {
        let users = &self.settings().users;
        let user = user
            .or_else(|| users.first().map(|u| u.username.as_str()))
            .unwrap_or_default()
            .to_owned();
        let url = Url::parse(authorization_url).map_err(|e| {
            MockError::Configuration(format!("authorization_url is not a URL: {e}"))
        })?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(AUTHORIZE_TIMEOUT)
            .build()
            .map_err(MockError::Transport)?;
        let response = client
            .get(url)
            .header("x-mock-user", user)
            .header("x-mock-decision", if approve { "allow" } else { "deny" })
            .send()
            .await
            .map_err(|e| MockError::Transport(e.without_url()))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Url::parse(v).ok())
            .ok_or(MockError::NoRedirect { status })?;
        Ok(location.query_pairs().into_owned().collect())
    }

    /// Answers the next `times` requests of `endpoint` with `fault` instead of the normal answer.
    pub fn fail(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        self.inner.state.add_fault(endpoint, fault, times);
    }

    /// Forgets the queued faults and forged ID tokens, and stops publishing the keys that
    /// forged tokens were signed with.
    pub fn clear_faults(&self) {
        self.inner.state.clear_faults();
    }

    /// Signs ID tokens with a new key of the same `alg`; the old keys stay in the JWKS (so
    /// tokens they signed still verify) unless `drop_old`. Blocks while a key is generated.
    pub fn rotate_keys(&self, drop_old: bool) -> Result<(), MockError> {
        let state = &self.inner.state;
        let index = state.keys().reserve();
        let key = keys::pooled(state.settings.id_token_alg, index)?;
        state.keys().rotate(key, drop_old);
        Ok(())
    }

    /// Makes the next `times` ID tokens wrong in the way of `forgery`, and publishes the
    /// mislabelled key that the kinds signed with one need (it stays in the JWKS until
    /// `clear_faults`). Blocks while a key is generated, so that no token request waits for it.
    pub fn forge_id_token(&self, forgery: Forgery, times: usize) -> Result<(), MockError> {
        let alg = self.id_token_alg();
        if forgery == Forgery::UnknownKid {
            keys::stranger(alg)?;
        }
        if let Some(jwk) = forgery.published_jwk(alg)? {
            self.inner.state.keys().publish_decoy(jwk);
        }
        self.inner.state.add_forgery(forgery, times);
        Ok(())
    }

    /// Spoils the `iss` of the next `times` authorization responses (RFC 9207).
    pub fn forge_iss(&self, forgery: IssForgery, times: usize) {
        self.inner.state.add_iss_forgery(forgery, times);
    }

    pub fn id_token_alg(&self) -> SigningAlg {
        self.settings().id_token_alg
    }

    /// The user `user` (the first user when None) approves the device login of `user_code`
    /// (RFC 8628 §3.3), as on the verification page.
    pub fn approve_device(&self, user_code: &str, user: Option<&str>) -> Result<(), MockError> {
        let users = &self.settings().users;
        let user = match user {
            Some(name) => users.iter().find(|u| u.username == name),
            None => users.first(),
        };
        let user = user.ok_or_else(|| MockError::Configuration("unknown user".into()))?;
        self.decide_device(user_code, Some(&user.username))
    }

    /// The user denies the device login of `user_code`.
    pub fn deny_device(&self, user_code: &str) -> Result<(), MockError> {
        self.decide_device(user_code, None)
    }

    fn decide_device(&self, user_code: &str, user: Option<&str>) -> Result<(), MockError> {
        if self.inner.state.decide_device(user_code, user) {
            Ok(())
        } else {
            Err(MockError::Configuration(format!(
                "no device login waits for user code {user_code:?} (unknown, decided or expired)"
            )))
        }
    }

    /// Answers `slow_down` to the next `times` device polls (RFC 8628 §3.5), each adding 5 s
    /// to the interval the provider then expects between polls.
    pub fn slow_down_device(&self, times: usize) {
        self.inner.state.add_slow_downs(times);
    }

    /// The query of the last request to `/end_session`, or None.
    pub fn last_end_session(&self) -> Option<BTreeMap<String, String>> {
        self.inner.state.last_end_session()
    }

    /// RFC 9449: a new DPoP nonce now (proofs with the old one get `use_dpop_nonce`); with
    /// `always`, before every check too, so that no proof ever carries the current one.
    pub fn rotate_dpop_nonce(&self, always: bool) {
        self.inner.state.rotate_dpop_nonce(always);
    }

    /// The nonce proofs must carry, when `require_dpop_nonce` is set.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.inner.state.dpop_nonce()
    }

    /// The decoded header and claims of the last DPoP proof accepted.
    pub fn last_dpop_proof(&self) -> Option<(Value, Map<String, Value>)> {
        self.inner.state.last_dpop_proof()
    }

    /// The thumbprint (`cnf.jkt`) of the DPoP key an access token is bound to: `Some(None)`
    /// for a bearer token, None for a token unknown or expired.
    pub fn access_token_jkt(&self, access_token: &str) -> Option<Option<String>> {
        self.inner.state.access_token_jkt(access_token)
    }

    /// The form of the last token request, without `client_secret`, or None.
    pub fn last_token_request(&self) -> Option<BTreeMap<String, String>> {
        self.inner.state.last_token_request()
    }

    /// The form of the last pushed authorization request (RFC 9126), without
    /// `client_secret`, or None.
    pub fn last_par_request(&self) -> Option<BTreeMap<String, String>> {
        self.inner.state.last_par_request()
    }

    /// Makes every pushed authorization request expire now: its `request_uri` is refused.
    pub fn expire_par_requests(&self) {
        self.inner.state.expire_pushed_requests();
    }

    /// Requests received per endpoint (and per grant type: `token.refresh_token`, ...).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.inner.state.counts()
    }

    pub fn count(&self, key: &str) -> u64 {
        self.counts().get(key).copied().unwrap_or(0)
    }

    pub fn reset_counts(&self) {
        self.inner.state.reset_counts();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn server() -> Result<MockServer, MockError> {
        let settings = Settings {
            id_token_alg: SigningAlg::Es256,
            ..Settings::default()
        };
        MockServer::new(settings, 0)
    }

    #[test]
    fn authorize_brings_back_a_code_and_the_state() -> Result<(), MockError> {
        let runtime = runtime();
        let server = server()?;
        let base = format!("http://{}", server.start(runtime.handle())?);
        let url = format!(
            "{base}/authorize?response_type=code&client_id=mock-client\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&state=s1"
        );
        let query = runtime.block_on(server.authorize(&url, None, true))?;
        assert_eq!(query.get("state").map(String::as_str), Some("s1"));
        assert!(query.get("code").is_some_and(|c| c.len() >= 32));
        let denied = runtime.block_on(server.authorize(&url, Some("bob"), false))?;
        assert_eq!(
            denied.get("error").map(String::as_str),
            Some("access_denied")
        );
        assert_eq!(server.count("authorize"), 2);
        runtime.block_on(server.stop());
        Ok(())
    }

    #[test]
    fn authorization_responses_carry_the_issuer_unless_spoiled() -> Result<(), MockError> {
        let runtime = runtime();
        let server = server()?;
        let base = format!("http://{}", server.start(runtime.handle())?);
        let url = format!(
            "{base}/authorize?response_type=code&client_id=mock-client\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&state=s1"
        );
        let iss = |q: &BTreeMap<String, String>| q.get("iss").cloned();
        let issued = runtime.block_on(server.authorize(&url, None, true))?;
        assert_eq!(iss(&issued), Some(server.issuer()?));
        server.forge_iss(IssForgery::Wrong, 1);
        let denied = runtime.block_on(server.authorize(&url, None, false))?;
        assert_eq!(iss(&denied).as_deref(), Some(crate::rfc9207::WRONG_ISSUER));
        server.forge_iss(IssForgery::Missing, 1);
        assert_eq!(
            iss(&runtime.block_on(server.authorize(&url, None, true))?),
            None
        );
        runtime.block_on(server.stop());
        Ok(())
    }

    #[test]
    fn a_stopped_server_frees_its_port_and_has_no_url() -> Result<(), MockError> {
        let runtime = runtime();
        let server = server()?;
        let addr = server.start(runtime.handle())?;
        assert_eq!(server.start(runtime.handle())?, addr, "start is idempotent");
        runtime.block_on(server.stop());
        assert!(matches!(server.url(), Err(MockError::NotRunning)));
        std::net::TcpListener::bind(addr)?;
        Ok(())
    }

    #[test]
    fn an_injected_fault_answers_instead_of_the_endpoint() -> Result<(), MockError> {
        let runtime = runtime();
        let server = server()?;
        let base = format!("http://{}", server.start(runtime.handle())?);
        let fault = Fault::new(Some(302), None, None, None, false)?;
        server.fail(Endpoint::Authorize, fault, 1);
        let refused = runtime.block_on(server.authorize(&format!("{base}/authorize"), None, true));
        assert!(matches!(
            refused,
            Err(MockError::NoRedirect { status: 302 })
        ));
        let unknown_client =
            runtime.block_on(server.authorize(&format!("{base}/authorize"), None, true));
        assert!(matches!(
            unknown_client,
            Err(MockError::NoRedirect { status: 400 })
        ));
        runtime.block_on(server.stop());
        Ok(())
    }

    #[test]
    fn settings_without_users_are_refused() {
        let settings = Settings {
            users: Vec::new(),
            ..Settings::default()
        };
        assert!(matches!(
            MockServer::new(settings, 0),
            Err(MockError::Configuration(_))
        ));
    }
}
