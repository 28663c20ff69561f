//! The authorization request (RFC 6749 §4.1.1, with PKCE, RFC 7636, and the OpenID Connect
//! `nonce`) and the login it leaves in progress until the redirect comes back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flet_auth_primitives::random::url_safe;
use flet_auth_primitives::rfc7636::Pkce;
use subtle::ConstantTimeEq;

use crate::errors::{Error, Result};
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::token::now;
use crate::rfc9449::DpopKey;

/// How long a login in progress waits for its redirect: its `state` expires after this.
pub const LOGIN_TTL: Duration = Duration::from_secs(600);
/// Random octets of a `state` and a `nonce` (192 bits).
const STATE_OCTETS: usize = 24;

/// One login in progress: what the redirect must carry back and what the exchange must send.
pub struct PendingLogin {
    pub state: String,
    pub issued: Instant,
    pub state_checked: bool,
    pub code_verifier: Option<String>,
    pub nonce: Option<String>,
    /// The login asked for the `openid` scope, so its token response must carry an ID token.
    pub openid: bool,
    /// The DPoP key whose thumbprint the request sent as `dpop_jkt` (RFC 9449 §10): the code
    /// is bound to it.
    pub dpop_key: Option<Arc<DpopKey>>,
}

/// The authorization request's parameters for `scope` (§4.1.1, PKCE, the OpenID `nonce`, the
/// app's own) and the login it starts. They go in the authorization URL
/// ([`authorization_request`]) or, pushed (RFC 9126), in a POST. With a DPoP key, its
/// thumbprint goes as `dpop_jkt` (RFC 9449 §10).
pub fn authorization_parameters(
    p: &ProviderConfig,
    scope: &[String],
    dpop_key: Option<&Arc<DpopKey>>,
) -> Result<(Vec<(String, String)>, PendingLogin)> {
    let redirect_url = p.redirect_url()?;
    url::Url::parse(redirect_url)
        .map_err(|e| Error::Configuration(format!("redirect_url is not a valid URL: {e}")))?;
    let state = url_safe(STATE_OCTETS);
    let mut params = vec![
        ("response_type".to_owned(), "code".to_owned()),
        ("client_id".to_owned(), p.client.client_id.clone()),
        ("state".to_owned(), state.clone()),
    ];
    // Flet's fixed PKCE values, whatever their method, are sent as given.
    let explicit = p.code_challenge.is_some() || p.code_verifier.is_some();
    let (challenge, method, verifier) = if explicit {
        let method = p.code_challenge_method.clone();
        (p.code_challenge.clone(), method, p.code_verifier.clone())
    } else if p.pkce {
        let fresh = Pkce::new_s256();
        let method = Some(fresh.method.as_str().to_owned());
        (
            Some(fresh.code_challenge),
            method,
            Some(fresh.code_verifier),
        )
    } else {
        (None, None, None)
    };
    if let Some(c) = challenge {
        params.push(("code_challenge".to_owned(), c));
    }
    if let Some(m) = method {
        params.push(("code_challenge_method".to_owned(), m));
    }
    params.push(("redirect_uri".to_owned(), redirect_url.to_owned()));
    if !scope.is_empty() {
        params.push(("scope".to_owned(), scope.join(" ")));
    }
    let nonce = p.oidc.as_ref().map(|_| url_safe(STATE_OCTETS));
    if let Some(n) = &nonce {
        params.push(("nonce".to_owned(), n.clone()));
    }
    if let Some(key) = dpop_key {
        params.push(("dpop_jkt".to_owned(), key.thumbprint().to_owned()));
    }
    params.extend(p.authorization_params.iter().cloned());
    let login = PendingLogin {
        state,
        issued: Instant::now(),
        state_checked: false,
        code_verifier: verifier,
        nonce,
        openid: scope.iter().any(|s| s == "openid"),
        dpop_key: dpop_key.cloned(),
    };
    Ok((params, login))
}

/// Builds the authorization URL for `scope` and the login it starts.
pub fn authorization_request(
    p: &ProviderConfig,
    scope: &[String],
    dpop_key: Option<&Arc<DpopKey>>,
) -> Result<(String, PendingLogin)> {
    let (params, login) = authorization_parameters(p, scope, dpop_key)?;
    let mut url = p.authorization_endpoint()?.clone();
    url.query_pairs_mut().extend_pairs(params);
    Ok((url.into(), login))
}

impl PendingLogin {
    /// Accepts the `state` of a redirect once, within [`LOGIN_TTL`], compared in constant time.
    pub fn check_state(&mut self, state: &str) -> Result<()> {
        if self.state_checked {
            return Err(Error::StateMismatch("this state was already used".into()));
        }
        if self.issued.elapsed() > LOGIN_TTL {
            return Err(Error::StateMismatch(
                "the login expired; start a new one".into(),
            ));
        }
        if !bool::from(self.state.as_bytes().ct_eq(state.as_bytes())) {
            return Err(Error::StateMismatch(
                "the state does not match this login".into(),
            ));
        }
        self.state_checked = true;
        Ok(())
    }

    /// The login as JSON, to be finished by another process ([`PendingLogin::restore`]).
    pub fn save(&self) -> Result<String> {
        let saved = SavedLogin {
            state: self.state.clone(),
            code_verifier: self.code_verifier.clone(),
            nonce: self.nonce.clone(),
            openid: self.openid,
            issued_at: now() - self.issued.elapsed().as_secs_f64(),
            dpop_jwk: self.dpop_key.as_ref().map(|k| k.private_jwk()),
        };
        serde_json::to_string(&saved)
            .map_err(|e| Error::Internal(format!("cannot save the login: {e}")))
    }

    /// Takes over a login written by [`PendingLogin::save`]; an expired one is refused.
    pub fn restore(saved: &str) -> Result<PendingLogin> {
        let saved: SavedLogin = serde_json::from_str(saved)
            .map_err(|_| Error::Configuration("not a login saved by save_login()".into()))?;
        let age = now() - saved.issued_at;
        let age = Duration::try_from_secs_f64(age.max(0.0)).unwrap_or(Duration::MAX);
        if age > LOGIN_TTL {
            return Err(Error::StateMismatch(
                "the login expired; start a new one".into(),
            ));
        }
        let dpop_key = saved
            .dpop_jwk
            .map(|jwk| DpopKey::from_jwk(&jwk).map(Arc::new))
            .transpose()
            .map_err(|_| Error::Configuration("the saved login's DPoP key is not valid".into()))?;
        Ok(PendingLogin {
            dpop_key,
            issued: Instant::now().checked_sub(age).unwrap_or_else(Instant::now),
            state: saved.state,
            state_checked: false,
            code_verifier: saved.code_verifier,
            nonce: saved.nonce,
            openid: saved.openid,
        })
    }
}

/// A login in progress as `save_login` writes it.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedLogin {
    state: String,
    code_verifier: Option<String>,
    nonce: Option<String>,
    openid: bool,
    /// Unix time the login started (its `state` expires [`LOGIN_TTL`] later).
    issued_at: f64,
    /// The private JWK of the login's DPoP key (RFC 9449), which its code is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_jwk: Option<serde_json::Map<String, serde_json::Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc6749::provider::ProviderSettings;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    use std::collections::HashMap;
    use url::Url;

    const SCOPE: [&str; 2] = ["openid", "email"];

    fn provider(pkce: bool) -> ProviderConfig {
        let settings = ProviderSettings {
            client_id: "client".into(),
            authorization_endpoint: "https://idp.invalid/authorize?prompt=login".into(),
            token_endpoint: "https://idp.invalid/token".into(),
            redirect_url: "http://127.0.0.1:8550/cb".into(),
            authorization_params: vec![("audience".into(), "api".into())],
            pkce,
            ..Default::default()
        };
        match ProviderConfig::new(settings) {
            Ok(p) => p,
            Err(e) => panic!("test provider: {e}"),
        }
    }

    fn start(p: &ProviderConfig) -> (HashMap<String, String>, PendingLogin) {
        let (url, login) = match authorization_request(p, &SCOPE.map(String::from), None) {
            Ok(x) => x,
            Err(e) => panic!("authorization_request: {e}"),
        };
        let query = Url::parse(&url)
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        (query, login)
    }

    #[test]
    fn authorization_url_carries_state_and_a_pkce_s256_challenge_of_the_verifier() {
        let (q, login) = start(&provider(true));
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "client");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8550/cb");
        assert_eq!(q["scope"], "openid email");
        assert_eq!(q["state"], login.state);
        assert_eq!(q["prompt"], "login");
        assert_eq!(q["audience"], "api");
        assert_eq!(q["code_challenge_method"], "S256");
        let verifier = login.code_verifier.unwrap_or_default();
        assert!(verifier.len() >= 43);
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        assert_eq!(q["code_challenge"], expected);
    }

    #[test]
    fn every_login_gets_fresh_state_and_verifier_of_at_least_128_bits() {
        let p = provider(true);
        let (q1, l1) = start(&p);
        let (q2, l2) = start(&p);
        assert_ne!(l1.state, l2.state);
        let bits = URL_SAFE_NO_PAD.decode(&l1.state).map(|b| b.len() * 8);
        assert!(bits.unwrap_or(0) >= 128);
        assert_ne!(q1["code_challenge"], q2["code_challenge"]);
    }

    #[test]
    fn pkce_can_be_turned_off() {
        let (q, login) = start(&provider(false));
        assert!(!q.contains_key("code_challenge"));
        assert!(login.code_verifier.is_none());
    }

    #[test]
    fn flets_fixed_pkce_values_are_sent_as_given() {
        let mut p = provider(true);
        p.code_challenge = Some("fixed".into());
        p.code_challenge_method = Some("plain".into());
        p.code_verifier = Some("fixed".into());
        let (q, login) = start(&p);
        assert_eq!(q["code_challenge"], "fixed");
        assert_eq!(q["code_challenge_method"], "plain");
        assert_eq!(login.code_verifier.as_deref(), Some("fixed"));
    }

    #[test]
    fn state_is_accepted_once() {
        let (_, mut login) = start(&provider(true));
        let state = login.state.clone();
        assert!(matches!(
            login.check_state("forged"),
            Err(Error::StateMismatch(_))
        ));
        assert!(login.check_state(&state).is_ok());
        assert!(matches!(
            login.check_state(&state),
            Err(Error::StateMismatch(_))
        ));
    }

    #[test]
    fn expired_state_is_refused() {
        let (_, mut login) = start(&provider(true));
        login.issued = Instant::now() - LOGIN_TTL - Duration::from_secs(1);
        let state = login.state.clone();
        assert!(matches!(
            login.check_state(&state),
            Err(Error::StateMismatch(_))
        ));
    }

    #[test]
    fn a_saved_login_restores_with_its_secrets_and_age() {
        let (_, login) = start(&provider(true));
        let restored = PendingLogin::restore(&login.save().unwrap_or_default());
        let restored = restored.unwrap_or_else(|e| panic!("restore: {e}"));
        assert_eq!(restored.state, login.state);
        assert_eq!(restored.code_verifier, login.code_verifier);
        assert!(PendingLogin::restore("{}").is_err());
    }
}
