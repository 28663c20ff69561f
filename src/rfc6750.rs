//! Calling a provider's API with a bearer token (RFC 6750 §2.1): user info, GitHub's API; or
//! with a DPoP-bound token (RFC 9449 §7): `Authorization: DPoP` and a proof with `ath`.

use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde_json::Value;

use crate::errors::{Error, Result};
use crate::rfc6749::response::check_status;
use crate::rfc9449::{self, Prover};
use crate::transport::{check_url, request, Policy, Response};

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
    url: &url::Url,
    access_token: &str,
    policy: &Policy,
    prover: Prover<'_>,
) -> Result<Response> {
    let ath = rfc9449::ath(access_token);
    let mut scheme = HeaderValue::from_str(&format!("{} {access_token}", rfc9449::DPOP))
        .map_err(|_| Error::Configuration("the access token is not a valid header value".into()))?;
    scheme.set_sensitive(true);
    let mut retried = false;
    loop {
        let response = request::get_with(url, policy, |builder, hop| {
            let proof = prover.proof("GET", hop, Some(&ath))?;
            Ok(rfc9449::attach(
                builder.header(AUTHORIZATION, scheme.clone()),
                &proof,
            ))
        })
        .await?;
        if !prover.take_nonce(url, &response) || retried {
            return Ok(response);
        }
        retried = true;
    }
}
