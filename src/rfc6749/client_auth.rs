//! Client authentication at the provider's endpoints (RFC 6749 §2.3.1; the method names of
//! RFC 7591 §2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use oauth2::ClientSecret;
use reqwest::RequestBuilder;

use crate::errors::{Error, Result};
use crate::rfc7523::{AssertionSigner, ClientKey, ASSERTION_TYPE};

/// How the client proves who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// HTTP Basic with the form-urlencoded `client_id` and `client_secret`.
    ClientSecretBasic,
    /// A public client: `client_id` in the form body, no secret.
    None,
    /// A JWT assertion signed with the client's private key (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// A JWT assertion signed HS256 with the client secret (OpenID Connect Core §9).
    ClientSecretJwt,
}

impl ClientAuthMethod {
    /// The method named `name`, the value of the setting `setting`.
    pub fn parse(name: &str, setting: &str) -> Result<Self> {
        match name {
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "none" => Ok(Self::None),
            "private_key_jwt" => Ok(Self::PrivateKeyJwt),
            "client_secret_jwt" => Ok(Self::ClientSecretJwt),
            other => Err(Error::Configuration(format!(
                "{setting} must be client_secret_post, client_secret_basic, private_key_jwt, \
                 client_secret_jwt or none, not {other:?}"
            ))),
        }
    }

    /// The RFC 7591 name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::None => "none",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::ClientSecretJwt => "client_secret_jwt",
        }
    }
}

/// The client's identity and credentials.
#[derive(Clone)]
pub struct ClientAuth {
    pub client_id: String,
    secret: Option<ClientSecret>,
    pub method: ClientAuthMethod,
    /// The signer of `private_key_jwt` assertions, from `client_key`.
    key: Option<AssertionSigner>,
}

impl ClientAuth {
    /// `method` defaults to Flet's `client_secret_post`; `key` and `key_alg` are those of
    /// `private_key_jwt`.
    pub fn new(
        client_id: String,
        secret: Option<String>,
        method: Option<&str>,
        key: Option<ClientKey>,
        key_alg: Option<&str>,
    ) -> Result<Self> {
        if client_id.is_empty() {
            return Err(Error::Configuration(
                "provider.client_id is required".into(),
            ));
        }
        let method = match method {
            Some(name) => ClientAuthMethod::parse(name, "token_endpoint_auth_method")?,
            None => ClientAuthMethod::ClientSecretPost,
        };
        let key = key
            .map(|k| AssertionSigner::private_key(k, key_alg))
            .transpose()?;
        let client = ClientAuth {
            client_id,
            secret: secret.filter(|s| !s.is_empty()).map(ClientSecret::new),
            method,
            key,
        };
        client.check(method, "token_endpoint_auth_method")?;
        Ok(client)
    }

    /// Whether the client has what `method` (the value of `setting`) signs with.
    pub fn check(&self, method: ClientAuthMethod, setting: &str) -> Result<()> {
        let missing = match method {
            ClientAuthMethod::PrivateKeyJwt if self.key.is_none() => "client_key",
            ClientAuthMethod::ClientSecretJwt if self.secret.is_none() => "client_secret",
            _ => return Ok(()),
        };
        Err(Error::Configuration(format!(
            "{setting} {} needs provider.{missing}",
            method.name()
        )))
    }

    /// The method at another endpoint whose metadata lists `supported` (RFC 8414 §2: the
    /// revocation endpoint's `revocation_endpoint_auth_methods_supported`): the token
    /// endpoint's when it is listed or when there is no list (a client is registered with one
    /// method, RFC 7591 §2), else `client_secret_basic`, else `client_secret_post`. A public
    /// client sends its id whatever the list says. `setting` is named in the error.
    pub fn method_at(
        &self,
        endpoint: &str,
        supported: Option<&[String]>,
        setting: &str,
    ) -> Result<ClientAuthMethod> {
        let Some(supported) = supported else {
            return Ok(self.method);
        };
        if self.secret.is_none() {
            return Ok(self.method);
        }
        let candidates = [
            self.method,
            ClientAuthMethod::ClientSecretBasic,
            ClientAuthMethod::ClientSecretPost,
        ];
        candidates
            .into_iter()
            .find(|m| supported.iter().any(|s| s == m.name()))
            .ok_or_else(|| {
                let listed = if supported.is_empty() {
                    "nothing".to_owned()
                } else {
                    supported.join(", ")
                };
                Error::Configuration(format!(
                    "the provider supports none of client_secret_basic, client_secret_post at \
                     the {endpoint} (it supports {listed}); set {setting}"
                ))
            })
    }

    /// Adds the client's authentication to a request whose form body is `form`; `audience`
    /// is the `aud` of a JWT assertion.
    pub fn apply(
        &self,
        request: RequestBuilder,
        form: &mut Vec<(&'static str, String)>,
        audience: &str,
    ) -> Result<RequestBuilder> {
        self.apply_as(self.method, request, form, audience)
    }

    /// Adds the client's authentication by `method` (that of an endpoint other than the
    /// token endpoint).
    pub fn apply_as(
        &self,
        method: ClientAuthMethod,
        request: RequestBuilder,
        form: &mut Vec<(&'static str, String)>,
        audience: &str,
    ) -> Result<RequestBuilder> {
        let assertion = match (method, &self.key, &self.secret) {
            (ClientAuthMethod::PrivateKeyJwt, Some(key), _) => {
                Some(key.assertion(&self.client_id, audience)?)
            }
            (ClientAuthMethod::ClientSecretJwt, _, Some(secret)) => Some(
                AssertionSigner::client_secret(secret.secret())
                    .assertion(&self.client_id, audience)?,
            ),
            _ => None,
        };
        if let Some(assertion) = assertion {
            form.push(("client_id", self.client_id.clone()));
            form.push(("client_assertion_type", ASSERTION_TYPE.to_owned()));
            form.push(("client_assertion", assertion));
            return Ok(request);
        }
        Ok(match (method, &self.secret) {
            (ClientAuthMethod::ClientSecretBasic, Some(secret)) => request.header(
                reqwest::header::AUTHORIZATION,
                basic_credentials(&self.client_id, secret.secret()),
            ),
            (ClientAuthMethod::ClientSecretPost, Some(secret)) => {
                form.push(("client_id", self.client_id.clone()));
                form.push(("client_secret", secret.secret().clone()));
                request
            }
            _ => {
                form.push(("client_id", self.client_id.clone()));
                request
            }
        })
    }
}

/// RFC 6749 §2.3.1: both parts form-urlencoded before base64.
fn basic_credentials(client_id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(client_id), enc(secret)))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_before_base64() {
        let header = basic_credentials("my client", "s:e/c");
        let encoded = header.strip_prefix("Basic ").unwrap_or_default();
        let decoded = STANDARD.decode(encoded).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&decoded), "my+client:s%3Ae%2Fc");
    }

    #[test]
    fn unknown_methods_are_refused_by_name() {
        assert!(matches!(
            ClientAuthMethod::parse("private_key", "token_endpoint_auth_method"),
            Err(Error::Configuration(m)) if m.contains("private_key")
        ));
    }

    fn confidential(method: &str) -> ClientAuth {
        ClientAuth::new("c".into(), Some("s".into()), Some(method), None, None)
            .expect("a known method")
    }

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn another_endpoint_takes_the_token_endpoints_method_when_listed_or_unlisted() {
        let post = confidential("client_secret_post");
        let at =
            |supported: Option<&[String]>| post.method_at("revocation endpoint", supported, "x");
        assert_eq!(at(None).ok(), Some(ClientAuthMethod::ClientSecretPost));
        let both = list(&["client_secret_basic", "client_secret_post"]);
        assert_eq!(
            at(Some(&both)).ok(),
            Some(ClientAuthMethod::ClientSecretPost)
        );
        let basic = list(&["client_secret_basic"]);
        assert_eq!(
            at(Some(&basic)).ok(),
            Some(ClientAuthMethod::ClientSecretBasic)
        );
    }

    #[test]
    fn another_endpoint_without_a_secret_method_is_refused_naming_its_list() {
        let basic = confidential("client_secret_basic");
        let jwt = list(&["private_key_jwt"]);
        assert!(matches!(
            basic.method_at("revocation endpoint", Some(&jwt), "revocation_endpoint_auth_method"),
            Err(Error::Configuration(m)) if m.contains("private_key_jwt")
                && m.contains("revocation_endpoint_auth_method")
        ));
    }
}
