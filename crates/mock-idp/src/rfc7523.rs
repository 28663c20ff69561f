//! JWT client assertions (RFC 7523 §2.2 and §3, OpenID Connect Core §9): the confidential
//! client registered for `private_key_jwt` with its public keys, or for `client_secret_jwt`
//! with its secret, and the check of each assertion it sends.

use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::error::MockError;

/// The `client_assertion_type` of a JWT assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The latest `exp` accepted, in seconds from now: an assertion is meant for one request.
pub const MAX_LIFETIME: i64 = 300;

/// Seconds of clock difference forgiven.
const LEEWAY: i64 = 5;

/// The algorithms each kind of key verifies.
const RSA_ALGS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::PS256];
const EC_ALGS: [Algorithm; 1] = [Algorithm::ES256];

/// What discovery announces (`token_endpoint_auth_signing_alg_values_supported`).
pub const SIGNING_ALGS: [&str; 4] = ["RS256", "PS256", "ES256", "HS256"];

/// One public key of the client.
#[derive(Clone)]
pub struct ClientKey {
    kid: Option<String>,
    key: DecodingKey,
    algorithms: &'static [Algorithm],
}

/// How the confidential client authenticates when it is not with its secret.
#[derive(Clone)]
pub enum ClientAssertion {
    /// Assertions signed with one of these keys.
    PrivateKeyJwt(Vec<ClientKey>),
    /// Assertions signed HS256 with the client secret.
    ClientSecretJwt,
}

fn bad(what: &str) -> MockError {
    MockError::Configuration(format!("client_jwks {what}"))
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, MockError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(&format!("has a key without {name}")))
}

fn client_key(jwk: &Map<String, Value>) -> Result<ClientKey, MockError> {
    let (key, algorithms): (_, &'static [Algorithm]) = match member(jwk, "kty")? {
        "RSA" => (
            DecodingKey::from_rsa_components(member(jwk, "n")?, member(jwk, "e")?),
            &RSA_ALGS,
        ),
        "EC" if member(jwk, "crv")? == "P-256" => (
            DecodingKey::from_ec_components(member(jwk, "x")?, member(jwk, "y")?),
            &EC_ALGS,
        ),
        _ => return Err(bad("may hold only RSA and EC P-256 keys")),
    };
    let key = key.map_err(|_| bad("has a key that is not a valid public key"))?;
    let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
    Ok(ClientKey {
        kid,
        key,
        algorithms,
    })
}

impl ClientAssertion {
    /// `private_key_jwt` with the keys of `jwks`: a JWK Set (`{"keys": [...]}`) or one JWK.
    /// Only the public members of a key are read.
    pub fn private_key_jwt(jwks: &Value) -> Result<ClientAssertion, MockError> {
        let keys = match jwks.get("keys") {
            Some(Value::Array(keys)) => keys.iter().collect(),
            Some(_) => return Err(bad("keys must be a list")),
            None => vec![jwks],
        };
        let keys = keys
            .into_iter()
            .map(|k| k.as_object().ok_or_else(|| bad("must hold JWK objects")))
            .map(|k| k.and_then(client_key))
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(bad("holds no key"));
        }
        Ok(ClientAssertion::PrivateKeyJwt(keys))
    }

    /// The RFC 7591 name of the method.
    pub fn method(&self) -> &'static str {
        match self {
            ClientAssertion::PrivateKeyJwt(_) => "private_key_jwt",
            ClientAssertion::ClientSecretJwt => "client_secret_jwt",
        }
    }

    /// Checks `assertion` of `client_id` (RFC 7523 §3): the signature, `iss` = `sub` =
    /// `client_id`, `aud` one of `audiences`, `exp` ahead but at most `MAX_LIFETIME`, `nbf`
    /// and `iat` not ahead, and a `jti`. Returns the `jti` and `exp`, for the replay check,
    /// or why the assertion is refused.
    pub fn verify(
        &self,
        assertion: &str,
        client_id: &str,
        secret: &str,
        audiences: &[String],
        now: i64,
    ) -> Result<(String, i64), &'static str> {
        let header = decode_header(assertion).map_err(|_| "client_assertion is not a JWT")?;
        let (key, algorithms) = match self {
            ClientAssertion::ClientSecretJwt => (
                DecodingKey::from_secret(secret.as_bytes()),
                &[Algorithm::HS256][..],
            ),
            ClientAssertion::PrivateKeyJwt(keys) => {
                let chosen = keys.iter().find(|k| {
                    k.algorithms.contains(&header.alg)
                        && (header.kid.is_none() || k.kid == header.kid)
                });
                let key = chosen.ok_or("no registered key of the client verifies this alg/kid")?;
                (key.key.clone(), key.algorithms)
            }
        };
        if !algorithms.contains(&header.alg) {
            return Err("the assertion's alg is not the one of the client's method");
        }
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = decode::<Map<String, Value>>(assertion, &key, &validation)
            .map_err(|_| "the assertion's signature does not verify")?
            .claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let number = |name: &str| claims.get(name).and_then(Value::as_i64);
        if text("iss") != Some(client_id) || text("sub") != Some(client_id) {
            return Err("iss and sub must be the client_id");
        }
        let aud_ok = match claims.get("aud") {
            Some(Value::String(aud)) => audiences.contains(aud),
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .any(|a| audiences.iter().any(|x| x == a)),
            _ => false,
        };
        if !aud_ok {
            return Err("aud must be the token endpoint URL or the issuer");
        }
        let exp = number("exp").ok_or("exp is missing")?;
        if exp + LEEWAY <= now {
            return Err("the assertion expired");
        }
        if exp > now + MAX_LIFETIME {
            return Err("exp is too far ahead");
        }
        for name in ["nbf", "iat"] {
            if number(name).is_some_and(|t| t > now + LEEWAY) {
                return Err("nbf or iat is in the future");
            }
        }
        let jti = text("jti")
            .filter(|j| !j.is_empty())
            .ok_or("jti is missing")?;
        Ok((jti.to_owned(), exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const SECRET: &str = "the-client-secret";

    fn hs256(claims: Value) -> String {
        let key = EncodingKey::from_secret(SECRET.as_bytes());
        encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap_or_default()
    }

    fn claims(aud: &str, exp: i64) -> Value {
        json!({"iss": "c", "sub": "c", "aud": aud, "exp": exp, "iat": 1000, "jti": "j1"})
    }

    #[test]
    fn a_client_secret_jwt_assertion_gives_its_jti_and_exp() {
        let audiences = ["https://idp/token".to_owned()];
        let token = hs256(claims("https://idp/token", 1060));
        let got = ClientAssertion::ClientSecretJwt.verify(&token, "c", SECRET, &audiences, 1000);
        assert_eq!(got, Ok(("j1".to_owned(), 1060)));
    }

    #[test]
    fn an_audience_in_a_list_counts_and_another_is_refused() {
        let audiences = ["https://idp/token".to_owned()];
        let method = ClientAssertion::ClientSecretJwt;
        let listed = hs256(
            json!({"iss": "c", "sub": "c", "aud": ["x", "https://idp/token"],
                                  "exp": 1060, "jti": "j"}),
        );
        assert!(method
            .verify(&listed, "c", SECRET, &audiences, 1000)
            .is_ok());
        let other = hs256(claims("https://other/token", 1060));
        assert!(method
            .verify(&other, "c", SECRET, &audiences, 1000)
            .is_err());
    }

    #[test]
    fn a_symmetric_key_in_client_jwks_is_a_configuration_error() {
        let jwks = json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]});
        assert!(matches!(
            ClientAssertion::private_key_jwt(&jwks),
            Err(MockError::Configuration(m)) if m.contains("client_jwks")
        ));
    }
}
