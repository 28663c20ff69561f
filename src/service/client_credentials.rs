//! The client credentials grant (RFC 6749 §4.4): the client asks for a token in its own name.
//! Its token has no refresh token (§4.4.3), so a token due for renewal is fetched anew, by the
//! single-flight machinery of `refresh`.

use crate::errors::{Error, Result};
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::token::TokenData;
use crate::rfc6749::token_request;
use crate::rfc9449::Prover;

/// Form fields the grant or the client's authentication set; `params` may not replace them.
const RESERVED: [&str; 6] = [
    "grant_type",
    "scope",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// What every fetch of the grant sends.
pub struct ClientCredentials {
    pub scope: Vec<String>,
    /// The app's own parameters (say `audience`), sent on every fetch, not only the first.
    pub params: Vec<(String, String)>,
}

impl ClientCredentials {
    pub fn new(scope: Vec<String>, params: Vec<(String, String)>) -> Result<Self> {
        if let Some((name, _)) = params.iter().find(|(k, _)| RESERVED.contains(&k.as_str())) {
            let hint = if name == "scope" {
                "pass scope= instead"
            } else {
                "the engine sets it"
            };
            return Err(Error::Configuration(format!(
                "params may not set {name:?}: {hint}"
            )));
        }
        if let Some(s) = scope.iter().find(|s| s.is_empty() || s.contains(' ')) {
            return Err(Error::Configuration(format!(
                "each scope must be one non-empty word without spaces, not {s:?}"
            )));
        }
        Ok(ClientCredentials { scope, params })
    }

    /// One access token request (§4.4.2), authenticated as at every token request.
    pub async fn request(&self, p: &ProviderConfig, dpop: Option<Prover<'_>>) -> Result<TokenData> {
        let form = token_request::client_credentials(&self.scope);
        let mut data = token_request::post_with(p, form, &self.params, dpop).await?;
        // Nothing checks an ID token here (there is no login, no nonce): none is kept.
        data.id_token = None;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_may_not_replace_the_grant_type() {
        let params = vec![("grant_type".to_owned(), "password".to_owned())];
        assert!(matches!(
            ClientCredentials::new(vec![], params),
            Err(Error::Configuration(m)) if m.contains("grant_type")
        ));
    }

    #[test]
    fn a_scope_with_a_space_is_refused() {
        assert!(ClientCredentials::new(vec!["a b".into()], vec![]).is_err());
    }
}
