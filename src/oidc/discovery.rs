//! OpenID Connect Discovery 1.0: the provider's metadata document, fetched once per process
//! and trusted for [`CACHE_TTL`], its `issuer` checked (§4.3). Also the issuer's OAuth 2.0
//! authorization server metadata (RFC 8414), for what some providers publish only there.

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
const OAUTH_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

/// The discovery document, as the provider published it.
pub type Metadata = Arc<Map<String, Value>>;

static DISCOVERY: Cache<Metadata> = Cache::new();
/// RFC 8414 documents, by issuer.
static AUTHORIZATION_SERVER: Cache<Metadata> = Cache::new();

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
    let expected = expected_issuer.or_else(|| issuer_of(&url).map(str::to_owned));
    let fits = |m: &Metadata| match &expected {
        Some(expected) => check_issuer(m, expected, "the discovery document"),
        None => Ok(()),
    };
    // A cached document that names another issuer is read again before it is refused: the
    // provider at this URL may have changed (a test provider on a reused port, say).
    let cached = DISCOVERY.get(&url, CACHE_TTL).filter(|m| fits(m).is_ok());
    let metadata = match cached {
        Some(m) => m,
        None => {
            let parsed = check_url("server_metadata_url", &url, policy.allow_insecure_http)?;
            let fetched = Arc::new(get_document(&parsed, &policy).await?);
            fits(&fetched)?;
            DISCOVERY.put(&url, fetched.clone());
            fetched
        }
    };
    for needed in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
        if metadata.get(needed).and_then(Value::as_str).is_none() {
            return Err(Error::Configuration(format!(
                "the discovery document has no {needed}"
            )));
        }
    }
    Ok(metadata)
}

/// Forgets the discovery and RFC 8414 documents cached for `origin` and the URLs below it.
pub fn forget_origin(origin: &str) {
    DISCOVERY.forget_origin(origin);
    AUTHORIZATION_SERVER.forget_origin(origin);
}

/// Checks that the document names `expected` as its `issuer` (a trailing `/` aside).
fn check_issuer(metadata: &Map<String, Value>, expected: &str, document: &str) -> Result<()> {
    let issuer = metadata
        .get("issuer")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if issuer.trim_end_matches('/') != expected.trim_end_matches('/') {
        return Err(Error::Configuration(format!(
            "{document} names issuer {issuer:?}, not {expected:?}"
        )));
    }
    Ok(())
}

/// Where an issuer's RFC 8414 metadata may be, in the order tried: §3's URL (the well-known
/// path between the host and the issuer's path, its trailing `/` removed), then, for an
/// issuer with a path, the issuer with the well-known path appended, the form of OpenID
/// Connect Discovery (what django-oauth-toolkit mounted under a path serves).
pub fn authorization_server_urls(issuer: &str) -> Result<Vec<String>> {
    let mut url = Url::parse(issuer)
        .map_err(|_| Error::Configuration(format!("the issuer {issuer:?} is not a URL")))?;
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{OAUTH_WELL_KNOWN}{path}"));
    url.set_query(None);
    url.set_fragment(None);
    let mut urls = vec![url.to_string()];
    if !path.is_empty() {
        urls.push(format!(
            "{}{OAUTH_WELL_KNOWN}",
            issuer.trim_end_matches('/')
        ));
    }
    Ok(urls)
}

/// Fetches (or takes from the cache) the issuer's RFC 8414 metadata: the first document of
/// [`authorization_server_urls`] that names `issuer` (§3.3). Fails with the last URL's error.
pub async fn authorization_server(issuer: &str, policy: &Policy) -> Result<Metadata> {
    if let Some(metadata) = AUTHORIZATION_SERVER.get(issuer, CACHE_TTL) {
        return Ok(metadata);
    }
    let mut failure = None;
    for url in authorization_server_urls(issuer)? {
        let fetched = async {
            let parsed = check_url(
                "authorization server metadata",
                &url,
                policy.allow_insecure_http,
            )?;
            let metadata = get_document(&parsed, policy).await?;
            check_issuer(&metadata, issuer, "the authorization server metadata")?;
            Ok::<_, Error>(Arc::new(metadata))
        };
        match fetched.await {
            Ok(metadata) => {
                AUTHORIZATION_SERVER.put(issuer, metadata.clone());
                return Ok(metadata);
            }
            Err(e) => failure = Some(e),
        }
    }
    Err(failure.unwrap_or_else(|| Error::Configuration("no metadata URL".into())))
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

    #[test]
    fn rfc_8414_metadata_is_looked_for_before_the_issuers_path_then_after_it() {
        let urls = authorization_server_urls("https://idp.invalid/o/").unwrap_or_default();
        assert_eq!(
            urls,
            [
                "https://idp.invalid/.well-known/oauth-authorization-server/o",
                "https://idp.invalid/o/.well-known/oauth-authorization-server",
            ]
        );
        let root = authorization_server_urls("https://idp.invalid").unwrap_or_default();
        assert_eq!(
            root,
            ["https://idp.invalid/.well-known/oauth-authorization-server"]
        );
    }
}
