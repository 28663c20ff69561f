//! Token revocation (RFC 7009): the refresh token first (§2.1: revoking it may revoke the
//! access tokens issued with it), then the access token, at the revocation endpoint with the
//! client authentication that endpoint takes.

use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::errors::{Error, Result};
use crate::oidc::discovery;
use crate::rfc6749::client_auth::ClientAuthMethod;
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::response::check_status;
use crate::rfc6749::token::TokenData;
use crate::transport::{check_url, display, request};

const NO_ENDPOINT: &str = "the provider has no revocation_endpoint";
const METHOD_SETTING: &str = "revocation_endpoint_auth_method";

/// The revocation endpoint and how the client authenticates there.
pub struct Endpoint {
    url: Url,
    method: ClientAuthMethod,
}

/// The provider's revocation endpoint: the configured one, else, for an OpenID provider, the
/// one in its issuer's RFC 8414 metadata (fetched now: the discovery document lacked it).
/// None when there is none, or that metadata cannot be had (the reason is logged).
pub async fn endpoint(p: &ProviderConfig) -> Result<Option<Endpoint>> {
    let (url, supported) = match (&p.revocation_endpoint, &p.oidc) {
        (Some(url), _) => (
            url.clone(),
            p.revocation_endpoint_auth_methods_supported.clone(),
        ),
        (None, Some(oidc)) => {
            let metadata = match discovery::authorization_server(&oidc.issuer, &p.policy()).await {
                Ok(metadata) => metadata,
                Err(e) => {
                    log::info!(target: "flet_auth", "no RFC 8414 metadata for revocation: {e}");
                    return Ok(None);
                }
            };
            let Some(url) = metadata.get("revocation_endpoint").and_then(Value::as_str) else {
                return Ok(None);
            };
            let url = check_url("revocation_endpoint", url, p.allow_insecure_http)?;
            let supported = match metadata.get("revocation_endpoint_auth_methods_supported") {
                None => None,
                Some(list) => Some(strings(list)?),
            };
            (url, supported)
        }
        (None, None) => return Ok(None),
    };
    let method = match p.revocation_endpoint_auth_method {
        Some(method) => method,
        None => p
            .client
            .method_at("revocation endpoint", supported.as_deref(), METHOD_SETTING)?,
    };
    Ok(Some(Endpoint { url, method }))
}

fn strings(list: &Value) -> Result<Vec<String>> {
    let invalid =
        || Error::Configuration("revocation_endpoint_auth_methods_supported must be a list".into());
    list.as_array()
        .ok_or_else(invalid)?
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid))
        .collect()
}

/// The error of a revocation without an endpoint.
pub fn no_endpoint() -> Error {
    Error::Configuration(NO_ENDPOINT.into())
}

/// Revokes the token's refresh and access tokens at `endpoint`.
pub async fn revoke(p: &ProviderConfig, endpoint: &Endpoint, token: TokenData) -> Result<()> {
    let url = &endpoint.url;
    let tokens = [
        (token.refresh_token, "refresh_token"),
        (Some(token.access_token), "access_token"),
    ];
    for (value, hint) in tokens {
        let Some(value) = value else { continue };
        let mut form = vec![("token", value), ("token_type_hint", hint.to_owned())];
        let builder = p.client.apply_as(
            endpoint.method,
            request::request(Method::POST, url, p.timeout)?,
            &mut form,
            // OpenID Connect Core §9: an assertion's audience is the token endpoint, here too.
            p.token_endpoint.as_str(),
        )?;
        let response = request::send(builder.form(&form), url, p.max_response_size).await?;
        check_status(&response)?;
    }
    log::info!(target: "flet_auth", "logout: tokens revoked at {}", display(url));
    Ok(())
}
