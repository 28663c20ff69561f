//! Token revocation (RFC 7009): the refresh token first (§2.1: revoking it may revoke the
//! access tokens issued with it), then the access token.

use reqwest::Method;

use crate::errors::{Error, Result};
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::response::check_status;
use crate::rfc6749::token::TokenData;
use crate::transport::{display, request};

/// Revokes the token's refresh and access tokens at the provider's revocation endpoint.
pub async fn revoke(p: &ProviderConfig, token: TokenData) -> Result<()> {
    let url = p
        .revocation_endpoint
        .as_ref()
        .ok_or_else(|| Error::Configuration("the provider has no revocation_endpoint".into()))?;
    let tokens = [
        (token.refresh_token, "refresh_token"),
        (Some(token.access_token), "access_token"),
    ];
    for (value, hint) in tokens {
        let Some(value) = value else { continue };
        let mut form = vec![("token", value), ("token_type_hint", hint.to_owned())];
        let builder = p
            .client
            .apply(request::request(Method::POST, url, p.timeout)?, &mut form);
        let response = request::send(builder.form(&form), url, p.max_response_size).await?;
        check_status(&response)?;
    }
    log::info!(target: "flet_auth", "logout: tokens revoked at {}", display(url));
    Ok(())
}
