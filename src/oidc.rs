//! OpenID Connect: discovery (cached per process), the JWKS (cached, refetched once for an
//! unknown `kid`), and the verification of ID tokens (OpenID Connect Core §3.1.3.7).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use reqwest::Method;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use pyo3::prelude::*;

use crate::bridge::{block_on, py_future};
use crate::errors::{Error, Result};
use crate::http::{self, check_url};
use crate::json::PyJson;
use crate::provider::timeout_from;
use crate::token::now;

/// How long a discovery document and a JWKS are trusted before they are fetched again.
pub const CACHE_TTL: Duration = Duration::from_secs(3600);
/// A `kid` that a fresh JWKS did not have is not fetched for again within this time.
const REFETCH_INTERVAL: Duration = Duration::from_secs(5);
/// Clock skew allowed on `exp`, `nbf` and `iat`.
pub const LEEWAY: u64 = 60;
const WELL_KNOWN: &str = "/.well-known/openid-configuration";

fn id_token_error(why: impl Into<String>) -> Error {
    Error::IdToken(why.into())
}

/// The discovery document, as the provider published it.
pub type Metadata = Arc<Map<String, Value>>;

struct Cached<T> {
    value: T,
    fetched: Instant,
}

static DISCOVERY: Mutex<Option<HashMap<String, Cached<Metadata>>>> = Mutex::new(None);
static KEYS: Mutex<Option<HashMap<String, Cached<Arc<JwkSet>>>>> = Mutex::new(None);
static MISSES: Mutex<Option<HashMap<String, Cached<()>>>> = Mutex::new(None);

fn cached<T: Clone>(
    cache: &Mutex<Option<HashMap<String, Cached<T>>>>,
    key: &str,
    ttl: Duration,
) -> Option<T> {
    let guard = cache.lock().unwrap_or_else(PoisonError::into_inner);
    let entry = guard.as_ref()?.get(key)?;
    (entry.fetched.elapsed() < ttl).then(|| entry.value.clone())
}

fn remember<T>(cache: &Mutex<Option<HashMap<String, Cached<T>>>>, key: &str, value: T) {
    let mut guard = cache.lock().unwrap_or_else(PoisonError::into_inner);
    guard.get_or_insert_with(HashMap::new).insert(
        key.to_owned(),
        Cached {
            value,
            fetched: Instant::now(),
        },
    );
}

async fn get_json(
    what: &str,
    url: &str,
    timeout: Duration,
    allow_insecure_http: bool,
) -> Result<Map<String, Value>> {
    let parsed = check_url(what, url, allow_insecure_http)?;
    let response = http::send(http::request(Method::GET, &parsed, timeout)?, &parsed).await?;
    if !response.is_success() {
        return Err(Error::HttpStatus {
            status: response.status,
            endpoint: response.endpoint,
        });
    }
    match serde_json::from_slice::<Value>(&response.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::InvalidResponse {
            status: response.status,
            endpoint: response.endpoint,
            reason: "not a JSON object".into(),
        }),
    }
}

/// The metadata URL of an issuer, and the issuer a metadata URL stands for.
pub fn metadata_url(issuer: &str) -> String {
    format!("{}{WELL_KNOWN}", issuer.trim_end_matches('/'))
}

pub fn issuer_of(metadata_url: &str) -> Option<&str> {
    metadata_url.strip_suffix(WELL_KNOWN)
}

/// Fetches (or takes from the cache) the discovery document at `url` and checks that its
/// `issuer` is `expected_issuer` (OpenID Connect Discovery §4.3).
pub async fn discover(
    url: String,
    expected_issuer: Option<String>,
    timeout: Duration,
    allow_insecure_http: bool,
) -> Result<Metadata> {
    let metadata = match cached(&DISCOVERY, &url, CACHE_TTL) {
        Some(m) => m,
        None => {
            let fetched = Arc::new(
                get_json("server_metadata_url", &url, timeout, allow_insecure_http).await?,
            );
            remember(&DISCOVERY, &url, fetched.clone());
            fetched
        }
    };
    let issuer = metadata
        .get("issuer")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let expected = expected_issuer.or_else(|| issuer_of(&url).map(str::to_owned));
    if let Some(expected) = expected {
        if issuer.trim_end_matches('/') != expected.trim_end_matches('/') {
            return Err(Error::Configuration(format!(
                "the discovery document names issuer {issuer:?}, not {expected:?}"
            )));
        }
    }
    for needed in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
        if metadata.get(needed).and_then(Value::as_str).is_none() {
            return Err(Error::Configuration(format!(
                "the discovery document has no {needed}"
            )));
        }
    }
    Ok(metadata)
}

async fn fetch_keys(
    jwks_uri: &str,
    timeout: Duration,
    allow_insecure_http: bool,
) -> Result<Arc<JwkSet>> {
    let doc = get_json("jwks_uri", jwks_uri, timeout, allow_insecure_http).await?;
    let set: JwkSet = serde_json::from_value(Value::Object(doc))
        .map_err(|e| id_token_error(format!("the provider's JWKS cannot be read: {e}")))?;
    let set = Arc::new(set);
    remember(&KEYS, jwks_uri, set.clone());
    Ok(set)
}

/// What an ID token must match.
#[derive(Clone, Debug)]
pub struct Expectations {
    pub issuer: String,
    pub client_id: String,
    pub jwks_uri: String,
    /// `id_token_signing_alg_values_supported`, or RS256 when not published.
    pub algorithms: Vec<String>,
    /// The `nonce` sent with the login; None when refreshing.
    pub nonce: Option<String>,
    /// The access token issued with the ID token, for `at_hash`.
    pub access_token: Option<String>,
    /// The `sub` of the login, for ID tokens that come with a refresh.
    pub subject: Option<String>,
    pub timeout: Duration,
    pub allow_insecure_http: bool,
}

fn public_key_algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "RS256" => Some(Algorithm::RS256),
        "RS384" => Some(Algorithm::RS384),
        "RS512" => Some(Algorithm::RS512),
        "PS256" => Some(Algorithm::PS256),
        "PS384" => Some(Algorithm::PS384),
        "PS512" => Some(Algorithm::PS512),
        "ES256" => Some(Algorithm::ES256),
        "ES384" => Some(Algorithm::ES384),
        "EdDSA" => Some(Algorithm::EdDSA),
        _ => None,
    }
}

/// The `alg` of a JWT header as written, so that `none` and HMAC get a clear refusal.
fn header_alg(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let raw = URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
    let value: Value = serde_json::from_slice(&raw).ok()?;
    value.get("alg")?.as_str().map(str::to_owned)
}

/// `at_hash`: the left half of the hash of the access token, with the hash of the `alg`.
pub fn at_hash(access_token: &str, alg: Algorithm) -> String {
    let digest: Vec<u8> = match alg {
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => {
            Sha384::digest(access_token).to_vec()
        }
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::EdDSA => {
            Sha512::digest(access_token).to_vec()
        }
        _ => Sha256::digest(access_token).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Verifies an ID token and returns its claims.
pub async fn verify(id_token: &str, expect: &Expectations) -> Result<Map<String, Value>> {
    let written =
        header_alg(id_token).ok_or_else(|| id_token_error("the ID token is not a JWT"))?;
    if written.eq_ignore_ascii_case("none") {
        return Err(id_token_error("the ID token is not signed (alg none)"));
    }
    if written.starts_with("HS") {
        return Err(id_token_error(format!(
            "the ID token is signed with {written}, a shared-secret algorithm; a provider's public keys cannot verify it"
        )));
    }
    let alg = public_key_algorithm(&written)
        .filter(|_| expect.algorithms.iter().any(|a| a == &written))
        .ok_or_else(|| {
            id_token_error(format!(
                "the ID token's algorithm {written} is not one the provider announced"
            ))
        })?;
    let header =
        decode_header(id_token).map_err(|e| id_token_error(format!("bad ID token header: {e}")))?;

    let key = find_key(&header.kid, alg, expect).await?;
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[&expect.issuer]);
    validation.set_audience(&[&expect.client_id]);
    validation.leeway = LEEWAY;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let claims = decode::<Map<String, Value>>(id_token, &key, &validation)
        .map_err(|e| id_token_error(format!("the ID token was refused: {e}")))?
        .claims;

    let iat = claims.get("iat").and_then(Value::as_f64).unwrap_or(0.0);
    if iat > now() + LEEWAY as f64 {
        return Err(id_token_error(
            "the ID token was issued in the future (iat)",
        ));
    }
    let audiences = match claims.get("aud") {
        Some(Value::Array(items)) => items.len(),
        _ => 1,
    };
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != expect.client_id => {
            return Err(id_token_error(
                "the ID token was issued to another party (azp)",
            ))
        }
        None if audiences > 1 => {
            return Err(id_token_error(
                "the ID token has several audiences and no azp",
            ))
        }
        _ => {}
    }
    if let Some(nonce) = &expect.nonce {
        match claims.get("nonce").and_then(Value::as_str) {
            Some(got) if same(got, nonce) => {}
            Some(_) => {
                return Err(id_token_error(
                    "the ID token's nonce does not match this login",
                ))
            }
            None => return Err(id_token_error("the ID token has no nonce")),
        }
    }
    if let (Some(hash), Some(access_token)) = (
        claims.get("at_hash").and_then(Value::as_str),
        &expect.access_token,
    ) {
        if !same(hash, &at_hash(access_token, alg)) {
            return Err(id_token_error(
                "the ID token's at_hash does not match the access token",
            ));
        }
    }
    if let Some(subject) = &expect.subject {
        if claims.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
            return Err(id_token_error(
                "the refreshed ID token is for another subject",
            ));
        }
    }
    Ok(claims)
}

/// The key for `kid`: from the cached JWKS, else from a fresh one (key rotation), else an
/// error. A `kid` still unknown after a refetch is not fetched for again for a while.
async fn find_key(
    kid: &Option<String>,
    alg: Algorithm,
    expect: &Expectations,
) -> Result<DecodingKey> {
    let pick = |set: &JwkSet| -> Option<DecodingKey> {
        let jwk = match kid {
            Some(kid) => set.find(kid)?,
            None => set.keys.first().filter(|_| set.keys.len() == 1)?,
        };
        DecodingKey::from_jwk(jwk)
            .ok()
            .filter(|k| k.family() == alg.family())
    };
    let unknown =
        || id_token_error("the ID token is signed with a key the provider does not publish (kid)");
    if let Some(key) = cached(&KEYS, &expect.jwks_uri, CACHE_TTL).and_then(|set| pick(&set)) {
        return Ok(key);
    }
    let miss = format!("{}#{}", expect.jwks_uri, kid.as_deref().unwrap_or(""));
    if cached(&MISSES, &miss, REFETCH_INTERVAL).is_some() {
        return Err(unknown());
    }
    let set = fetch_keys(&expect.jwks_uri, expect.timeout, expect.allow_insecure_http).await?;
    pick(&set).ok_or_else(|| {
        remember(&MISSES, &miss, ());
        unknown()
    })
}

#[pyfunction]
#[pyo3(name = "discover", signature = (url, issuer=None, timeout=None, allow_insecure_http=false))]
pub fn discover_py<'py>(
    py: Python<'py>,
    url: String,
    issuer: Option<String>,
    timeout: Option<f64>,
    allow_insecure_http: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let fut = discover(url, issuer, timeout_from(timeout)?, allow_insecure_http);
    py_future(py, async move {
        fut.await.map(|m| PyJson(Value::Object((*m).clone())))
    })
}

/// `discover` for code without an event loop.
#[pyfunction]
#[pyo3(signature = (url, issuer=None, timeout=None, allow_insecure_http=false))]
pub fn discover_sync(
    py: Python<'_>,
    url: String,
    issuer: Option<String>,
    timeout: Option<f64>,
    allow_insecure_http: bool,
) -> PyResult<Py<PyAny>> {
    let fut = discover(url, issuer, timeout_from(timeout)?, allow_insecure_http);
    let metadata = block_on(py, fut)?;
    Ok(PyJson(Value::Object((*metadata).clone()))
        .into_pyobject(py)?
        .unbind())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_openid_connect_example() {
        // OpenID Connect Core, appendix A.3: access token and at_hash of an RS256 ID token.
        assert_eq!(
            at_hash(
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
                Algorithm::RS256
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn issuer_and_metadata_url_are_each_others_inverse() {
        let url = metadata_url("https://idp.invalid/realms/x/");
        assert_eq!(
            url,
            "https://idp.invalid/realms/x/.well-known/openid-configuration"
        );
        assert_eq!(issuer_of(&url), Some("https://idp.invalid/realms/x"));
    }

    #[test]
    fn header_alg_reads_none_and_hmac() {
        let none = format!("{}.e30.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        assert_eq!(header_alg(&none).as_deref(), Some("none"));
        assert_eq!(header_alg("garbage"), None);
    }
}
