//! Provider settings read from any object with the attributes of Flet's `OAuthProvider`
//! (ours, Flet's own, or a subclass of either), and the cache that shares them.

use std::sync::{Arc, OnceLock};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::Error;
use crate::rfc6749::provider::{compose_scope, ProviderConfig, ProviderSettings};
use crate::rfc7523::{AssertionSigner, ClientKey};

/// `provider.name`, or None when it is missing or None.
fn attr<'py>(provider: &Bound<'py, PyAny>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(provider.getattr_opt(name)?.filter(|v| !v.is_none()))
}

fn text(provider: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<String>> {
    attr(provider, name)?
        .map(|v| {
            v.extract::<String>().map_err(|_| {
                Error::Configuration(format!("provider.{name} must be a string")).into()
            })
        })
        .transpose()
}

fn required(provider: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    text(provider, name)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::Configuration(format!("provider.{name} is required")).into())
}

/// `provider.client_key`: a private JWK (its string members) or a PEM string. The error names
/// the setting, never the key.
fn client_key(provider: &Bound<'_, PyAny>) -> PyResult<Option<ClientKey>> {
    attr(provider, "client_key")?.map(client_key_of).transpose()
}

fn client_key_of(key: Bound<'_, PyAny>) -> PyResult<ClientKey> {
    if let Ok(pem) = key.extract::<String>() {
        return Ok(ClientKey::Pem(pem));
    }
    let jwk = key.cast_into::<PyDict>().map_err(|_| {
        Error::Configuration("provider.client_key must be a JWK dict or a PEM string".into())
    })?;
    let mut members = serde_json::Map::new();
    for (k, v) in jwk.iter() {
        if let (Ok(k), Ok(v)) = (k.extract::<String>(), v.extract::<String>()) {
            members.insert(k, serde_json::Value::String(v));
        }
    }
    Ok(ClientKey::Jwk(members))
}

/// Checks a `client_key` and `client_key_alg` as a provider reads them, so that an app can
/// refuse a bad key when it is configured: a `ConfigurationError` naming the setting, never
/// the key.
#[pyfunction]
#[pyo3(signature = (client_key, client_key_alg=None))]
pub fn check_client_key(
    client_key: Bound<'_, PyAny>,
    client_key_alg: Option<&str>,
) -> PyResult<()> {
    AssertionSigner::private_key(client_key_of(client_key)?, client_key_alg)?;
    Ok(())
}

/// `provider.dpop_key`: a private JWK dict. The error names the setting, never the key.
fn dpop_key(
    provider: &Bound<'_, PyAny>,
) -> PyResult<Option<serde_json::Map<String, serde_json::Value>>> {
    let Some(key) = attr(provider, "dpop_key")? else {
        return Ok(None);
    };
    let jwk = key.cast_into::<PyDict>().map_err(|_| {
        Error::Configuration("provider.dpop_key must be a private EC P-256 JWK dict".into())
    })?;
    let mut members = serde_json::Map::new();
    for (k, v) in jwk.iter() {
        if let (Ok(k), Ok(v)) = (k.extract::<String>(), v.extract::<String>()) {
            members.insert(k, serde_json::Value::String(v));
        }
    }
    Ok(Some(members))
}

/// Reads and checks a provider's settings.
pub fn read(provider: &Bound<'_, PyAny>) -> PyResult<ProviderConfig> {
    let mut authorization_params = Vec::new();
    if let Some(params) = attr(provider, "authorization_params")? {
        let params = params.cast_into::<PyDict>().map_err(|_| {
            Error::Configuration("provider.authorization_params must be a dict".into())
        })?;
        for (k, v) in params.iter() {
            authorization_params.push((k.str()?.to_string(), v.str()?.to_string()));
        }
    }
    let timeout = attr(provider, "timeout")?
        .map(|v| v.extract::<f64>())
        .transpose()
        .map_err(|_| Error::Configuration("provider.timeout must be a number".into()))?;
    let max_response_size = attr(provider, "max_response_size")?
        .map(|v| v.extract::<u64>())
        .transpose()
        .map_err(|_| {
            Error::Configuration("provider.max_response_size must be a positive integer".into())
        })?;
    let flag = |name: &str, default: bool| -> PyResult<bool> {
        Ok(match attr(provider, name)? {
            Some(v) => v.is_truthy()?,
            None => default,
        })
    };
    let oidc = match text(provider, "jwks_uri")? {
        Some(jwks_uri) => {
            let algorithms = attr(provider, "id_token_signing_alg_values_supported")?
                .map(|v| v.extract::<Vec<String>>())
                .transpose()?
                .unwrap_or_default();
            Some((required(provider, "issuer")?, jwks_uri, algorithms))
        }
        None => None,
    };
    let settings = ProviderSettings {
        client_id: required(provider, "client_id")?,
        client_secret: text(provider, "client_secret")?,
        token_endpoint_auth_method: text(provider, "token_endpoint_auth_method")?,
        client_key: client_key(provider)?,
        client_key_alg: text(provider, "client_key_alg")?,
        authorization_endpoint: text(provider, "authorization_endpoint")?.unwrap_or_default(),
        token_endpoint: required(provider, "token_endpoint")?,
        redirect_url: text(provider, "redirect_url")?.unwrap_or_default(),
        code_challenge: text(provider, "code_challenge")?,
        code_challenge_method: text(provider, "code_challenge_method")?,
        code_verifier: text(provider, "code_verifier")?,
        authorization_params,
        pkce: flag("pkce", true)?,
        timeout,
        allow_insecure_http: flag("allow_insecure_http", false)?,
        max_response_size,
        revocation_endpoint: text(provider, "revocation_endpoint")?,
        revocation_endpoint_auth_method: text(provider, "revocation_endpoint_auth_method")?,
        revocation_endpoint_auth_methods_supported: attr(
            provider,
            "revocation_endpoint_auth_methods_supported",
        )?
        .map(|v| {
            v.extract::<Vec<String>>().map_err(|_| {
                Error::Configuration(
                    "revocation_endpoint_auth_methods_supported must be a list of strings".into(),
                )
            })
        })
        .transpose()?,
        end_session_endpoint: text(provider, "end_session_endpoint")?,
        device_authorization_endpoint: text(provider, "device_authorization_endpoint")?,
        oidc,
        issuer: text(provider, "issuer")?,
        iss_parameter_supported: flag("authorization_response_iss_parameter_supported", false)?,
        pushed_authorization_request_endpoint: text(
            provider,
            "pushed_authorization_request_endpoint",
        )?,
        require_pushed_authorization_requests: flag(
            "require_pushed_authorization_requests",
            false,
        )?,
        use_par: attr(provider, "use_par")?
            .map(|v| v.is_truthy())
            .transpose()?,
        dpop: flag("dpop", false)?,
        dpop_key: dpop_key(provider)?,
    };
    Ok(ProviderConfig::new(settings)?)
}

/// A provider's settings and composed scopes, shared by every service of the provider.
///
/// Kept on providers whose class sets `_flet_auth_caches_config` (ours: their `__setattr__`
/// drops it, so a changed attribute is read again); other providers are read per service.
#[pyclass(frozen, module = "flet_auth._core")]
pub struct ProviderCache {
    pub config: Arc<ProviderConfig>,
    /// The composed scope for (fetch_user, fetch_groups), indexed `user | groups << 1`.
    scopes: [OnceLock<Arc<[String]>>; 4],
}

const CACHE_ATTR: &str = "_flet_auth_config";

impl ProviderCache {
    pub fn of<'py>(provider: &Bound<'py, PyAny>) -> PyResult<Bound<'py, ProviderCache>> {
        let py = provider.py();
        if let Some(cached) = attr(provider, CACHE_ATTR)? {
            if let Ok(cache) = cached.cast_into::<ProviderCache>() {
                return Ok(cache);
            }
        }
        let cache = Bound::new(
            py,
            ProviderCache {
                config: Arc::new(read(provider)?),
                scopes: Default::default(),
            },
        )?;
        let caches = attr(provider, "_flet_auth_caches_config")?;
        if caches.map(|v| v.is_truthy()).transpose()?.unwrap_or(false) {
            provider.setattr(intern!(py, CACHE_ATTR), &cache)?;
        }
        Ok(cache)
    }

    /// The scope of a service made without its own `scope`.
    pub fn scope(
        &self,
        provider: &Bound<'_, PyAny>,
        fetch_user: bool,
        fetch_groups: bool,
    ) -> PyResult<Arc<[String]>> {
        let slot = &self.scopes[usize::from(fetch_user) | usize::from(fetch_groups) << 1];
        if let Some(scope) = slot.get() {
            return Ok(scope.clone());
        }
        let scope = self.compose(provider, None, fetch_user, fetch_groups)?;
        Ok(slot.get_or_init(|| scope).clone())
    }

    /// Flet's composition: `scope`, the provider's scopes, then user and group scopes.
    pub fn compose(
        &self,
        provider: &Bound<'_, PyAny>,
        scope: Option<Vec<String>>,
        fetch_user: bool,
        fetch_groups: bool,
    ) -> PyResult<Arc<[String]>> {
        let list = |name: &str| -> PyResult<Option<Vec<String>>> {
            attr(provider, name)?
                .map(|v| {
                    v.extract::<Vec<String>>().map_err(|_| {
                        Error::Configuration(format!("provider.{name} must be a list of strings"))
                            .into()
                    })
                })
                .transpose()
        };
        let user = if fetch_user {
            list("user_scopes")?
        } else {
            None
        };
        let groups = if fetch_groups {
            list("group_scopes")?
        } else {
            None
        };
        Ok(compose_scope(scope, list("scopes")?, user, groups).into())
    }
}
