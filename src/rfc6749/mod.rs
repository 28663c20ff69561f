//! OAuth 2.0 (RFC 6749): provider settings, client authentication, the authorization request
//! and response, the token requests and responses, refresh.

pub mod authorization;
pub mod client_auth;
pub mod provider;
pub mod redirect;
pub mod refresh;
pub mod response;
pub mod token;
pub mod token_request;
