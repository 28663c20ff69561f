//! ID tokens (OpenID Connect Core §2): their claims, `at_hash` and signature.

use flet_auth_primitives::token_hash::at_hash;
use jsonwebtoken::Header;
use serde_json::{Map, Value};

use crate::error::IdTokenError;
use crate::keys::{SigningAlg, SigningKey};
use crate::users::MockUser;

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

/// The claims of a token signed with `alg` at `now`: the protocol's first, then the user's
/// (which never replace them).
pub fn claims(
    facts: &IdTokenFacts<'_>,
    alg: SigningAlg,
    now: i64,
) -> Result<Map<String, Value>, IdTokenError> {
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
    let hash = at_hash(facts.access_token, alg.name())?;
    claims.insert("at_hash".into(), hash.into());
    if let Value::Object(user_claims) = facts.user.userinfo() {
        for (name, value) in user_claims {
            claims.entry(name).or_insert(value);
        }
    }
    Ok(claims)
}

/// The JOSE header of a token that `key` signs: its `alg`, `typ` JWT and its `kid`.
pub fn header(key: &SigningKey) -> Header {
    let mut header = Header::new(key.alg.algorithm());
    header.kid = Some(key.kid.clone());
    header
}

/// A JWS in compact serialization, signed with `key` and naming it in `kid`.
pub fn sign(claims: &Map<String, Value>, key: &SigningKey) -> Result<String, IdTokenError> {
    Ok(jsonwebtoken::encode(&header(key), claims, &key.encoding)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::pooled;
    use crate::users::default_users;

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
    fn claims_hold_protocol_and_user_claims() -> Result<(), IdTokenError> {
        let users = default_users();
        let claims = claims(&facts(&users[0]), SigningAlg::Rs256, 1000)?;
        assert_eq!(claims["iss"], "http://127.0.0.1:1");
        assert_eq!(claims["sub"], "1001");
        assert_eq!(claims["aud"], "client");
        assert_eq!(claims["exp"], 1060);
        assert_eq!(claims["iat"], 1000);
        assert_eq!(claims["auth_time"], 100);
        assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(claims["at_hash"], at_hash("token", "RS256")?.as_str());
        assert_eq!(claims["email"], "alice@example.com");
        assert_eq!(claims["preferred_username"], "alice");
        assert_eq!(
            claims["groups"],
            serde_json::json!(["admins", "developers"])
        );
        Ok(())
    }

    #[test]
    fn user_claims_never_replace_protocol_claims() -> Result<(), IdTokenError> {
        let mut custom = Map::new();
        custom.insert("iss".into(), "https://evil.example".into());
        custom.insert("aud".into(), "evil".into());
        let user = MockUser::new("eve", 7, custom);
        let claims = claims(&facts(&user), SigningAlg::Es256, 1000)?;
        assert_eq!(claims["iss"], "http://127.0.0.1:1");
        assert_eq!(claims["aud"], "client");
        assert_eq!(claims["sub"], "7");
        Ok(())
    }

    #[test]
    fn signed_token_names_its_key() -> Result<(), IdTokenError> {
        let key = pooled(SigningAlg::Es256, 0)?;
        let users = default_users();
        let token = sign(&claims(&facts(&users[0]), key.alg, 1000)?, &key)?;
        let header = jsonwebtoken::decode_header(&token)?;
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        Ok(())
    }
}
