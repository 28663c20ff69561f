//! ID tokens (OpenID Connect Core §2): their claims, `at_hash` and signature.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::Header;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::forgery::Forgery;
use super::keys::{KeyError, SigningKey};
use super::state::MockUser;

/// An ID token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot sign the ID token: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// OpenID Connect Core §3.1.3.6: base64url of the left half of SHA-256 of the access token
/// (the hash of both RS256 and ES256).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// What an ID token asserts.
pub struct IdTokenFacts<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub user: &'a MockUser,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
    /// Lifetime in seconds: the access token's.
    pub ttl: i64,
}

/// The claims: the protocol's first, then the user's (which never replace them).
pub fn claims(facts: &IdTokenFacts<'_>, now: i64) -> Map<String, Value> {
    let mut claims = Map::new();
    let sub = facts
        .user
        .claims
        .get("sub")
        .cloned()
        .unwrap_or_else(|| Value::String(facts.user.id.to_string()));
    claims.insert("iss".into(), facts.issuer.into());
    claims.insert("sub".into(), sub);
    claims.insert("aud".into(), facts.client_id.into());
    claims.insert("exp".into(), now.saturating_add(facts.ttl).into());
    claims.insert("iat".into(), now.into());
    claims.insert("auth_time".into(), facts.auth_time.into());
    if let Some(nonce) = facts.nonce {
        claims.insert("nonce".into(), nonce.into());
    }
    claims.insert("at_hash".into(), at_hash(facts.access_token).into());
    if let Value::Object(user_claims) = facts.user.userinfo() {
        for (name, value) in user_claims {
            claims.entry(name).or_insert(value);
        }
    }
    claims
}

/// A JWS in compact serialization, signed with `key` and naming it in `kid`.
pub fn sign(claims: &Map<String, Value>, key: &SigningKey) -> Result<String, IdTokenError> {
    let mut header = Header::new(key.alg.algorithm());
    header.kid = Some(key.kid.clone());
    Ok(jsonwebtoken::encode(&header, claims, &key.encoding)?)
}

/// The ID token of a token response: right, or wrong in the way of `forgery`.
pub fn issue(
    facts: &IdTokenFacts<'_>,
    key: &SigningKey,
    forgery: Option<Forgery>,
) -> Result<String, IdTokenError> {
    let now = now();
    let claims = claims(facts, now);
    match forgery {
        None => sign(&claims, key),
        Some(forgery) => forgery.forge(claims, key, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock_idp::keys::{pooled, SigningAlg};
    use crate::mock_idp::state::default_users;

    /// OpenID Connect Core, Appendix A.3: the example access token and its `at_hash`.
    #[test]
    fn at_hash_matches_the_openid_connect_example() {
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    fn facts(user: &MockUser) -> IdTokenFacts<'_> {
        IdTokenFacts {
            issuer: "http://127.0.0.1:1",
            client_id: "client",
            user,
            auth_time: 100,
            nonce: Some("n-0S6_WzA2Mj"),
            access_token: "token",
            ttl: 60,
        }
    }

    #[test]
    fn claims_hold_protocol_and_user_claims() {
        let users = default_users();
        let claims = claims(&facts(&users[0]), 1000);
        assert_eq!(claims["iss"], "http://127.0.0.1:1");
        assert_eq!(claims["sub"], "1001");
        assert_eq!(claims["aud"], "client");
        assert_eq!(claims["exp"], 1060);
        assert_eq!(claims["iat"], 1000);
        assert_eq!(claims["auth_time"], 100);
        assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(claims["at_hash"], at_hash("token").as_str());
        assert_eq!(claims["email"], "alice@example.com");
        assert_eq!(claims["preferred_username"], "alice");
        assert_eq!(
            claims["groups"],
            serde_json::json!(["admins", "developers"])
        );
    }

    #[test]
    fn user_claims_never_replace_protocol_claims() {
        let mut custom = Map::new();
        custom.insert("iss".into(), "https://evil.example".into());
        custom.insert("aud".into(), "evil".into());
        let user = MockUser::new("eve", 7, custom);
        let claims = claims(&facts(&user), 1000);
        assert_eq!(claims["iss"], "http://127.0.0.1:1");
        assert_eq!(claims["aud"], "client");
        assert_eq!(claims["sub"], "7");
    }

    #[test]
    fn signed_token_names_its_key() -> Result<(), IdTokenError> {
        let key = pooled(SigningAlg::Es256, 0)?;
        let users = default_users();
        let token = issue(&facts(&users[0]), &key, None)?;
        let header = jsonwebtoken::decode_header(&token)?;
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        Ok(())
    }
}
