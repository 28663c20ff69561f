//! Calling a provider's API with a bearer token (RFC 6750 §2.1): user info, GitHub's API.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::errors::{Error, Result};
use crate::rfc6749::response::check_status;
use crate::transport::{check_url, request};

/// GETs a JSON document with `Authorization: Bearer <access_token>`.
pub async fn get_json(
    url: String,
    access_token: String,
    timeout: Duration,
    allow_insecure_http: bool,
) -> Result<Value> {
    let parsed = check_url("endpoint", &url, allow_insecure_http)?;
    let builder = request::request(Method::GET, &parsed, timeout)?.bearer_auth(access_token);
    let response = request::send(builder, &parsed).await?;
    check_status(&response)?;
    serde_json::from_slice(&response.body).map_err(|_| Error::InvalidResponse {
        status: Some(response.status),
        endpoint: response.endpoint,
        reason: "not JSON".into(),
    })
}
