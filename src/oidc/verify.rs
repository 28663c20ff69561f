//! The ID token verifier (OpenID Connect Core §3.1.3.7): signature with the provider's keys,
//! `iss`, `aud`/`azp`, `exp`/`iat`/`nbf` with leeway, `nonce`, `at_hash`, the subject of a
//! refresh. Pure: the keys come in, the claims or an [`Error::IdToken`] go out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::errors::{Error, Result};
use flet_auth_primitives::time::now_secs_f64 as now;
use flet_auth_primitives::token_hash::at_hash;

/// Clock skew allowed on `exp`, `nbf` and `iat`.
pub const LEEWAY: u64 = 60;

fn id_token_error(why: impl Into<String>) -> Error {
    Error::IdToken(why.into())
}

/// What an ID token must match.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub issuer: String,
    pub client_id: String,
    /// `id_token_signing_alg_values_supported`, or RS256 when not published.
    pub algorithms: Vec<String>,
    /// The `nonce` sent with the login; None when refreshing.
    pub nonce: Option<String>,
    /// The access token issued with the ID token, for `at_hash`.
    pub access_token: Option<String>,
    /// The `sub` of the login, for ID tokens that come with a refresh.
    pub subject: Option<String>,
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

/// A refusal of the JWT library, naming the claim or step that failed.
fn refused(e: &jsonwebtoken::errors::Error) -> Error {
    use jsonwebtoken::errors::ErrorKind;
    id_token_error(match e.kind() {
        ErrorKind::InvalidSignature => "the ID token's signature does not verify".to_owned(),
        ErrorKind::InvalidIssuer => "the ID token is from another issuer (iss)".to_owned(),
        ErrorKind::InvalidAudience => "the ID token is for another client (aud)".to_owned(),
        ErrorKind::ExpiredSignature => "the ID token has expired (exp)".to_owned(),
        ErrorKind::ImmatureSignature => "the ID token is not valid yet (nbf)".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the ID token has no {claim}"),
        _ => format!("the ID token was refused: {e}"),
    })
}

fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The `alg` and `kid` of an ID token's header, refusing `none` and shared-secret algorithms
/// and any algorithm the provider did not announce.
pub fn signing_key_id(
    id_token: &str,
    algorithms: &[String],
) -> Result<(Algorithm, Option<String>)> {
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
        .filter(|_| algorithms.iter().any(|a| a == &written))
        .ok_or_else(|| {
            id_token_error(format!(
                "the ID token's algorithm {written} is not one the provider announced"
            ))
        })?;
    let header =
        decode_header(id_token).map_err(|e| id_token_error(format!("bad ID token header: {e}")))?;
    Ok((alg, header.kid))
}

/// The key of `keys` that signed a token with this `alg` and `kid`: the one with that `kid`,
/// or the only key when the token names none.
pub fn select_key(keys: &JwkSet, alg: Algorithm, kid: Option<&str>) -> Option<DecodingKey> {
    let jwk = match kid {
        Some(kid) => keys.find(kid)?,
        None => keys.keys.first().filter(|_| keys.keys.len() == 1)?,
    };
    DecodingKey::from_jwk(jwk)
        .ok()
        .filter(|k| k.family() == alg.family())
}

/// Verifies an ID token against the provider's keys (OpenID Connect Core §3.1.3.7) and
/// returns its claims. No I/O: the caller brings the keys.
pub fn verify(id_token: &str, keys: &JwkSet, expect: &Expectations) -> Result<Map<String, Value>> {
    let (alg, kid) = signing_key_id(id_token, &expect.algorithms)?;
    let key = select_key(keys, alg, kid.as_deref()).ok_or_else(|| {
        id_token_error("the ID token is signed with a key the provider does not publish (kid)")
    })?;
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[&expect.issuer]);
    validation.set_audience(&[&expect.client_id]);
    validation.leeway = LEEWAY;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let claims = decode::<Map<String, Value>>(id_token, &key, &validation)
        .map_err(|e| refused(&e))?
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
        let expected = at_hash(access_token, &format!("{alg:?}"))
            .map_err(|e| id_token_error(format!("at_hash cannot be checked: {e}")))?;
        if !same(hash, &expected) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_alg_reads_none_and_hmac() {
        let none = format!("{}.e30.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        assert_eq!(header_alg(&none).as_deref(), Some("none"));
        assert_eq!(header_alg("garbage"), None);
    }

    mod forged_tokens {
        use super::super::*;
        use flet_auth_mock_idp::{ClientFacts, Forgery, ForgeryMatrix, SigningAlg};

        fn facts() -> ClientFacts {
            ClientFacts {
                issuer: "https://idp.invalid".into(),
                client_id: "client".into(),
                nonce: "n-0S6_WzA2Mj".into(),
                access_token: "the-access-token".into(),
            }
        }

        fn expectations() -> Expectations {
            let f = facts();
            Expectations {
                issuer: f.issuer,
                client_id: f.client_id,
                algorithms: SigningAlg::ALL.map(|a| a.name().to_owned()).to_vec(),
                nonce: Some(f.nonce),
                access_token: Some(f.access_token),
                subject: None,
            }
        }

        fn matrix(alg: SigningAlg) -> (ForgeryMatrix, JwkSet) {
            let m = ForgeryMatrix::new(alg, facts()).unwrap_or_else(|e| panic!("keys: {e}"));
            let keys = serde_json::from_value(m.jwks()).unwrap_or_else(|e| panic!("jwks: {e}"));
            (m, keys)
        }

        #[test]
        fn a_genuine_id_token_of_every_algorithm_verifies() {
            for alg in SigningAlg::ALL {
                let (m, keys) = matrix(alg);
                let token = m.genuine().unwrap_or_else(|e| panic!("sign: {e}"));
                let claims = verify(&token, &keys, &expectations());
                let claims = claims.unwrap_or_else(|e| panic!("{}: {e}", alg.name()));
                assert_eq!(claims["sub"], m.subject());
            }
        }

        #[test]
        fn every_forgery_the_provider_knows_is_refused_for_its_own_reason() {
            for alg in SigningAlg::ALL {
                let (m, keys) = matrix(alg);
                for forgery in Forgery::ALL {
                    let token = m.forged(forgery).unwrap_or_else(|e| panic!("forge: {e}"));
                    let subject = forgery.rule().subject();
                    match verify(&token, &keys, &expectations()) {
                        Err(Error::IdToken(why)) => assert!(
                            why.contains(subject),
                            "{} ({}): {why:?} does not name {subject}",
                            forgery.name(),
                            alg.name()
                        ),
                        other => panic!("{} ({}) got {other:?}", forgery.name(), alg.name()),
                    }
                }
            }
        }
    }
}
