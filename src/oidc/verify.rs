//! The ID token verifier (OpenID Connect Core §3.1.3.7): the JOSE header (`alg`, no `crit`, not
//! an access token's `typ`), signature with a provider's key meant for it, `iss`, `aud`/`azp`,
//! `exp`/`iat`/`nbf` with leeway, `sub`, `nonce`, `at_hash`, the subject of a refresh. Pure: the
//! keys come in, the claims or an [`Error::IdToken`] go out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
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

/// The JOSE header of a JWT as written (RFC 7515 §4), so that `none`, HMAC and the parameters
/// the JWT library ignores get a clear refusal.
fn raw_header(token: &str) -> Option<Map<String, Value>> {
    let header = token.split('.').next()?;
    let raw = URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&raw).ok()
}

/// Whether `typ` names an RFC 9068 access token: `at+jwt`, with or without the `application/`
/// prefix, in any case (RFC 7515 §4.1.9).
fn is_access_token_type(typ: &str) -> bool {
    let typ = typ.to_ascii_lowercase();
    typ.strip_prefix("application/").unwrap_or(&typ) == "at+jwt"
}

/// Refuses the header parameters an ID token must not have: `crit`, since we understand no
/// extension (RFC 7515 §4.1.11), and the `typ` of an access token (RFC 9068 §4).
fn check_header(header: &Map<String, Value>) -> Result<()> {
    if header.contains_key("crit") {
        return Err(id_token_error(
            "the ID token's header marks extensions critical, and none is understood (crit)",
        ));
    }
    if let Some(typ) = header.get("typ").and_then(Value::as_str) {
        if is_access_token_type(typ) {
            return Err(id_token_error("the ID token is an access token (typ)"));
        }
    }
    Ok(())
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

/// The `alg` and `kid` of an ID token's header, refusing `none` and shared-secret algorithms,
/// any algorithm the provider did not announce, and the header parameters of [`check_header`].
pub fn signing_key_id(
    id_token: &str,
    algorithms: &[String],
) -> Result<(Algorithm, Option<String>)> {
    let not_a_jwt = || id_token_error("the ID token is not a JWT");
    let raw = raw_header(id_token).ok_or_else(not_a_jwt)?;
    let written = raw
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(not_a_jwt)?;
    if written.eq_ignore_ascii_case("none") {
        return Err(id_token_error("the ID token is not signed (alg none)"));
    }
    if written.starts_with("HS") {
        return Err(id_token_error(format!(
            "the ID token is signed with {written}, a shared-secret algorithm; a provider's public keys cannot verify it"
        )));
    }
    let alg = public_key_algorithm(written)
        .filter(|_| algorithms.iter().any(|a| a == written))
        .ok_or_else(|| {
            id_token_error(format!(
                "the ID token's algorithm {written} is not one the provider announced"
            ))
        })?;
    check_header(&raw)?;
    let header =
        decode_header(id_token).map_err(|e| id_token_error(format!("bad ID token header: {e}")))?;
    Ok((alg, header.kid))
}

/// The key of `jwk` for verifying a token signed with `alg`, or why it may not: it must be
/// published for signatures (RFC 7517 §4.2: `use` sig or absent), for `alg` when it names one
/// (§4.4), and be of the algorithm's type.
fn verifying_key(jwk: &Jwk, alg: Algorithm) -> Result<DecodingKey> {
    if !matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    ) {
        return Err(id_token_error(
            "the ID token's key is published for another purpose than signatures (use)",
        ));
    }
    if let Some(key_alg) = jwk.common.key_algorithm {
        if key_alg.to_string() != format!("{alg:?}") {
            return Err(id_token_error(format!(
                "the ID token is signed with {alg:?} by a key published for {key_alg} (JWK alg)"
            )));
        }
    }
    DecodingKey::from_jwk(jwk)
        .ok()
        .filter(|k| k.family() == alg.family())
        .ok_or_else(|| id_token_error(format!("the ID token's key (kty) cannot verify {alg:?}")))
}

/// The key of `keys` that verifies a token with this `alg` and `kid`: the first key with that
/// `kid` that [`verifying_key`] accepts, or, when the token names none, the set's only key
/// (OpenID Connect Core §10.1: with several keys, a `kid` is required).
pub fn select_key(keys: &JwkSet, alg: Algorithm, kid: Option<&str>) -> Result<DecodingKey> {
    let unknown =
        || id_token_error("the ID token is signed with a key the provider does not publish (kid)");
    match kid {
        Some(kid) => {
            let mut named = keys
                .keys
                .iter()
                .filter(|jwk| jwk.common.key_id.as_deref() == Some(kid))
                .map(|jwk| verifying_key(jwk, alg));
            let first = named.next().ok_or_else(unknown)?;
            first.or_else(|why| named.find(Result::is_ok).unwrap_or(Err(why)))
        }
        None => match keys.keys.as_slice() {
            [only] => verifying_key(only, alg),
            [] => Err(unknown()),
            _ => Err(id_token_error(
                "the ID token names no key and the provider publishes several (kid)",
            )),
        },
    }
}

/// Verifies an ID token against the provider's keys (OpenID Connect Core §3.1.3.7) and
/// returns its claims. No I/O: the caller brings the keys.
pub fn verify(id_token: &str, keys: &JwkSet, expect: &Expectations) -> Result<Map<String, Value>> {
    let (alg, kid) = signing_key_id(id_token, &expect.algorithms)?;
    let key = select_key(keys, alg, kid.as_deref())?;
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[&expect.issuer]);
    validation.set_audience(&[&expect.client_id]);
    validation.leeway = LEEWAY;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let claims = decode::<Map<String, Value>>(id_token, &key, &validation)
        .map_err(|e| refused(&e))?
        .claims;

    let iat = match claims.get("iat") {
        Some(Value::Number(iat)) => iat.as_f64().unwrap_or(f64::INFINITY),
        Some(_) => return Err(id_token_error("the ID token's iat is not a number")),
        None => return Err(id_token_error("the ID token has no iat")),
    };
    if iat > now() + LEEWAY as f64 {
        return Err(id_token_error(
            "the ID token was issued in the future (iat)",
        ));
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(id_token_error("the ID token's subject is empty (sub)"));
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
    fn raw_header_reads_none_and_hmac() {
        let none = format!("{}.e30.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        let header = raw_header(&none);
        assert_eq!(
            header
                .and_then(|h| h["alg"].as_str().map(str::to_owned))
                .as_deref(),
            Some("none")
        );
        assert_eq!(raw_header("garbage"), None);
    }

    mod forged_tokens {
        use super::super::*;
        use flet_auth_mock_idp::{ClientFacts, Forgery, ForgeryMatrix, SigningAlg};
        use jsonwebtoken::Header;

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

        /// Why `verify` refused `token`; panics when it accepted it.
        fn refusal(token: &str, keys: &JwkSet) -> String {
            match verify(token, keys, &expectations()) {
                Err(Error::IdToken(why)) => why,
                other => panic!("not refused as an ID token: {other:?}"),
            }
        }

        fn forged(alg: SigningAlg, forgery: Forgery) -> String {
            let (m, keys) = matrix(alg);
            let token = m.forged(forgery).unwrap_or_else(|e| panic!("forge: {e}"));
            refusal(&token, &keys)
        }

        fn signed(
            m: &ForgeryMatrix,
            edit: impl FnOnce(&mut Header, &mut Map<String, Value>),
        ) -> String {
            m.sign_with(edit).unwrap_or_else(|e| panic!("sign: {e}"))
        }

        /// The matrix's JWKS with its first key (the signing key) changed by `edit`, and
        /// the decoys kept or not.
        fn keys_with(m: &ForgeryMatrix, decoys: bool, edit: impl FnOnce(&mut Value)) -> JwkSet {
            let mut doc = m.jwks();
            if let Some(keys) = doc["keys"].as_array_mut() {
                if !decoys {
                    keys.truncate(1);
                }
                if let Some(first) = keys.first_mut() {
                    edit(first);
                }
            }
            serde_json::from_value(doc).unwrap_or_else(|e| panic!("jwks: {e}"))
        }

        #[test]
        fn a_header_with_a_critical_extension_is_refused() {
            let why = forged(SigningAlg::Es256, Forgery::CritHeader);
            assert!(why.contains("(crit)"), "{why}");
        }

        #[test]
        fn a_header_with_an_empty_crit_list_is_refused() {
            let (m, keys) = matrix(SigningAlg::Es256);
            let token = signed(&m, |header, _| header.crit = Some(Vec::new()));
            assert!(refusal(&token, &keys).contains("(crit)"));
        }

        #[test]
        fn an_access_token_typ_is_refused_in_any_case_with_or_without_application() {
            let (m, keys) = matrix(SigningAlg::Es256);
            for typ in [
                "at+jwt",
                "AT+JWT",
                "application/at+jwt",
                "Application/At+Jwt",
            ] {
                let token = signed(&m, |header, _| header.typ = Some(typ.into()));
                let why = refusal(&token, &keys);
                assert!(why.contains("(typ)"), "{typ}: {why}");
            }
        }

        #[test]
        fn a_typ_of_jwt_in_any_case_or_none_is_accepted() {
            let (m, keys) = matrix(SigningAlg::Es256);
            for typ in [None, Some("JWT"), Some("jwt"), Some("application/jwt")] {
                let token = signed(&m, |header, _| header.typ = typ.map(str::to_owned));
                let claims = verify(&token, &keys, &expectations());
                assert!(claims.is_ok(), "{typ:?}: {claims:?}");
            }
        }

        #[test]
        fn an_id_token_without_iat_is_refused() {
            let why = forged(SigningAlg::Es256, Forgery::MissingIat);
            assert!(why.contains("iat"), "{why}");
        }

        #[test]
        fn an_iat_written_as_a_string_is_refused() {
            let why = forged(SigningAlg::Es256, Forgery::IatNotANumber);
            assert!(why.contains("iat"), "{why}");
        }

        #[test]
        fn an_empty_sub_is_refused() {
            let why = forged(SigningAlg::Es256, Forgery::EmptySub);
            assert!(why.contains("(sub)"), "{why}");
        }

        #[test]
        fn a_key_published_for_encryption_does_not_verify() {
            let why = forged(SigningAlg::Es256, Forgery::KeyUseEnc);
            assert!(why.contains("(use)"), "{why}");
        }

        #[test]
        fn an_rs512_key_does_not_verify_an_rs256_token() {
            let why = forged(SigningAlg::Rs256, Forgery::KeyAlgMismatch);
            assert!(why.contains("RS512") && why.contains("(JWK alg)"), "{why}");
        }

        #[test]
        fn a_key_without_use_and_alg_verifies() {
            let (m, _) = matrix(SigningAlg::Es256);
            let keys = keys_with(&m, true, |jwk| {
                jwk.as_object_mut()
                    .map(|o| (o.remove("use"), o.remove("alg")));
            });
            let token = m.genuine().unwrap_or_else(|e| panic!("sign: {e}"));
            assert!(verify(&token, &keys, &expectations()).is_ok());
        }

        #[test]
        fn the_signing_key_is_chosen_among_keys_that_share_its_kid() {
            let (m, _) = matrix(SigningAlg::Es256);
            let mut doc = m.jwks();
            let mut enc = doc["keys"][0].clone();
            enc["use"] = "enc".into();
            if let Some(keys) = doc["keys"].as_array_mut() {
                keys.insert(0, enc);
            }
            let keys: JwkSet = serde_json::from_value(doc).unwrap_or_else(|e| panic!("{e}"));
            let token = m.genuine().unwrap_or_else(|e| panic!("sign: {e}"));
            assert!(verify(&token, &keys, &expectations()).is_ok());
        }

        #[test]
        fn a_token_without_kid_is_verified_with_the_only_published_key() {
            let (m, _) = matrix(SigningAlg::Es256);
            let keys = keys_with(&m, false, |_| {});
            let token = signed(&m, |header, _| header.kid = None);
            assert!(verify(&token, &keys, &expectations()).is_ok());
        }

        #[test]
        fn a_token_without_kid_is_refused_when_the_only_published_key_is_for_encryption() {
            let (m, _) = matrix(SigningAlg::Es256);
            let keys = keys_with(&m, false, |jwk| jwk["use"] = "enc".into());
            let token = signed(&m, |header, _| header.kid = None);
            assert!(refusal(&token, &keys).contains("(use)"));
        }

        #[test]
        fn a_token_without_kid_is_refused_when_the_provider_publishes_several_keys() {
            let (m, keys) = matrix(SigningAlg::Es256);
            let token = signed(&m, |header, _| header.kid = None);
            assert!(refusal(&token, &keys).contains("(kid)"));
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
