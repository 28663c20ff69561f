//! `MockServerCore`, the engine of `flet_auth.testing.MockOAuthServer`: converts Python
//! arguments for the bundled provider (`flet_auth_mock_idp`), releases the GIL while it works
//! and maps its errors to flet_auth's exceptions.

use std::collections::BTreeMap;

use flet_auth_mock_idp::{
    users_from_claims, ClientAssertion, Endpoint, Fault, Forgery, IssForgery, MockError,
    MockServer, Settings, SigningAlg,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::errors::Error;
use crate::py::bridge::block_on;
use crate::py::json::PyJson;
use crate::transport::engine;

/// The provider's errors as flet_auth's; a socket error stays an `OSError`.
fn to_py(e: MockError) -> PyErr {
    match e {
        MockError::Io(e) => e.into(),
        e => to_engine(e).into(),
    }
}

fn to_engine(e: MockError) -> Error {
    match e {
        MockError::NoRedirect { status } => Error::HttpStatus {
            status,
            endpoint: "authorization endpoint (no redirect)".into(),
        },
        MockError::Transport(_) => Error::transport(e.to_string()),
        e => Error::Configuration(e.to_string()),
    }
}

/// `users` as `(username, claims)` pairs in JSON, in the dict's order.
fn users_from_py(users: &Bound<'_, PyDict>) -> PyResult<Vec<(String, Value)>> {
    let dumps = users.py().import("json")?.getattr("dumps")?;
    let mut out = Vec::with_capacity(users.len());
    for (name, claims) in users.iter() {
        let name: String = name.extract()?;
        let text: String = dumps.call1((claims,))?.extract()?;
        let claims = serde_json::from_str(&text).map_err(|e| {
            Error::Configuration(format!("the claims of user {name:?} are not JSON: {e}"))
        })?;
        out.push((name, claims));
    }
    Ok(out)
}

/// A Python object as JSON, through the `json` module.
fn json_from_py(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    let dumps = value.py().import("json")?.getattr("dumps")?;
    let text: String = dumps.call1((value,))?.extract()?;
    serde_json::from_str(&text)
        .map_err(|_| Error::Configuration(format!("{what} must be JSON")).into())
}

/// How the confidential client authenticates: with its secret (None), or with assertions.
fn client_assertion(
    method: Option<&str>,
    client_jwks: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<ClientAssertion>> {
    let method = method.or(client_jwks.map(|_| "private_key_jwt"));
    match (method, client_jwks) {
        (Some("private_key_jwt"), Some(jwks)) => {
            let jwks = json_from_py(jwks, "client_jwks")?;
            Ok(Some(
                ClientAssertion::private_key_jwt(&jwks).map_err(to_py)?,
            ))
        }
        (Some("private_key_jwt"), None) => Err(Error::Configuration(
            "token_endpoint_auth_method private_key_jwt needs client_jwks".into(),
        )
        .into()),
        (_, Some(_)) => Err(Error::Configuration(
            "client_jwks is for token_endpoint_auth_method private_key_jwt".into(),
        )
        .into()),
        (Some("client_secret_jwt"), None) => Ok(Some(ClientAssertion::ClientSecretJwt)),
        (None | Some("client_secret_basic" | "client_secret_post"), None) => Ok(None),
        (Some(other), None) => Err(Error::Configuration(format!(
            "token_endpoint_auth_method must be client_secret_basic, client_secret_post, \
             private_key_jwt or client_secret_jwt, not {other:?}"
        ))
        .into()),
    }
}

/// The engine of `flet_auth.testing.MockOAuthServer`.
#[pyclass(frozen, subclass, module = "flet_auth._core")]
pub struct MockServerCore {
    server: MockServer,
}

#[pymethods]
impl MockServerCore {
    #[new]
    #[pyo3(signature = (port=0, *, users=None, client_id=None, client_secret=None,
                        public_client_id=None, access_token_ttl=3600,
                        refresh_tokens=true, login_form=false, redirect_uris=None,
                        id_token_alg="RS256", issuer=None, device_interval=5.0,
                        device_expires_in=600,
                        authorization_response_iss_parameter_supported=true,
                        require_par=false, par_expires_in=60,
                        token_endpoint_auth_method=None, client_jwks=None,
                        require_dpop_nonce=false))]
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
        device_interval: f64,
        device_expires_in: u64,
        authorization_response_iss_parameter_supported: bool,
        require_par: bool,
        par_expires_in: u64,
        token_endpoint_auth_method: Option<&str>,
        client_jwks: Option<&Bound<'_, PyAny>>,
        require_dpop_nonce: bool,
    ) -> PyResult<Self> {
        crate::py::logging::ensure(py)?;
        if !(device_interval.is_finite() && device_interval >= 0.0) {
            return Err(Error::Configuration("device_interval must be >= 0 seconds".into()).into());
        }
        let mut settings = Settings {
            redirect_uris,
            login_form,
            issue_refresh_tokens: refresh_tokens,
            access_token_ttl,
            id_token_alg: id_token_alg.parse::<SigningAlg>().map_err(to_py)?,
            issuer,
            device_interval: std::time::Duration::try_from_secs_f64(device_interval).map_err(
                |_| Error::Configuration("device_interval must be a number of seconds >= 0".into()),
            )?,
            device_code_ttl: std::time::Duration::from_secs(device_expires_in),
            iss_parameter_supported: authorization_response_iss_parameter_supported,
            require_par,
            par_expires_in: std::time::Duration::from_secs(par_expires_in),
            client_assertion: client_assertion(token_endpoint_auth_method, client_jwks)?,
            require_dpop_nonce,
            ..Settings::default()
        };
        if let Some(users) = users {
            settings.users = users_from_claims(users_from_py(users)?).map_err(to_py)?;
        }
        if let Some(client_id) = client_id {
            settings.client_id = client_id;
        }
        if let Some(client_secret) = client_secret {
            settings.client_secret = client_secret;
        }
        if let Some(public_client_id) = public_client_id {
            settings.public_client_id = public_client_id;
        }
        // The first key of the process is generated here (an RSA key takes a while).
        let server = py
            .detach(|| MockServer::new(settings, port))
            .map_err(to_py)?;
        Ok(MockServerCore { server })
    }

    /// Binds 127.0.0.1 (port 0 picks a free port) and serves in the background.
    fn start(&self) -> PyResult<()> {
        let engine = engine()?;
        self.server.start(&engine.runtime).map_err(to_py)?;
        crate::oidc::forget_origin(&self.server.url().map_err(to_py)?);
        if let Ok(issuer) = self.server.issuer() {
            crate::oidc::forget_origin(&issuer);
        }
        Ok(())
    }

    /// Stops serving; waits up to 3 s for answers in progress.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        if self.server.address().is_none() {
            return Ok(());
        }
        let server = self.server.clone();
        block_on(py, async move {
            server.stop().await;
            Ok(())
        })
    }

    /// Base URL, `http://127.0.0.1:PORT`.
    #[getter]
    fn url(&self) -> PyResult<String> {
        self.server.url().map_err(to_py)
    }

    #[getter]
    fn port(&self) -> PyResult<u16> {
        let addr = self.server.address().ok_or(MockError::NotRunning);
        Ok(addr.map_err(to_py)?.port())
    }

    #[getter]
    fn client_id(&self) -> String {
        self.server.settings().client_id.clone()
    }

    #[getter]
    fn client_secret(&self) -> String {
        self.server.settings().client_secret.clone()
    }

    /// How the confidential client authenticates: `client_secret_basic` (or post, both
    /// work), `private_key_jwt` or `client_secret_jwt`.
    #[getter]
    fn token_endpoint_auth_method(&self) -> &'static str {
        match &self.server.settings().client_assertion {
            Some(method) => method.method(),
            None => "client_secret_basic",
        }
    }

    #[getter]
    fn public_client_id(&self) -> String {
        self.server.settings().public_client_id.clone()
    }

    /// `iss` of the ID tokens: the `issuer` given, else the base URL.
    #[getter]
    fn issuer(&self) -> PyResult<String> {
        self.server.issuer().map_err(to_py)
    }

    /// Whether authorization responses carry `iss` and discovery announces it (RFC 9207).
    #[getter]
    fn authorization_response_iss_parameter_supported(&self) -> bool {
        self.server.settings().iss_parameter_supported
    }

    /// Whether the authorization endpoint refuses requests that were not pushed (RFC 9126),
    /// as discovery announces (`require_pushed_authorization_requests`).
    #[getter]
    fn require_par(&self) -> bool {
        self.server.settings().require_par
    }

    /// Makes every pushed authorization request expire now: the authorization endpoint then
    /// refuses its `request_uri` (`invalid_request_uri`).
    fn expire_par_requests(&self) {
        self.server.expire_par_requests();
    }

    /// The form of the last pushed authorization request (RFC 9126 §2.1: the authorization
    /// parameters and the client's authentication) without `client_secret`, or None.
    fn last_par_request(&self) -> Option<BTreeMap<String, String>> {
        self.server.last_par_request()
    }

    /// Spoils the `iss` of the next `times` authorization responses (RFC 9207): `kind`
    /// "wrong" sends another provider's issuer (even when the parameter is off), "missing"
    /// sends none.
    #[pyo3(signature = (kind, times=1))]
    fn forge_iss(&self, kind: &str, times: usize) -> PyResult<()> {
        let forgery = kind.parse::<IssForgery>().map_err(to_py)?;
        self.server.forge_iss(forgery, times);
        Ok(())
    }

    /// `alg` of the ID tokens: "RS256" or "ES256".
    #[getter]
    fn id_token_alg(&self) -> &'static str {
        self.server.id_token_alg().name()
    }

    #[getter]
    fn users(&self) -> Vec<String> {
        let users = &self.server.settings().users;
        users.iter().map(|u| u.username.clone()).collect()
    }

    /// Lifetime in seconds of the access tokens issued from now on.
    #[getter]
    fn get_access_token_ttl(&self) -> i64 {
        self.server.access_token_ttl()
    }

    #[setter]
    fn set_access_token_ttl(&self, seconds: i64) {
        self.server.set_access_token_ttl(seconds);
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
        let server = self.server.clone();
        block_on(py, async move {
            let query = server.authorize(&authorization_url, user.as_deref(), approve);
            query.await.map_err(to_engine)
        })
    }

    /// The user `user` (the first user when None) approves the device login of `user_code`,
    /// as on the verification page; raises `ConfigurationError` when no login waits for it.
    #[pyo3(signature = (user_code, user=None))]
    fn approve_device(&self, user_code: &str, user: Option<&str>) -> PyResult<()> {
        self.server.approve_device(user_code, user).map_err(to_py)
    }

    /// The user denies the device login of `user_code`.
    fn deny_device(&self, user_code: &str) -> PyResult<()> {
        self.server.deny_device(user_code).map_err(to_py)
    }

    /// Answers `slow_down` to the next `times` device polls, each adding 5 s to the interval
    /// the provider then expects: a client that polls sooner gets `slow_down` again.
    #[pyo3(signature = (times=1))]
    fn slow_down_device(&self, times: usize) {
        self.server.slow_down_device(times);
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
        let endpoint = endpoint.parse::<Endpoint>().map_err(to_py)?;
        let fault = Fault::new(status, body, content_type, delay, close).map_err(to_py)?;
        self.server.fail(endpoint, fault, times);
        Ok(())
    }

    /// Forgets the queued faults, forged ID tokens and spoiled `iss`, and withdraws the keys
    /// published for forged tokens.
    fn clear_faults(&self) {
        self.server.clear_faults();
    }

    /// Signs ID tokens with a new key of the same `alg`; the old keys stay in the JWKS (so
    /// tokens they signed still verify) unless `drop_old`.
    #[pyo3(signature = (drop_old=false))]
    fn rotate_keys(&self, py: Python<'_>, drop_old: bool) -> PyResult<()> {
        py.detach(|| self.server.rotate_keys(drop_old))
            .map_err(to_py)
    }

    /// Makes the next `times` ID tokens wrong in one way (`kind`: wrong_iss, wrong_aud,
    /// multiple_aud_no_azp, wrong_azp, expired, future_iat, missing_iat, iat_not_a_number,
    /// empty_sub, nbf_future, bad_signature, unknown_kid, alg_none, hs256_with_public_key,
    /// key_use_enc, key_alg_mismatch, crit_header, typ_at_jwt, missing_nonce, wrong_nonce,
    /// wrong_at_hash). For key_use_enc and key_alg_mismatch the JWKS also publishes the
    /// mislabelled key that signs the token, until `clear_faults`.
    #[pyo3(signature = (kind, times=1))]
    fn forge_id_token(&self, py: Python<'_>, kind: &str, times: usize) -> PyResult<()> {
        let forgery = kind.parse::<Forgery>().map_err(to_py)?;
        py.detach(|| self.server.forge_id_token(forgery, times))
            .map_err(to_py)
    }

    /// The names `forge_id_token` takes, one per way an ID token can be forged.
    #[staticmethod]
    fn forgery_kinds() -> Vec<&'static str> {
        Forgery::ALL.map(Forgery::name).to_vec()
    }

    /// The query of the last request to `/end_session`, or None.
    fn last_end_session(&self) -> Option<BTreeMap<String, String>> {
        self.server.last_end_session()
    }

    /// RFC 9449: a new DPoP nonce now (a proof with the old one gets `use_dpop_nonce`); with
    /// `always`, before every check too, so that no proof ever carries the current one.
    #[pyo3(signature = (*, always=false))]
    fn rotate_dpop_nonce(&self, always: bool) {
        self.server.rotate_dpop_nonce(always);
    }

    /// The nonce DPoP proofs must carry (with `require_dpop_nonce=True`), else None.
    #[getter]
    fn dpop_nonce(&self) -> Option<String> {
        self.server.dpop_nonce()
    }

    /// The last DPoP proof the server accepted, decoded: `{"header": ..., "claims": ...}`,
    /// or None.
    fn last_dpop_proof(&self) -> Option<PyJson> {
        self.server
            .last_dpop_proof()
            .map(|(header, claims)| PyJson(serde_json::json!({"header": header, "claims": claims})))
    }

    /// The JWK thumbprint (`cnf.jkt`) of the DPoP key `access_token` is bound to; None for a
    /// bearer token or a token the server does not know.
    fn access_token_jkt(&self, access_token: &str) -> Option<String> {
        self.server.access_token_jkt(access_token).flatten()
    }

    /// The form of the last token request (grant_type, scope, the app's own parameters, ...)
    /// without `client_secret`, or None.
    fn last_token_request(&self) -> Option<BTreeMap<String, String>> {
        self.server.last_token_request()
    }

    /// Requests received per endpoint (and per grant type: `token.refresh_token`, ...).
    fn counts(&self) -> BTreeMap<String, u64> {
        self.server.counts()
    }

    fn count(&self, endpoint: &str) -> u64 {
        self.server.count(endpoint)
    }

    fn reset_counts(&self) {
        self.server.reset_counts();
    }

    fn __repr__(&self) -> String {
        let url = self.server.url().unwrap_or_else(|_| "not running".into());
        let client_id = &self.server.settings().client_id;
        format!("MockOAuthServer({url}, client_id={client_id:?})")
    }
}
