//! Calling a provider's API with a bearer token (RFC 6750 §2.1): user info, GitHub's API.

use serde_json::Value;

use crate::errors::{Error, Result};
use crate::rfc6749::response::check_status;
use crate::transport::{check_url, request, Policy};

/// GETs a JSON document with `Authorization: Bearer <access_token>` (sent to that URL's origin
/// only, not where a redirect leads elsewhere).
pub async fn get_json(url: String, access_token: String, policy: Policy) -> Result<Value> {
    let parsed = check_url("endpoint", &url, policy.allow_insecure_http)?;
    let response = request::get(&parsed, Some(&access_token), &policy).await?;
    check_status(&response)?;
    serde_json::from_slice(&response.body).map_err(|_| Error::InvalidResponse {
        status: Some(response.status),
        endpoint: response.endpoint,
        reason: "not JSON".into(),
    })
}
