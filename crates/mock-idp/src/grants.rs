//! What the provider has issued: authorization codes (single use, short-lived), refresh tokens
//! and access tokens, tied together by their grant so that revocation can follow it
//! (RFC 7009 §2.1).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use flet_auth_primitives::random;
use flet_auth_primitives::rfc7636::CodeChallengeMethod;

/// How long an authorization code may be exchanged.
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// An authorization code and what it was issued for (RFC 6749 §4.1.2).
pub struct AuthorizationCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub username: String,
    pub scope: String,
    /// `code_challenge` and its method (RFC 7636 §4.4).
    pub code_challenge: Option<(String, CodeChallengeMethod)>,
    /// The `nonce` of the authorization request, for the ID token.
    pub nonce: Option<String>,
    pub issued: Instant,
    /// When the user authenticated, in seconds since the epoch.
    pub auth_time: i64,
    /// The `dpop_jkt` of the authorization request (RFC 9449 §10): the code is bound to it.
    pub dpop_jkt: Option<String>,
}

/// What a user granted a client; refresh tokens carry it from token to token.
#[derive(Clone, Debug)]
pub struct Grant {
    /// Identifies the grant across refreshes, so that revoking a refresh token can also
    /// revoke the access tokens of the same grant.
    pub grant_id: String,
    pub client_id: String,
    pub username: String,
    pub scope: String,
    pub auth_time: i64,
    /// The thumbprint of the DPoP key the grant's tokens are bound to (`cnf.jkt`, RFC 9449 §6).
    pub dpop_jkt: Option<String>,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split_ascii_whitespace().any(|s| s == scope)
    }
}

struct AccessGrant {
    grant_id: String,
    client_id: String,
    username: String,
    expires: Instant,
    dpop_jkt: Option<String>,
}

/// The codes and tokens that are valid now.
#[derive(Default)]
pub struct Grants {
    codes: HashMap<String, AuthorizationCode>,
    refresh_tokens: HashMap<String, Grant>,
    access_tokens: HashMap<String, AccessGrant>,
}

impl Grants {
    /// Stores `code` under a new random value, which it returns.
    pub fn issue_code(&mut self, code: AuthorizationCode) -> String {
        let value = random::url_safe(24);
        self.codes.insert(value.clone(), code);
        value
    }

    /// Removes a code: every code can be exchanged once.
    pub fn take_code(&mut self, code: &str) -> Option<AuthorizationCode> {
        self.codes.remove(code)
    }

    /// Removes a refresh token: every one is used once (rotation).
    pub fn take_refresh_token(&mut self, token: &str) -> Option<Grant> {
        self.refresh_tokens.remove(token)
    }

    pub fn add_access_token(&mut self, token: String, grant: &Grant, expires: Instant) {
        let access = AccessGrant {
            grant_id: grant.grant_id.clone(),
            client_id: grant.client_id.clone(),
            username: grant.username.clone(),
            expires,
            dpop_jkt: grant.dpop_jkt.clone(),
        };
        self.access_tokens.insert(token, access);
    }

    pub fn add_refresh_token(&mut self, token: String, grant: Grant) {
        self.refresh_tokens.insert(token, grant);
    }

    /// The user of an access token that is known and not expired, and the thumbprint of the
    /// DPoP key it is bound to.
    pub fn access_token(&self, token: &str) -> Option<(&str, Option<&str>)> {
        let grant = self.access_tokens.get(token)?;
        (grant.expires > Instant::now())
            .then_some((grant.username.as_str(), grant.dpop_jkt.as_deref()))
    }

    /// RFC 7009 §2.1: revokes `token` when it was issued to `client_id`, looking first where
    /// `token_type_hint` says; tells what it revoked. A refresh token takes the access tokens
    /// of its grant with it.
    pub fn revoke(
        &mut self,
        client_id: &str,
        token: &str,
        token_type_hint: Option<&str>,
    ) -> Option<&'static str> {
        let order = match token_type_hint {
            Some("access_token") => ["access_token", "refresh_token"],
            _ => ["refresh_token", "access_token"],
        };
        order.into_iter().find(|kind| match *kind {
            "refresh_token" => self.revoke_refresh_token(client_id, token),
            _ => self.revoke_access_token(client_id, token),
        })
    }

    fn revoke_refresh_token(&mut self, client_id: &str, token: &str) -> bool {
        match self.refresh_tokens.get(token) {
            Some(grant) if grant.client_id == client_id => {
                let grant_id = grant.grant_id.clone();
                self.refresh_tokens.remove(token);
                self.access_tokens.retain(|_, a| a.grant_id != grant_id);
                true
            }
            _ => false,
        }
    }

    fn revoke_access_token(&mut self, client_id: &str, token: &str) -> bool {
        match self.access_tokens.get(token) {
            Some(a) if a.client_id == client_id => {
                self.access_tokens.remove(token);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> AuthorizationCode {
        AuthorizationCode {
            client_id: "c".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            username: "alice".into(),
            scope: "openid".into(),
            code_challenge: None,
            nonce: None,
            issued: Instant::now(),
            auth_time: 0,
            dpop_jkt: None,
        }
    }

    #[test]
    fn a_code_can_be_taken_once() {
        let mut grants = Grants::default();
        let value = grants.issue_code(code());
        assert!(grants.take_code(&value).is_some());
        assert!(grants.take_code(&value).is_none());
    }

    #[test]
    fn an_expired_access_token_has_no_user() {
        let mut grants = Grants::default();
        let grant = Grant {
            grant_id: "g".into(),
            client_id: "c".into(),
            username: "alice".into(),
            scope: String::new(),
            auth_time: 0,
            dpop_jkt: None,
        };
        let past = Instant::now() - Duration::from_secs(1);
        grants.add_access_token("old".into(), &grant, past);
        grants.add_access_token("new".into(), &grant, Instant::now() + CODE_TTL);
        assert_eq!(grants.access_token("old").map(|(u, _)| u), None);
        assert_eq!(grants.access_token("new").map(|(u, _)| u), Some("alice"));
    }
}
