//! The access token request (RFC 6749 §4.1.3) and the refresh request (§6): a form POSTed to
//! the token endpoint with the client's authentication.

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

/// POSTs `form` to the token endpoint and reads the token from the answer (never from a
/// redirect: the form carries the code, the verifier or the refresh token, and the secret).
pub async fn post(p: &ProviderConfig, mut form: Vec<(&'static str, String)>) -> Result<TokenData> {
    let url = &p.token_endpoint;
    let builder = request::request(Method::POST, url, p.timeout)?;
    let builder = p.client.apply(builder, &mut form);
    let response = request::send(builder.form(&form), url, p.max_response_size).await?;
    parse_token_response(&response)
}
