//! The single-flight refresh: a token due for refresh is refreshed by one request, awaited by
//! every concurrent caller, run as its own task so that a caller that goes away cannot lose
//! the answer (which may rotate the refresh token). A client credentials service renews the
//! same way, with a fetch of a new token in place of the refresh (and a first fetch when it
//! has no token yet).

use std::sync::{Arc, Mutex};

use futures_util::future::FutureExt;
use serde_json::Value;

use crate::errors::{Error, Result};
use crate::rfc6749::refresh::{merge, REFRESH_LEEWAY};
use crate::rfc6749::token::{lock, TokenCell, TokenData};
use crate::rfc6749::token_request;
use crate::service::{Notify, Service, TokenState};
use crate::transport::runtime;

impl Service {
    /// Whether `data` must be renewed before it is handed out: refreshed when it expires
    /// within the leeway and can be, fetched anew (client credentials) when it expires within
    /// the leeway.
    fn due(&self, data: &TokenData) -> bool {
        match self.client_credentials() {
            Some(_) => data.expires_within(REFRESH_LEEWAY),
            None => data.needs_refresh(REFRESH_LEEWAY),
        }
    }

    /// The token when no refresh is due or running: `Some(None)` without a token (a client
    /// credentials service must fetch one: `None`).
    pub fn usable_now(&self) -> Option<Option<TokenCell>> {
        let st = self.state();
        let Some(cell) = st.token.clone() else {
            return self.client_credentials().is_none().then_some(None);
        };
        let idle = st.inflight.is_none();
        let fresh = !self.due(&lock(&cell));
        (idle && fresh).then_some(Some(cell))
    }

    /// The token if it can be used now, or the refresh to wait for (started here if needed;
    /// `notify` hands its answer to the app).
    pub fn token_state(self: &Arc<Self>, notify: Option<Notify>) -> Result<TokenState> {
        let mut st = self.state();
        let cell = st.token.clone();
        if cell.is_none() && self.client_credentials().is_none() {
            return Ok(TokenState::Ready(None));
        }
        if let Some(flight) = st.inflight.as_ref() {
            return Ok(TokenState::Refreshing(flight.clone()));
        }
        if let Some(cell) = cell.as_ref().filter(|c| !self.due(&lock(c))) {
            return Ok(TokenState::Ready(Some(cell.clone())));
        }
        let task = runtime::spawn(self.clone().refresh(cell, notify))?;
        let flight = async move {
            task.await
                .unwrap_or_else(|_| Err(Error::Internal("the refresh task failed".into())))
        }
        .boxed()
        .shared();
        st.inflight = Some(flight.clone());
        Ok(TokenState::Refreshing(flight))
    }

    /// The current token, refreshed first when it is due.
    pub async fn get_token(self: Arc<Self>, notify: Option<Notify>) -> Result<Option<TokenCell>> {
        match self.token_state(notify)? {
            TokenState::Ready(cell) => Ok(cell),
            TokenState::Refreshing(flight) => {
                flight.await?;
                Ok(self.current())
            }
        }
    }

    /// Renews the token `cell` (none yet, for a first client credentials fetch).
    async fn refresh(
        self: Arc<Self>,
        cell: Option<TokenCell>,
        notify: Option<Notify>,
    ) -> Result<()> {
        let renewed = match (self.client_credentials(), &cell) {
            (Some(grant), _) => grant.request(&self.provider, self.prover(None)).await,
            (None, Some(cell)) => self.refresh_request(cell).await,
            (None, None) => Err(Error::Internal("there is no token to refresh".into())),
        };
        let data = match renewed {
            Ok(data) => data,
            Err(e) => {
                self.state().inflight = None;
                log::info!(target: "flet_auth", "refresh failed: {e}");
                return Err(e);
            }
        };
        let hooked = match &notify {
            Some(notify) => notify(data.clone()).await,
            None => Ok(()),
        };
        {
            // A new cell: a token handed out before keeps its values (a token is a value).
            let mut st = self.state();
            let unchanged = match (&st.token, &cell) {
                (Some(now), Some(old)) => Arc::ptr_eq(now, old),
                (now, old) => now.is_none() && old.is_none(),
            };
            if unchanged {
                st.token = Some(Arc::new(Mutex::new(data)));
            }
            st.inflight = None;
        }
        match self.client_credentials() {
            Some(_) => log::info!(target: "flet_auth", "token fetched (client credentials)"),
            None => log::info!(target: "flet_auth", "token refreshed"),
        }
        hooked
    }

    async fn refresh_request(&self, cell: &TokenCell) -> Result<TokenData> {
        let old = lock(cell).clone();
        let Some(refresh_token) = old.refresh_token.clone() else {
            return Ok(old);
        };
        let form = token_request::refresh_token(refresh_token);
        let prover = self.prover(old.dpop_key.as_ref());
        let new = token_request::post(&self.provider, form, prover).await?;
        if new.id_token.is_some() {
            let subject = self
                .state()
                .id_claims
                .as_ref()
                .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_owned));
            self.check_id_token(&new, None, false, subject).await?;
        }
        Ok(merge(old, new))
    }
}
