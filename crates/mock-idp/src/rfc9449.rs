//! DPoP proofs as a server checks them (RFC 9449 §4.3), the JWK thumbprint a token is bound
//! to (RFC 7638), and the proofs seen (`jti` replay, the last proof for tests).

use crate::replay::JtiSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The proof algorithms accepted: asymmetric only (§4.3 item 5; never `none` or HS*).
pub const ALGORITHMS: [&str; 7] = [
    "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "EdDSA",
];
/// How far a proof's `iat` may be from now, in seconds (§4.3 item 11, §11.1).
pub const IAT_WINDOW: i64 = 60;
/// JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037).
const PRIVATE_MEMBERS: [&str; 9] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"];
/// The error that asks for the server's nonce (§8, §9).
pub const USE_DPOP_NONCE: &str = "use_dpop_nonce";

/// A proof that passed the checks: its decoded parts and its key's thumbprint.
pub struct Proof {
    pub header: Value,
    pub claims: Map<String, Value>,
    pub jkt: String,
}

/// What a request must match.
pub struct Expect<'a> {
    pub htm: &'a str,
    pub htu: &'a str,
    pub now: i64,
    /// At a resource: the access token the proof's `ath` must hash.
    pub access_token: Option<&'a str>,
}

fn part(segment: &str) -> Result<Value, String> {
    let raw = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| "a part is not base64url".to_owned())?;
    serde_json::from_slice(&raw).map_err(|_| "a part is not JSON".to_owned())
}

/// RFC 7638 §3.2: the SHA-256 of the required members in lexicographic order.
pub fn thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    let canonical = match text("kty")? {
        "EC" => json!({"crv": text("crv")?, "kty": "EC", "x": text("x")?, "y": text("y")?}),
        "RSA" => json!({"e": text("e")?, "kty": "RSA", "n": text("n")?}),
        "OKP" => json!({"crv": text("crv")?, "kty": "OKP", "x": text("x")?}),
        _ => return None,
    };
    // serde_json writes a `json!` object's members sorted, without whitespace.
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.to_string().as_bytes())))
}

/// The checks of §4.3 but the `jti` replay and the nonce, which need the server's memory.
pub fn verify(proof: &str, expect: &Expect<'_>) -> Result<Proof, String> {
    let segments: Vec<&str> = proof.split('.').collect();
    let [header_part, claims_part, _] = segments[..] else {
        return Err("the proof is not a JWS in compact form".into());
    };
    let header = part(header_part)?;
    let claims = match part(claims_part)? {
        Value::Object(map) => map,
        _ => return Err("the proof's claims are not an object".into()),
    };
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err("typ is not dpop+jwt".into());
    }
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if !ALGORITHMS.contains(&alg) {
        return Err(format!(
            "alg {alg:?} is not an accepted asymmetric algorithm"
        ));
    }
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err("the header has no jwk".into());
    };
    if let Some(name) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
        return Err(format!("the jwk carries the private member {name}"));
    }
    let jkt = thumbprint(jwk).ok_or("the jwk is not a public EC, RSA or OKP key")?;
    let algorithm: Algorithm = alg.parse().map_err(|_| "unknown alg".to_owned())?;
    let parsed: Jwk = serde_json::from_value(Value::Object(jwk.clone()))
        .map_err(|_| "the jwk is not a valid JWK".to_owned())?;
    let key = DecodingKey::from_jwk(&parsed).map_err(|_| "the jwk is not usable".to_owned())?;
    let mut validation = Validation::new(algorithm);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    decode::<Value>(proof, &key, &validation)
        .map_err(|_| "the signature is not the jwk's".to_owned())?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("jti").is_none_or(str::is_empty) {
        return Err("the proof has no jti".into());
    }
    if text("htm") != Some(expect.htm) {
        return Err(format!("htm is not {}", expect.htm));
    }
    if text("htu") != Some(expect.htu) {
        return Err(format!("htu is not {}", expect.htu));
    }
    let Some(iat) = claims.get("iat").and_then(Value::as_i64) else {
        return Err("the proof has no numeric iat".into());
    };
    if (iat - expect.now).abs() > IAT_WINDOW {
        return Err("iat is too far from now".into());
    }
    if let Some(token) = expect.access_token {
        let ath = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        if text("ath") != Some(ath.as_str()) {
            return Err("ath is not the hash of the access token".into());
        }
    }
    Ok(Proof {
        header,
        claims,
        jkt,
    })
}

/// The proofs a server has accepted: their `jti`s (against replay, §11.1) and the last one.
#[derive(Default)]
pub struct Seen {
    jtis: JtiSet,
    pub last: Option<(Value, Map<String, Value>)>,
}

impl Seen {
    /// Records a proof; false when its `jti` was seen within the window.
    pub fn accept(&mut self, proof: &Proof, now: i64) -> bool {
        let jti = proof
            .claims
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        // Refusable while its `iat` could still pass the window.
        if !self.jtis.first_use(&jti, now + 2 * IAT_WINDOW, now) {
            return false;
        }
        self.last = Some((proof.header.clone(), proof.claims.clone()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ec_thumbprint_hashes_the_required_members_in_order() {
        let jwk = json!({"y": "Y", "x": "X", "kty": "EC", "crv": "P-256", "use": "sig"});
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(
            br#"{"crv":"P-256","kty":"EC","x":"X","y":"Y"}"#,
        ));
        assert_eq!(jwk.as_object().and_then(thumbprint), Some(expected));
    }

    #[test]
    fn a_proof_that_is_not_a_jws_is_refused() {
        let expect = Expect {
            htm: "POST",
            htu: "http://x/token",
            now: 0,
            access_token: None,
        };
        assert!(verify("a.b", &expect).is_err());
    }
}
