//! OpenID Connect Discovery 1.0: the provider's metadata document, fetched once per process
//! and trusted for [`CACHE_TTL`], its `issuer` checked (§4.3).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use url::Url;

use crate::errors::{Error, Result};
use crate::oidc::cache::Cache;
use crate::transport::{check_url, request, Policy};

/// How long a discovery document and a JWKS are trusted before they are fetched again.
pub const CACHE_TTL: Duration = Duration::from_secs(3600);
const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// The discovery document, as the provider published it.
pub type Metadata = Arc<Map<String, Value>>;

static DISCOVERY: Cache<Metadata> = Cache::new();

/// The metadata URL of an issuer (§4).
pub fn metadata_url(issuer: &str) -> String {
    format!("{}{WELL_KNOWN}", issuer.trim_end_matches('/'))
}

/// The issuer a metadata URL stands for.
pub fn issuer_of(metadata_url: &str) -> Option<&str> {
    metadata_url.strip_suffix(WELL_KNOWN)
}

/// GETs a provider document that must be a JSON object.
pub async fn get_document(url: &Url, policy: &Policy) -> Result<Map<String, Value>> {
    let response = request::get(url, None, policy).await?;
    if !response.is_success() {
        return Err(Error::HttpStatus {
            status: response.status,
            endpoint: response.endpoint,
        });
    }
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::invalid_response(
            response.status,
            &response.endpoint,
            "not a JSON object",
        )),
    }
}

/// Fetches (or takes from the cache) the discovery document at `url` and checks that its
/// `issuer` is `expected_issuer` (by default the one `url` stands for).
pub async fn discover(
    url: String,
    expected_issuer: Option<String>,
    policy: Policy,
) -> Result<Metadata> {
    let metadata = match DISCOVERY.get(&url, CACHE_TTL) {
        Some(m) => m,
        None => {
            let parsed = check_url("server_metadata_url", &url, policy.allow_insecure_http)?;
            let fetched = Arc::new(get_document(&parsed, &policy).await?);
            DISCOVERY.put(&url, fetched.clone());
            fetched
        }
    };
    let issuer = metadata
        .get("issuer")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let expected = expected_issuer.or_else(|| issuer_of(&url).map(str::to_owned));
    if let Some(expected) = expected {
        if issuer.trim_end_matches('/') != expected.trim_end_matches('/') {
            return Err(Error::Configuration(format!(
                "the discovery document names issuer {issuer:?}, not {expected:?}"
            )));
        }
    }
    for needed in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
        if metadata.get(needed).and_then(Value::as_str).is_none() {
            return Err(Error::Configuration(format!(
                "the discovery document has no {needed}"
            )));
        }
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_and_metadata_url_are_each_others_inverse() {
        let url = metadata_url("https://idp.invalid/realms/x/");
        assert_eq!(
            url,
            "https://idp.invalid/realms/x/.well-known/openid-configuration"
        );
        assert_eq!(issuer_of(&url), Some("https://idp.invalid/realms/x"));
    }
}
