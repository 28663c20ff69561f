//! The provider's settings: its two clients, its users, what it issues and how it signs.

use std::time::Duration;

use flet_auth_primitives::random;

use crate::keys::SigningAlg;
use crate::rfc7523::ClientAssertion;
use crate::users::{default_users, MockUser};

/// How a provider is set up; `Settings::default()` is what `MockOAuthServer()` gets. (No
/// `Debug`: it holds the client secret.)
#[derive(Clone)]
pub struct Settings {
    /// The confidential client (client secret, post or basic).
    pub client_id: String,
    pub client_secret: String,
    /// The confidential client authenticates with JWT assertions (RFC 7523) instead of its
    /// secret: `private_key_jwt` with its public keys, or `client_secret_jwt`.
    pub client_assertion: Option<ClientAssertion>,
    /// The public client: no secret, PKCE required.
    pub public_client_id: String,
    /// The redirect URIs a client may use; None allows any http(s) URI.
    pub redirect_uris: Option<Vec<String>>,
    pub users: Vec<MockUser>,
    /// Show an HTML page with Allow and Deny instead of consenting at once.
    pub login_form: bool,
    pub issue_refresh_tokens: bool,
    /// Lifetime in seconds of the first access tokens (changeable while serving).
    pub access_token_ttl: i64,
    pub id_token_alg: SigningAlg,
    /// `iss` of ID tokens and discovery, instead of the base URL.
    pub issuer: Option<String>,
    /// The `interval` of device authorizations (RFC 8628 §3.2).
    pub device_interval: Duration,
    /// The lifetime of device and user codes.
    pub device_code_ttl: Duration,
    /// RFC 9207: send `iss` in authorization responses and announce it in discovery
    /// (`authorization_response_iss_parameter_supported`).
    pub iss_parameter_supported: bool,
    /// RFC 9126: refuse authorization requests that were not pushed, and announce it
    /// (`require_pushed_authorization_requests`).
    pub require_par: bool,
    /// The lifetime of a pushed request's `request_uri`.
    pub par_expires_in: Duration,
    /// RFC 9449 §8, §9: DPoP proofs must carry the server's nonce (`use_dpop_nonce` until
    /// they do).
    pub require_dpop_nonce: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            client_id: "mock-client".into(),
            client_secret: random::url_safe(24),
            client_assertion: None,
            public_client_id: "mock-public-client".into(),
            redirect_uris: None,
            users: default_users(),
            login_form: false,
            issue_refresh_tokens: true,
            access_token_ttl: 3600,
            id_token_alg: SigningAlg::Rs256,
            issuer: None,
            device_interval: Duration::from_secs(5),
            device_code_ttl: Duration::from_secs(600),
            iss_parameter_supported: true,
            require_par: false,
            par_expires_in: Duration::from_secs(60),
            require_dpop_nonce: false,
        }
    }
}
