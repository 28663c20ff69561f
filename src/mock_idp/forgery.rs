//! Wrong ID tokens, for tests of a client's ID token verification (OpenID Connect Core
//! §3.1.3.7): each kind breaks one rule.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Map, Value};

use super::id_token::{at_hash, sign, IdTokenError};
use super::keys::{stranger, SigningKey};
use super::state::random_string;

/// The audience that is not the client.
const OTHER_AUDIENCE: &str = "other-client";
/// One hour, how far wrong times are off.
const HOUR: i64 = 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgery {
    WrongIss,
    WrongAud,
    MultipleAudNoAzp,
    WrongAzp,
    Expired,
    FutureIat,
    NbfFuture,
    BadSignature,
    UnknownKid,
    AlgNone,
    Hs256WithPublicKey,
    MissingNonce,
    WrongNonce,
    WrongAtHash,
}

impl Forgery {
    pub const ALL: [Forgery; 14] = [
        Forgery::WrongIss,
        Forgery::WrongAud,
        Forgery::MultipleAudNoAzp,
        Forgery::WrongAzp,
        Forgery::Expired,
        Forgery::FutureIat,
        Forgery::NbfFuture,
        Forgery::BadSignature,
        Forgery::UnknownKid,
        Forgery::AlgNone,
        Forgery::Hs256WithPublicKey,
        Forgery::MissingNonce,
        Forgery::WrongNonce,
        Forgery::WrongAtHash,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Forgery::WrongIss => "wrong_iss",
            Forgery::WrongAud => "wrong_aud",
            Forgery::MultipleAudNoAzp => "multiple_aud_no_azp",
            Forgery::WrongAzp => "wrong_azp",
            Forgery::Expired => "expired",
            Forgery::FutureIat => "future_iat",
            Forgery::NbfFuture => "nbf_future",
            Forgery::BadSignature => "bad_signature",
            Forgery::UnknownKid => "unknown_kid",
            Forgery::AlgNone => "alg_none",
            Forgery::Hs256WithPublicKey => "hs256_with_public_key",
            Forgery::MissingNonce => "missing_nonce",
            Forgery::WrongNonce => "wrong_nonce",
            Forgery::WrongAtHash => "wrong_at_hash",
        }
    }

    pub fn parse(kind: &str) -> Option<Forgery> {
        Forgery::ALL.into_iter().find(|f| f.name() == kind)
    }

    /// Every kind, for error messages.
    pub fn names() -> String {
        Forgery::ALL.map(Forgery::name).join(", ")
    }

    /// Changes the claims as this kind requires; signature kinds leave them as they are.
    fn alter(self, claims: &mut Map<String, Value>, now: i64) {
        let aud = claims.get("aud").cloned().unwrap_or(Value::Null);
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
        match self {
            Forgery::WrongIss => {
                let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
                claims.insert("iss".into(), format!("{iss}/wrong").into());
            }
            Forgery::WrongAud => {
                claims.insert("aud".into(), OTHER_AUDIENCE.into());
            }
            Forgery::MultipleAudNoAzp => {
                claims.insert("aud".into(), json!([aud, OTHER_AUDIENCE]));
                claims.remove("azp");
            }
            Forgery::WrongAzp => {
                claims.insert("aud".into(), json!([aud, OTHER_AUDIENCE]));
                claims.insert("azp".into(), OTHER_AUDIENCE.into());
            }
            Forgery::Expired => {
                let iat = now - 2 * HOUR;
                claims.insert("exp".into(), (now - HOUR).into());
                claims.insert("iat".into(), iat.into());
                claims.insert("auth_time".into(), iat.into());
            }
            Forgery::FutureIat => {
                claims.insert("iat".into(), (now + HOUR).into());
                claims.insert("exp".into(), exp.saturating_add(HOUR).into());
            }
            Forgery::NbfFuture => {
                claims.insert("nbf".into(), (now + HOUR).into());
                claims.insert("exp".into(), exp.saturating_add(HOUR).into());
            }
            Forgery::MissingNonce => {
                claims.remove("nonce");
            }
            Forgery::WrongNonce => {
                claims.insert("nonce".into(), random_string(16).into());
            }
            Forgery::WrongAtHash => {
                claims.insert("at_hash".into(), at_hash(&random_string(24)).into());
            }
            Forgery::BadSignature
            | Forgery::UnknownKid
            | Forgery::AlgNone
            | Forgery::Hs256WithPublicKey => {}
        }
    }

    /// The ID token with `claims`, wrong in this kind's way; `key` is the server's current key.
    pub fn forge(
        self,
        mut claims: Map<String, Value>,
        key: &SigningKey,
        now: i64,
    ) -> Result<String, IdTokenError> {
        self.alter(&mut claims, now);
        match self {
            Forgery::BadSignature => Ok(damage_signature(&sign(&claims, key)?)),
            Forgery::UnknownKid => sign(&claims, stranger(key.alg)?.as_ref()),
            Forgery::AlgNone => Ok(unsecured(&claims, &key.kid)),
            Forgery::Hs256WithPublicKey => {
                let mut header = Header::new(Algorithm::HS256);
                header.kid = Some(key.kid.clone());
                let secret = EncodingKey::from_secret(key.public_pem.as_bytes());
                Ok(jsonwebtoken::encode(&header, &claims, &secret)?)
            }
            _ => sign(&claims, key),
        }
    }
}

/// The token with one bit of its signature flipped.
fn damage_signature(token: &str) -> String {
    let (message, signature) = token.rsplit_once('.').unwrap_or((token, ""));
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    match bytes.first_mut() {
        Some(first) => *first ^= 0x01,
        None => bytes.push(0),
    }
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// An Unsecured JWS (RFC 7515 Appendix A.5): `alg` "none" and an empty signature, naming a
/// published key so that a client must refuse it for its `alg`, not its `kid`.
fn unsecured(claims: &Map<String, Value>, kid: &str) -> String {
    let header = json!({"alg": "none", "typ": "JWT", "kid": kid});
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.",
        part(&header),
        part(&Value::Object(claims.clone()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock_idp::id_token::{claims, now, IdTokenFacts};
    use crate::mock_idp::keys::{pooled, SigningAlg};
    use crate::mock_idp::state::default_users;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{decode, DecodingKey, Validation};

    #[test]
    fn every_kind_parses_from_its_name() {
        for f in Forgery::ALL {
            assert_eq!(Forgery::parse(f.name()), Some(f));
        }
        assert_eq!(Forgery::parse("nope"), None);
        assert!(Forgery::names().contains("hs256_with_public_key"));
    }

    #[test]
    fn damaged_signature_differs_in_one_bit() {
        let damaged = damage_signature("a.b.AAAA");
        assert_eq!(damaged, "a.b.AQAA");
    }

    /// What a careful client checks: the published key, `iss`, `aud`, times, `azp`, nonce, at_hash.
    fn verifies(token: &str, key: &SigningKey) -> bool {
        let Ok(jwk) = serde_json::from_value::<Jwk>(key.jwk.clone()) else {
            return false;
        };
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return false;
        };
        if header.kid.as_deref() != Some(key.kid.as_str()) {
            return false;
        }
        let Ok(decoding) = DecodingKey::from_jwk(&jwk) else {
            return false;
        };
        let mut validation = Validation::new(key.alg.algorithm());
        validation.set_issuer(&["http://127.0.0.1:1"]);
        validation.set_audience(&["client"]);
        validation.validate_nbf = true;
        validation.leeway = 0;
        let Ok(data) = decode::<Map<String, Value>>(token, &decoding, &validation) else {
            return false;
        };
        let c = data.claims;
        let iat_ok = c.get("iat").and_then(Value::as_i64).unwrap_or(i64::MAX) <= now() + 5;
        let azp_ok = match c.get("aud") {
            Some(Value::Array(a)) if a.len() > 1 => c.get("azp") == Some(&json!("client")),
            _ => c.get("azp").is_none_or(|azp| azp == "client"),
        };
        iat_ok
            && azp_ok
            && c.get("nonce") == Some(&json!("nonce"))
            && c.get("at_hash") == Some(&json!(at_hash("token")))
    }

    #[test]
    fn every_forgery_fails_verification_and_the_real_token_passes() -> Result<(), IdTokenError> {
        let users = default_users();
        for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
            let key = pooled(alg, 0)?;
            let facts = IdTokenFacts {
                issuer: "http://127.0.0.1:1",
                client_id: "client",
                user: &users[0],
                auth_time: now(),
                nonce: Some("nonce"),
                access_token: "token",
                ttl: 600,
            };
            let real = sign(&claims(&facts, now()), &key)?;
            assert!(verifies(&real, &key), "{alg:?}");
            for forgery in Forgery::ALL {
                let token = forgery.forge(claims(&facts, now()), &key, now())?;
                assert!(!verifies(&token, &key), "{alg:?} {}", forgery.name());
            }
        }
        Ok(())
    }
}
