//! The access token request (RFC 6749 §4.1.3), the refresh request (§6) and the client
//! credentials request (§4.4.2): a form POSTed to the token endpoint with the client's
//! authentication.

use reqwest::Method;

use crate::errors::Result;
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::response::parse_token_response;
use crate::rfc6749::token::TokenData;
use crate::transport::request;

/// The form of a code exchange.
pub fn authorization_code(
    code: String,
    redirect_uri: String,
    code_verifier: Option<String>,
) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(v) = code_verifier {
        form.push(("code_verifier", v));
    }
    form
}

/// The form of a refresh.
pub fn refresh_token(refresh_token: String) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token),
    ]
}

/// The form of a client credentials request (§4.4.2): `scope` space-separated (§3.3), left
/// out when empty.
pub fn client_credentials(scope: &[String]) -> Vec<(&'static str, String)> {
    let mut form = vec![("grant_type", "client_credentials".to_owned())];
    if !scope.is_empty() {
        form.push(("scope", scope.join(" ")));
    }
    form
}

/// POSTs `form` to the token endpoint and reads the token from the answer (never from a
/// redirect: the form carries the code, the verifier or the refresh token, and the secret).
pub async fn post(p: &ProviderConfig, form: Vec<(&'static str, String)>) -> Result<TokenData> {
    post_with(p, form, &[]).await
}

/// `post` with the app's own parameters (say `audience`) after the form's.
pub async fn post_with(
    p: &ProviderConfig,
    mut form: Vec<(&'static str, String)>,
    extra: &[(String, String)],
) -> Result<TokenData> {
    let url = &p.token_endpoint;
    let builder = request::request(Method::POST, url, p.timeout)?;
    let builder = p.client.apply(builder, &mut form, url.as_str())?;
    let fields: Vec<(&str, &str)> = form
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();
    let response = request::send(builder.form(&fields), url, p.max_response_size).await?;
    parse_token_response(&response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_credentials_scope_is_one_space_separated_field() {
        let form = client_credentials(&["read".into(), "write".into()]);
        assert_eq!(
            form,
            [
                ("grant_type", "client_credentials".to_owned()),
                ("scope", "read write".to_owned())
            ]
        );
    }

    #[test]
    fn an_empty_client_credentials_scope_is_left_out() {
        assert_eq!(client_credentials(&[]).len(), 1);
    }
}
