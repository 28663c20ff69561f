//! The access token request (RFC 6749 §4.1.3), the refresh request (§6) and the client
//! credentials request (§4.4.2): a form POSTed to the token endpoint with the client's
//! authentication.

use reqwest::Method;

use crate::errors::Result;
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::response::parse_token_response;
use crate::rfc6749::token::TokenData;
use crate::rfc9449::{self, Prover};
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
/// With `dpop`, the request carries a proof (RFC 9449 §5) and is made once more when the
/// server asks for a nonce (§8).
pub async fn post(
    p: &ProviderConfig,
    form: Vec<(&'static str, String)>,
    dpop: Option<Prover<'_>>,
) -> Result<TokenData> {
    post_with(p, form, &[], dpop).await
}

/// `post` with the app's own parameters (say `audience`) after the form's.
pub async fn post_with(
    p: &ProviderConfig,
    form: Vec<(&'static str, String)>,
    extra: &[(String, String)],
    dpop: Option<Prover<'_>>,
) -> Result<TokenData> {
    let (url, form) = (&p.token_endpoint, &form);
    let response = rfc9449::with_nonce_retry(dpop, url, move || async move {
        let mut form = form.clone();
        let builder = request::request(Method::POST, url, p.timeout)?;
        let mut builder = p.client.apply(builder, &mut form, url.as_str())?;
        if let Some(prover) = dpop {
            builder = rfc9449::attach(builder, &prover.proof("POST", url, None)?);
        }
        let fields: Vec<(&str, &str)> = form
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect();
        request::send(builder.form(&fields), url, p.max_response_size).await
    })
    .await?;
    let mut data = parse_token_response(&response)?;
    if let Some(prover) = dpop {
        bind(&mut data, prover);
    }
    Ok(data)
}

/// RFC 9449 §5: a `DPoP` token is bound to the key (kept with it, for its refreshes and its
/// resource requests). A server that ignores DPoP answers `Bearer`, which §5 lets a client
/// accept: the token is kept and used as a bearer token.
fn bind(data: &mut TokenData, prover: Prover<'_>) {
    let dpop = data
        .token_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(rfc9449::DPOP));
    if dpop {
        data.dpop_key = Some(prover.key.clone());
    } else {
        log::info!(target: "flet_auth", "DPoP: the provider issued a bearer token; it is used as one");
    }
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
