//! Client authentication at the provider's endpoints (RFC 6749 §2.3.1; the method names of
//! RFC 7591 §2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use oauth2::ClientSecret;
use reqwest::RequestBuilder;

use crate::errors::{Error, Result};

/// How the client proves who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// HTTP Basic with the form-urlencoded `client_id` and `client_secret`.
    ClientSecretBasic,
    /// A public client: `client_id` in the form body, no secret.
    None,
}

impl ClientAuthMethod {
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

/// The client's identity and credentials.
#[derive(Clone)]
pub struct ClientAuth {
    pub client_id: String,
    secret: Option<ClientSecret>,
    pub method: ClientAuthMethod,
}

impl ClientAuth {
    /// `method` defaults to Flet's `client_secret_post`.
    pub fn new(client_id: String, secret: Option<String>, method: Option<&str>) -> Result<Self> {
        if client_id.is_empty() {
            return Err(Error::Configuration(
                "provider.client_id is required".into(),
            ));
        }
        let method = match method {
            Some(name) => ClientAuthMethod::parse(name)?,
            None => ClientAuthMethod::ClientSecretPost,
        };
        Ok(ClientAuth {
            client_id,
            secret: secret.filter(|s| !s.is_empty()).map(ClientSecret::new),
            method,
        })
    }

    /// Adds the client's authentication to a request whose form body is `form`.
    pub fn apply(
        &self,
        request: RequestBuilder,
        form: &mut Vec<(&'static str, String)>,
    ) -> RequestBuilder {
        match (self.method, &self.secret) {
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
        }
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
            ClientAuthMethod::parse("private_key"),
            Err(Error::Configuration(m)) if m.contains("private_key")
        ));
    }
}
