//! A device login (RFC 8628): the codes are asked for, the token endpoint is polled, and the
//! token becomes the service's as a code exchange's does (without a nonce: the device flow
//! has none).

use std::sync::Arc;

use serde_json::Value;

use crate::errors::Result;
use crate::rfc6749::token::TokenCell;
use crate::rfc8628::{self, DeviceAuthorization};
use crate::service::{Notify, Service};

impl Service {
    /// Asks the provider for a device code and a user code for `scope`.
    pub async fn start_device_login(
        self: Arc<Self>,
        scope: Vec<String>,
    ) -> Result<DeviceAuthorization> {
        rfc8628::device_authorization_request(&self.provider, &scope).await
    }

    /// Polls until the user decides; then the token (and the user's JSON from `user_endpoint`
    /// when given), handed to the app by `notify` first.
    pub async fn device_login(
        self: Arc<Self>,
        device: Arc<DeviceAuthorization>,
        notify: Option<Notify>,
        user_endpoint: Option<String>,
    ) -> Result<(TokenCell, Option<Value>)> {
        let data = rfc8628::poll(&self.provider, &device, self.prover(None)).await?;
        let cell = self.accept(data, None, false, notify).await?;
        self.with_user(cell, user_endpoint).await
    }
}
