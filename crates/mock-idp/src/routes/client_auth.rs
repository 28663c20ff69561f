//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1): HTTP Basic
//! with the form-encoded id and secret, the form's `client_id` and `client_secret`, or the
//! public client's `client_id` alone.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::shared::{oauth_error, Params};
use crate::state::MockState;

/// The client the request authenticates as, or the 401 to answer with (§5.2 `invalid_client`).
pub fn authenticate_client(
    state: &MockState,
    headers: &HeaderMap,
    form: &Params,
) -> Result<String, Response> {
    let invalid = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        )
    };
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let (client_id, secret) = match basic {
        Some(pair) => {
            let (id, secret) = pair.split_once(':').ok_or_else(invalid)?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("v={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            (decode(id), Some(decode(secret)))
        }
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().filter(|s| !s.is_empty()),
        ),
    };
    let settings = &state.settings;
    let ok = if client_id == settings.client_id {
        secret.as_deref() == Some(settings.client_secret.as_str())
    } else {
        client_id == settings.public_client_id && secret.is_none()
    };
    if ok {
        Ok(client_id)
    } else {
        Err(invalid())
    }
}
