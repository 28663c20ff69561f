//! Wrong ID tokens, for tests of a client's ID token validation (OpenID Connect Core §3.1.3.7):
//! each kind breaks one rule, and says which.

use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use flet_auth_primitives::random;
use flet_auth_primitives::token_hash::at_hash;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Map, Value};

use crate::error::{IdTokenError, KeyError, MockError};
use crate::id_token::{header, sign};
use crate::keys::{decoy, stranger, Mislabel, SigningAlg, SigningKey};

/// The audience that is not the client.
const OTHER_AUDIENCE: &str = "other-client";
/// One hour, how far wrong times are off.
const HOUR: i64 = 3600;
/// The header parameter that the `crit_header` forgery marks critical: an extension that no
/// client understands (RFC 7515 §4.1.11).
const UNKNOWN_EXTENSION: &str = "urn:flet-auth:mock:unknown-extension";

/// A rule of ID token validation (OpenID Connect Core §3.1.3.7 unless noted): the reason a
/// verifier must give for refusing a forged token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Step 2: `iss` is the provider's issuer.
    Issuer,
    /// Step 3: `aud` contains the client's `client_id`.
    Audience,
    /// Steps 4 and 5: a token with several audiences names the client in `azp`, and an `azp`
    /// present is the client.
    AuthorizedParty,
    /// Step 6: the signature verifies with the provider's key.
    Signature,
    /// Step 6: the `kid` names a key the provider publishes.
    KeyId,
    /// Step 6 with RFC 7517 §4.2: the key is published for signatures (`use` sig or absent).
    KeyUse,
    /// Step 6 with RFC 7517 §4.4: the key's `alg`, when published, is the token's.
    KeyAlgorithm,
    /// Step 6 with RFC 7515 §4.1.11: no header parameter is `crit`ical, since a client
    /// understands no extension.
    Critical,
    /// RFC 9068 §4: the token is not an access token (`typ` at+jwt) presented as an ID token.
    Type,
    /// Steps 7 and 8: `alg` is an asymmetric algorithm the provider announced: never `none`,
    /// never HMAC (keyed with a public key).
    Algorithm,
    /// Step 9: `exp` is in the future.
    Expiry,
    /// Step 10 with §2: `iat` is present, a number, and not in the future.
    IssuedAt,
    /// §2: `sub` is a non-empty string.
    Subject,
    /// RFC 7519 §4.1.5: `nbf` has passed.
    NotBefore,
    /// Step 11: `nonce` is present and the one of the authentication request.
    Nonce,
    /// §3.1.3.8 and §3.2.2.9: `at_hash` is the hash of the access token.
    AccessTokenHash,
}

impl Rule {
    /// The claim, JOSE header parameter, JWK member or JWS part the rule is about: `iss`,
    /// `aud`, `azp`, `signature`, `kid`, `use`, `alg`, `crit`, `typ`, `exp`, `iat`, `sub`,
    /// `nbf`, `nonce` or `at_hash`.
    pub fn subject(self) -> &'static str {
        match self {
            Rule::Issuer => "iss",
            Rule::Audience => "aud",
            Rule::AuthorizedParty => "azp",
            Rule::Signature => "signature",
            Rule::KeyId => "kid",
            Rule::KeyUse => "use",
            Rule::Algorithm | Rule::KeyAlgorithm => "alg",
            Rule::Critical => "crit",
            Rule::Type => "typ",
            Rule::Expiry => "exp",
            Rule::IssuedAt => "iat",
            Rule::Subject => "sub",
            Rule::NotBefore => "nbf",
            Rule::Nonce => "nonce",
            Rule::AccessTokenHash => "at_hash",
        }
    }
}

/// A way to make an ID token wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgery {
    /// `iss` is another issuer.
    WrongIss,
    /// `aud` is another client only.
    WrongAud,
    /// `aud` is the client and another one, without `azp`.
    MultipleAudNoAzp,
    /// `aud` is the client and another one, `azp` the other one.
    WrongAzp,
    /// `exp` was an hour ago.
    Expired,
    /// `iat` is an hour from now.
    FutureIat,
    /// No `iat`.
    MissingIat,
    /// `iat` is a string: the time an hour from now, written in digits.
    IatNotANumber,
    /// `sub` is the empty string.
    EmptySub,
    /// `nbf` is an hour from now.
    NbfFuture,
    /// One bit of the signature is flipped.
    BadSignature,
    /// Signed with a key the provider does not publish.
    UnknownKid,
    /// An Unsecured JWS (`alg` none) that names the published key.
    AlgNone,
    /// HS256 keyed with the provider's public key (PEM), naming that key: key confusion.
    Hs256WithPublicKey,
    /// Signed with a key that the provider publishes, under its `kid`, as an encryption key
    /// only (`use` enc).
    KeyUseEnc,
    /// Signed with a key that the provider publishes, under its `kid`, for another `alg`.
    KeyAlgMismatch,
    /// A header that marks an unknown extension critical (`crit`).
    CritHeader,
    /// `typ` is at+jwt: an RFC 9068 access token.
    TypAtJwt,
    /// No `nonce`.
    MissingNonce,
    /// A `nonce` of another login.
    WrongNonce,
    /// The `at_hash` of another access token.
    WrongAtHash,
}

impl Forgery {
    /// Every kind: a test that walks this list tests a new kind at once.
    pub const ALL: [Forgery; 21] = [
        Forgery::WrongIss,
        Forgery::WrongAud,
        Forgery::MultipleAudNoAzp,
        Forgery::WrongAzp,
        Forgery::Expired,
        Forgery::FutureIat,
        Forgery::MissingIat,
        Forgery::IatNotANumber,
        Forgery::EmptySub,
        Forgery::NbfFuture,
        Forgery::BadSignature,
        Forgery::UnknownKid,
        Forgery::AlgNone,
        Forgery::Hs256WithPublicKey,
        Forgery::KeyUseEnc,
        Forgery::KeyAlgMismatch,
        Forgery::CritHeader,
        Forgery::TypAtJwt,
        Forgery::MissingNonce,
        Forgery::WrongNonce,
        Forgery::WrongAtHash,
    ];

    /// The stable name of the kind, as `forge_id_token(kind)` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Forgery::WrongIss => "wrong_iss",
            Forgery::WrongAud => "wrong_aud",
            Forgery::MultipleAudNoAzp => "multiple_aud_no_azp",
            Forgery::WrongAzp => "wrong_azp",
            Forgery::Expired => "expired",
            Forgery::FutureIat => "future_iat",
            Forgery::MissingIat => "missing_iat",
            Forgery::IatNotANumber => "iat_not_a_number",
            Forgery::EmptySub => "empty_sub",
            Forgery::NbfFuture => "nbf_future",
            Forgery::BadSignature => "bad_signature",
            Forgery::UnknownKid => "unknown_kid",
            Forgery::AlgNone => "alg_none",
            Forgery::Hs256WithPublicKey => "hs256_with_public_key",
            Forgery::KeyUseEnc => "key_use_enc",
            Forgery::KeyAlgMismatch => "key_alg_mismatch",
            Forgery::CritHeader => "crit_header",
            Forgery::TypAtJwt => "typ_at_jwt",
            Forgery::MissingNonce => "missing_nonce",
            Forgery::WrongNonce => "wrong_nonce",
            Forgery::WrongAtHash => "wrong_at_hash",
        }
    }

    /// The rule the forged token breaks, which a verifier must refuse it for.
    pub fn rule(self) -> Rule {
        match self {
            Forgery::WrongIss => Rule::Issuer,
            Forgery::WrongAud => Rule::Audience,
            Forgery::MultipleAudNoAzp | Forgery::WrongAzp => Rule::AuthorizedParty,
            Forgery::Expired => Rule::Expiry,
            Forgery::FutureIat | Forgery::MissingIat | Forgery::IatNotANumber => Rule::IssuedAt,
            Forgery::EmptySub => Rule::Subject,
            Forgery::NbfFuture => Rule::NotBefore,
            Forgery::BadSignature => Rule::Signature,
            Forgery::UnknownKid => Rule::KeyId,
            Forgery::AlgNone | Forgery::Hs256WithPublicKey => Rule::Algorithm,
            Forgery::KeyUseEnc => Rule::KeyUse,
            Forgery::KeyAlgMismatch => Rule::KeyAlgorithm,
            Forgery::CritHeader => Rule::Critical,
            Forgery::TypAtJwt => Rule::Type,
            Forgery::MissingNonce | Forgery::WrongNonce => Rule::Nonce,
            Forgery::WrongAtHash => Rule::AccessTokenHash,
        }
    }

    /// Changes the claims as this kind requires; signature kinds leave them as they are.
    fn alter(
        self,
        claims: &mut Map<String, Value>,
        key: &SigningKey,
        now: i64,
    ) -> Result<(), IdTokenError> {
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
            Forgery::MissingIat => {
                claims.remove("iat");
            }
            Forgery::IatNotANumber => {
                claims.insert("iat".into(), (now + HOUR).to_string().into());
            }
            Forgery::EmptySub => {
                claims.insert("sub".into(), "".into());
            }
            Forgery::NbfFuture => {
                claims.insert("nbf".into(), (now + HOUR).into());
                claims.insert("exp".into(), exp.saturating_add(HOUR).into());
            }
            Forgery::MissingNonce => {
                claims.remove("nonce");
            }
            Forgery::WrongNonce => {
                claims.insert("nonce".into(), random::url_safe(16).into());
            }
            Forgery::WrongAtHash => {
                let other = at_hash(&random::url_safe(24), key.alg.name())?;
                claims.insert("at_hash".into(), other.into());
            }
            Forgery::BadSignature
            | Forgery::UnknownKid
            | Forgery::AlgNone
            | Forgery::Hs256WithPublicKey
            | Forgery::KeyUseEnc
            | Forgery::KeyAlgMismatch
            | Forgery::CritHeader
            | Forgery::TypAtJwt => {}
        }
        Ok(())
    }

    /// How the provider must label the key of this kind's token in its JWKS, for the kinds
    /// signed with a decoy key.
    fn mislabel(self) -> Option<Mislabel> {
        match self {
            Forgery::KeyUseEnc => Some(Mislabel::Encryption),
            Forgery::KeyAlgMismatch => Some(Mislabel::OtherAlg),
            _ => None,
        }
    }

    /// The JWK that a provider signing with `alg` must publish, besides its own keys, for a
    /// token of this kind to be what it claims: the mislabelled decoy key that signs it.
    /// May generate the decoy key.
    pub fn published_jwk(self, alg: SigningAlg) -> Result<Option<Value>, KeyError> {
        match self.mislabel() {
            Some(label) => Ok(Some(label.jwk(decoy(alg)?.as_ref()))),
            None => Ok(None),
        }
    }

    /// The ID token with `claims` (made at `now`), wrong in this kind's way; `key` is the
    /// provider's current key.
    pub(crate) fn forge(
        self,
        mut claims: Map<String, Value>,
        key: &SigningKey,
        now: i64,
    ) -> Result<String, IdTokenError> {
        self.alter(&mut claims, key, now)?;
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
            Forgery::KeyUseEnc | Forgery::KeyAlgMismatch => {
                let decoy = decoy(key.alg)?;
                let mut header = header(&decoy);
                header.kid = self.mislabel().map(|label| label.kid(&decoy));
                Ok(jsonwebtoken::encode(&header, &claims, &decoy.encoding)?)
            }
            Forgery::CritHeader => {
                let mut header = header(key);
                header.crit = Some(vec![UNKNOWN_EXTENSION.to_owned()]);
                header.extras.insert(UNKNOWN_EXTENSION, true);
                Ok(jsonwebtoken::encode(&header, &claims, &key.encoding)?)
            }
            Forgery::TypAtJwt => {
                let mut header = header(key);
                header.typ = Some("at+jwt".to_owned());
                Ok(jsonwebtoken::encode(&header, &claims, &key.encoding)?)
            }
            _ => sign(&claims, key),
        }
    }
}

impl FromStr for Forgery {
    type Err = MockError;

    fn from_str(kind: &str) -> Result<Forgery, MockError> {
        let found = Forgery::ALL.into_iter().find(|f| f.name() == kind);
        found.ok_or_else(|| {
            MockError::Configuration(format!(
                "unknown ID token forgery {kind:?}; one of {}",
                Forgery::ALL.map(Forgery::name).join(", ")
            ))
        })
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

    #[test]
    fn every_kind_parses_from_its_name_and_others_are_refused() {
        for f in Forgery::ALL {
            assert_eq!(f.name().parse::<Forgery>().ok(), Some(f));
        }
        let unknown = "nope".parse::<Forgery>();
        assert!(
            matches!(unknown, Err(MockError::Configuration(m)) if m.contains("hs256_with_public_key"))
        );
    }

    #[test]
    fn names_are_distinct() {
        let mut names = Forgery::ALL.map(Forgery::name).to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Forgery::ALL.len());
    }

    #[test]
    fn damaged_signature_differs_in_one_bit() {
        let damaged = damage_signature("a.b.AAAA");
        assert_eq!(damaged, "a.b.AQAA");
    }

    #[test]
    fn claim_forgeries_name_the_claim_they_break() {
        assert_eq!(Forgery::WrongIss.rule().subject(), "iss");
        assert_eq!(Forgery::WrongAzp.rule().subject(), "azp");
        assert_eq!(Forgery::MissingNonce.rule(), Forgery::WrongNonce.rule());
        assert_eq!(Forgery::AlgNone.rule().subject(), "alg");
    }
}
