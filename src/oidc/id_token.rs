//! Checking the ID token of a token response: the provider's keys fetched as needed, then the
//! pure verifier.

use serde_json::{Map, Value};

use crate::errors::Result;
use crate::oidc::jwks;
use crate::oidc::verify::{select_key, signing_key_id, verify, Expectations};
use crate::rfc6749::provider::OidcConfig;
use crate::transport::Policy;

/// Verifies `id_token` with the keys at the provider's `jwks_uri` (fetched again once for an
/// unknown `kid`) and returns its claims.
pub async fn check(
    id_token: &str,
    oidc: &OidcConfig,
    expect: &Expectations,
    policy: &Policy,
) -> Result<Map<String, Value>> {
    let (alg, kid) = signing_key_id(id_token, &oidc.algorithms)?;
    let keys = jwks::keys(&oidc.jwks_uri, kid.as_deref(), policy, |set| {
        select_key(set, alg, kid.as_deref()).is_ok()
    })
    .await?;
    verify(id_token, &keys, expect)
}
