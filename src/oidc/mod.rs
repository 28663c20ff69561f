//! OpenID Connect: discovery, the provider's keys, the ID token verifier, userinfo and
//! RP-initiated logout.

mod cache;
pub mod discovery;
pub mod id_token;
pub mod jwks;
pub mod logout;
pub mod userinfo;
pub mod verify;

/// Forgets every provider document this process cached from `origin` (`http://host:port`):
/// discovery, RFC 8414 metadata, key sets. A bundled provider started on a port an earlier one
/// used calls it, so that a test suite never reads the earlier provider's documents.
pub fn forget_origin(origin: &str) {
    discovery::forget_origin(origin);
    jwks::forget_origin(origin);
}
