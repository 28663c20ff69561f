//! DPoP (RFC 9449): the client's ES256 key, its JWK thumbprint (RFC 7638) for `dpop_jkt`, the
//! proof JWT sent in the `DPoP` header (§4.2), and the nonces servers hand out (§8, §9).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use flet_auth_primitives::random::{bytes, url_safe};
use flet_auth_primitives::time::now_secs;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::errors::{Error, Result};
use crate::rfc6749::response::body_object;
use crate::transport::Response;

/// The request header that carries the proof, and the authorization scheme of a DPoP token.
pub const DPOP: &str = "DPoP";
/// The answer header of a server's nonce (§8.1).
pub const DPOP_NONCE: &str = "DPoP-Nonce";
/// The error that asks for a nonce (§8, §9).
pub const USE_DPOP_NONCE: &str = "use_dpop_nonce";
/// How many servers' nonces a service remembers.
const MAX_NONCES: usize = 8;

/// A client's DPoP key: a P-256 private key. Never printed: `Debug` shows its thumbprint.
pub struct DpopKey {
    signing: SigningKey,
    /// The public JWK (RFC 7518 §6.2.1): `crv`, `kty`, `x`, `y`.
    x: String,
    y: String,
    jkt: String,
}

fn bad_key(what: &str) -> Error {
    Error::Configuration(format!("provider.dpop_key {what}"))
}

impl DpopKey {
    /// A fresh key.
    pub fn generate() -> Self {
        loop {
            // A random scalar is out of range with probability about 2^-32.
            if let Ok(key) = SigningKey::from_slice(&bytes::<32>()) {
                return DpopKey::from_signing(key);
            }
        }
    }

    /// A private EC P-256 JWK (RFC 7518 §6.2.2), as `dpop_key=` or a saved token gives it.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self> {
        let member = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| bad_key(&format!("has no {name} (a private EC P-256 JWK)")))
        };
        if member("kty")? != "EC" || member("crv")? != "P-256" {
            return Err(bad_key(
                "must be an EC P-256 private JWK (kty EC, crv P-256)",
            ));
        }
        let d = URL_SAFE_NO_PAD
            .decode(member("d")?)
            .map_err(|_| bad_key("d is not base64url"))?;
        let signing = SigningKey::from_slice(&d)
            .map_err(|_| bad_key("is not a valid EC P-256 private key"))?;
        let key = DpopKey::from_signing(signing);
        if member("x")? != key.x || member("y")? != key.y {
            return Err(bad_key("x and y are not the public key of d"));
        }
        Ok(key)
    }

    fn from_signing(signing: SigningKey) -> Self {
        let point = signing.verifying_key().to_encoded_point(false);
        let coordinate =
            |c: Option<&p256::FieldBytes>| c.map(|b| URL_SAFE_NO_PAD.encode(b)).unwrap_or_default();
        let (x, y) = (coordinate(point.x()), coordinate(point.y()));
        // RFC 7638 §3.2: the required members, in lexicographic order, without whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let jkt = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        DpopKey { signing, x, y, jkt }
    }

    /// The JWK SHA-256 thumbprint (RFC 7638), the `dpop_jkt` of an authorization request.
    pub fn thumbprint(&self) -> &str {
        &self.jkt
    }

    /// The public JWK, as the proof's header carries it.
    pub fn public_jwk(&self) -> Value {
        json!({"kty": "EC", "crv": "P-256", "x": self.x, "y": self.y})
    }

    /// The private JWK, for a saved login or token only (which must be kept encrypted).
    pub fn private_jwk(&self) -> Map<String, Value> {
        let mut jwk = match self.public_jwk() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let d = URL_SAFE_NO_PAD.encode(self.signing.to_bytes());
        jwk.insert("d".into(), Value::String(d));
        jwk
    }

    /// A proof (§4.2) for a `method` request to `url`, with the server's `nonce` and, at a
    /// resource, `ath` ([`ath`] of the access token).
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        nonce: Option<&str>,
        ath: Option<&str>,
    ) -> Result<String> {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.public_jwk()});
        let mut claims = json!({
            "jti": url_safe(16),
            "htm": method,
            "htu": htu(url),
            "iat": now_secs(),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = Value::String(nonce.to_owned());
        }
        if let Some(ath) = ath {
            claims["ath"] = Value::String(ath.to_owned());
        }
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let input = format!("{}.{}", part(&header), part(&claims));
        let signature: Signature = self
            .signing
            .try_sign(input.as_bytes())
            .map_err(|_| Error::Internal("the DPoP proof could not be signed".into()))?;
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DpopKey(jkt={})", self.jkt)
    }
}

impl PartialEq for DpopKey {
    fn eq(&self, other: &Self) -> bool {
        self.jkt == other.jkt
    }
}

/// What a request proves possession with: a key and the service's nonces.
#[derive(Clone, Copy)]
pub struct Prover<'a> {
    pub key: &'a Arc<DpopKey>,
    pub nonces: &'a Nonces,
}

impl Prover<'_> {
    /// A proof for `url` with the nonce its server gave last.
    pub fn proof(&self, method: &str, url: &Url, ath: Option<&str>) -> Result<String> {
        let nonce = self.nonces.get(url);
        self.key.proof(method, url, nonce.as_deref(), ath)
    }

    /// Keeps the answer's nonce; true when the answer asks for it (§8, §9), so that the
    /// request should be made again, once.
    pub fn take_nonce(&self, url: &Url, response: &Response) -> bool {
        self.nonces.remember(url, &response.headers);
        asks_for_nonce(response)
    }
}

/// §8–9: `send` once and, when the answer asks for a nonce (which `prover` keeps for the
/// retry and for later requests), once more; the second answer is final. Without DPoP,
/// once. `send` makes its request anew each time: proofs and client assertions are single use.
pub async fn with_nonce_retry<F, Fut>(
    prover: Option<Prover<'_>>,
    url: &Url,
    mut send: F,
) -> Result<Response>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Response>>,
{
    let first = send().await?;
    match prover {
        Some(p) if p.take_nonce(url, &first) => {
            let second = send().await?;
            p.take_nonce(url, &second);
            Ok(second)
        }
        _ => Ok(first),
    }
}

/// §7.1: a resource request with a DPoP-bound token: `Authorization: DPoP <token>` and a
/// proof for this `method` and `url` whose `ath` is the token's hash.
pub fn authorize(
    builder: RequestBuilder,
    access_token: &str,
    prover: Prover<'_>,
    method: &Method,
    url: &Url,
) -> Result<RequestBuilder> {
    let mut scheme = HeaderValue::from_str(&format!("{DPOP} {access_token}"))
        .map_err(|_| Error::Configuration("the access token is not a valid header value".into()))?;
    scheme.set_sensitive(true);
    let proof = prover.proof(method.as_str(), url, Some(&ath(access_token)))?;
    Ok(attach(builder.header(AUTHORIZATION, scheme), &proof))
}

/// Adds the `DPoP` header to a request.
pub fn attach(builder: RequestBuilder, proof: &str) -> RequestBuilder {
    builder.header(DPOP, proof)
}

/// The `htu` of a request (§4.2): its URL without query and fragment.
pub fn htu(url: &Url) -> String {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.into()
}

/// The `ath` of an access token (§4.2): base64url of its SHA-256.
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// The last nonce each server gave (§8.2: a server may change it any time), by origin.
#[derive(Default)]
pub struct Nonces(Mutex<Vec<(String, String)>>);

impl Nonces {
    /// The nonce to send to `url`'s server.
    pub fn get(&self, url: &Url) -> Option<String> {
        let origin = url.origin().ascii_serialization();
        let nonces = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        nonces
            .iter()
            .find(|(o, _)| *o == origin)
            .map(|(_, n)| n.clone())
    }

    /// Keeps the nonce of an answer from `url`'s server, if it has one.
    pub fn remember(&self, url: &Url, headers: &HeaderMap) {
        let Some(nonce) = headers
            .get(DPOP_NONCE)
            .and_then(|v| v.to_str().ok())
            .filter(|n| is_nonce(n))
        else {
            return;
        };
        let origin = url.origin().ascii_serialization();
        let mut nonces = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        nonces.retain(|(o, _)| *o != origin);
        if nonces.len() == MAX_NONCES {
            nonces.remove(0);
        }
        nonces.push((origin, nonce.to_owned()));
    }
}

/// §8.1: a nonce is `1*NQCHAR` (printable ASCII but `"` and `\`).
fn is_nonce(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

/// Whether an answer asks for a nonce it also carries: the token endpoint's
/// `use_dpop_nonce` error (§8), or a resource's 401 with that error in `WWW-Authenticate`
/// (§9).
pub fn asks_for_nonce(response: &Response) -> bool {
    if !response.headers.contains_key(DPOP_NONCE) {
        return false;
    }
    let challenge = response
        .headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(USE_DPOP_NONCE));
    challenge
        || (response.status == 400
            && body_object(response)
                .is_some_and(|m| m.get("error").and_then(Value::as_str) == Some(USE_DPOP_NONCE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(part: &str) -> Value {
        let raw = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
        serde_json::from_slice(&raw).unwrap_or(Value::Null)
    }

    #[test]
    fn the_thumbprint_is_rfc_7638s_example_for_its_key() {
        // RFC 7638 §3.1 is for RSA; this is the P-256 key of RFC 7515 A.3 and its thumbprint.
        let jwk = json!({
            "kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
            "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
        });
        let key = jwk.as_object().map(DpopKey::from_jwk);
        let Some(Ok(key)) = key else {
            panic!("the RFC 7515 key is refused")
        };
        assert_eq!(
            key.thumbprint(),
            URL_SAFE_NO_PAD.encode(Sha256::digest(
                br#"{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#
            ))
        );
    }

    #[test]
    fn a_proof_carries_the_public_key_only_and_the_url_without_query() -> Result<()> {
        let key = DpopKey::generate();
        let url = Url::parse("https://rs.example/api?q=1#frag").map_err(|_| bad_key("url"))?;
        let jwt = key.proof("GET", &url, Some("n"), Some("a"))?;
        let parts: Vec<&str> = jwt.split('.').collect();
        let (header, claims) = (decode(parts[0]), decode(parts[1]));
        assert_eq!(header["typ"], "dpop+jwt");
        assert!(header["jwk"].get("d").is_none());
        assert_eq!(claims["htu"], "https://rs.example/api");
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["nonce"], "n");
        assert_eq!(claims["ath"], "a");
        Ok(())
    }

    #[test]
    fn a_key_round_trips_through_its_private_jwk() -> Result<()> {
        let key = DpopKey::generate();
        assert_eq!(DpopKey::from_jwk(&key.private_jwk())?, key);
        Ok(())
    }

    #[test]
    fn a_key_is_never_printed() {
        let key = DpopKey::generate();
        let d = key.private_jwk()["d"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!format!("{key:?}").contains(&d));
    }
}
