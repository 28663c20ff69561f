//! The forged-token matrix without a server: for what a client expects, the genuine ID token,
//! each forged one and the JWK Set the provider publishes, so that a verifier's unit tests can
//! walk [`Forgery::ALL`] and check that each token is refused for [`Forgery::rule`].

use std::sync::Arc;

use flet_auth_primitives::time;
use jsonwebtoken::Header;
use serde_json::{Map, Value};

use crate::error::{IdTokenError, KeyError};
use crate::forgery::Forgery;
use crate::id_token::{claims, header, sign, IdTokenFacts};
use crate::keys::{pooled, SigningAlg, SigningKey};
use crate::users::{default_users, MockUser};

/// Lifetime in seconds of the matrix's tokens.
const TTL: i64 = 600;

/// What the client knows when it verifies an ID token: the facts the tokens are made for.
#[derive(Clone, Debug)]
pub struct ClientFacts {
    /// `iss`: the provider's issuer identifier.
    pub issuer: String,
    /// `aud` (and `azp` when there are several audiences).
    pub client_id: String,
    /// The `nonce` of the authentication request; a verifier must expect it, since
    /// `missing_nonce` and `wrong_nonce` are refused only for a login that sent one.
    pub nonce: String,
    /// The access token issued with the ID token, for `at_hash`.
    pub access_token: String,
}

/// The ID tokens a provider signing with one key would issue for [`ClientFacts`], right and
/// wrong, and the JWK Set that verifies the right one.
pub struct ForgeryMatrix {
    key: Arc<SigningKey>,
    /// The mislabelled keys that some forgeries need published.
    decoys: Vec<Value>,
    user: MockUser,
    facts: ClientFacts,
}

impl ForgeryMatrix {
    /// Tokens signed with the process's first `alg` key, the one a provider starts with. May
    /// generate it and the decoy key (an RSA key takes a while unoptimized): call it off an
    /// async runtime.
    pub fn new(alg: SigningAlg, facts: ClientFacts) -> Result<ForgeryMatrix, KeyError> {
        let user = default_users().swap_remove(0);
        let mut decoys = Vec::new();
        for forgery in Forgery::ALL {
            decoys.extend(forgery.published_jwk(alg)?);
        }
        Ok(ForgeryMatrix {
            key: pooled(alg, 0)?,
            decoys,
            user,
            facts,
        })
    }

    /// The `alg` of the signed tokens.
    pub fn alg(&self) -> SigningAlg {
        self.key.alg
    }

    /// The `sub` of every token (the first built-in user's, "1001").
    pub fn subject(&self) -> &str {
        self.user.claims["sub"].as_str().unwrap_or_default()
    }

    /// The JWK Set document (RFC 7517 §5) the provider publishes: its signing key, with
    /// `kid`, `alg` and `use`, then the mislabelled keys of [`Forgery::published_jwk`], which
    /// verify nothing. Deserializes into `jsonwebtoken::jwk::JwkSet`.
    pub fn jwks(&self) -> Value {
        let keys: Vec<&Value> = std::iter::once(&self.key.jwk).chain(&self.decoys).collect();
        serde_json::json!({ "keys": keys })
    }

    /// A token that a correct verifier accepts, made now and valid for ten minutes.
    pub fn genuine(&self) -> Result<String, IdTokenError> {
        sign(&self.claims(time::now_secs())?, &self.key)
    }

    /// A token made now and signed with the provider's key after `edit` changed its header
    /// or claims: for a verifier's tests of variants that no [`Forgery`] makes.
    pub fn sign_with(
        &self,
        edit: impl FnOnce(&mut Header, &mut Map<String, Value>),
    ) -> Result<String, IdTokenError> {
        let mut claims = self.claims(time::now_secs())?;
        let mut header = header(&self.key);
        edit(&mut header, &mut claims);
        Ok(jsonwebtoken::encode(&header, &claims, &self.key.encoding)?)
    }

    /// A token made now that is right but for what `forgery` breaks.
    pub fn forged(&self, forgery: Forgery) -> Result<String, IdTokenError> {
        let now = time::now_secs();
        forgery.forge(self.claims(now)?, &self.key, now)
    }

    fn claims(&self, now: i64) -> Result<Map<String, Value>, IdTokenError> {
        let facts = IdTokenFacts {
            issuer: &self.facts.issuer,
            client_id: &self.facts.client_id,
            user: &self.user,
            auth_time: now,
            nonce: Some(&self.facts.nonce),
            access_token: &self.facts.access_token,
            ttl: TTL,
        };
        claims(&facts, self.key.alg, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forgery::Rule;
    use flet_auth_primitives::token_hash::at_hash;
    use jsonwebtoken::errors::ErrorKind;
    use jsonwebtoken::jwk::{JwkSet, PublicKeyUse};
    use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
    use serde_json::json;
    use std::error::Error;

    fn facts() -> ClientFacts {
        ClientFacts {
            issuer: "http://127.0.0.1:1".into(),
            client_id: "client".into(),
            nonce: "n-0S6_WzA2Mj".into(),
            access_token: "token".into(),
        }
    }

    /// The `alg` written in a token's header, `none` included.
    fn written_alg(token: &str) -> Option<String> {
        use base64::Engine as _;
        let header = token.split('.').next()?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .ok()?;
        let header: Value = serde_json::from_slice(&raw).ok()?;
        header["alg"].as_str().map(str::to_owned)
    }

    /// A careful verifier, for this test only: the rule a token breaks, or Ok.
    fn check(token: &str, jwks: &JwkSet, expect: &ClientFacts) -> Result<(), Rule> {
        let alg = match written_alg(token).as_deref() {
            Some("RS256") => Algorithm::RS256,
            Some("ES256") => Algorithm::ES256,
            _ => return Err(Rule::Algorithm),
        };
        let header = decode_header(token).map_err(|_| Rule::Algorithm)?;
        if header.crit.is_some() {
            return Err(Rule::Critical);
        }
        if header.typ.as_deref() == Some("at+jwt") {
            return Err(Rule::Type);
        }
        let jwk = header
            .kid
            .as_deref()
            .and_then(|kid| jwks.find(kid))
            .ok_or(Rule::KeyId)?;
        if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
            return Err(Rule::KeyUse);
        }
        if matches!(jwk.common.key_algorithm, Some(a) if a.to_string() != format!("{alg:?}")) {
            return Err(Rule::KeyAlgorithm);
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|_| Rule::KeyId)?;
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&expect.issuer]);
        validation.set_audience(&[&expect.client_id]);
        validation.validate_nbf = true;
        validation.leeway = 0;
        let claims = decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidIssuer => Rule::Issuer,
                ErrorKind::InvalidAudience => Rule::Audience,
                ErrorKind::ExpiredSignature => Rule::Expiry,
                ErrorKind::ImmatureSignature => Rule::NotBefore,
                ErrorKind::InvalidSignature => Rule::Signature,
                _ => Rule::Algorithm,
            })?
            .claims;
        let iat = claims.get("iat").and_then(Value::as_i64);
        if iat.unwrap_or(i64::MAX) > time::now_secs() + 5 {
            return Err(Rule::IssuedAt);
        }
        if claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .is_empty()
        {
            return Err(Rule::Subject);
        }
        let several = matches!(claims.get("aud"), Some(Value::Array(a)) if a.len() > 1);
        match claims.get("azp") {
            Some(azp) if azp != expect.client_id.as_str() => return Err(Rule::AuthorizedParty),
            None if several => return Err(Rule::AuthorizedParty),
            _ => {}
        }
        if claims.get("nonce") != Some(&json!(expect.nonce)) {
            return Err(Rule::Nonce);
        }
        let hash = at_hash(&expect.access_token, &format!("{alg:?}")).ok();
        if claims.get("at_hash").and_then(Value::as_str) != hash.as_deref() {
            return Err(Rule::AccessTokenHash);
        }
        Ok(())
    }

    #[test]
    fn each_forgery_breaks_its_rule_and_the_genuine_token_none() -> Result<(), Box<dyn Error>> {
        for alg in SigningAlg::ALL {
            let matrix = ForgeryMatrix::new(alg, facts())?;
            let jwks: JwkSet = serde_json::from_value(matrix.jwks())?;
            assert_eq!(
                check(&matrix.genuine()?, &jwks, &facts()),
                Ok(()),
                "{alg:?}"
            );
            for forgery in Forgery::ALL {
                let verdict = check(&matrix.forged(forgery)?, &jwks, &facts());
                assert_eq!(verdict, Err(forgery.rule()), "{alg:?} {}", forgery.name());
            }
        }
        Ok(())
    }

    #[test]
    fn the_jwks_holds_the_signing_key_first_and_then_the_mislabelled_decoys(
    ) -> Result<(), Box<dyn Error>> {
        let matrix = ForgeryMatrix::new(SigningAlg::Es256, facts())?;
        let jwks = matrix.jwks();
        let header = decode_header(&matrix.genuine()?)?;
        let uses_and_algs: Vec<_> = jwks["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| (k["use"].as_str(), k["alg"].as_str()))
            .collect();
        assert_eq!(
            uses_and_algs,
            [
                (Some("sig"), Some("ES256")),
                (Some("enc"), Some("ES256")),
                (Some("sig"), Some("ES384"))
            ]
        );
        assert_eq!(header.kid.as_deref(), jwks["keys"][0]["kid"].as_str());
        assert_eq!(matrix.subject(), "1001");
        assert_eq!(matrix.alg(), SigningAlg::Es256);
        Ok(())
    }
}
