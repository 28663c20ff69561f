//! What a running provider holds: its settings and keys, what it issued, the requests it
//! counted and the faults (and forged ID tokens) queued for the next requests.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use flet_auth_primitives::{random, time};
use serde_json::{json, Value};

use crate::config::Settings;
use crate::device::{approved_by, Decision, DeviceCodes, DevicePoll};
use crate::error::IdTokenError;
use crate::faults::{Endpoint, Fault};
use crate::forgery::Forgery;
use crate::grants::{AuthorizationCode, Grant, Grants};
use crate::id_token::{self, IdTokenFacts};
use crate::keys::{KeyRing, SigningKey};
use crate::replay::JtiSet;
use crate::rfc9126::{PushedRequests, Refusal};
use crate::rfc9207::{self, IssForgery};
use crate::rfc9449::{self, Expect, Proof, Seen};
use crate::users::MockUser;

/// What tests asked for and what they queued.
#[derive(Default)]
struct Requests {
    counts: BTreeMap<String, u64>,
    faults: HashMap<Endpoint, VecDeque<Fault>>,
    forgeries: VecDeque<Forgery>,
    iss_forgeries: VecDeque<IssForgery>,
    last_end_session: Option<BTreeMap<String, String>>,
    last_token_request: Option<BTreeMap<String, String>>,
    last_par_request: Option<BTreeMap<String, String>>,
    /// Device polls to answer `slow_down` whatever their timing.
    slow_downs: usize,
}

pub struct MockState {
    pub settings: Settings,
    access_token_ttl: AtomicI64,
    keys: Mutex<KeyRing>,
    grants: Mutex<Grants>,
    devices: Mutex<DeviceCodes>,
    pushed: Mutex<PushedRequests>,
    requests: Mutex<Requests>,
    /// `http://127.0.0.1:PORT`, once the server is bound.
    base_url: Mutex<Option<String>>,
    /// The `jti` of each client assertion accepted, with its `exp` (RFC 7523 §3 item 7).
    assertion_jtis: Mutex<JtiSet>,
    dpop: Mutex<DpopState>,
}

/// What the provider knows of DPoP proofs (RFC 9449).
struct DpopState {
    seen: Seen,
    /// The nonce proofs must carry when `require_dpop_nonce` is set (§8).
    nonce: String,
    /// A fault: the nonce changes before every check, so no proof ever carries the current one.
    rotate_always: bool,
}

/// Why a DPoP proof was refused: the error code (`invalid_dpop_proof`, `use_dpop_nonce`)
/// and a description.
pub struct DpopRefusal {
    pub error: &'static str,
    pub description: String,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MockState {
    pub fn new(settings: Settings, keys: KeyRing) -> MockState {
        MockState {
            access_token_ttl: AtomicI64::new(settings.access_token_ttl),
            settings,
            keys: Mutex::new(keys),
            grants: Mutex::new(Grants::default()),
            devices: Mutex::new(DeviceCodes::default()),
            pushed: Mutex::new(PushedRequests::default()),
            requests: Mutex::new(Requests::default()),
            base_url: Mutex::new(None),
            assertion_jtis: Mutex::new(JtiSet::default()),
            dpop: Mutex::new(DpopState {
                seen: Seen::default(),
                nonce: random::url_safe(16),
                rotate_always: false,
            }),
        }
    }

    /// Checks a DPoP proof (RFC 9449 §4.3): its form, signature and claims, the server's
    /// nonce when one is required, and that its `jti` was not used before.
    pub fn check_dpop(&self, proof: &str, expect: &Expect<'_>) -> Result<Proof, DpopRefusal> {
        let invalid = |description: String| DpopRefusal {
            error: "invalid_dpop_proof",
            description,
        };
        let proof = rfc9449::verify(proof, expect).map_err(invalid)?;
        let mut dpop = lock(&self.dpop);
        if self.settings.require_dpop_nonce {
            if dpop.rotate_always {
                dpop.nonce = random::url_safe(16);
            }
            let sent = proof.claims.get("nonce").and_then(Value::as_str);
            if sent != Some(dpop.nonce.as_str()) {
                return Err(DpopRefusal {
                    error: rfc9449::USE_DPOP_NONCE,
                    description: "Use the DPoP-Nonce of this answer in the proof".into(),
                });
            }
        }
        if !dpop.seen.accept(&proof, expect.now) {
            return Err(invalid("the proof's jti was used before".into()));
        }
        Ok(proof)
    }

    /// The nonce the next proofs must carry, when nonces are required.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.settings
            .require_dpop_nonce
            .then(|| lock(&self.dpop).nonce.clone())
    }

    /// A new nonce now; with `always`, before every check too.
    pub fn rotate_dpop_nonce(&self, always: bool) {
        let mut dpop = lock(&self.dpop);
        dpop.nonce = random::url_safe(16);
        dpop.rotate_always = always;
    }

    /// The decoded header and claims of the last proof accepted.
    pub fn last_dpop_proof(&self) -> Option<(Value, serde_json::Map<String, Value>)> {
        lock(&self.dpop).seen.last.clone()
    }

    /// The `cnf.jkt` of an access token that is known and not expired: `Some(None)` for a
    /// bearer token.
    pub fn access_token_jkt(&self, token: &str) -> Option<Option<String>> {
        let grants = lock(&self.grants);
        grants
            .access_token(token)
            .map(|(_, jkt)| jkt.map(str::to_owned))
    }

    /// The user of an access token that is known and not expired, and its `cnf.jkt`.
    pub fn access_token_binding(&self, token: &str) -> Option<(MockUser, Option<String>)> {
        let grants = lock(&self.grants);
        let (username, jkt) = grants.access_token(token)?;
        Some((self.user(username)?.clone(), jkt.map(str::to_owned)))
    }

    pub fn keys(&self) -> MutexGuard<'_, KeyRing> {
        lock(&self.keys)
    }

    fn signing_key(&self) -> Arc<SigningKey> {
        self.keys().current()
    }

    pub fn set_base_url(&self, base_url: String) {
        *lock(&self.base_url) = Some(base_url);
    }

    pub fn base_url(&self) -> Option<String> {
        lock(&self.base_url).clone()
    }

    /// The `issuer` setting, else the base URL (`None` before the first start).
    pub fn issuer(&self) -> Option<String> {
        self.settings.issuer.clone().or_else(|| self.base_url())
    }

    /// Whether `jti` was never seen in an assertion still valid at `now`; remembers it until
    /// `exp`.
    pub fn first_use_of_jti(&self, jti: &str, exp: i64, now: i64) -> bool {
        // Kept a minute past `exp`: longer than any clock leeway.
        lock(&self.assertion_jtis).first_use(jti, exp + 60, now)
    }

    pub fn access_token_ttl(&self) -> i64 {
        self.access_token_ttl.load(Ordering::Relaxed)
    }

    pub fn set_access_token_ttl(&self, seconds: i64) {
        self.access_token_ttl.store(seconds, Ordering::Relaxed);
    }

    pub fn user(&self, username: &str) -> Option<&MockUser> {
        self.settings.users.iter().find(|u| u.username == username)
    }

    pub fn is_client(&self, client_id: &str) -> bool {
        client_id == self.settings.client_id || client_id == self.settings.public_client_id
    }

    pub fn redirect_allowed(&self, redirect_uri: &str) -> bool {
        match &self.settings.redirect_uris {
            Some(list) => list.iter().any(|u| u == redirect_uri),
            None => redirect_uri.starts_with("http://") || redirect_uri.starts_with("https://"),
        }
    }

    /// Counts a request and takes the next fault queued for its endpoint.
    pub fn hit(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut requests = lock(&self.requests);
        *requests
            .counts
            .entry(endpoint.name().to_owned())
            .or_default() += 1;
        requests
            .faults
            .get_mut(&endpoint)
            .and_then(VecDeque::pop_front)
    }

    /// Counts a request under a finer name (`token.refresh_token`, `revoke.access_token`, ...).
    pub fn count_also(&self, key: &str) {
        *lock(&self.requests)
            .counts
            .entry(key.to_owned())
            .or_default() += 1;
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        lock(&self.requests).counts.clone()
    }

    pub fn reset_counts(&self) {
        lock(&self.requests).counts.clear();
    }

    pub fn add_fault(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        let mut requests = lock(&self.requests);
        let queue = requests.faults.entry(endpoint).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    pub fn add_forgery(&self, forgery: Forgery, times: usize) {
        let mut requests = lock(&self.requests);
        requests
            .forgeries
            .extend(std::iter::repeat_n(forgery, times));
    }

    /// Clears the queued faults, forged ID tokens and `iss`, and withdraws the keys published
    /// for forged tokens.
    pub fn clear_faults(&self) {
        let mut requests = lock(&self.requests);
        requests.faults.clear();
        requests.forgeries.clear();
        requests.slow_downs = 0;
        requests.iss_forgeries.clear();
        drop(requests);
        self.keys().clear_decoys();
    }

    pub fn add_iss_forgery(&self, forgery: IssForgery, times: usize) {
        let mut requests = lock(&self.requests);
        let queue = &mut requests.iss_forgeries;
        queue.extend(std::iter::repeat_n(forgery, times));
    }

    /// The `iss` of the next authorization response (RFC 9207 §2), spoiled by the next
    /// queued `iss` forgery.
    pub fn response_iss(&self) -> Option<String> {
        let forgery = lock(&self.requests).iss_forgeries.pop_front();
        let issuer = self.issuer().unwrap_or_default();
        rfc9207::response_iss(&issuer, self.settings.iss_parameter_supported, forgery)
    }

    pub fn set_last_end_session(&self, query: BTreeMap<String, String>) {
        lock(&self.requests).last_end_session = Some(query);
    }

    pub fn last_end_session(&self) -> Option<BTreeMap<String, String>> {
        lock(&self.requests).last_end_session.clone()
    }

    pub fn set_last_token_request(&self, form: BTreeMap<String, String>) {
        lock(&self.requests).last_token_request = Some(form);
    }

    pub fn last_token_request(&self) -> Option<BTreeMap<String, String>> {
        lock(&self.requests).last_token_request.clone()
    }

    pub fn set_last_par_request(&self, form: BTreeMap<String, String>) {
        lock(&self.requests).last_par_request = Some(form);
    }

    pub fn last_par_request(&self) -> Option<BTreeMap<String, String>> {
        lock(&self.requests).last_par_request.clone()
    }

    /// RFC 9126 §2.2: keeps a pushed request's parameters; returns its `request_uri`.
    pub fn push_request(&self, client_id: String, params: HashMap<String, String>) -> String {
        let ttl = self.settings.par_expires_in;
        lock(&self.pushed).push(client_id, params, ttl)
    }

    /// RFC 9126 §4: the parameters pushed under `request_uri` by `client_id`, once.
    pub fn take_pushed_request(
        &self,
        request_uri: &str,
        client_id: &str,
    ) -> Result<HashMap<String, String>, Refusal> {
        lock(&self.pushed).take(request_uri, client_id)
    }

    /// Makes every pushed request expire now.
    pub fn expire_pushed_requests(&self) {
        lock(&self.pushed).expire_all();
    }

    pub fn issue_code(&self, code: AuthorizationCode) -> String {
        lock(&self.grants).issue_code(code)
    }

    pub fn take_code(&self, code: &str) -> Option<AuthorizationCode> {
        lock(&self.grants).take_code(code)
    }

    pub fn take_refresh_token(&self, token: &str) -> Option<Grant> {
        lock(&self.grants).take_refresh_token(token)
    }

    /// RFC 8628 §3.2: a device code and a user code for `client_id`.
    pub fn issue_device_code(&self, client_id: String, scope: String) -> (String, String) {
        let s = &self.settings;
        lock(&self.devices).issue(client_id, scope, s.device_code_ttl, s.device_interval)
    }

    /// The user `username` approves (or, `None`, denies) the device login of `user_code`;
    /// false when no login waits for that code.
    pub fn decide_device(&self, user_code: &str, username: Option<&str>) -> bool {
        let decision = username.map_or(Decision::Denied, approved_by);
        lock(&self.devices).decide(user_code, decision)
    }

    /// Answers `slow_down` to the next `times` device polls.
    pub fn add_slow_downs(&self, times: usize) {
        lock(&self.requests).slow_downs += times;
    }

    /// RFC 8628 §3.5: what a poll with `device_code` gets.
    pub fn poll_device(&self, device_code: &str, client_id: &str) -> DevicePoll {
        lock(&self.devices).poll(device_code, client_id, || {
            let mut requests = lock(&self.requests);
            let queued = requests.slow_downs > 0;
            requests.slow_downs = requests.slow_downs.saturating_sub(1);
            queued
        })
    }

    /// RFC 7009 §2.1; see [`Grants::revoke`].
    pub fn revoke(
        &self,
        client_id: &str,
        token: &str,
        token_type_hint: Option<&str>,
    ) -> Option<&'static str> {
        lock(&self.grants).revoke(client_id, token, token_type_hint)
    }

    /// The ID token of `grant` for `access_token`: right, or wrong in the way of the next
    /// queued forgery.
    fn id_token(
        &self,
        grant: &Grant,
        user: &MockUser,
        nonce: Option<&str>,
        access_token: &str,
        ttl: i64,
    ) -> Result<String, IdTokenError> {
        let issuer = self.issuer().unwrap_or_default();
        let facts = IdTokenFacts {
            issuer: &issuer,
            client_id: &grant.client_id,
            user,
            auth_time: grant.auth_time,
            nonce,
            access_token,
            ttl,
        };
        let key = self.signing_key();
        let now = time::now_secs();
        let claims = id_token::claims(&facts, key.alg, now)?;
        let forgery = lock(&self.requests).forgeries.pop_front();
        match forgery {
            None => id_token::sign(&claims, &key),
            Some(forgery) => forgery.forge(claims, &key, now),
        }
    }

    /// Issues an access token alone (the client credentials grant, RFC 6749 §4.4.3): the
    /// token response body and the token.
    pub fn issue_access_token(&self, grant: &Grant) -> (Value, String) {
        let ttl = self.access_token_ttl();
        let access_token = random::url_safe(24);
        let expires = Instant::now() + Duration::from_secs(ttl.max(0).unsigned_abs());
        // RFC 9449 §5: a token bound to a DPoP key is of type DPoP.
        let token_type = if grant.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        };
        let body = json!({
            "access_token": access_token,
            "token_type": token_type,
            "expires_in": ttl,
            "scope": grant.scope,
        });
        lock(&self.grants).add_access_token(access_token.clone(), grant, expires);
        (body, access_token)
    }

    /// Issues an access token, a refresh token and, for an `openid` grant, an ID token (with
    /// `nonce` when given): the token response body (RFC 6749 §5.1).
    pub fn issue_tokens(&self, grant: Grant, nonce: Option<&str>) -> Result<Value, IdTokenError> {
        let ttl = self.access_token_ttl();
        let (mut body, access_token) = self.issue_access_token(&grant);
        if grant.has_scope("openid") {
            if let Some(user) = self.user(&grant.username) {
                body["id_token"] = self
                    .id_token(&grant, user, nonce, &access_token, ttl)?
                    .into();
            }
        }
        let mut grants = lock(&self.grants);
        if self.settings.issue_refresh_tokens {
            let refresh_token = random::url_safe(24);
            body["refresh_token"] = Value::String(refresh_token.clone());
            grants.add_refresh_token(refresh_token, grant);
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningAlg;

    fn state() -> MockState {
        let settings = Settings {
            client_id: "c".into(),
            public_client_id: "p".into(),
            id_token_alg: SigningAlg::Es256,
            issuer: Some("https://issuer.example".into()),
            ..Settings::default()
        };
        let keys = KeyRing::new(SigningAlg::Es256).unwrap_or_else(|e| panic!("{e}"));
        MockState::new(settings, keys)
    }

    fn grant(client_id: &str, scope: &str) -> Grant {
        Grant {
            grant_id: random::url_safe(8),
            client_id: client_id.into(),
            username: "alice".into(),
            scope: scope.into(),
            auth_time: 0,
            dpop_jkt: None,
        }
    }

    fn field(body: &Value, name: &str) -> String {
        body[name].as_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn id_token_only_for_openid_grants() -> Result<(), IdTokenError> {
        let state = state();
        assert!(state.issue_tokens(grant("c", "profile"), None)?["id_token"].is_null());
        let body = state.issue_tokens(grant("c", "openid profile"), Some("n"))?;
        assert_eq!(field(&body, "id_token").split('.').count(), 3);
        Ok(())
    }

    #[test]
    fn a_queued_forgery_spoils_the_next_id_token_only() -> Result<(), IdTokenError> {
        let state = state();
        state.add_forgery(Forgery::AlgNone, 1);
        let forged = field(&state.issue_tokens(grant("c", "openid"), None)?, "id_token");
        let next = field(&state.issue_tokens(grant("c", "openid"), None)?, "id_token");
        assert!(forged.ends_with('.'), "an unsecured JWS has no signature");
        assert!(!next.ends_with('.'));
        Ok(())
    }

    #[test]
    fn revoking_a_refresh_token_revokes_the_access_tokens_of_its_grant() -> Result<(), IdTokenError>
    {
        let state = state();
        let body = state.issue_tokens(grant("c", "openid"), None)?;
        let (access, refresh) = (field(&body, "access_token"), field(&body, "refresh_token"));
        let other = field(
            &state.issue_tokens(grant("c", "openid"), None)?,
            "access_token",
        );
        assert_eq!(
            state.revoke("p", &refresh, None),
            None,
            "another client's token"
        );
        assert_eq!(
            state.revoke("c", &refresh, Some("access_token")),
            Some("refresh_token")
        );
        assert!(state.access_token_binding(&access).is_none());
        assert!(state.access_token_binding(&other).is_some());
        assert_eq!(state.revoke("c", &refresh, None), None, "already revoked");
        assert_eq!(state.revoke("c", &other, None), Some("access_token"));
        assert!(state.access_token_binding(&other).is_none());
        Ok(())
    }

    #[test]
    fn faults_are_taken_in_order_per_endpoint_and_counted() -> Result<(), crate::MockError> {
        let state = state();
        state.add_fault(
            Endpoint::Token,
            Fault::new(Some(503), None, None, None, false)?,
            2,
        );
        assert_eq!(state.hit(Endpoint::Userinfo), None);
        assert_eq!(state.hit(Endpoint::Token).and_then(|f| f.status), Some(503));
        state.clear_faults();
        assert_eq!(state.hit(Endpoint::Token), None);
        assert_eq!(state.counts().get("token"), Some(&2));
        Ok(())
    }
}
