//! Calling a provider's API with a bearer token (RFC 6750 §2.1): user info, GitHub's API; or
//! with a DPoP-bound token (RFC 9449 §7): `Authorization: DPoP` and a proof with `ath`.

use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use url::Url;

use crate::errors::{Error, Result};
use crate::rfc6749::response::check_status;
use crate::rfc9449::{self, Prover};
use crate::transport::request::{self, Outgoing};
use crate::transport::{check_url, Policy, Response};

/// GETs a JSON document with `Authorization: Bearer <access_token>`, or with `dpop` the DPoP
/// scheme and a proof (made once more when the server asks for a nonce, §9); credentials go
/// to that URL's origin only, not where a redirect leads elsewhere.
pub async fn get_json(
    url: String,
    access_token: String,
    policy: Policy,
    dpop: Option<Prover<'_>>,
) -> Result<Value> {
    let parsed = check_url("endpoint", &url, policy.allow_insecure_http)?;
    let response = match dpop {
        None => request::get(&parsed, Some(&access_token), &policy).await?,
        Some(prover) => get_dpop(&parsed, &access_token, &policy, prover).await?,
    };
    check_status(&response)?;
    serde_json::from_slice(&response.body).map_err(|_| Error::InvalidResponse {
        status: Some(response.status),
        endpoint: response.endpoint,
        reason: "not JSON".into(),
    })
}

/// RFC 9449 §7.1: a GET with a DPoP-bound token, retried once with the resource's nonce.
async fn get_dpop(
    url: &Url,
    access_token: &str,
    policy: &Policy,
    prover: Prover<'_>,
) -> Result<Response> {
    let credentials =
        |b: RequestBuilder, m: &Method, u: &Url| rfc9449::authorize(b, access_token, prover, m, u);
    let outgoing = Outgoing::default();
    let (outgoing, credentials) = (&outgoing, &credentials);
    rfc9449::with_nonce_retry(Some(prover), url, move || async move {
        request::exchange(Method::GET, url, outgoing, Some(credentials), policy).await
    })
    .await
}
