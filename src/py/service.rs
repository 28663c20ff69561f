//! `ServiceCore`, the Rust base of `flet_auth.AuthorizationService`: converts, releases the
//! GIL and bridges to asyncio; the engine is `service::Service`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use serde_json::Value;

use crate::errors::{Error, Result};
use crate::py::bridge::{self, block_on, block_on_with, py_future, py_future_with, Caller};
use crate::py::device::DeviceAuthorizationResponse;
use crate::py::fetch::{fetch_awaitable, fetch_blocking, FetchArgs, FetchResponse};
use crate::py::hooks;
use crate::py::json::PyJson;
use crate::py::provider::ProviderCache;
use crate::py::token::OAuthToken;
use crate::rfc6749::authorization::PendingLogin;
use crate::rfc6749::redirect::authorization_response;
use crate::rfc6749::token::{TokenCell, TokenData};
use crate::service::{Service, TokenState};

/// The scope of the service: the provider's composed scope, shared by every service of the
/// provider, until the app reads or sets `service.scope`, which makes it this list.
enum Scope {
    Shared(Arc<[String]>),
    List(Py<PyList>),
}

struct Inner {
    service: Arc<Service>,
    scope: Mutex<Scope>,
    on_token_update: Option<Arc<Py<PyAny>>>,
}

/// The Rust base of `flet_auth.AuthorizationService`: a Python subclass adds the user and
/// the Flet-facing coroutines, this class holds the provider's settings, the login in
/// progress and the token.
#[pyclass(frozen, subclass, module = "flet_auth._core")]
pub struct ServiceCore {
    /// Set by `_setup`, which the subclass's `__init__` calls: `__new__` takes whatever
    /// arguments a subclass's `__init__` declares.
    slot: OnceLock<Inner>,
}

impl ServiceCore {
    fn inner(&self) -> Result<&Inner> {
        self.slot.get().ok_or_else(|| {
            Error::Configuration(
                "the service is not set up: call AuthorizationService.__init__".into(),
            )
        })
    }

    fn service(&self) -> Result<&Arc<Service>> {
        Ok(&self.inner()?.service)
    }

    /// Whether engine calls must be able to run the app's hook on the caller's loop.
    fn hooked(&self) -> bool {
        self.slot.get().is_some_and(|i| i.on_token_update.is_some())
    }

    fn scope(&self) -> Result<std::sync::MutexGuard<'_, Scope>> {
        Ok(self
            .inner()?
            .scope
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
    }

    /// The scope strings, read from the app's list when it has one.
    fn scope_strings(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let list = match &*self.scope()? {
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

/// A service's `get_token`: an awaitable of the current token, renewed first when it is due
/// (`hook` gets the new token); `out` makes the Python value.
pub fn get_token_awaitable<'py, T>(
    py: Python<'py>,
    service: &Arc<Service>,
    hook: &Option<Arc<Py<PyAny>>>,
    out: fn(Option<TokenCell>) -> Result<T>,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = bridge::running_loop(py)?;
    if let Some(cell) = service.usable_now() {
        return bridge::ready_on(&event_loop, out(cell)?);
    }
    let caller = Caller::of_loop(&event_loop, hook.is_some())?;
    match service.token_state(hooks::notify(hook, &caller))? {
        TokenState::Ready(cell) => bridge::ready_on(&event_loop, out(cell)?),
        TokenState::Refreshing(flight) => {
            let service = service.clone();
            bridge::spawn_on(&event_loop, &caller, async move {
                flight.await?;
                out(service.current())
            })
        }
    }
}

/// `get_token_awaitable` for code without an event loop.
pub fn get_token_blocking<T: Send + 'static>(
    py: Python<'_>,
    service: &Arc<Service>,
    hook: &Option<Arc<Py<PyAny>>>,
    out: fn(Option<TokenCell>) -> Result<T>,
) -> PyResult<T> {
    if let Some(cell) = service.usable_now() {
        return Ok(out(cell)?);
    }
    let service = service.clone();
    let hook = hook.clone();
    block_on_with(py, move |caller| async move {
        let notify = hooks::notify(&hook, &caller);
        out(service.get_token(notify).await?)
    })
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
        crate::py::logging::refresh_levels(provider.py())?;
        let shared = ProviderCache::of(provider)?;
        let shared = shared.get();
        let (user, groups) = (fetch_user.is_truthy()?, fetch_groups.is_truthy()?);
        let scope = match scope {
            None => shared.scope(provider, user, groups)?,
            Some(own) => shared.compose(provider, Some(own), user, groups)?,
        };
        let config = match redirect_url {
            None => shared.config.clone(),
            Some(url) => Arc::new(shared.config.with_redirect_url(url)),
        };
        let inner = Inner {
            service: Arc::new(Service::new(config)),
            scope: Mutex::new(Scope::Shared(scope)),
            on_token_update: on_token_update.map(Arc::new),
        };
        self.slot
            .set(inner)
            .map_err(|_| Error::Configuration("the service is already set up".into()).into())
    }

    /// The scope of the next login; a list the app may change in place or replace.
    #[getter]
    fn get_scope<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let shared = match &*self.scope()? {
            Scope::List(list) => return Ok(list.bind(py).clone()),
            Scope::Shared(scope) => scope.clone(),
        };
        let list = PyList::new(py, shared.iter())?;
        let mut scope = self.scope()?;
        match &*scope {
            Scope::List(existing) => Ok(existing.bind(py).clone()),
            Scope::Shared(_) => {
                *scope = Scope::List(list.clone().unbind());
                Ok(list)
            }
        }
    }

    #[setter]
    fn set_scope(&self, scope: Bound<'_, PyList>) -> PyResult<()> {
        *self.scope()? = Scope::List(scope.unbind());
        Ok(())
    }

    /// Whether the provider is an OpenID Connect provider (it publishes a `jwks_uri`).
    #[getter]
    fn is_openid(&self) -> PyResult<bool> {
        Ok(self.service()?.provider.oidc.is_some())
    }

    /// Starts a login: a fresh `state` (and PKCE verifier, and OpenID nonce); returns
    /// `(authorization_url, state)`.
    fn get_authorization_data(&self, py: Python<'_>) -> PyResult<(String, String)> {
        let scope = self.scope_strings(py)?;
        Ok(self.service()?.authorization_url(&scope)?)
    }

    /// Whether logins push their authorization request (RFC 9126): the provider's `use_par`
    /// and `require_pushed_authorization_requests`; a `ConfigurationError` when the two
    /// cannot work together.
    #[getter]
    fn uses_par(&self) -> PyResult<bool> {
        Ok(crate::rfc9126::pushes(&self.service()?.provider)?)
    }

    /// Starts a login as `get_authorization_data` does, first pushing the authorization
    /// request (RFC 9126) when the provider takes pushed requests: an awaitable of
    /// `(authorization_url, state)`.
    fn start_authorization<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let scope = self.scope_strings(py)?;
        let service = self.service()?.clone();
        py_future(py, service.start_authorization(scope))
    }

    /// `start_authorization` for code without an event loop.
    fn start_authorization_sync(&self, py: Python<'_>) -> PyResult<(String, String)> {
        let scope = self.scope_strings(py)?;
        let service = self.service()?.clone();
        block_on(py, service.start_authorization(scope))
    }

    /// The `state` of the last authorization URL.
    #[getter]
    fn state(&self) -> PyResult<Option<String>> {
        Ok(self
            .service()?
            .state()
            .last_state
            .as_deref()
            .map(str::to_owned))
    }

    /// Accepts the `state` of a redirect once; raises `StateMismatchError` otherwise.
    fn check_state(&self, state: &str) -> PyResult<()> {
        Ok(self.service()?.check_state(state)?)
    }

    /// Reads the redirect's query (a dict): an `error` raises `OAuthError`, the `state` is
    /// checked as `check_state` does, then the `iss` (RFC 9207: `IssuerMismatchError`, and
    /// the login ends), and the code is returned.
    fn check_authorization_response(&self, params: HashMap<String, String>) -> PyResult<String> {
        let response = authorization_response(&params)?;
        let state = response
            .state
            .ok_or_else(|| Error::StateMismatch("the redirect carries no state".into()))?;
        let service = self.service()?;
        service.check_state(&state)?;
        service.check_issuer(response.iss.as_deref())?;
        Ok(response.code)
    }

    /// The login in progress (state, PKCE verifier, OpenID nonce) as JSON, for a process that
    /// receives the redirect in place of this one (`restore_login`); None when there is none.
    /// It holds secrets: keep it server side, encrypted.
    fn save_login(&self) -> PyResult<Option<String>> {
        let service = self.service()?;
        let st = service.state();
        Ok(st.login.as_deref().map(PendingLogin::save).transpose()?)
    }

    /// Takes over a login saved by `save_login` (in this process or another) so that
    /// `check_state` and `request_token` finish it. An expired login is refused.
    fn restore_login(&self, saved: &str) -> PyResult<()> {
        self.service()?.take_over(PendingLogin::restore(saved)?);
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
        let service = self.service()?.clone();
        let hook = self.inner()?.on_token_update.clone();
        py_future_with(py, self.hooked(), move |caller| async move {
            let notify = hooks::notify(&hook, &caller);
            let (cell, user) = service.login(code, notify, user_endpoint).await?;
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
        let service = self.service()?.clone();
        let hook = self.inner()?.on_token_update.clone();
        block_on_with(py, move |caller| async move {
            let notify = hooks::notify(&hook, &caller);
            let (cell, user) = service.login(code, notify, user_endpoint).await?;
            Ok((OAuthToken::new_shared(cell), user.map(PyJson)))
        })
    }

    /// Starts a device login (RFC 8628 §3.1) for the service's scope: an awaitable of the
    /// provider's codes, whose `_wait` polls for the token.
    fn _start_device_login<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let scope = self.scope_strings(py)?;
        let (service, hook) = (
            self.service()?.clone(),
            self.inner()?.on_token_update.clone(),
        );
        py_future(py, async move {
            let device = service.clone().start_device_login(scope).await?;
            Ok(DeviceAuthorizationResponse::new(service, hook, device))
        })
    }

    fn _start_device_login_sync(&self, py: Python<'_>) -> PyResult<DeviceAuthorizationResponse> {
        let scope = self.scope_strings(py)?;
        let (service, hook) = (
            self.service()?.clone(),
            self.inner()?.on_token_update.clone(),
        );
        block_on(py, async move {
            let device = service.clone().start_device_login(scope).await?;
            Ok(DeviceAuthorizationResponse::new(service, hook, device))
        })
    }

    /// The current token, refreshed first when it expires within 60 s (an awaitable).
    fn get_token<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner()?;
        get_token_awaitable(py, &inner.service, &inner.on_token_update, |c| Ok(wrap(c)))
    }

    /// `get_token` for code without an event loop.
    fn get_token_sync(&self, py: Python<'_>) -> PyResult<Option<OAuthToken>> {
        let inner = self.inner()?;
        get_token_blocking(py, &inner.service, &inner.on_token_update, |c| Ok(wrap(c)))
    }

    /// Calls an API with the current token (refreshed first when due): an awaitable of a
    /// `FetchResponse`. A relative `url` is appended to `provider.api_base_url`.
    #[pyo3(signature = (method, url, *, params=None, json=None, data=None, headers=None))]
    fn fetch<'py>(
        slf: &Bound<'py, Self>,
        method: &str,
        url: &str,
        params: Option<&Bound<'py, PyAny>>,
        json: Option<&Bound<'py, PyAny>>,
        data: Option<&Bound<'py, PyAny>>,
        headers: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = FetchArgs {
            method,
            url,
            params,
            json,
            data,
            headers,
        };
        let inner = slf.get().inner()?;
        let provider = slf.getattr_opt("provider")?;
        let call = args.request(provider.as_ref(), &inner.service.provider)?;
        fetch_awaitable(slf.py(), &inner.service, &inner.on_token_update, call)
    }

    /// `fetch` for code without an event loop.
    #[pyo3(signature = (method, url, *, params=None, json=None, data=None, headers=None))]
    fn fetch_sync<'py>(
        slf: &Bound<'py, Self>,
        method: &str,
        url: &str,
        params: Option<&Bound<'py, PyAny>>,
        json: Option<&Bound<'py, PyAny>>,
        data: Option<&Bound<'py, PyAny>>,
        headers: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<FetchResponse> {
        let args = FetchArgs {
            method,
            url,
            params,
            json,
            data,
            headers,
        };
        let inner = slf.get().inner()?;
        let provider = slf.getattr_opt("provider")?;
        let call = args.request(provider.as_ref(), &inner.service.provider)?;
        fetch_blocking(slf.py(), &inner.service, &inner.on_token_update, call)
    }

    /// The current token as it is, without refreshing it.
    #[getter]
    fn current_token(&self) -> PyResult<Option<OAuthToken>> {
        Ok(wrap(self.service()?.current()))
    }

    /// Sets the token from JSON written by `OAuthToken.to_json()`; no request is made.
    fn load_token(&self, saved_token: &str) -> PyResult<()> {
        self.service()?
            .set_token(TokenData::from_json(saved_token)?);
        Ok(())
    }

    /// Forgets the token and any login in progress.
    fn clear(&self) -> PyResult<()> {
        self.service()?.clear();
        Ok(())
    }

    /// The verified claims of the last ID token (OpenID Connect), or None.
    #[getter]
    fn id_token_claims(&self) -> PyResult<Option<PyJson>> {
        Ok(self
            .service()?
            .state()
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
        let fut = self.service()?.clone().user_claims(userinfo_endpoint);
        py_future(py, async move {
            fut.await.map(|c| c.map(|m| PyJson(Value::Object(m))))
        })
    }

    #[pyo3(signature = (missing_ok=false))]
    fn _revoke<'py>(&self, py: Python<'py>, missing_ok: bool) -> PyResult<Bound<'py, PyAny>> {
        py_future(py, self.service()?.clone().revoke(missing_ok))
    }

    #[pyo3(signature = (missing_ok=false))]
    fn _revoke_sync(&self, py: Python<'_>, missing_ok: bool) -> PyResult<bool> {
        block_on(py, self.service()?.clone().revoke(missing_ok))
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
            .service()?
            .end_session_url(post_logout_redirect_uri.as_deref(), state.as_deref())?)
    }

    fn _fetch_json<'py>(&self, py: Python<'py>, url: String) -> PyResult<Bound<'py, PyAny>> {
        let service = self.service()?.clone();
        let (token, key) = service.access()?;
        py_future(py, async move {
            service.get_json(url, token, key).await.map(PyJson)
        })
    }

    fn _fetch_json_sync(&self, py: Python<'_>, url: String) -> PyResult<Py<PyAny>> {
        let service = self.service()?.clone();
        let (token, key) = service.access()?;
        let value = block_on(py, async move { service.get_json(url, token, key).await })?;
        Ok(PyJson(value).into_pyobject(py)?.unbind())
    }

    /// The redirect URL this service sends (the provider's unless overridden).
    #[getter]
    fn redirect_url(&self) -> PyResult<String> {
        Ok(self.service()?.provider.redirect_url.clone())
    }
}
