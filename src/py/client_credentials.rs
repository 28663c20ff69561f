//! `flet_auth.ClientCredentialsService`: a token in the client's own name (RFC 6749 §4.4),
//! fetched on first use and fetched anew before it expires; the engine is `service::Service`.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping, PyString};

use crate::errors::{Error, Result};
use crate::py::fetch::{fetch_awaitable, fetch_blocking, type_name, FetchArgs, FetchResponse};
use crate::py::provider::ProviderCache;
use crate::py::service::{get_token_awaitable, get_token_blocking};
use crate::py::token::OAuthToken;
use crate::rfc6749::token::TokenCell;
use crate::service::client_credentials::ClientCredentials;
use crate::service::Service;
use crate::transport::display;

/// The app's `scope`: a list (or tuple) of strings, or one space-separated string.
fn scope_from_py(scope: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(text) = scope.cast::<PyString>() {
        return Ok(text
            .to_cow()?
            .split_whitespace()
            .map(str::to_owned)
            .collect());
    }
    scope.extract::<Vec<String>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "scope must be a list of strings or a space-separated string, not {}",
            type_name(scope)
        ))
    })
}

/// The app's `params`: a mapping of strings to strings, in its order.
fn params_from_py(params: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mapping = params.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "params must be a mapping of str to str, not {}",
            type_name(params)
        ))
    })?;
    let mut out = Vec::with_capacity(mapping.len()?);
    for item in mapping.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key = key.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "params must be a mapping of str to str: a key is {}",
                type_name(&key)
            ))
        })?;
        let name = key.to_cow()?.into_owned();
        let value = value.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "params must be a mapping of str to str: params[{name:?}] is {}",
                type_name(&value)
            ))
        })?;
        out.push((name, value.to_cow()?.into_owned()));
    }
    Ok(out)
}

fn token(cell: Option<TokenCell>) -> Result<OAuthToken> {
    cell.map(OAuthToken::new_shared)
        .ok_or_else(|| Error::Internal("the token was cleared while it was fetched".into()))
}

/// A token in the client's own name (RFC 6749 §4.4): fetched on first use and fetched anew
/// within `REFRESH_LEEWAY` seconds of its expiry, by one request for all concurrent callers.
#[pyclass(frozen, module = "flet_auth", name = "ClientCredentialsService")]
pub struct ClientCredentialsService {
    service: Arc<Service>,
    provider: Py<PyAny>,
    on_token_update: Option<Arc<Py<PyAny>>>,
}

impl ClientCredentialsService {
    fn grant(&self) -> Result<&ClientCredentials> {
        self.service
            .client_credentials()
            .ok_or_else(|| Error::Internal("not a client credentials service".into()))
    }
}

#[pymethods]
impl ClientCredentialsService {
    #[new]
    #[pyo3(signature = (provider, scope=None, params=None, *, on_token_update=None))]
    fn new(
        provider: &Bound<'_, PyAny>,
        scope: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
        on_token_update: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let scope = scope
            .filter(|s| !s.is_none())
            .map(scope_from_py)
            .transpose()?;
        let params = match params.filter(|p| !p.is_none()) {
            Some(params) => params_from_py(params)?,
            None => Vec::new(),
        };
        if on_token_update
            .as_ref()
            .is_some_and(|h| !h.bind(provider.py()).is_callable())
        {
            return Err(PyTypeError::new_err("on_token_update must be callable"));
        }
        crate::py::logging::refresh_levels(provider.py())?;
        let shared = ProviderCache::of(provider)?;
        let shared = shared.get();
        // The provider's `scopes` are a login's (openid, offline_access...): not sent here.
        let grant = ClientCredentials::new(scope.unwrap_or_default(), params)?;
        Ok(ClientCredentialsService {
            service: Arc::new(Service::for_client_credentials(
                shared.config.clone(),
                grant,
            )),
            provider: provider.clone().unbind(),
            on_token_update: on_token_update.map(Arc::new),
        })
    }

    /// The token, fetched first when there is none or it expires within `REFRESH_LEEWAY`
    /// seconds (an awaitable).
    fn get_token<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        get_token_awaitable(py, &self.service, &self.on_token_update, token)
    }

    /// `get_token` for code without an event loop.
    fn get_token_sync(&self, py: Python<'_>) -> PyResult<OAuthToken> {
        get_token_blocking(py, &self.service, &self.on_token_update, token)
    }

    /// Calls an API with the token (fetched first when there is none or it is due): an
    /// awaitable of a `FetchResponse`. A relative `url` is appended to
    /// `provider.api_base_url`.
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
        let me = slf.get();
        let call = args.request(Some(me.provider.bind(slf.py())), &me.service.provider)?;
        fetch_awaitable(slf.py(), &me.service, &me.on_token_update, call)
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
        let me = slf.get();
        let call = args.request(Some(me.provider.bind(slf.py())), &me.service.provider)?;
        fetch_blocking(slf.py(), &me.service, &me.on_token_update, call)
    }

    /// The current token as it is, without fetching one; None before the first fetch.
    #[getter]
    fn current_token(&self) -> Option<OAuthToken> {
        self.service.current().map(OAuthToken::new_shared)
    }

    #[getter]
    fn provider(&self, py: Python<'_>) -> Py<PyAny> {
        self.provider.clone_ref(py)
    }

    /// The scope sent (space-separated) on every fetch; empty: none is sent (the provider's
    /// default for the client, RFC 6749 §3.3).
    #[getter]
    fn scope(&self) -> PyResult<Vec<String>> {
        Ok(self.grant()?.scope.clone())
    }

    /// The extra parameters sent on every fetch (a copy).
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in &self.grant()?.params {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    #[getter]
    fn on_token_update(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.on_token_update.as_ref().map(|h| h.clone_ref(py))
    }

    /// Names the client and the endpoint; never a secret, a token or a parameter's value.
    fn __repr__(&self) -> PyResult<String> {
        let grant = self.grant()?;
        let p = &self.service.provider;
        let names: Vec<&str> = grant.params.iter().map(|(k, _)| k.as_str()).collect();
        Ok(format!(
            "ClientCredentialsService(client_id={:?}, token_endpoint={:?}, scope={:?}, params={:?})",
            p.client.client_id,
            display(&p.token_endpoint),
            grant.scope,
            names
        ))
    }
}
