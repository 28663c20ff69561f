//! What the engine knows of a provider: its endpoints (checked when the settings are built, so
//! a bad URL fails before the user is sent to the provider), the client's credentials and how
//! it authenticates, and the login's options. Read from Python by `py::provider`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use url::Url;

use crate::errors::{Error, Result};
use crate::rfc6749::client_auth::{ClientAuth, ClientAuthMethod};
use crate::rfc7523::ClientKey;
use crate::rfc9449::DpopKey;
use crate::transport::client::DEFAULT_TIMEOUT;
use crate::transport::{check_url, Policy, DEFAULT_MAX_RESPONSE_SIZE};

/// The provider settings, shared by every service of the provider.
#[derive(Clone)]
pub struct ProviderConfig {
    pub client: ClientAuth,
    /// None for a provider used only without a browser (client credentials, device logins):
    /// read through `authorization_endpoint()`.
    pub authorization_endpoint: Option<Url>,
    pub token_endpoint: Url,
    /// Sent as given: `redirect_uri` must be the registered string, byte for byte. Empty when
    /// not set (read through `redirect_url()`).
    pub redirect_url: String,
    /// Flet's fixed PKCE values, used instead of a fresh pair when given.
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub code_verifier: Option<String>,
    pub authorization_params: Vec<(String, String)>,
    pub pkce: bool,
    pub timeout: Duration,
    pub allow_insecure_http: bool,
    /// The largest answer read from the provider, in bytes.
    pub max_response_size: usize,
    pub revocation_endpoint: Option<Url>,
    /// How the client authenticates at the revocation endpoint; None: chosen by
    /// `ClientAuth::method_at` from the endpoint's metadata.
    pub revocation_endpoint_auth_method: Option<ClientAuthMethod>,
    /// The provider's list for `revocation_endpoint` (RFC 8414 §2), when it publishes one.
    pub revocation_endpoint_auth_methods_supported: Option<Vec<String>>,
    pub end_session_endpoint: Option<Url>,
    /// RFC 8628 §3.1, for device logins.
    pub device_authorization_endpoint: Option<Url>,
    /// Set for OpenID Connect providers (those that publish a `jwks_uri`).
    pub oidc: Option<OidcConfig>,
    /// The issuer a redirect's `iss` must be (RFC 9207): the `issuer` setting, else the
    /// OpenID Connect issuer.
    pub issuer: Option<String>,
    /// The provider announces `authorization_response_iss_parameter_supported`: every
    /// redirect must carry `iss`.
    pub iss_parameter_supported: bool,
    /// RFC 9126: where authorization requests are pushed, whether the provider requires it,
    /// and the `use_par` setting (None: push when required); see `rfc9126::pushes`.
    pub pushed_authorization_request_endpoint: Option<Url>,
    pub require_pushed_authorization_requests: bool,
    pub use_par: Option<bool>,
    /// RFC 9449: every token request carries a DPoP proof.
    pub dpop: bool,
    /// The app's DPoP key (`dpop_key`); None: each service makes its own.
    pub dpop_key: Option<Arc<DpopKey>>,
}

/// What an OpenID Connect provider's discovery document says about its ID tokens.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    pub issuer: String,
    pub jwks_uri: Url,
    pub algorithms: Vec<String>,
}

/// The settings as read, before they are checked.
#[derive(Default)]
pub struct ProviderSettings {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub token_endpoint_auth_method: Option<String>,
    /// The private key of `private_key_jwt`, and its algorithm (None: by the key's type).
    pub client_key: Option<ClientKey>,
    pub client_key_alg: Option<String>,
    /// Empty when not set: only logins through the browser need it and `redirect_url`.
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub redirect_url: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub code_verifier: Option<String>,
    pub authorization_params: Vec<(String, String)>,
    pub pkce: bool,
    pub timeout: Option<f64>,
    pub allow_insecure_http: bool,
    pub max_response_size: Option<u64>,
    pub revocation_endpoint: Option<String>,
    pub revocation_endpoint_auth_method: Option<String>,
    pub revocation_endpoint_auth_methods_supported: Option<Vec<String>>,
    pub end_session_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    /// `(issuer, jwks_uri, id_token_signing_alg_values_supported)` of an OpenID provider.
    pub oidc: Option<(String, String, Vec<String>)>,
    /// RFC 9207: the provider's issuer and whether it announces the `iss` parameter.
    pub issuer: Option<String>,
    pub iss_parameter_supported: bool,
    /// RFC 9126: the endpoint, the provider's `require_pushed_authorization_requests`, and
    /// `use_par`.
    pub pushed_authorization_request_endpoint: Option<String>,
    pub require_pushed_authorization_requests: bool,
    pub use_par: Option<bool>,
    pub dpop: bool,
    /// A private EC P-256 JWK.
    pub dpop_key: Option<Map<String, Value>>,
}

impl ProviderConfig {
    /// Checks the settings: every endpoint a URL, HTTPS off loopback unless allowed.
    pub fn new(s: ProviderSettings) -> Result<Self> {
        let insecure = s.allow_insecure_http;
        let endpoint = |what: &str, url: &str| check_url(what, url, insecure);
        let optional = |what: &str, url: Option<String>| {
            url.filter(|u| !u.is_empty())
                .map(|u| endpoint(what, &u))
                .transpose()
        };
        let oidc = match s.oidc {
            Some((issuer, jwks_uri, algorithms)) => Some(OidcConfig {
                issuer,
                jwks_uri: endpoint("jwks_uri", &jwks_uri)?,
                algorithms: if algorithms.is_empty() {
                    vec!["RS256".to_owned()]
                } else {
                    algorithms
                },
            }),
            None => None,
        };
        let issuer = s
            .issuer
            .filter(|i| !i.is_empty())
            .or_else(|| oidc.as_ref().map(|o| o.issuer.clone()));
        if s.iss_parameter_supported && issuer.is_none() {
            return Err(Error::Configuration(
                "authorization_response_iss_parameter_supported needs the provider's issuer".into(),
            ));
        }
        let method = s.token_endpoint_auth_method.as_deref();
        let revocation_method = s
            .revocation_endpoint_auth_method
            .filter(|m| !m.is_empty())
            .map(|m| ClientAuthMethod::parse(&m, "revocation_endpoint_auth_method"))
            .transpose()?;
        let client = ClientAuth::new(
            s.client_id,
            s.client_secret,
            method,
            s.client_key,
            s.client_key_alg.as_deref(),
        )?;
        if let Some(m) = revocation_method {
            client.check(m, "revocation_endpoint_auth_method")?;
        }
        if s.dpop_key.is_some() && !s.dpop {
            return Err(Error::Configuration(
                "provider.dpop_key is given but dpop is not True".into(),
            ));
        }
        let dpop_key = s
            .dpop_key
            .map(|jwk| DpopKey::from_jwk(&jwk).map(Arc::new))
            .transpose()?;
        Ok(ProviderConfig {
            client,
            authorization_endpoint: optional(
                "authorization_endpoint",
                Some(s.authorization_endpoint),
            )?,
            token_endpoint: endpoint("token_endpoint", &s.token_endpoint)?,
            redirect_url: s.redirect_url,
            code_challenge: s.code_challenge,
            code_challenge_method: s.code_challenge_method,
            code_verifier: s.code_verifier,
            authorization_params: s.authorization_params,
            pkce: s.pkce,
            timeout: timeout_from(s.timeout)?,
            allow_insecure_http: insecure,
            max_response_size: max_response_size_from(s.max_response_size)?,
            revocation_endpoint: optional("revocation_endpoint", s.revocation_endpoint)?,
            revocation_endpoint_auth_method: revocation_method,
            revocation_endpoint_auth_methods_supported: s
                .revocation_endpoint_auth_methods_supported,
            end_session_endpoint: optional("end_session_endpoint", s.end_session_endpoint)?,
            device_authorization_endpoint: optional(
                "device_authorization_endpoint",
                s.device_authorization_endpoint,
            )?,
            oidc,
            issuer,
            iss_parameter_supported: s.iss_parameter_supported,
            pushed_authorization_request_endpoint: optional(
                "pushed_authorization_request_endpoint",
                s.pushed_authorization_request_endpoint,
            )?,
            require_pushed_authorization_requests: s.require_pushed_authorization_requests,
            use_par: s.use_par,
            dpop: s.dpop,
            dpop_key,
        })
    }

    /// What the settings ask of every exchange with the provider.
    pub fn policy(&self) -> Policy {
        Policy {
            timeout: self.timeout,
            max_response_size: self.max_response_size,
            allow_insecure_http: self.allow_insecure_http,
        }
    }

    /// The authorization endpoint, which a login through the browser needs.
    pub fn authorization_endpoint(&self) -> Result<&Url> {
        self.authorization_endpoint
            .as_ref()
            .ok_or_else(|| browser_login_needs("authorization_endpoint"))
    }

    /// The redirect URL, which a login through the browser needs.
    pub fn redirect_url(&self) -> Result<&str> {
        match self.redirect_url.as_str() {
            "" => Err(browser_login_needs("redirect_url")),
            url => Ok(url),
        }
    }

    /// The same settings with another redirect URL (a loopback port chosen at run time).
    pub fn with_redirect_url(&self, redirect_url: String) -> Self {
        ProviderConfig {
            redirect_url,
            ..self.clone()
        }
    }
}

fn browser_login_needs(setting: &str) -> Error {
    Error::Configuration(format!(
        "provider.{setting} is required for a login through the browser (authorization code); \
         client credentials and device logins do without it"
    ))
}

/// Parses a timeout in seconds; `None` means the default.
pub fn timeout_from(value: Option<f64>) -> Result<Duration> {
    match value {
        None => Ok(DEFAULT_TIMEOUT),
        // try_: a huge value (1e30) would make from_secs_f64 panic.
        Some(secs) if secs > 0.0 => Duration::try_from_secs_f64(secs).map_err(|_| {
            Error::Configuration("timeout must be a positive number of seconds".into())
        }),
        Some(_) => Err(Error::Configuration(
            "timeout must be a positive number of seconds".into(),
        )),
    }
}

/// Parses a size cap in bytes; `None` means the default (1 MiB).
pub fn max_response_size_from(value: Option<u64>) -> Result<usize> {
    match value {
        None => Ok(DEFAULT_MAX_RESPONSE_SIZE),
        Some(0) => Err(Error::Configuration(
            "max_response_size must be a positive number of bytes".into(),
        )),
        Some(bytes) => Ok(usize::try_from(bytes).unwrap_or(usize::MAX)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ProviderSettings {
        ProviderSettings {
            client_id: "client".into(),
            authorization_endpoint: "https://idp.invalid/authorize".into(),
            token_endpoint: "https://idp.invalid/token".into(),
            redirect_url: "http://127.0.0.1:8550/cb".into(),
            pkce: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_malformed_token_endpoint_is_refused_when_the_settings_are_built() {
        let bad = ProviderSettings {
            token_endpoint: "not a url".into(),
            ..settings()
        };
        assert!(matches!(
            ProviderConfig::new(bad),
            Err(Error::Configuration(_))
        ));
    }

    #[test]
    fn plain_http_off_loopback_is_refused_unless_allowed() {
        let plain = || ProviderSettings {
            authorization_endpoint: "http://idp.invalid/authorize".into(),
            ..settings()
        };
        assert!(matches!(
            ProviderConfig::new(plain()),
            Err(Error::InsecureTransport(_))
        ));
        let allowed = ProviderSettings {
            allow_insecure_http: true,
            ..plain()
        };
        assert!(ProviderConfig::new(allowed).is_ok());
        let loopback = ProviderSettings {
            authorization_endpoint: "http://127.0.0.1:9/authorize".into(),
            ..settings()
        };
        assert!(ProviderConfig::new(loopback).is_ok());
    }

    #[test]
    fn the_answer_size_cap_is_one_mebibyte_unless_set_and_never_zero() {
        assert_eq!(max_response_size_from(None).ok(), Some(1 << 20));
        assert_eq!(max_response_size_from(Some(10)).ok(), Some(10));
        assert!(matches!(
            max_response_size_from(Some(0)),
            Err(Error::Configuration(_))
        ));
    }

    #[test]
    fn a_provider_without_authorization_endpoint_and_redirect_url_is_built_but_cannot_log_in() {
        let machine = ProviderSettings {
            authorization_endpoint: String::new(),
            redirect_url: String::new(),
            ..settings()
        };
        let config = ProviderConfig::new(machine);
        assert!(config.is_ok());
        let config = config.ok();
        let endpoint = config.as_ref().map(|c| c.authorization_endpoint());
        assert!(
            matches!(endpoint, Some(Err(Error::Configuration(m))) if m.contains("provider.authorization_endpoint"))
        );
        let redirect = config.as_ref().map(|c| c.redirect_url());
        assert!(
            matches!(redirect, Some(Err(Error::Configuration(m))) if m.contains("provider.redirect_url"))
        );
    }

    #[test]
    fn announcing_the_iss_parameter_needs_an_issuer() {
        let announced = || ProviderSettings {
            iss_parameter_supported: true,
            ..settings()
        };
        assert!(matches!(
            ProviderConfig::new(announced()),
            Err(Error::Configuration(_))
        ));
        let with_issuer = ProviderSettings {
            issuer: Some("https://idp.invalid".into()),
            ..announced()
        };
        let issuer = ProviderConfig::new(with_issuer).map(|p| p.issuer);
        assert_eq!(
            issuer.ok().flatten().as_deref(),
            Some("https://idp.invalid")
        );
    }

    #[test]
    fn the_openid_issuer_is_the_issuer_a_redirect_is_checked_against() {
        let openid = ProviderSettings {
            oidc: Some((
                "https://op.invalid".into(),
                "https://op.invalid/jwks".into(),
                Vec::new(),
            )),
            ..settings()
        };
        let issuer = ProviderConfig::new(openid).map(|p| p.issuer);
        assert_eq!(issuer.ok().flatten().as_deref(), Some("https://op.invalid"));
    }

    #[test]
    fn scope_is_composed_without_duplicates_in_flets_order() {
        let got = compose_scope(
            Some(vec!["a".into()]),
            Some(vec!["b".into(), "a".into()]),
            Some(vec!["c".into()]),
            None,
        );
        assert_eq!(got, ["a", "b", "c"]);
    }
}
