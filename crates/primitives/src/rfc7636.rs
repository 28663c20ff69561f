//! Proof Key for Code Exchange (RFC 7636): the client's `code_verifier` and `code_challenge`,
//! and the authorization server's check of one against the other.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::random;

/// Random octets of a fresh `code_verifier`: §4.1 recommends 32, which base64url makes the
/// 43 characters of the shortest verifier allowed.
const VERIFIER_OCTETS: usize = 32;

/// `code_challenge_method` (§4.2, §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeChallengeMethod {
    /// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
    S256,
    /// The challenge is the verifier; what a request that names no method means (§4.3).
    Plain,
}

impl CodeChallengeMethod {
    /// The method named `name` as the request writes it, or None for one this module lacks
    /// (the server then refuses the request, §4.4.1).
    pub fn parse(name: &str) -> Option<CodeChallengeMethod> {
        match name {
            "S256" => Some(CodeChallengeMethod::S256),
            "plain" => Some(CodeChallengeMethod::Plain),
            _ => None,
        }
    }

    /// The name that goes into `code_challenge_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeChallengeMethod::S256 => "S256",
            CodeChallengeMethod::Plain => "plain",
        }
    }

    /// The `code_challenge` of `code_verifier` with this method.
    pub fn challenge(self, code_verifier: &str) -> String {
        match self {
            CodeChallengeMethod::S256 => s256_challenge(code_verifier),
            CodeChallengeMethod::Plain => code_verifier.to_owned(),
        }
    }
}

/// The S256 `code_challenge` of `code_verifier` (§4.2).
pub fn s256_challenge(code_verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()))
}

/// §4.6: whether `code_verifier` is the one `code_challenge` was made from with `method`;
/// the comparison takes the same time wherever the values differ.
pub fn verify(code_verifier: &str, code_challenge: &str, method: CodeChallengeMethod) -> bool {
    let expected = method.challenge(code_verifier);
    bool::from(expected.as_bytes().ct_eq(code_challenge.as_bytes()))
}

/// The PKCE values of one authorization request. `Debug` leaves the verifier out.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    /// The secret the client keeps until the token request (§4.1).
    pub code_verifier: String,
    /// What the authorization request carries (§4.2).
    pub code_challenge: String,
    pub method: CodeChallengeMethod,
}

impl Pkce {
    /// A fresh random verifier and its S256 challenge.
    pub fn new_s256() -> Pkce {
        let code_verifier = random::url_safe(VERIFIER_OCTETS);
        Pkce {
            code_challenge: s256_challenge(&code_verifier),
            code_verifier,
            method: CodeChallengeMethod::S256,
        }
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("code_verifier", &"<secret>")
            .field("code_challenge", &self.code_challenge)
            .field("method", &self.method)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636, Appendix B: the example verifier and its S256 challenge.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn s256_challenge_matches_rfc7636_appendix_b() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
    }

    #[test]
    fn verify_accepts_only_the_verifier_of_the_challenge() {
        assert!(verify(VERIFIER, CHALLENGE, CodeChallengeMethod::S256));
        assert!(!verify("other", CHALLENGE, CodeChallengeMethod::S256));
        assert!(!verify(VERIFIER, CHALLENGE, CodeChallengeMethod::Plain));
        assert!(verify(VERIFIER, VERIFIER, CodeChallengeMethod::Plain));
    }

    #[test]
    fn methods_parse_from_their_names_only() {
        for method in [CodeChallengeMethod::S256, CodeChallengeMethod::Plain] {
            assert_eq!(CodeChallengeMethod::parse(method.as_str()), Some(method));
        }
        assert_eq!(CodeChallengeMethod::parse("s256"), None);
        assert_eq!(CodeChallengeMethod::parse(""), None);
    }

    #[test]
    fn a_fresh_pair_is_a_43_character_verifier_and_its_s256_challenge() {
        let pkce = Pkce::new_s256();
        assert_eq!(pkce.code_verifier.len(), 43);
        assert_eq!(pkce.code_challenge, s256_challenge(&pkce.code_verifier));
        assert_eq!(pkce.method, CodeChallengeMethod::S256);
        assert_ne!(pkce.code_verifier, Pkce::new_s256().code_verifier);
    }

    #[test]
    fn debug_leaves_the_verifier_out() {
        let pkce = Pkce::new_s256();
        let shown = format!("{pkce:?}");
        assert!(!shown.contains(&pkce.code_verifier));
        assert!(shown.contains(&pkce.code_challenge));
    }
}
