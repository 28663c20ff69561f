//! Pushed authorization requests (RFC 9126) as the provider keeps them: the parameters a
//! client pushed, under a fresh `request_uri` that the authorization endpoint accepts once,
//! before it expires.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use flet_auth_primitives::random;

/// The prefix of every `request_uri` (§2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// A pushed request.
struct Pushed {
    client_id: String,
    params: HashMap<String, String>,
    expires: Instant,
    used: bool,
}

/// Why the authorization endpoint refuses a `request_uri` (RFC 9101 §6.2 `invalid_request_uri`).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued, or issued to another client: nothing may be sent to its redirect URI.
    Unknown,
    /// Used already, or expired: the error goes to the pushed request's redirect URI.
    Spent {
        why: &'static str,
        params: HashMap<String, String>,
    },
}

/// The requests pushed and not forgotten.
#[derive(Default)]
pub struct PushedRequests {
    requests: HashMap<String, Pushed>,
}

impl PushedRequests {
    /// Keeps `params` for `client_id` for `ttl`; returns their `request_uri`.
    pub fn push(
        &mut self,
        client_id: String,
        params: HashMap<String, String>,
        ttl: Duration,
    ) -> String {
        let now = Instant::now();
        self.requests.retain(|_, p| p.expires + ttl > now);
        let request_uri = format!("{REQUEST_URI_PREFIX}{}", random::url_safe(24));
        let pushed = Pushed {
            client_id,
            params,
            expires: now + ttl,
            used: false,
        };
        self.requests.insert(request_uri.clone(), pushed);
        request_uri
    }

    /// The parameters pushed under `request_uri` by `client_id`, once, before they expire.
    pub fn take(
        &mut self,
        request_uri: &str,
        client_id: &str,
    ) -> Result<HashMap<String, String>, Refusal> {
        let Some(pushed) = self.requests.get_mut(request_uri) else {
            return Err(Refusal::Unknown);
        };
        if pushed.client_id != client_id {
            return Err(Refusal::Unknown);
        }
        let why = if pushed.used {
            "The request_uri was already used"
        } else if Instant::now() >= pushed.expires {
            "The request_uri expired"
        } else {
            pushed.used = true;
            return Ok(pushed.params.clone());
        };
        Err(Refusal::Spent {
            why,
            params: pushed.params.clone(),
        })
    }

    /// Makes every pushed request expire now (a test's way to wait `expires_in`).
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for pushed in self.requests.values_mut() {
            pushed.expires = pushed.expires.min(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> HashMap<String, String> {
        HashMap::from([("state".to_owned(), "s".to_owned())])
    }

    #[test]
    fn a_request_uri_is_taken_once_by_its_client() {
        let mut requests = PushedRequests::default();
        let uri = requests.push("c".into(), params(), Duration::from_secs(60));
        assert!(uri.starts_with(REQUEST_URI_PREFIX));
        assert_eq!(requests.take(&uri, "other"), Err(Refusal::Unknown));
        assert_eq!(requests.take(&uri, "c"), Ok(params()));
        assert!(matches!(
            requests.take(&uri, "c"),
            Err(Refusal::Spent { why, .. }) if why.contains("already used")
        ));
        assert_eq!(requests.take("urn:nothing", "c"), Err(Refusal::Unknown));
    }

    #[test]
    fn an_expired_request_uri_is_refused() {
        let mut requests = PushedRequests::default();
        let uri = requests.push("c".into(), params(), Duration::from_secs(60));
        requests.expire_all();
        assert!(matches!(
            requests.take(&uri, "c"),
            Err(Refusal::Spent { why, .. }) if why.contains("expired")
        ));
    }
}
