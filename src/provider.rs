//! What the engine needs to know of a provider, read from any object with the attributes of
//! Flet's `OAuthProvider` (ours, Flet's own, or a subclass of either).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use oauth2::ClientSecret;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use reqwest::RequestBuilder;

use crate::errors::{Error, Result};
use crate::runtime::DEFAULT_TIMEOUT;

/// How the client authenticates at the token endpoint (RFC 7591 §2 names).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TokenEndpointAuthMethod {
    ClientSecretPost,
    ClientSecretBasic,
    None,
}

impl TokenEndpointAuthMethod {
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "none" => Ok(Self::None),
            other => Err(Error::Configuration(format!(
                "token_endpoint_auth_method must be client_secret_post, client_secret_basic or none, not {other:?}"
            ))),
        }
    }
}

/// The provider settings, copied out of the Python object (once per provider, see
/// [`ProviderCache`]).
#[derive(Clone)]
pub struct ProviderConfig {
    pub client_id: String,
    pub client_secret: Option<ClientSecret>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub redirect_url: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub code_verifier: Option<String>,
    pub authorization_params: Vec<(String, String)>,
    pub pkce: bool,
    pub auth_method: TokenEndpointAuthMethod,
    pub timeout: Duration,
    pub allow_insecure_http: bool,
    pub revocation_endpoint: Option<String>,
    pub end_session_endpoint: Option<String>,
    /// Set for OpenID Connect providers (those that publish a `jwks_uri`).
    pub oidc: Option<OidcConfig>,
}

/// What an OpenID Connect provider's discovery document says about its ID tokens.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    pub issuer: String,
    pub jwks_uri: String,
    pub algorithms: Vec<String>,
}

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

/// Parses a timeout in seconds; `None` means the default.
pub fn timeout_from(value: Option<f64>) -> Result<Duration> {
    match value {
        None => Ok(DEFAULT_TIMEOUT),
        Some(secs) if secs.is_finite() && secs > 0.0 => Ok(Duration::from_secs_f64(secs)),
        Some(_) => Err(Error::Configuration(
            "timeout must be a positive number of seconds".into(),
        )),
    }
}

impl ProviderConfig {
    pub fn from_py(provider: &Bound<'_, PyAny>) -> PyResult<Self> {
        let client_secret = text(provider, "client_secret")?
            .filter(|s| !s.is_empty())
            .map(ClientSecret::new);
        let auth_method = match text(provider, "token_endpoint_auth_method")? {
            Some(name) => TokenEndpointAuthMethod::parse(&name)?,
            None => TokenEndpointAuthMethod::ClientSecretPost,
        };
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
        let flag = |name: &str, default: bool| -> PyResult<bool> {
            Ok(match attr(provider, name)? {
                Some(v) => v.is_truthy()?,
                None => default,
            })
        };
        let oidc = match text(provider, "jwks_uri")? {
            Some(jwks_uri) => Some(OidcConfig {
                issuer: required(provider, "issuer")?,
                jwks_uri,
                algorithms: attr(provider, "id_token_signing_alg_values_supported")?
                    .map(|v| v.extract::<Vec<String>>())
                    .transpose()?
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| vec!["RS256".to_owned()]),
            }),
            None => None,
        };
        Ok(ProviderConfig {
            revocation_endpoint: text(provider, "revocation_endpoint")?,
            end_session_endpoint: text(provider, "end_session_endpoint")?,
            oidc,
            client_id: required(provider, "client_id")?,
            client_secret,
            authorization_endpoint: required(provider, "authorization_endpoint")?,
            token_endpoint: required(provider, "token_endpoint")?,
            redirect_url: required(provider, "redirect_url")?,
            code_challenge: text(provider, "code_challenge")?,
            code_challenge_method: text(provider, "code_challenge_method")?,
            code_verifier: text(provider, "code_verifier")?,
            authorization_params,
            pkce: flag("pkce", true)?,
            auth_method,
            timeout: timeout_from(timeout)?,
            allow_insecure_http: flag("allow_insecure_http", false)?,
        })
    }

    /// The same settings with another redirect URL (a loopback port chosen at run time).
    pub fn with_redirect_url(&self, redirect_url: String) -> Self {
        ProviderConfig {
            redirect_url,
            ..self.clone()
        }
    }

    /// Adds client authentication to a token endpoint request whose form is `form`.
    pub fn authenticate(
        &self,
        request: RequestBuilder,
        form: &mut Vec<(&'static str, String)>,
    ) -> RequestBuilder {
        let secret = self.client_secret.as_ref().map(|s| s.secret().clone());
        match (self.auth_method, secret) {
            (TokenEndpointAuthMethod::ClientSecretBasic, Some(secret)) => {
                // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
                let enc = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let credentials =
                    STANDARD.encode(format!("{}:{}", enc(&self.client_id), enc(&secret)));
                request.header(
                    reqwest::header::AUTHORIZATION,
                    format!("Basic {credentials}"),
                )
            }
            (TokenEndpointAuthMethod::ClientSecretPost, Some(secret)) => {
                form.push(("client_id", self.client_id.clone()));
                form.push(("client_secret", secret));
                request
            }
            _ => {
                form.push(("client_id", self.client_id.clone()));
                request
            }
        }
    }
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
                config: Arc::new(ProviderConfig::from_py(provider)?),
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

/// The scope of a login, composed as Flet composes it (the caller's scope, the provider's
/// scopes, then user and group scopes when they are fetched), without duplicates and without
/// touching the caller's list.
pub fn compose_scope(
    scope: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    user_scopes: Option<Vec<String>>,
    group_scopes: Option<Vec<String>>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in [scope, scopes, user_scopes, group_scopes]
        .into_iter()
        .flatten()
        .flatten()
    {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}
