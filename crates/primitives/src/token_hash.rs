//! `at_hash` and `c_hash` (OpenID Connect Core §3.1.3.6, §3.3.2.11): the base64url of the left
//! half of the hash of the access token or code, with the hash function of the `alg` that signs
//! the ID token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The JWS `alg` defines no hash function this module knows (`none`, or an unknown name).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no at_hash or c_hash is defined for the JWS algorithm {0:?}")]
pub struct UnsupportedAlgorithm(pub String);

/// The hash of a JWS `alg` (RFC 7518 §3.1; RFC 8037 for EdDSA on Ed25519, which signs with
/// SHA-512), applied to `value`, left half, base64url.
fn left_half_hash(value: &str, alg: &str) -> Result<String, UnsupportedAlgorithm> {
    let digest: Vec<u8> = match alg {
        "HS256" | "RS256" | "PS256" | "ES256" | "ES256K" => Sha256::digest(value).to_vec(),
        "HS384" | "RS384" | "PS384" | "ES384" => Sha384::digest(value).to_vec(),
        "HS512" | "RS512" | "PS512" | "ES512" | "EdDSA" | "Ed25519" => {
            Sha512::digest(value).to_vec()
        }
        _ => return Err(UnsupportedAlgorithm(alg.to_owned())),
    };
    Ok(URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

/// The `at_hash` claim of an ID token signed with `alg` and issued with `access_token`.
pub fn at_hash(access_token: &str, alg: &str) -> Result<String, UnsupportedAlgorithm> {
    left_half_hash(access_token, alg)
}

/// The `c_hash` claim of an ID token signed with `alg` and issued with the authorization `code`.
pub fn c_hash(code: &str, alg: &str) -> Result<String, UnsupportedAlgorithm> {
    left_half_hash(code, alg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenID Connect Core, Appendix A.3: the access token and `at_hash` of an RS256 ID token.
    #[test]
    fn at_hash_matches_the_openid_connect_example() {
        let hash = at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256");
        assert_eq!(hash.as_deref(), Ok("77QmUPtjPfzWtF2AnpK9RQ"));
    }

    /// OpenID Connect Core, Appendix A.4: the code and `c_hash` of an RS256 ID token.
    #[test]
    fn c_hash_matches_the_openid_connect_example() {
        let hash = c_hash(
            "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk",
            "RS256",
        );
        assert_eq!(hash.as_deref(), Ok("LDktKdoQak3Pk0cnXxCltA"));
    }

    #[test]
    fn the_hash_follows_the_alg() {
        let length = |alg: &str| at_hash("token", alg).map(|h| h.len());
        assert_eq!(length("ES256"), Ok(22), "16 bytes of SHA-256");
        assert_eq!(length("PS384"), Ok(32), "24 bytes of SHA-384");
        assert_eq!(length("EdDSA"), Ok(43), "32 bytes of SHA-512");
        assert_eq!(at_hash("token", "RS256"), at_hash("token", "ES256"));
        assert_ne!(at_hash("token", "RS256"), at_hash("other", "RS256"));
    }

    #[test]
    fn none_and_unknown_algorithms_are_refused() {
        for alg in ["none", "", "rs256", "A128KW"] {
            assert_eq!(
                at_hash("token", alg),
                Err(UnsupportedAlgorithm(alg.to_owned()))
            );
        }
    }
}
