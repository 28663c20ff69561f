//! The engine of `AuthorizationService`: state and PKCE for each login, the code exchange,
//! refresh shared by concurrent callers, and authenticated JSON requests for user data.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt, Shared};
use oauth2::{CsrfToken, PkceCodeChallenge};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use reqwest::Method;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use url::Url;

use crate::bridge::{self, block_on, block_on_with, py_future, py_future_with, Caller, Site};
use crate::errors::{Error, Result};
use crate::http::{self, check_url};
use crate::json::PyJson;
use crate::oidc;
use crate::provider::{ProviderCache, ProviderConfig};
use crate::runtime;
use crate::token::{
    body_object, lock, oauth_error, parse_token_response, OAuthToken, TokenCell, TokenData,
};
use pyo3_async_runtimes::TaskLocals;

/// A token is refreshed this many seconds before it expires.
pub const REFRESH_LEEWAY: f64 = 60.0;
/// How long the `state` of a login stays valid.
pub const STATE_TTL: Duration = Duration::from_secs(600);

/// One login in progress: what the redirect must carry back and what the exchange must send.
struct PendingLogin {
    state: String,
    issued: Instant,
    state_checked: bool,
    code_verifier: Option<String>,
    nonce: Option<String>,
    /// The login asked for the `openid` scope, so its token response must carry an ID token.
    openid: bool,
}

/// A login in progress as `save_login` writes it, to be finished by another process.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedLogin {
    state: String,
    code_verifier: Option<String>,
    nonce: Option<String>,
    openid: bool,
    /// Unix time the login started (its `state` expires [`STATE_TTL`] later).
    issued_at: f64,
}

/// A refresh in progress, awaited by every caller that needs it.
type Flight = Shared<BoxFuture<'static, Result<()>>>;

/// The scope of the service: the provider's composed scope, shared by every service of the
/// provider, until the app reads or sets `service.scope`, which makes it this list.
enum Scope {
    Shared(Arc<[String]>),
    List(Py<PyList>),
}

/// What changes during a service's life, under one lock. Rarely used parts are boxed so that
/// the many idle services of a server stay small.
struct State {
    scope: Scope,
    login: Option<Box<PendingLogin>>,
    last_state: Option<Box<str>>,
    token: Option<TokenCell>,
    inflight: Option<Flight>,
    /// The verified claims of the last ID token (OpenID Connect).
    id_claims: Option<Box<Map<String, Value>>>,
}

struct Inner {
    provider: Arc<ProviderConfig>,
    state: Mutex<State>,
    on_token_update: Option<Py<PyAny>>,
}

fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    fn new(scope: Arc<[String]>) -> Self {
        State {
            scope: Scope::Shared(scope),
            login: None,
            last_state: None,
            token: None,
            inflight: None,
            id_claims: None,
        }
    }
}

impl Inner {
    fn authorization_url(&self, scope: &[String]) -> Result<(String, String)> {
        let p = &*self.provider;
        let mut url = check_url(
            "authorization_endpoint",
            &p.authorization_endpoint,
            p.allow_insecure_http,
        )?;
        let state = CsrfToken::new_random_len(24).secret().clone();
        let nonce = p
            .oidc
            .as_ref()
            .map(|_| CsrfToken::new_random_len(24).secret().clone());
        let (challenge, method, verifier) =
            if p.code_challenge.is_some() || p.code_verifier.is_some() || !p.pkce {
                (
                    p.code_challenge.clone(),
                    p.code_challenge_method.clone(),
                    p.code_verifier.clone(),
                )
            } else {
                let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
                (
                    Some(challenge.as_str().to_owned()),
                    Some(challenge.method().as_str().to_owned()),
                    Some(verifier.secret().clone()),
                )
            };
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &p.client_id)
                .append_pair("redirect_uri", &p.redirect_url);
            if !scope.is_empty() {
                query.append_pair("scope", &scope.join(" "));
            }
            query.append_pair("state", &state);
            if let Some(c) = &challenge {
                query.append_pair("code_challenge", c);
            }
            if let Some(m) = &method {
                query.append_pair("code_challenge_method", m);
            }
            if let Some(n) = &nonce {
                query.append_pair("nonce", n);
            }
            for (k, v) in &p.authorization_params {
                query.append_pair(k, v);
            }
        }
        let login = PendingLogin {
            state: state.clone(),
            issued: Instant::now(),
            state_checked: false,
            code_verifier: verifier,
            nonce,
            openid: scope.iter().any(|s| s == "openid"),
        };
        let mut st = guard(&self.state);
        st.login = Some(Box::new(login));
        st.last_state = Some(state.as_str().into());
        Ok((url.into(), state))
    }

    /// Accepts the `state` of a redirect once, within [`STATE_TTL`], compared in constant time.
    fn check_state(&self, state: &str) -> Result<()> {
        let mut st = guard(&self.state);
        let Some(pending) = st.login.as_mut() else {
            return Err(Error::StateMismatch(
                "no login is waiting for a redirect".into(),
            ));
        };
        if pending.state_checked {
            return Err(Error::StateMismatch("this state was already used".into()));
        }
        if pending.issued.elapsed() > STATE_TTL {
            return Err(Error::StateMismatch(
                "the login expired; start a new one".into(),
            ));
        }
        if !bool::from(pending.state.as_bytes().ct_eq(state.as_bytes())) {
            return Err(Error::StateMismatch(
                "the state does not match this login".into(),
            ));
        }
        pending.state_checked = true;
        Ok(())
    }

    fn token_url(&self) -> Result<Url> {
        let p = &*self.provider;
        check_url("token_endpoint", &p.token_endpoint, p.allow_insecure_http)
    }

    async fn post_token(
        &self,
        url: &Url,
        mut form: Vec<(&'static str, String)>,
    ) -> Result<TokenData> {
        let request = http::request(Method::POST, url, self.provider.timeout)?;
        let request = self.provider.authenticate(request, &mut form);
        let response = http::send(request.form(&form), url).await?;
        parse_token_response(&response)
    }

    async fn exchange(self: Arc<Self>, code: String, caller: Caller) -> Result<TokenCell> {
        let url = self.token_url()?;
        let pending = guard(&self.state).login.take();
        if pending.is_none() && self.provider.oidc.is_some() {
            // Without the login's nonce the ID token could be replayed from another login.
            return Err(Error::Configuration(
                "no login in progress: call get_authorization_data() (or restore_login()) \
                 before request_token()"
                    .into(),
            ));
        }
        let nonce = pending.as_ref().and_then(|p| p.nonce.clone());
        let openid = pending.as_ref().is_some_and(|p| p.openid);
        let verifier = pending
            .and_then(|p| p.code_verifier)
            .or_else(|| self.provider.code_verifier.clone());
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", self.provider.redirect_url.clone()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        let data = self.post_token(&url, form).await?;
        self.check_id_token(&data, nonce, openid, None).await?;
        log::info!(target: "flet_auth", "login: token issued by {}", http::display(&url));
        let hooked = self.call_hook(&data, caller).await;
        let cell: TokenCell = Arc::new(Mutex::new(data));
        guard(&self.state).token = Some(cell.clone());
        hooked.map(|_| cell)
    }

    /// The exchange, then the user's JSON from `user_endpoint` when given.
    async fn login(
        self: Arc<Self>,
        code: String,
        caller: Caller,
        user_endpoint: Option<String>,
    ) -> Result<(TokenCell, Option<Value>)> {
        let cell = self.clone().exchange(code, caller).await?;
        let Some(url) = user_endpoint else {
            return Ok((cell, None));
        };
        let access_token = lock(&cell).access_token.clone();
        let p = &*self.provider;
        let user = fetch_json(url, access_token, p.timeout, p.allow_insecure_http).await?;
        Ok((cell, Some(user)))
    }

    /// OpenID Connect: a login's token response must carry a valid ID token; its claims are
    /// kept for the user.
    async fn check_id_token(
        &self,
        data: &TokenData,
        nonce: Option<String>,
        openid: bool,
        subject: Option<String>,
    ) -> Result<()> {
        let Some(oidc) = &self.provider.oidc else {
            return Ok(());
        };
        let Some(id_token) = &data.id_token else {
            if nonce.is_some() && openid {
                return Err(Error::IdToken("the token response has no id_token".into()));
            }
            return Ok(());
        };
        let expect = oidc::Expectations {
            issuer: oidc.issuer.clone(),
            client_id: self.provider.client_id.clone(),
            jwks_uri: oidc.jwks_uri.clone(),
            algorithms: oidc.algorithms.clone(),
            nonce,
            access_token: Some(data.access_token.clone()),
            subject,
            timeout: self.provider.timeout,
            allow_insecure_http: self.provider.allow_insecure_http,
        };
        let claims = oidc::verify(id_token, &expect).await?;
        guard(&self.state).id_claims = Some(Box::new(claims));
        Ok(())
    }

    /// The user's claims: the ID token's, then the userinfo endpoint's (whose `sub` must match).
    async fn user_claims(
        self: Arc<Self>,
        userinfo_endpoint: Option<String>,
    ) -> Result<Option<Map<String, Value>>> {
        let mut claims = guard(&self.state).id_claims.as_deref().cloned();
        if let Some(url) = userinfo_endpoint {
            let access_token = self
                .current()
                .map(|c| lock(&c).access_token.clone())
                .ok_or_else(|| {
                    Error::Configuration("there is no token yet; log in first".into())
                })?;
            let p = &*self.provider;
            let info = match fetch_json(url, access_token, p.timeout, p.allow_insecure_http).await?
            {
                Value::Object(map) => map,
                _ => {
                    return Err(Error::Configuration(
                        "the userinfo answer is not a JSON object".into(),
                    ))
                }
            };
            if let Some(known) = &claims {
                if known.get("sub") != info.get("sub") {
                    return Err(Error::IdToken(
                        "userinfo is for another subject than the ID token".into(),
                    ));
                }
            }
            let merged = claims.get_or_insert_with(Map::new);
            merged.extend(info);
        }
        Ok(claims)
    }

    /// RFC 7009: revokes the refresh token, then the access token, then forgets them.
    async fn revoke(self: Arc<Self>) -> Result<()> {
        let p = &*self.provider;
        let endpoint = p.revocation_endpoint.clone().ok_or_else(|| {
            Error::Configuration("the provider has no revocation_endpoint".into())
        })?;
        let url = check_url("revocation_endpoint", &endpoint, p.allow_insecure_http)?;
        let Some(cell) = self.current() else {
            return Ok(());
        };
        let data = lock(&cell).clone();
        let tokens = [
            (data.refresh_token, "refresh_token"),
            (Some(data.access_token), "access_token"),
        ];
        for (token, hint) in tokens {
            let Some(token) = token else { continue };
            let mut form = vec![("token", token), ("token_type_hint", hint.to_owned())];
            let request = p.authenticate(http::request(Method::POST, &url, p.timeout)?, &mut form);
            let response = http::send(request.form(&form), &url).await?;
            if !response.is_success() {
                if let Some(err) =
                    body_object(&response).and_then(|m| oauth_error(&m, response.status))
                {
                    return Err(err);
                }
                return Err(Error::HttpStatus {
                    status: response.status,
                    endpoint: response.endpoint,
                });
            }
        }
        {
            let mut st = guard(&self.state);
            st.token = None;
            st.id_claims = None;
        }
        log::info!(target: "flet_auth", "logout: tokens revoked at {}", http::display(&url));
        Ok(())
    }

    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2).
    fn end_session_url(
        &self,
        post_logout_redirect_uri: Option<String>,
        state: Option<String>,
    ) -> Result<String> {
        let p = &*self.provider;
        let endpoint = p.end_session_endpoint.clone().ok_or_else(|| {
            Error::Configuration("the provider has no end_session_endpoint".into())
        })?;
        let mut url = check_url("end_session_endpoint", &endpoint, p.allow_insecure_http)?;
        let id_token = self.current().and_then(|c| lock(&c).id_token.clone());
        {
            let mut query = url.query_pairs_mut();
            if let Some(hint) = &id_token {
                query.append_pair("id_token_hint", hint);
            }
            query.append_pair("client_id", &p.client_id);
            if let Some(uri) = &post_logout_redirect_uri {
                query.append_pair("post_logout_redirect_uri", uri);
            }
            if let Some(s) = &state {
                query.append_pair("state", s);
            }
        }
        Ok(url.into())
    }

    async fn call_hook(self: &Arc<Self>, data: &TokenData, caller: Caller) -> Result<()> {
        match &self.on_token_update {
            Some(_) => call_hook(self.clone(), data.clone(), caller).await,
            None => Ok(()),
        }
    }

    fn current(&self) -> Option<TokenCell> {
        guard(&self.state).token.clone()
    }

    /// The token if it can be used now, or the refresh to wait for (started here if needed;
    /// `caller` runs its hook).
    fn token_state(self: &Arc<Self>, caller: Caller) -> Result<TokenState> {
        let mut st = guard(&self.state);
        let Some(cell) = st.token.clone() else {
            return Ok(TokenState::Ready(None));
        };
        if let Some(flight) = st.inflight.as_ref() {
            return Ok(TokenState::Refreshing(flight.clone()));
        }
        if !lock(&cell).needs_refresh(REFRESH_LEEWAY) {
            return Ok(TokenState::Ready(Some(cell)));
        }
        let flight = self.clone().start_refresh(cell, caller)?;
        st.inflight = Some(flight.clone());
        Ok(TokenState::Refreshing(flight))
    }

    /// The token when no refresh is due or running: `Some(None)` without a token.
    fn usable_now(&self) -> Option<Option<TokenCell>> {
        let st = guard(&self.state);
        let Some(cell) = st.token.clone() else {
            return Some(None);
        };
        let idle = st.inflight.is_none();
        let fresh = !lock(&cell).needs_refresh(REFRESH_LEEWAY);
        (idle && fresh).then_some(Some(cell))
    }

    async fn get_token(self: Arc<Self>, caller: Caller) -> Result<Option<TokenCell>> {
        match self.token_state(caller)? {
            TokenState::Ready(cell) => Ok(cell),
            TokenState::Refreshing(flight) => {
                flight.await?;
                Ok(self.current())
            }
        }
    }

    /// Runs the refresh as its own task: a caller that goes away must not lose the answer,
    /// which may carry a rotated refresh token.
    fn start_refresh(self: Arc<Self>, cell: TokenCell, caller: Caller) -> Result<Flight> {
        let task = runtime::spawn(self.refresh(cell, caller))?;
        Ok(async move {
            task.await
                .unwrap_or_else(|_| Err(Error::Transport("the refresh task failed".into())))
        }
        .boxed()
        .shared())
    }

    async fn refresh(self: Arc<Self>, cell: TokenCell, caller: Caller) -> Result<()> {
        let answer = self.refresh_request(&cell).await;
        let data = match answer {
            Ok(data) => data,
            Err(e) => {
                guard(&self.state).inflight = None;
                log::info!(target: "flet_auth", "refresh failed: {e}");
                return Err(e);
            }
        };
        let hooked = self.call_hook(&data, caller).await;
        {
            let mut st = guard(&self.state);
            *lock(&cell) = data;
            st.inflight = None;
        }
        log::info!(target: "flet_auth", "token refreshed");
        hooked
    }

    async fn refresh_request(&self, cell: &TokenCell) -> Result<TokenData> {
        let old = lock(cell).clone();
        let Some(refresh_token) = old.refresh_token.clone() else {
            return Ok(old);
        };
        let url = self.token_url()?;
        let form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token),
        ];
        let mut new = self.post_token(&url, form).await?;
        if new.id_token.is_some() {
            let subject = guard(&self.state)
                .id_claims
                .as_ref()
                .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_owned));
            self.check_id_token(&new, None, false, subject).await?;
        }
        if new.refresh_token.is_none() {
            new.refresh_token = old.refresh_token;
        }
        if new.scope.is_none() {
            new.scope = old.scope;
        }
        if new.id_token.is_none() {
            new.id_token = old.id_token;
        }
        Ok(new)
    }
}

/// Hands a new token to the app's `on_token_update(token)`, sync or async, on the caller's
/// thread, and waits for it.
async fn call_hook(inner: Arc<Inner>, data: TokenData, caller: Caller) -> Result<()> {
    let pending = caller
        .call(move |py, site| -> PyResult<Option<HookAwait>> {
            let Some(hook) = &inner.on_token_update else {
                return Ok(None);
            };
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
        .map_err(|_| Error::Transport("the on_token_update hook could not run".into()))??;
    if let Some(awaitable) = pending {
        awaitable.await?;
    }
    Ok(())
}

/// An async hook's coroutine, awaited on the caller's loop.
type HookAwait = BoxFuture<'static, PyResult<Py<PyAny>>>;

/// What `get_token` finds: a token to hand out now, or a refresh to wait for.
enum TokenState {
    Ready(Option<TokenCell>),
    Refreshing(Flight),
}

/// GET a JSON document with a bearer token (user info, GitHub's API).
pub async fn fetch_json(
    url: String,
    access_token: String,
    timeout: Duration,
    allow_insecure_http: bool,
) -> Result<Value> {
    let parsed = check_url("endpoint", &url, allow_insecure_http)?;
    let request = http::request(Method::GET, &parsed, timeout)?.bearer_auth(access_token);
    let response = http::send(request, &parsed).await?;
    let body: Option<Value> = serde_json::from_slice(&response.body).ok();
    if !response.is_success() {
        if let Some(err) = body_object(&response).and_then(|m| oauth_error(&m, response.status)) {
            return Err(err);
        }
        return Err(Error::HttpStatus {
            status: response.status,
            endpoint: response.endpoint,
        });
    }
    body.ok_or_else(|| Error::InvalidResponse {
        status: response.status,
        endpoint: response.endpoint,
        reason: "not JSON".into(),
    })
}

/// The Rust base of `flet_auth.AuthorizationService`: a Python subclass adds the user and
/// the Flet-facing coroutines, this class holds the provider's settings, the login in
/// progress and the token.
#[pyclass(frozen, subclass, module = "flet_auth._core")]
pub struct ServiceCore {
    /// Set by `_setup`, which the subclass's `__init__` calls: `__new__` takes whatever
    /// arguments a subclass's `__init__` declares.
    slot: OnceLock<Arc<Inner>>,
}

impl ServiceCore {
    fn inner(&self) -> Result<&Arc<Inner>> {
        self.slot.get().ok_or_else(|| {
            Error::Configuration(
                "the service is not set up: call AuthorizationService.__init__".into(),
            )
        })
    }

    /// Whether engine calls must be able to run the app's hook on the caller's loop.
    fn hooked(&self) -> bool {
        self.slot.get().is_some_and(|i| i.on_token_update.is_some())
    }

    fn access_token(&self) -> Result<String> {
        self.inner()?
            .current()
            .map(|c| lock(&c).access_token.clone())
            .ok_or_else(|| Error::Configuration("there is no token yet; log in first".into()))
    }

    /// The scope strings, read from the app's list when it has one.
    fn scope_strings(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let list = match &guard(&self.inner()?.state).scope {
            Scope::Shared(scope) => return Ok(scope.to_vec()),
            Scope::List(list) => list.clone_ref(py),
        };
        list.bind(py).extract().map_err(|_| {
            Error::Configuration("service.scope must be a list of strings".into()).into()
        })
    }
}

fn wrap(cell: Option<TokenCell>) -> Option<OAuthToken> {
    cell.map(OAuthToken::new_shared)
}

#[pymethods]
impl ServiceCore {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        ServiceCore {
            slot: OnceLock::new(),
        }
    }

    /// Reads the provider (any object with the attributes of Flet's `OAuthProvider`) and
    /// composes the scope as Flet does. Called once, by `AuthorizationService.__init__`.
    #[pyo3(signature = (provider, fetch_user, fetch_groups, scope=None, on_token_update=None, redirect_url=None))]
    fn _setup(
        &self,
        provider: &Bound<'_, PyAny>,
        fetch_user: &Bound<'_, PyAny>,
        fetch_groups: &Bound<'_, PyAny>,
        scope: Option<Vec<String>>,
        on_token_update: Option<Py<PyAny>>,
        redirect_url: Option<String>,
    ) -> PyResult<()> {
        if self.slot.get().is_some() {
            return Err(Error::Configuration("the service is already set up".into()).into());
        }
        crate::logging::refresh_levels(provider.py())?;
        let shared = ProviderCache::of(provider)?;
        let shared = shared.get();
        let (user, groups) = (fetch_user.is_truthy()?, fetch_groups.is_truthy()?);
        let scope = match scope {
            None => shared.scope(provider, user, groups)?,
            Some(own) => shared.compose(provider, Some(own), user, groups)?,
        };
        let provider = match redirect_url {
            None => shared.config.clone(),
            Some(url) => Arc::new(shared.config.with_redirect_url(url)),
        };
        let inner = Arc::new(Inner {
            provider,
            state: Mutex::new(State::new(scope)),
            on_token_update,
        });
        self.slot
            .set(inner)
            .map_err(|_| Error::Configuration("the service is already set up".into()).into())
    }

    /// The scope of the next login; a list the app may change in place or replace.
    #[getter]
    fn get_scope<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let shared = match &guard(&self.inner()?.state).scope {
            Scope::List(list) => return Ok(list.bind(py).clone()),
            Scope::Shared(scope) => scope.clone(),
        };
        let list = PyList::new(py, shared.iter())?;
        let mut st = guard(&self.inner()?.state);
        match &st.scope {
            Scope::List(existing) => Ok(existing.bind(py).clone()),
            Scope::Shared(_) => {
                st.scope = Scope::List(list.clone().unbind());
                Ok(list)
            }
        }
    }

    #[setter]
    fn set_scope(&self, scope: Bound<'_, PyList>) -> PyResult<()> {
        guard(&self.inner()?.state).scope = Scope::List(scope.unbind());
        Ok(())
    }

    /// Starts a login: a fresh `state` (and PKCE verifier, and OpenID nonce); returns
    /// `(authorization_url, state)`.
    fn get_authorization_data(&self, py: Python<'_>) -> PyResult<(String, String)> {
        let scope = self.scope_strings(py)?;
        Ok(self.inner()?.authorization_url(&scope)?)
    }

    /// The `state` of the last authorization URL.
    #[getter]
    fn state(&self) -> PyResult<Option<String>> {
        Ok(guard(&self.inner()?.state)
            .last_state
            .as_deref()
            .map(str::to_owned))
    }

    /// Accepts the `state` of a redirect once; raises `StateMismatchError` otherwise.
    fn check_state(&self, state: &str) -> PyResult<()> {
        Ok(self.inner()?.check_state(state)?)
    }

    /// The login in progress (state, PKCE verifier, OpenID nonce) as JSON, for a process that
    /// receives the redirect in place of this one (`restore_login`); None when there is none.
    /// It holds secrets: keep it server side, encrypted.
    fn save_login(&self) -> PyResult<Option<String>> {
        let st = guard(&self.inner()?.state);
        let Some(login) = st.login.as_deref() else {
            return Ok(None);
        };
        let saved = SavedLogin {
            state: login.state.clone(),
            code_verifier: login.code_verifier.clone(),
            nonce: login.nonce.clone(),
            openid: login.openid,
            issued_at: crate::token::now() - login.issued.elapsed().as_secs_f64(),
        };
        serde_json::to_string(&saved)
            .map(Some)
            .map_err(|e| Error::Configuration(format!("cannot save the login: {e}")).into())
    }

    /// Takes over a login saved by `save_login` (in this process or another) so that
    /// `check_state` and `request_token` finish it. An expired login is refused.
    fn restore_login(&self, saved: &str) -> PyResult<()> {
        let saved: SavedLogin = serde_json::from_str(saved)
            .map_err(|_| Error::Configuration("not a login saved by save_login()".into()))?;
        let age = crate::token::now() - saved.issued_at;
        let age = Duration::try_from_secs_f64(age.max(0.0)).unwrap_or(Duration::MAX);
        if age > STATE_TTL {
            return Err(Error::StateMismatch("the login expired; start a new one".into()).into());
        }
        let login = PendingLogin {
            issued: Instant::now().checked_sub(age).unwrap_or_else(Instant::now),
            state: saved.state,
            state_checked: false,
            code_verifier: saved.code_verifier,
            nonce: saved.nonce,
            openid: saved.openid,
        };
        let mut st = guard(&self.inner()?.state);
        st.last_state = Some(login.state.as_str().into());
        st.login = Some(Box::new(login));
        Ok(())
    }

    /// Exchanges the code (an awaitable of `(token, user)`); with `user_endpoint`, also GETs
    /// the user's JSON there, in the same engine task.
    #[pyo3(signature = (code, user_endpoint=None))]
    fn _exchange<'py>(
        &self,
        py: Python<'py>,
        code: String,
        user_endpoint: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner()?.clone();
        py_future_with(py, self.hooked(), move |caller| async move {
            let (cell, user) = inner.login(code, caller, user_endpoint).await?;
            Ok((OAuthToken::new_shared(cell), user.map(PyJson)))
        })
    }

    #[pyo3(signature = (code, user_endpoint=None))]
    fn _exchange_sync(
        &self,
        py: Python<'_>,
        code: String,
        user_endpoint: Option<String>,
    ) -> PyResult<(OAuthToken, Option<PyJson>)> {
        let inner = self.inner()?.clone();
        block_on_with(py, move |caller| async move {
            let (cell, user) = inner.login(code, caller, user_endpoint).await?;
            Ok((OAuthToken::new_shared(cell), user.map(PyJson)))
        })
    }

    /// The current token, refreshed first when it expires within 60 s (an awaitable).
    fn get_token<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let event_loop = bridge::running_loop(py)?;
        if let Some(cell) = self.inner()?.usable_now() {
            return bridge::ready_on(&event_loop, wrap(cell));
        }
        let caller = Caller::of_loop(&event_loop, self.hooked())?;
        match self.inner()?.token_state(caller.clone())? {
            TokenState::Ready(cell) => bridge::ready_on(&event_loop, wrap(cell)),
            TokenState::Refreshing(flight) => {
                let inner = self.inner()?.clone();
                bridge::spawn_on(&event_loop, &caller, async move {
                    flight.await?;
                    Ok(inner.current().map(OAuthToken::new_shared))
                })
            }
        }
    }

    /// `get_token` for code without an event loop.
    fn get_token_sync(&self, py: Python<'_>) -> PyResult<Option<OAuthToken>> {
        if let Some(cell) = self.inner()?.usable_now() {
            return Ok(wrap(cell));
        }
        let inner = self.inner()?.clone();
        block_on_with(py, move |caller| async move {
            inner.get_token(caller).await.map(wrap)
        })
    }

    /// The current token as it is, without refreshing it.
    #[getter]
    fn current_token(&self) -> PyResult<Option<OAuthToken>> {
        Ok(wrap(self.inner()?.current()))
    }

    /// Sets the token from JSON written by `OAuthToken.to_json()`; no request is made.
    fn load_token(&self, saved_token: &str) -> PyResult<()> {
        let data = TokenData::from_json(saved_token)?;
        guard(&self.inner()?.state).token = Some(Arc::new(Mutex::new(data)));
        Ok(())
    }

    /// Forgets the token and any login in progress.
    fn clear(&self) -> PyResult<()> {
        let mut st = guard(&self.inner()?.state);
        st.token = None;
        st.login = None;
        st.id_claims = None;
        Ok(())
    }

    /// The verified claims of the last ID token (OpenID Connect), or None.
    #[getter]
    fn id_token_claims(&self) -> PyResult<Option<PyJson>> {
        Ok(guard(&self.inner()?.state)
            .id_claims
            .as_deref()
            .map(|m| PyJson(Value::Object(m.clone()))))
    }

    #[pyo3(signature = (userinfo_endpoint=None))]
    fn _user_claims<'py>(
        &self,
        py: Python<'py>,
        userinfo_endpoint: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = self.inner()?.clone().user_claims(userinfo_endpoint);
        py_future(py, async move {
            fut.await.map(|c| c.map(|m| PyJson(Value::Object(m))))
        })
    }

    fn _revoke<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py_future(py, self.inner()?.clone().revoke())
    }

    fn _revoke_sync(&self, py: Python<'_>) -> PyResult<()> {
        block_on(py, self.inner()?.clone().revoke())
    }

    /// The provider's logout URL (OpenID Connect RP-initiated logout), with `id_token_hint` of
    /// the current token.
    #[pyo3(signature = (post_logout_redirect_uri=None, state=None))]
    fn end_session_url(
        &self,
        post_logout_redirect_uri: Option<String>,
        state: Option<String>,
    ) -> PyResult<String> {
        Ok(self
            .inner()?
            .end_session_url(post_logout_redirect_uri, state)?)
    }

    fn _fetch_json<'py>(&self, py: Python<'py>, url: String) -> PyResult<Bound<'py, PyAny>> {
        let token = self.access_token()?;
        let p = &self.inner()?.provider;
        let fut = fetch_json(url, token, p.timeout, p.allow_insecure_http);
        py_future(py, async move { fut.await.map(PyJson) })
    }

    fn _fetch_json_sync(&self, py: Python<'_>, url: String) -> PyResult<Py<PyAny>> {
        let token = self.access_token()?;
        let p = &self.inner()?.provider;
        let value = block_on(py, fetch_json(url, token, p.timeout, p.allow_insecure_http))?;
        Ok(PyJson(value).into_pyobject(py)?.unbind())
    }

    /// The redirect URL this service sends (the provider's unless overridden).
    #[getter]
    fn redirect_url(&self) -> PyResult<String> {
        Ok(self.inner()?.provider.redirect_url.clone())
    }
}

/// GET a JSON document with a bearer token: `await fetch_json(url, access_token)`.
#[pyfunction]
#[pyo3(signature = (url, access_token, timeout=None, allow_insecure_http=false))]
pub fn fetch_json_py<'py>(
    py: Python<'py>,
    url: String,
    access_token: String,
    timeout: Option<f64>,
    allow_insecure_http: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let timeout = crate::provider::timeout_from(timeout)?;
    let fut = fetch_json(url, access_token, timeout, allow_insecure_http);
    py_future(py, async move { fut.await.map(PyJson) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    use std::collections::HashMap;

    fn provider(pkce: bool) -> ProviderConfig {
        ProviderConfig {
            client_id: "client".into(),
            client_secret: None,
            authorization_endpoint: "https://idp.invalid/authorize?prompt=login".into(),
            token_endpoint: "https://idp.invalid/token".into(),
            redirect_url: "http://127.0.0.1:8550/cb".into(),
            code_challenge: None,
            code_challenge_method: None,
            code_verifier: None,
            authorization_params: vec![("audience".into(), "api".into())],
            pkce,
            auth_method: crate::provider::TokenEndpointAuthMethod::None,
            timeout: Duration::from_secs(1),
            allow_insecure_http: false,
            revocation_endpoint: None,
            end_session_endpoint: None,
            oidc: None,
        }
    }

    fn inner(pkce: bool) -> Inner {
        Inner {
            provider: Arc::new(provider(pkce)),
            state: Mutex::new(State::new(Arc::from(SCOPE.map(String::from)))),
            on_token_update: None,
        }
    }

    const SCOPE: [&str; 2] = ["openid", "email"];

    fn authorization_url(service: &Inner) -> Result<(String, String)> {
        service.authorization_url(&SCOPE.map(String::from))
    }

    fn query(url: &str) -> HashMap<String, String> {
        Url::parse(url)
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn authorization_url_carries_state_and_a_pkce_s256_challenge_of_the_verifier() {
        let service = inner(true);
        let (url, state) = authorization_url(&service).expect("url");
        let q = query(&url);
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["state"], state);
        assert_eq!(q["prompt"], "login");
        assert_eq!(q["audience"], "api");
        assert_eq!(q["code_challenge_method"], "S256");
        let verifier = guard(&service.state)
            .login
            .as_ref()
            .and_then(|p| p.code_verifier.clone())
            .expect("a verifier");
        assert!(verifier.len() >= 43);
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        assert_eq!(q["code_challenge"], expected);
    }

    #[test]
    fn every_login_gets_fresh_state_and_verifier_of_at_least_128_bits() {
        let service = inner(true);
        let (url1, state1) = authorization_url(&service).expect("url");
        let (url2, state2) = authorization_url(&service).expect("url");
        assert_ne!(state1, state2);
        assert!(
            URL_SAFE_NO_PAD
                .decode(&state1)
                .map(|b| b.len())
                .unwrap_or(0)
                >= 16
        );
        assert_ne!(
            query(&url1)["code_challenge"],
            query(&url2)["code_challenge"]
        );
    }

    #[test]
    fn pkce_can_be_turned_off() {
        let (url, _) = authorization_url(&inner(false)).expect("url");
        assert!(!query(&url).contains_key("code_challenge"));
    }

    #[test]
    fn state_is_accepted_once() {
        let service = inner(true);
        let (_, state) = authorization_url(&service).expect("url");
        assert!(matches!(
            service.check_state("forged"),
            Err(Error::StateMismatch(_))
        ));
        assert!(service.check_state(&state).is_ok());
        assert!(matches!(
            service.check_state(&state),
            Err(Error::StateMismatch(_))
        ));
    }

    #[test]
    fn expired_state_is_refused() {
        let service = inner(true);
        let (_, state) = authorization_url(&service).expect("url");
        if let Some(p) = guard(&service.state).login.as_mut() {
            p.issued = Instant::now() - STATE_TTL - Duration::from_secs(1);
        }
        assert!(matches!(
            service.check_state(&state),
            Err(Error::StateMismatch(_))
        ));
    }

    #[test]
    fn plain_http_authorization_endpoint_off_loopback_is_refused() {
        let mut service = inner(true);
        Arc::make_mut(&mut service.provider).authorization_endpoint =
            "http://idp.invalid/authorize".into();
        assert!(matches!(
            authorization_url(&service),
            Err(Error::InsecureTransport(_))
        ));
        Arc::make_mut(&mut service.provider).authorization_endpoint =
            "http://127.0.0.1:9/authorize".into();
        assert!(authorization_url(&service).is_ok());
    }
}
