//! OpenID Connect: discovery, the provider's keys, the ID token verifier, userinfo and
//! RP-initiated logout.

mod cache;
pub mod discovery;
pub mod id_token;
pub mod jwks;
pub mod logout;
pub mod userinfo;
pub mod verify;
