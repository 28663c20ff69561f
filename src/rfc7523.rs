//! JWT client assertions (RFC 7523 §2.2 and §3, OpenID Connect Core §9): `private_key_jwt`,
//! signed with the client's private key, and `client_secret_jwt`, HS256 with its secret.

use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use flet_auth_primitives::random::url_safe;
use flet_auth_primitives::time::now_secs;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey as _;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::{BigUint, RsaPrivateKey};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::errors::{Error, Result};

/// The `client_assertion_type` of a JWT assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid, in seconds.
const LIFETIME: i64 = 60;

/// The client's private key as the app gave it.
pub enum ClientKey {
    /// A JWK's string members.
    Jwk(Map<String, Value>),
    Pem(String),
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: i64,
    exp: i64,
}

/// Signs assertions with one key. Never printed: it holds the key.
#[derive(Clone)]
pub struct AssertionSigner {
    key: EncodingKey,
    header: Header,
}

fn bad_key(what: &str) -> Error {
    Error::Configuration(format!("provider.client_key {what}"))
}

impl AssertionSigner {
    /// The signer of `private_key_jwt`: RS256 for an RSA key, ES256 for an EC P-256 key
    /// unless `alg` (`client_key_alg`) says otherwise. Signs once to check key and algorithm.
    pub fn private_key(key: ClientKey, alg: Option<&str>) -> Result<Self> {
        let (key, default_alg, kid) = match key {
            ClientKey::Pem(pem) => {
                if let Ok(k) = EncodingKey::from_rsa_pem(pem.as_bytes()) {
                    (k, Algorithm::RS256, None)
                } else if let Ok(k) = EncodingKey::from_ec_pem(pem.as_bytes()) {
                    (k, Algorithm::ES256, None)
                } else {
                    return Err(bad_key("is not a PEM private RSA or EC P-256 key"));
                }
            }
            ClientKey::Jwk(jwk) => {
                let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
                let (key, alg) = match jwk.get("kty").and_then(Value::as_str) {
                    Some("RSA") => (rsa_jwk(&jwk)?, Algorithm::RS256),
                    Some("EC") => (ec_jwk(&jwk)?, Algorithm::ES256),
                    _ => return Err(bad_key("must be an RSA or EC private JWK (kty RSA or EC)")),
                };
                (key, alg, kid)
            }
        };
        let alg = match alg.filter(|a| !a.is_empty()) {
            Some(name) => Algorithm::from_str(name).map_err(|_| {
                Error::Configuration(format!("provider.client_key_alg {name:?} is not known"))
            })?,
            None => default_alg,
        };
        let mut header = Header::new(alg);
        header.kid = kid;
        let signer = AssertionSigner { key, header };
        signer.assertion("check", "check").map_err(|_| {
            Error::Configuration(format!(
                "provider.client_key cannot sign with provider.client_key_alg {alg:?}"
            ))
        })?;
        Ok(signer)
    }

    /// The signer of `client_secret_jwt`.
    pub fn client_secret(secret: &str) -> Self {
        AssertionSigner {
            key: EncodingKey::from_secret(secret.as_bytes()),
            header: Header::new(Algorithm::HS256),
        }
    }

    /// A fresh assertion of `client_id` for the endpoint `audience`.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<String> {
        let iat = now_secs();
        let claims = Claims {
            iss: client_id,
            sub: client_id,
            aud: audience,
            jti: url_safe(16),
            iat,
            exp: iat + LIFETIME,
        };
        encode(&self.header, &claims, &self.key)
            .map_err(|_| Error::Configuration("the client assertion could not be signed".into()))
    }
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| bad_key(&format!("has no {name}")))
}

fn uint(jwk: &Map<String, Value>, name: &str) -> Result<BigUint> {
    let bytes = URL_SAFE_NO_PAD
        .decode(member(jwk, name)?)
        .map_err(|_| bad_key(&format!("{name} is not base64url")))?;
    Ok(BigUint::from_bytes_be(&bytes))
}

/// An RSA private JWK (RFC 7518 §6.3.2) as the PKCS#1 DER `jsonwebtoken` signs with.
fn rsa_jwk(jwk: &Map<String, Value>) -> Result<EncodingKey> {
    let primes = vec![uint(jwk, "p")?, uint(jwk, "q")?];
    let key =
        RsaPrivateKey::from_components(uint(jwk, "n")?, uint(jwk, "e")?, uint(jwk, "d")?, primes)
            .map_err(|_| bad_key("is not a valid RSA private key"))?;
    let der = key
        .to_pkcs1_der()
        .map_err(|_| bad_key("is not a valid RSA private key"))?;
    Ok(EncodingKey::from_rsa_der(der.as_bytes()))
}

/// An EC P-256 private JWK (RFC 7518 §6.2.2) as the PKCS#8 DER `jsonwebtoken` signs with.
fn ec_jwk(jwk: &Map<String, Value>) -> Result<EncodingKey> {
    if member(jwk, "crv")? != "P-256" {
        return Err(bad_key("must be on the curve P-256"));
    }
    let mut only = Map::new();
    for name in ["kty", "crv", "x", "y", "d"] {
        only.insert(
            name.to_owned(),
            Value::String(member(jwk, name)?.to_owned()),
        );
    }
    let text = Value::Object(only).to_string();
    let key = p256::SecretKey::from_jwk_str(&text)
        .map_err(|_| bad_key("is not a valid EC P-256 private key"))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|_| bad_key("is not a valid EC P-256 private key"))?;
    Ok(EncodingKey::from_ec_der(der.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jwk_of_another_type_is_refused_by_setting_name() {
        let mut jwk = Map::new();
        jwk.insert("kty".into(), Value::String("oct".into()));
        jwk.insert("k".into(), Value::String("c2VjcmV0".into()));
        assert!(matches!(
            AssertionSigner::private_key(ClientKey::Jwk(jwk), None),
            Err(Error::Configuration(m)) if m.contains("client_key") && !m.contains("c2VjcmV0")
        ));
    }
}
