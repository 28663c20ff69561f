//! One login's engine, behind `AuthorizationService`: the login in progress, the code exchange
//! with its ID token check, the token and its refresh (`refresh`), the user's claims,
//! revocation and the logout URL; the device login (`device`); the pushed authorization
//! request (`pushed`); API calls with the token (`fetch`). The protocol rules live in
//! `rfc6749`, `rfc7009`, `rfc8628`, `rfc9126` and `oidc`; this module keeps the state between
//! them. The same engine, made for the client credentials grant (`client_credentials`), fetches
//! a token anew where a login's would be refreshed.

pub mod client_credentials;
mod device;
pub mod fetch;
mod pushed;
mod refresh;

use crate::rfc9449::{DpopKey, Nonces, Prover};

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::future::{BoxFuture, Shared};
use serde_json::{Map, Value};

use crate::errors::{Error, Result};
use crate::oidc::{id_token, logout, userinfo, verify::Expectations};
use crate::rfc6749::authorization::{authorization_request, PendingLogin};
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::redirect;
use crate::rfc6749::token::{lock, TokenCell, TokenData};
use crate::rfc6749::token_request;
use crate::transport::display;
use crate::{rfc6750, rfc7009, rfc9126};
use client_credentials::ClientCredentials;

/// Hands a new token to the app (its `on_token_update`) and waits until it took it.
pub type Notify = Arc<dyn Fn(TokenData) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// A refresh in progress, awaited by every caller that needs it.
pub type Flight = Shared<BoxFuture<'static, Result<()>>>;

/// What `get_token` finds: a token to hand out now, or a refresh to wait for.
pub enum TokenState {
    Ready(Option<TokenCell>),
    Refreshing(Flight),
}

/// What changes during a service's life, under one lock. Rarely used parts are boxed so that
/// the many idle services of a server stay small.
#[derive(Default)]
pub struct State {
    pub login: Option<Box<PendingLogin>>,
    pub last_state: Option<Box<str>>,
    pub token: Option<TokenCell>,
    inflight: Option<Flight>,
    /// The verified claims of the last ID token (OpenID Connect).
    pub id_claims: Option<Box<Map<String, Value>>>,
    /// The authorization URL of the login in progress when its request was pushed (RFC 9126),
    /// until `authorization_url` hands it out.
    pushed_url: Option<Box<str>>,
}

/// A service: the provider's settings and the state of its login.
pub struct Service {
    pub provider: Arc<ProviderConfig>,
    state: Mutex<State>,
    /// Set for a client credentials service: its token is fetched, not logged in and refreshed.
    client_credentials: Option<Box<ClientCredentials>>,
    /// RFC 9449 (`dpop=True`): the key of the service's new logins and tokens (the app's
    /// `dpop_key`, else made for the service).
    dpop_key: Option<Arc<DpopKey>>,
    /// The DPoP nonces the service's servers gave last.
    nonces: Nonces,
}

impl Service {
    pub fn new(provider: Arc<ProviderConfig>) -> Self {
        let dpop_key = provider.dpop.then(|| {
            provider
                .dpop_key
                .clone()
                .unwrap_or_else(|| Arc::new(DpopKey::generate()))
        });
        Service {
            provider,
            state: Mutex::new(State::default()),
            client_credentials: None,
            dpop_key,
            nonces: Nonces::default(),
        }
    }

    /// What a request proves possession with (RFC 9449): `bound`, the key a login or token
    /// is bound to, else the service's key; None without either.
    pub fn prover<'a>(&'a self, bound: Option<&'a Arc<DpopKey>>) -> Option<Prover<'a>> {
        let key = bound.or(self.dpop_key.as_ref())?;
        Some(Prover {
            key,
            nonces: &self.nonces,
        })
    }

    /// A service whose token comes from the client credentials grant (RFC 6749 §4.4).
    pub fn for_client_credentials(provider: Arc<ProviderConfig>, grant: ClientCredentials) -> Self {
        Service {
            client_credentials: Some(Box::new(grant)),
            ..Service::new(provider)
        }
    }

    pub fn client_credentials(&self) -> Option<&ClientCredentials> {
        self.client_credentials.as_deref()
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a login: returns `(authorization_url, state)`. A provider that takes pushed
    /// requests (RFC 9126) gets the URL `start_authorization` pushed, or an error.
    pub fn authorization_url(&self, scope: &[String]) -> Result<(String, String)> {
        if rfc9126::pushes(&self.provider)? {
            return self.take_pushed();
        }
        let (url, login) = authorization_request(&self.provider, scope, self.dpop_key.as_ref())?;
        let state = login.state.clone();
        self.take_over(login);
        Ok((url, state))
    }

    /// Makes `login` the login in progress.
    pub fn take_over(&self, login: PendingLogin) {
        let mut st = self.state();
        st.last_state = Some(login.state.as_str().into());
        st.login = Some(Box::new(login));
        st.pushed_url = None;
    }

    /// Accepts the `state` of a redirect once for the login in progress.
    pub fn check_state(&self, state: &str) -> Result<()> {
        match self.state().login.as_mut() {
            Some(login) => login.check_state(state),
            None => Err(Error::StateMismatch(
                "no login is waiting for a redirect".into(),
            )),
        }
    }

    /// RFC 9207 §2.4: checks a redirect's `iss` against the provider's issuer. A wrong or
    /// missing one ends the login in progress (its `state` was spent, its PKCE verifier and
    /// nonce are dropped), so that its code cannot be exchanged.
    pub fn check_issuer(&self, iss: Option<&str>) -> Result<()> {
        let p = &*self.provider;
        let checked = redirect::check_issuer(iss, p.issuer.as_deref(), p.iss_parameter_supported);
        if checked.is_err() {
            self.state().login = None;
        }
        checked
    }

    /// The current token as it is.
    pub fn current(&self) -> Option<TokenCell> {
        self.state().token.clone()
    }

    /// The current access token and the DPoP key it is bound to, if it is.
    pub fn access(&self) -> Result<(String, Option<Arc<DpopKey>>)> {
        self.current()
            .map(|c| {
                let data = lock(&c);
                (data.access_token.clone(), data.dpop_key.clone())
            })
            .ok_or_else(|| Error::Configuration("there is no token yet; log in first".into()))
    }

    /// Exchanges the code of the login in progress for a token (and checks its ID token).
    pub async fn exchange(
        self: Arc<Self>,
        code: String,
        notify: Option<Notify>,
    ) -> Result<TokenCell> {
        let p = &*self.provider;
        let pending = self.state().login.take();
        if pending.is_none() && p.oidc.is_some() {
            // Without the login's nonce the ID token could be replayed from another login.
            return Err(Error::Configuration(
                "no login in progress: call get_authorization_data() (or restore_login()) \
                 before request_token()"
                    .into(),
            ));
        }
        let nonce = pending.as_ref().and_then(|l| l.nonce.clone());
        let openid = pending.as_ref().is_some_and(|l| l.openid);
        let dpop_key = pending.as_ref().and_then(|l| l.dpop_key.clone());
        let verifier = pending
            .and_then(|l| l.code_verifier)
            .or_else(|| p.code_verifier.clone());
        let form = token_request::authorization_code(code, p.redirect_url()?.to_owned(), verifier);
        let data = token_request::post(p, form, self.prover(dpop_key.as_ref())).await?;
        self.accept(data, nonce, openid, notify).await
    }

    /// A login's token: its ID token checked, handed to the app, then made the current token.
    async fn accept(
        &self,
        data: TokenData,
        nonce: Option<String>,
        openid: bool,
        notify: Option<Notify>,
    ) -> Result<TokenCell> {
        let p = &*self.provider;
        self.check_id_token(&data, nonce, openid, None).await?;
        log::info!(target: "flet_auth", "login: token issued by {}", display(&p.token_endpoint));
        let hooked = match &notify {
            Some(notify) => notify(data.clone()).await,
            None => Ok(()),
        };
        let cell: TokenCell = Arc::new(Mutex::new(data));
        self.state().token = Some(cell.clone());
        hooked.map(|_| cell)
    }

    /// The exchange, then the user's JSON from `user_endpoint` when given.
    pub async fn login(
        self: Arc<Self>,
        code: String,
        notify: Option<Notify>,
        user_endpoint: Option<String>,
    ) -> Result<(TokenCell, Option<Value>)> {
        let cell = self.clone().exchange(code, notify).await?;
        self.with_user(cell, user_endpoint).await
    }

    /// The token and the user's JSON from `user_endpoint` when given.
    async fn with_user(
        &self,
        cell: TokenCell,
        user_endpoint: Option<String>,
    ) -> Result<(TokenCell, Option<Value>)> {
        let Some(url) = user_endpoint else {
            return Ok((cell, None));
        };
        let (access_token, dpop_key) = {
            let data = lock(&cell);
            (data.access_token.clone(), data.dpop_key.clone())
        };
        let user = self.get_json(url, access_token, dpop_key).await?;
        Ok((cell, Some(user)))
    }

    /// GETs a JSON document with the provider's timeout and transport rules, and a DPoP proof
    /// when the token is bound to `dpop_key`.
    pub async fn get_json(
        &self,
        url: String,
        access_token: String,
        dpop_key: Option<Arc<DpopKey>>,
    ) -> Result<Value> {
        let prover = dpop_key.as_ref().map(|key| Prover {
            key,
            nonces: &self.nonces,
        });
        rfc6750::get_json(url, access_token, self.provider.policy(), prover).await
    }

    /// OpenID Connect: a login's token response must carry a valid ID token; its claims are
    /// kept for the user.
    async fn check_id_token(
        &self,
        data: &TokenData,
        nonce: Option<String>,
        openid: bool,
        subject: Option<String>,
    ) -> Result<()> {
        let Some(oidc) = &self.provider.oidc else {
            return Ok(());
        };
        let Some(token) = &data.id_token else {
            if nonce.is_some() && openid {
                return Err(Error::IdToken("the token response has no id_token".into()));
            }
            return Ok(());
        };
        let expect = Expectations {
            issuer: oidc.issuer.clone(),
            client_id: self.provider.client.client_id.clone(),
            algorithms: oidc.algorithms.clone(),
            nonce,
            access_token: Some(data.access_token.clone()),
            subject,
        };
        let claims = id_token::check(token, oidc, &expect, &self.provider.policy()).await?;
        self.state().id_claims = Some(Box::new(claims));
        Ok(())
    }

    /// The user's claims: the ID token's, then the userinfo endpoint's (same `sub`).
    pub async fn user_claims(
        self: Arc<Self>,
        userinfo_endpoint: Option<String>,
    ) -> Result<Option<Map<String, Value>>> {
        let claims = self.state().id_claims.as_deref().cloned();
        let Some(url) = userinfo_endpoint else {
            return Ok(claims);
        };
        let (access_token, dpop_key) = self.access()?;
        let info = self.get_json(url.clone(), access_token, dpop_key).await?;
        userinfo::merge(claims, info, &url).map(Some)
    }

    /// RFC 7009: revokes the tokens, then forgets them. Without a revocation endpoint: false
    /// when `missing_ok`, else a configuration error.
    pub async fn revoke(self: Arc<Self>, missing_ok: bool) -> Result<bool> {
        let Some(endpoint) = rfc7009::endpoint(&self.provider).await? else {
            return if missing_ok {
                Ok(false)
            } else {
                Err(rfc7009::no_endpoint())
            };
        };
        let Some(cell) = self.current() else {
            return Ok(true);
        };
        let data = lock(&cell).clone();
        rfc7009::revoke(&self.provider, &endpoint, data).await?;
        let mut st = self.state();
        st.token = None;
        st.id_claims = None;
        Ok(true)
    }

    /// The provider's logout URL, with the current ID token as `id_token_hint`.
    pub fn end_session_url(
        &self,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<String> {
        let p = &*self.provider;
        let endpoint = p.end_session_endpoint.as_ref().ok_or_else(|| {
            Error::Configuration("the provider has no end_session_endpoint".into())
        })?;
        let id_token = self.current().and_then(|c| lock(&c).id_token.clone());
        Ok(logout::end_session_url(
            endpoint,
            &p.client.client_id,
            id_token.as_deref(),
            post_logout_redirect_uri,
            state,
        ))
    }

    /// Sets the token (a saved one); no request is made.
    pub fn set_token(&self, data: TokenData) {
        self.state().token = Some(Arc::new(Mutex::new(data)));
    }

    /// Forgets the token and any login in progress.
    pub fn clear(&self) {
        let mut st = self.state();
        st.token = None;
        st.login = None;
        st.id_claims = None;
        st.pushed_url = None;
    }
}
