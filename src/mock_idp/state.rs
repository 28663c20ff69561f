//! What the local provider remembers: its clients and users, signing keys, issued codes and
//! tokens, request counters and the faults (and forged ID tokens) queued for the next requests.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::forgery::Forgery;
use super::id_token::{self, IdTokenError, IdTokenFacts};
use super::keys::{KeyRing, SigningAlg, SigningKey};

/// How long an authorization code may be exchanged.
pub const CODE_TTL: Duration = Duration::from_secs(60);

pub fn random_string(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A user who can log in: OpenID Connect claims plus group names.
#[derive(Clone, Debug)]
pub struct MockUser {
    pub username: String,
    /// Numeric id, as GitHub gives it; `sub` is its decimal string unless the claims set one.
    pub id: u64,
    pub claims: Map<String, Value>,
    pub groups: Vec<String>,
}

impl MockUser {
    pub fn new(username: &str, id: u64, mut claims: Map<String, Value>) -> MockUser {
        let groups = match claims.remove("groups") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        claims
            .entry("sub")
            .or_insert_with(|| Value::String(id.to_string()));
        claims
            .entry("preferred_username")
            .or_insert_with(|| Value::String(username.to_owned()));
        claims
            .entry("email")
            .or_insert_with(|| Value::String(format!("{username}@example.com")));
        claims
            .entry("name")
            .or_insert_with(|| Value::String(username.to_owned()));
        MockUser {
            username: username.to_owned(),
            id,
            claims,
            groups,
        }
    }

    /// The OpenID Connect userinfo document.
    pub fn userinfo(&self) -> Value {
        let mut doc = self.claims.clone();
        doc.insert("groups".into(), json!(self.groups));
        Value::Object(doc)
    }

    /// GitHub's `/user`.
    pub fn github_user(&self) -> Value {
        json!({
            "id": self.id,
            "login": self.username,
            "name": self.claims.get("name"),
            "email": Value::Null,
            "type": "User",
        })
    }

    /// GitHub's `/user/emails`: the claimed email is the primary one.
    pub fn github_emails(&self) -> Value {
        json!([
            {"email": format!("{}@users.noreply.github.com", self.username), "primary": false, "verified": true, "visibility": Value::Null},
            {"email": self.claims.get("email"), "primary": true, "verified": true, "visibility": "private"},
        ])
    }

    /// GitHub's `/user/teams`: one team per group.
    pub fn github_teams(&self) -> Value {
        let teams: Vec<Value> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                json!({"id": 100 + i, "name": g, "slug": g.to_lowercase().replace(' ', "-"),
                       "organization": {"login": "mock-org"}})
            })
            .collect();
        Value::Array(teams)
    }
}

/// The built-in users, so that a test needs no setup.
pub fn default_users() -> Vec<MockUser> {
    let claims = |name: &str, email: &str| {
        let mut m = Map::new();
        m.insert("name".into(), Value::String(name.into()));
        m.insert("email".into(), Value::String(email.into()));
        m
    };
    let mut alice = claims("Alice Liddell", "alice@example.com");
    alice.insert("groups".into(), json!(["admins", "developers"]));
    let mut bob = claims("Bob Builder", "bob@example.com");
    bob.insert("groups".into(), json!(["developers"]));
    vec![
        MockUser::new("alice", 1001, alice),
        MockUser::new("bob", 1002, bob),
    ]
}

/// One answer to give instead of the normal one.
#[derive(Clone, Debug, Default)]
pub struct Fault {
    pub status: Option<u16>,
    pub body: Option<String>,
    pub content_type: Option<String>,
    pub delay: Option<Duration>,
    /// Send part of an answer, then close the connection.
    pub close: bool,
}

pub struct AuthorizationCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub username: String,
    pub scope: String,
    pub code_challenge: Option<(String, String)>,
    /// The `nonce` of the authorization request, for the ID token.
    pub nonce: Option<String>,
    pub issued: Instant,
    /// When the user authenticated, in seconds since the epoch.
    pub auth_time: i64,
}

/// What a user granted a client; refresh tokens carry it from token to token.
#[derive(Clone, Debug)]
pub struct Grant {
    /// Identifies the grant across refreshes, so that revoking a refresh token can also
    /// revoke the access tokens of the same grant (RFC 7009 §2.1).
    pub grant_id: String,
    pub client_id: String,
    pub username: String,
    pub scope: String,
    pub auth_time: i64,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split_ascii_whitespace().any(|s| s == scope)
    }
}

pub struct AccessGrant {
    pub grant_id: String,
    pub client_id: String,
    pub username: String,
    pub expires: Instant,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub client_id: String,
    pub client_secret: String,
    pub public_client_id: String,
    pub redirect_uris: Option<Vec<String>>,
    pub users: Vec<MockUser>,
    pub login_form: bool,
    pub issue_refresh_tokens: bool,
    pub id_token_alg: SigningAlg,
    /// `iss` of ID tokens and discovery, instead of the base URL.
    pub issuer: Option<String>,
}

#[derive(Default)]
struct Store {
    codes: HashMap<String, AuthorizationCode>,
    refresh_tokens: HashMap<String, Grant>,
    access_tokens: HashMap<String, AccessGrant>,
    counts: BTreeMap<String, u64>,
    faults: HashMap<String, VecDeque<Fault>>,
    forgeries: VecDeque<Forgery>,
    last_end_session: Option<BTreeMap<String, String>>,
    /// `http://127.0.0.1:PORT`, once the server is bound.
    base_url: Option<String>,
}

pub struct MockState {
    pub config: Config,
    pub access_token_ttl: AtomicI64,
    store: Mutex<Store>,
    keys: Mutex<KeyRing>,
}

/// Endpoint names for counters and faults.
pub const ENDPOINTS: [&str; 10] = [
    "authorize",
    "token",
    "userinfo",
    "user",
    "user_emails",
    "user_teams",
    "revoke",
    "end_session",
    "discovery",
    "jwks",
];

impl MockState {
    pub fn new(config: Config, access_token_ttl: i64, keys: KeyRing) -> MockState {
        MockState {
            config,
            access_token_ttl: AtomicI64::new(access_token_ttl),
            store: Mutex::new(Store::default()),
            keys: Mutex::new(keys),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn keys(&self) -> MutexGuard<'_, KeyRing> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn signing_key(&self) -> std::sync::Arc<SigningKey> {
        self.keys().current()
    }

    pub fn set_base_url(&self, base_url: String) {
        self.store().base_url = Some(base_url);
    }

    pub fn base_url(&self) -> Option<String> {
        self.store().base_url.clone()
    }

    /// The `issuer` override, else the base URL (`None` before the first start).
    pub fn issuer(&self) -> Option<String> {
        self.config.issuer.clone().or_else(|| self.base_url())
    }

    pub fn add_forgery(&self, forgery: Forgery, times: usize) {
        let mut store = self.store();
        store.forgeries.extend(std::iter::repeat_n(forgery, times));
    }

    fn take_forgery(&self) -> Option<Forgery> {
        self.store().forgeries.pop_front()
    }

    pub fn set_last_end_session(&self, query: BTreeMap<String, String>) {
        self.store().last_end_session = Some(query);
    }

    pub fn last_end_session(&self) -> Option<BTreeMap<String, String>> {
        self.store().last_end_session.clone()
    }

    pub fn user(&self, username: &str) -> Option<&MockUser> {
        self.config.users.iter().find(|u| u.username == username)
    }

    /// Counts a request and takes the next fault queued for its endpoint.
    pub fn hit(&self, key: &str) -> Option<Fault> {
        let mut store = self.store();
        *store.counts.entry(key.to_owned()).or_default() += 1;
        store.faults.get_mut(key).and_then(VecDeque::pop_front)
    }

    pub fn count_also(&self, key: &str) {
        *self.store().counts.entry(key.to_owned()).or_default() += 1;
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.store().counts.clone()
    }

    pub fn reset_counts(&self) {
        self.store().counts.clear();
    }

    pub fn add_fault(&self, endpoint: &str, fault: Fault, times: usize) {
        let mut store = self.store();
        let queue = store.faults.entry(endpoint.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Clears the queued faults and forged ID tokens.
    pub fn clear_faults(&self) {
        let mut store = self.store();
        store.faults.clear();
        store.forgeries.clear();
    }

    pub fn is_client(&self, client_id: &str) -> bool {
        client_id == self.config.client_id || client_id == self.config.public_client_id
    }

    pub fn redirect_allowed(&self, redirect_uri: &str) -> bool {
        match &self.config.redirect_uris {
            Some(list) => list.iter().any(|u| u == redirect_uri),
            None => redirect_uri.starts_with("http://") || redirect_uri.starts_with("https://"),
        }
    }

    pub fn issue_code(&self, code: AuthorizationCode) -> String {
        let value = random_string(24);
        self.store().codes.insert(value.clone(), code);
        value
    }

    /// Removes a code: every code can be exchanged once.
    pub fn take_code(&self, code: &str) -> Option<AuthorizationCode> {
        self.store().codes.remove(code)
    }

    pub fn take_refresh_token(&self, token: &str) -> Option<Grant> {
        self.store().refresh_tokens.remove(token)
    }

    /// Issues an access token, a refresh token and, for an `openid` grant, an ID token (with
    /// `nonce` when given): the token response body.
    pub fn issue_tokens(&self, grant: Grant, nonce: Option<&str>) -> Result<Value, IdTokenError> {
        let ttl = self.access_token_ttl.load(Ordering::Relaxed);
        let access_token = random_string(24);
        let expires = Instant::now() + Duration::from_secs(ttl.max(0) as u64);
        let mut body = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": grant.scope,
        });
        if grant.has_scope("openid") {
            if let Some(user) = self.user(&grant.username) {
                let issuer = self.issuer().unwrap_or_default();
                let facts = IdTokenFacts {
                    issuer: &issuer,
                    client_id: &grant.client_id,
                    user,
                    auth_time: grant.auth_time,
                    nonce,
                    access_token: &access_token,
                    ttl,
                };
                let key = self.signing_key();
                let forgery = self.take_forgery();
                body["id_token"] = id_token::issue(&facts, &key, forgery)?.into();
            }
        }
        let mut store = self.store();
        store.access_tokens.insert(
            access_token,
            AccessGrant {
                grant_id: grant.grant_id.clone(),
                client_id: grant.client_id.clone(),
                username: grant.username.clone(),
                expires,
            },
        );
        if self.config.issue_refresh_tokens {
            let refresh_token = random_string(24);
            body["refresh_token"] = Value::String(refresh_token.clone());
            store.refresh_tokens.insert(refresh_token, grant);
        }
        Ok(body)
    }

    /// The user behind a bearer token that is known and not expired.
    pub fn user_for_access_token(&self, token: &str) -> Option<MockUser> {
        let store = self.store();
        let grant = store.access_tokens.get(token)?;
        if grant.expires <= Instant::now() {
            return None;
        }
        self.user(&grant.username).cloned()
    }

    /// RFC 7009 §2.1: revokes `token` when it was issued to `client_id`, looking first where
    /// `token_type_hint` says; tells what it revoked. A refresh token takes the access tokens
    /// of its grant with it.
    pub fn revoke(
        &self,
        client_id: &str,
        token: &str,
        token_type_hint: Option<&str>,
    ) -> Option<&'static str> {
        let mut store = self.store();
        let order = match token_type_hint {
            Some("access_token") => ["access_token", "refresh_token"],
            _ => ["refresh_token", "access_token"],
        };
        order.into_iter().find(|kind| match *kind {
            "refresh_token" => store.revoke_refresh_token(client_id, token),
            _ => store.revoke_access_token(client_id, token),
        })
    }
}

impl Store {
    fn revoke_refresh_token(&mut self, client_id: &str, token: &str) -> bool {
        match self.refresh_tokens.get(token) {
            Some(grant) if grant.client_id == client_id => {
                let grant_id = grant.grant_id.clone();
                self.refresh_tokens.remove(token);
                self.access_tokens.retain(|_, a| a.grant_id != grant_id);
                true
            }
            _ => false,
        }
    }

    fn revoke_access_token(&mut self, client_id: &str, token: &str) -> bool {
        match self.access_tokens.get(token) {
            Some(a) if a.client_id == client_id => {
                self.access_tokens.remove(token);
                true
            }
            _ => false,
        }
    }
}

/// RFC 7636 §4.6.
pub fn pkce_matches(verifier: &str, challenge: &str, method: &str) -> bool {
    match method {
        "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge,
        "plain" => verifier == challenge,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge, "S256"));
        assert!(!pkce_matches("other", challenge, "S256"));
        assert!(!pkce_matches(verifier, challenge, "unknown"));
    }

    fn state() -> MockState {
        let config = Config {
            client_id: "c".into(),
            client_secret: "s".into(),
            public_client_id: "p".into(),
            redirect_uris: None,
            users: default_users(),
            login_form: false,
            issue_refresh_tokens: true,
            id_token_alg: SigningAlg::Es256,
            issuer: Some("https://issuer.example".into()),
        };
        let keys = KeyRing::new(SigningAlg::Es256).unwrap_or_else(|e| panic!("{e}"));
        MockState::new(config, 3600, keys)
    }

    fn grant(client_id: &str, scope: &str) -> Grant {
        Grant {
            grant_id: random_string(8),
            client_id: client_id.into(),
            username: "alice".into(),
            scope: scope.into(),
            auth_time: 0,
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
        assert!(state.user_for_access_token(&access).is_none());
        assert!(state.user_for_access_token(&other).is_some());
        assert_eq!(state.revoke("c", &refresh, None), None, "already revoked");
        assert_eq!(state.revoke("c", &other, None), Some("access_token"));
        assert!(state.user_for_access_token(&other).is_none());
        Ok(())
    }
}
