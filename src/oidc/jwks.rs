//! The provider's signing keys (RFC 7517 JWK Set at `jwks_uri`): cached, and fetched again for
//! a `kid` the cached set lacks (key rotation), at most once per [`REFETCH_INTERVAL`] per kid.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use serde_json::Value;
use url::Url;

use crate::errors::{Error, Result};
use crate::oidc::cache::Cache;
use crate::oidc::discovery::{get_document, CACHE_TTL};
use crate::transport::Policy;

/// A `kid` that a fresh JWKS did not have is not fetched for again within this time.
const REFETCH_INTERVAL: Duration = Duration::from_secs(5);

static KEYS: Cache<Arc<JwkSet>> = Cache::new();
static MISSES: Cache<()> = Cache::new();

/// Forgets the key sets (and the misses) cached for `origin` and the URLs below it.
pub fn forget_origin(origin: &str) {
    KEYS.forget_origin(origin);
    MISSES.forget_origin(origin);
}

async fn fetch(jwks_uri: &Url, policy: &Policy) -> Result<Arc<JwkSet>> {
    let doc = get_document(jwks_uri, policy).await?;
    let set: JwkSet = serde_json::from_value(Value::Object(doc))
        .map_err(|e| Error::IdToken(format!("the provider's JWKS cannot be read: {e}")))?;
    let set = Arc::new(set);
    KEYS.put(jwks_uri.as_str(), set.clone());
    Ok(set)
}

/// The provider's key set, fresh enough to hold a key that `has_key` accepts when the
/// provider publishes one.
pub async fn keys(
    jwks_uri: &Url,
    kid: Option<&str>,
    policy: &Policy,
    has_key: impl Fn(&JwkSet) -> bool,
) -> Result<Arc<JwkSet>> {
    let cached = KEYS.get(jwks_uri.as_str(), CACHE_TTL);
    if let Some(set) = cached.as_ref().filter(|s| has_key(s)) {
        return Ok(set.clone());
    }
    let miss = format!("{jwks_uri}#{}", kid.unwrap_or(""));
    if let Some(set) = cached.filter(|_| MISSES.get(&miss, REFETCH_INTERVAL).is_some()) {
        return Ok(set);
    }
    let set = fetch(jwks_uri, policy).await?;
    if !has_key(&set) {
        MISSES.put(&miss, ());
    }
    Ok(set)
}
