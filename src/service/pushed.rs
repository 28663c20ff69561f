//! A login whose authorization request is pushed (RFC 9126): the parameters go in an
//! authenticated POST first, and the login in progress is kept as for any login.

use std::sync::Arc;

use crate::errors::{Error, Result};
use crate::rfc6749::authorization::authorization_parameters;
use crate::rfc9126;
use crate::service::Service;

impl Service {
    /// Starts a login as `authorization_url` does, pushing its request first when the
    /// provider takes pushed requests: returns `(authorization_url, state)`, the URL with
    /// only `client_id` and `request_uri`.
    pub async fn start_authorization(
        self: Arc<Self>,
        scope: Vec<String>,
    ) -> Result<(String, String)> {
        let p = &*self.provider;
        if !rfc9126::pushes(p)? {
            return self.authorization_url(&scope);
        }
        let (params, login) = authorization_parameters(p, &scope, self.dpop_key.as_ref())?;
        let pushed = rfc9126::push(p, &params, self.prover(None)).await?;
        let url = rfc9126::authorization_url(p, &pushed.request_uri)?;
        let state = login.state.clone();
        self.take_over(login);
        self.state().pushed_url = Some(url.as_str().into());
        Ok((url, state))
    }

    /// The URL `start_authorization` pushed for the login in progress, handed out once.
    pub(super) fn take_pushed(&self) -> Result<(String, String)> {
        let mut st = self.state();
        let state = st.last_state.as_deref().map(str::to_owned);
        match (st.pushed_url.take(), state) {
            (Some(url), Some(state)) => Ok((url.into(), state)),
            _ => Err(Error::Configuration(
                "this provider takes pushed authorization requests (RFC 9126), which \
                 get_authorization_data() cannot send: await service.start_authorization() \
                 (or call start_authorization_sync()) instead"
                    .into(),
            )),
        }
    }
}
