//! The keys that sign ID tokens (RS256, ES256): a process-wide pool, since an RSA key takes a
//! while to generate and tests start hundreds of servers, and each server's key ring.

use std::sync::{Arc, Mutex, PoisonError};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey};
use rand::rngs::OsRng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::{KeyError, MockError};

/// The `alg` of the ID tokens a server signs (JWA, RFC 7518 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlg {
    Rs256,
    Es256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::Rs256, SigningAlg::Es256];

    pub fn name(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
        }
    }

    pub fn algorithm(self) -> Algorithm {
        match self {
            SigningAlg::Rs256 => Algorithm::RS256,
            SigningAlg::Es256 => Algorithm::ES256,
        }
    }

    fn slot(self) -> usize {
        match self {
            SigningAlg::Rs256 => 0,
            SigningAlg::Es256 => 1,
        }
    }
}

impl std::str::FromStr for SigningAlg {
    type Err = MockError;

    fn from_str(name: &str) -> Result<SigningAlg, MockError> {
        let found = SigningAlg::ALL.into_iter().find(|alg| alg.name() == name);
        found.ok_or_else(|| {
            MockError::Configuration(format!(
                "id_token_alg must be one of {}, not {name:?}",
                SigningAlg::ALL.map(SigningAlg::name).join(", ")
            ))
        })
    }
}

impl KeyError {
    fn new(alg: SigningAlg, reason: impl ToString) -> KeyError {
        KeyError {
            alg: alg.name(),
            reason: reason.to_string(),
        }
    }
}

/// A private signing key with its public JWK.
pub struct SigningKey {
    pub alg: SigningAlg,
    /// The RFC 7638 thumbprint of the public key.
    pub kid: String,
    pub encoding: EncodingKey,
    /// The public JWK (RFC 7517) with `kid`, `alg` and `use`.
    pub jwk: Value,
    /// The public key as SPKI PEM: the HMAC secret of the key-confusion forgery.
    pub public_pem: String,
}

/// RFC 7638: base64url of SHA-256 of the required members, in lexicographic order.
fn thumbprint(required_members: &[(&str, &str)]) -> String {
    let members: Vec<String> = required_members
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{v}\""))
        .collect();
    let canonical = format!("{{{}}}", members.join(","));
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The public JWK of an RSA key from its big-endian modulus and exponent.
fn rsa_jwk(n: &[u8], e: &[u8]) -> (String, Value) {
    let (n, e) = (URL_SAFE_NO_PAD.encode(n), URL_SAFE_NO_PAD.encode(e));
    let kid = thumbprint(&[("e", &e), ("kty", "RSA"), ("n", &n)]);
    let jwk = json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": n, "e": e});
    (kid, jwk)
}

/// The public JWK of a P-256 key from its affine coordinates.
fn ec_jwk(x: &[u8], y: &[u8]) -> (String, Value) {
    let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
    let kid = thumbprint(&[("crv", "P-256"), ("kty", "EC"), ("x", &x), ("y", &y)]);
    let jwk = json!({"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256", "x": x, "y": y});
    (kid, jwk)
}

fn generate_rsa() -> Result<SigningKey, KeyError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    use rsa::traits::PublicKeyParts;

    let alg = SigningAlg::Rs256;
    let private = rsa::RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| KeyError::new(alg, e))?;
    let der = private.to_pkcs1_der().map_err(|e| KeyError::new(alg, e))?;
    let public = private.to_public_key();
    let public_pem = public
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::new(alg, e))?;
    let (kid, jwk) = rsa_jwk(&public.n().to_bytes_be(), &public.e().to_bytes_be());
    Ok(SigningKey {
        alg,
        kid,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk,
        public_pem,
    })
}

fn generate_ec() -> Result<SigningKey, KeyError> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

    let alg = SigningAlg::Es256;
    let secret = p256::SecretKey::random(&mut OsRng);
    let der = secret.to_pkcs8_der().map_err(|e| KeyError::new(alg, e))?;
    let public = secret.public_key();
    let point = public.to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(KeyError::new(
            alg,
            "the public key has no affine coordinates",
        ));
    };
    let public_pem = public
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::new(alg, e))?;
    let (kid, jwk) = ec_jwk(x, y);
    Ok(SigningKey {
        alg,
        kid,
        encoding: EncodingKey::from_ec_der(der.as_bytes()),
        jwk,
        public_pem,
    })
}

/// Generates a fresh key (RSA: tens of milliseconds in release builds, seconds in debug).
fn generate(alg: SigningAlg) -> Result<SigningKey, KeyError> {
    match alg {
        SigningAlg::Rs256 => generate_rsa(),
        SigningAlg::Es256 => generate_ec(),
    }
}

type Pool = Mutex<[Vec<Arc<SigningKey>>; 2]>;

/// Keys that servers publish, shared by every server of the process: the n-th key of a
/// server is the n-th key of the pool.
static POOL: Pool = Mutex::new([Vec::new(), Vec::new()]);
/// Keys that no server publishes: they sign the `unknown_kid` forgeries.
static STRANGERS: Pool = Mutex::new([Vec::new(), Vec::new()]);
/// Keys that a server publishes only under a label forbidding ID token signatures (see
/// [`Mislabel`]): they sign the `key_use_enc` and `key_alg_mismatch` forgeries.
static DECOYS: Pool = Mutex::new([Vec::new(), Vec::new()]);

/// The `index`-th key of a pool, generated on first need. The lock is not held while a key
/// is generated, so a slow generation never blocks the users of the keys already made.
fn from_pool(pool: &Pool, alg: SigningAlg, index: usize) -> Result<Arc<SigningKey>, KeyError> {
    loop {
        {
            let keys = pool.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(key) = keys[alg.slot()].get(index) {
                return Ok(key.clone());
            }
        }
        let key = Arc::new(generate(alg)?);
        let mut keys = pool.lock().unwrap_or_else(PoisonError::into_inner);
        let list = &mut keys[alg.slot()];
        if list.len() <= index {
            list.push(key);
        }
    }
}

/// The `index`-th published key of the process.
pub fn pooled(alg: SigningAlg, index: usize) -> Result<Arc<SigningKey>, KeyError> {
    from_pool(&POOL, alg, index)
}

/// A key that is in no JWKS.
pub fn stranger(alg: SigningAlg) -> Result<Arc<SigningKey>, KeyError> {
    from_pool(&STRANGERS, alg, 0)
}

/// A key published under a label that forbids verifying ID tokens of its `alg` with it.
pub fn decoy(alg: SigningAlg) -> Result<Arc<SigningKey>, KeyError> {
    from_pool(&DECOYS, alg, 0)
}

/// How a published JWK says that it must not verify the ID tokens its key signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mislabel {
    /// `use` is `enc` (RFC 7517 §4.2): an encryption key.
    Encryption,
    /// `alg` is another algorithm of the key's type (RFC 7517 §4.4): RS512 for an RS256
    /// key, ES384 for an ES256 one.
    OtherAlg,
}

impl Mislabel {
    /// The `kid` of `key` published this way: the key's own with a suffix, so that each
    /// label names a JWK of its own.
    pub fn kid(self, key: &SigningKey) -> String {
        match self {
            Mislabel::Encryption => format!("{}-enc", key.kid),
            Mislabel::OtherAlg => format!("{}-alg", key.kid),
        }
    }

    /// The public JWK of `key` with this label and [`Mislabel::kid`].
    pub fn jwk(self, key: &SigningKey) -> Value {
        let mut jwk = key.jwk.clone();
        jwk["kid"] = self.kid(key).into();
        match self {
            Mislabel::Encryption => jwk["use"] = "enc".into(),
            Mislabel::OtherAlg => {
                jwk["alg"] = match key.alg {
                    SigningAlg::Rs256 => "RS512",
                    SigningAlg::Es256 => "ES384",
                }
                .into()
            }
        }
        jwk
    }
}

/// One server's keys: the current one signs, the previous ones still verify, the decoys are
/// published for forgeries and verify nothing.
pub struct KeyRing {
    current: Arc<SigningKey>,
    previous: Vec<Arc<SigningKey>>,
    decoys: Vec<Value>,
    next_index: usize,
}

impl KeyRing {
    pub fn new(alg: SigningAlg) -> Result<KeyRing, KeyError> {
        Ok(KeyRing {
            current: pooled(alg, 0)?,
            previous: Vec::new(),
            decoys: Vec::new(),
            next_index: 1,
        })
    }

    pub fn current(&self) -> Arc<SigningKey> {
        self.current.clone()
    }

    /// Reserves the pool index of the next key, so that concurrent rotations get distinct keys.
    pub fn reserve(&mut self) -> usize {
        let index = self.next_index;
        self.next_index += 1;
        index
    }

    /// Makes `key` the current key; the old ones stay published unless `drop_old`.
    pub fn rotate(&mut self, key: Arc<SigningKey>, drop_old: bool) {
        let old = std::mem::replace(&mut self.current, key);
        if drop_old {
            self.previous.clear();
        } else {
            self.previous.insert(0, old);
        }
    }

    /// Publishes `jwk` after the keys that verify, once.
    pub fn publish_decoy(&mut self, jwk: Value) {
        if !self.decoys.contains(&jwk) {
            self.decoys.push(jwk);
        }
    }

    /// Stops publishing the decoys.
    pub fn clear_decoys(&mut self) {
        self.decoys.clear();
    }

    /// The JWK Set document (RFC 7517 §5): the current key first, the decoys last.
    pub fn jwks(&self) -> Value {
        let keys: Vec<&Value> = std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|k| &k.jwk)
            .chain(&self.decoys)
            .collect();
        json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1: the thumbprint of the example RSA key.
    #[test]
    fn rsa_kid_is_the_rfc7638_thumbprint() {
        let n = URL_SAFE_NO_PAD
            .decode(
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS\
oc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2\
QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f\
M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            )
            .unwrap_or_default();
        let (kid, jwk) = rsa_jwk(&n, &[1, 0, 1]);
        assert_eq!(kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"], kid.as_str());
    }

    #[test]
    fn ec_jwk_has_curve_and_coordinates() {
        let (kid, jwk) = ec_jwk(&[1; 32], &[2; 32]);
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["x"], URL_SAFE_NO_PAD.encode([1u8; 32]).as_str());
        assert_eq!(jwk["y"], URL_SAFE_NO_PAD.encode([2u8; 32]).as_str());
        assert_eq!(jwk["alg"], "ES256");
        assert_eq!(kid.len(), 43);
    }

    #[test]
    fn pool_gives_the_same_key_to_every_server() -> Result<(), KeyError> {
        let a = KeyRing::new(SigningAlg::Es256)?;
        let b = KeyRing::new(SigningAlg::Es256)?;
        assert_eq!(a.current().kid, b.current().kid);
        assert_ne!(stranger(SigningAlg::Es256)?.kid, a.current().kid);
        Ok(())
    }

    #[test]
    fn rotation_keeps_old_keys_unless_dropped() -> Result<(), KeyError> {
        let mut ring = KeyRing::new(SigningAlg::Es256)?;
        let first = ring.current().kid.clone();
        let index = ring.reserve();
        ring.rotate(pooled(SigningAlg::Es256, index)?, false);
        let kids = |ring: &KeyRing| -> Vec<String> {
            ring.jwks()["keys"]
                .as_array()
                .map(|keys| keys.iter().map(|k| k["kid"].to_string()).collect())
                .unwrap_or_default()
        };
        assert_eq!(kids(&ring).len(), 2);
        assert_ne!(ring.current().kid, first);
        let index = ring.reserve();
        ring.rotate(pooled(SigningAlg::Es256, index)?, true);
        assert_eq!(kids(&ring), vec![format!("\"{}\"", ring.current().kid)]);
        Ok(())
    }

    #[test]
    fn a_mislabelled_jwk_has_its_own_kid_and_its_label() -> Result<(), KeyError> {
        let key = decoy(SigningAlg::Es256)?;
        let enc = Mislabel::Encryption.jwk(&key);
        let other = Mislabel::OtherAlg.jwk(&key);
        assert_eq!(
            (enc["use"].as_str(), enc["alg"].as_str()),
            (Some("enc"), Some("ES256"))
        );
        assert_eq!(
            (other["use"].as_str(), other["alg"].as_str()),
            (Some("sig"), Some("ES384"))
        );
        assert_ne!(enc["kid"], other["kid"]);
        assert_ne!(enc["kid"], key.jwk["kid"]);
        assert_eq!(
            (enc["x"].as_str(), enc["y"].as_str()),
            (key.jwk["x"].as_str(), key.jwk["y"].as_str())
        );
        assert_ne!(key.kid, pooled(SigningAlg::Es256, 0)?.kid);
        Ok(())
    }

    #[test]
    fn decoys_are_published_once_after_the_keys_and_can_be_withdrawn() -> Result<(), KeyError> {
        let mut ring = KeyRing::new(SigningAlg::Es256)?;
        let key = decoy(SigningAlg::Es256)?;
        let jwk = Mislabel::Encryption.jwk(&key);
        ring.publish_decoy(jwk.clone());
        ring.publish_decoy(jwk.clone());
        assert_eq!(ring.jwks()["keys"], json!([ring.current().jwk, jwk]));
        ring.clear_decoys();
        assert_eq!(ring.jwks()["keys"], json!([ring.current().jwk]));
        Ok(())
    }

    #[test]
    fn rsa_key_has_a_2048_bit_modulus() -> Result<(), KeyError> {
        let key = pooled(SigningAlg::Rs256, 0)?;
        let n = key.jwk["n"].as_str().unwrap_or_default();
        assert_eq!(URL_SAFE_NO_PAD.decode(n).unwrap_or_default().len(), 256);
        assert!(key.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        Ok(())
    }
}
