//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1): HTTP Basic
//! with the form-encoded id and secret, the form's `client_id` and `client_secret`, or the
//! public client's `client_id` alone; or, for a confidential client registered for it, a JWT
//! assertion (RFC 7523 §2.2, OpenID Connect Core §9) used once.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use flet_auth_primitives::time::now_secs;

use super::shared::{oauth_error, Params};
use crate::rfc7523::ASSERTION_TYPE;
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
    let settings = &state.settings;
    if form.contains_key("client_assertion") || form.contains_key("client_assertion_type") {
        return assertion(state, headers, form);
    }
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
    let ok = if client_id == settings.client_id {
        settings.client_assertion.is_none()
            && secret.as_deref() == Some(settings.client_secret.as_str())
    } else {
        client_id == settings.public_client_id && secret.is_none()
    };
    if ok {
        Ok(client_id)
    } else {
        Err(invalid())
    }
}

/// The client of a JWT assertion (RFC 7523 §3): the confidential client, registered for the
/// method, with a valid assertion whose `jti` was never used. Refusals say why.
fn assertion(state: &MockState, headers: &HeaderMap, form: &Params) -> Result<String, Response> {
    let refuse = |why: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why);
    let settings = &state.settings;
    let Some(method) = &settings.client_assertion else {
        return Err(refuse("The client is not registered for JWT assertions"));
    };
    if headers.contains_key(AUTHORIZATION) || form.contains_key("client_secret") {
        return Err(refuse("Use one client authentication method, not several"));
    }
    if form.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
        return Err(refuse("client_assertion_type must be the jwt-bearer type"));
    }
    let client_id = &settings.client_id;
    if form.get("client_id").is_some_and(|id| id != client_id) {
        return Err(refuse("client_id is not the assertion's client"));
    }
    let base = state.base_url().unwrap_or_default();
    let audiences = [
        format!("{base}/token"),
        format!("{base}/login/oauth/access_token"),
        state.issuer().unwrap_or_default(),
    ];
    let now = now_secs();
    let token = form
        .get("client_assertion")
        .map(String::as_str)
        .unwrap_or("");
    let (jti, exp) = method
        .verify(token, client_id, &settings.client_secret, &audiences, now)
        .map_err(|why| {
            state.count_also("client_assertion.refused");
            refuse(why)
        })?;
    if !state.first_use_of_jti(&jti, exp, now) {
        state.count_also("client_assertion.replayed");
        return Err(refuse("The assertion's jti was already used"));
    }
    Ok(client_id.clone())
}
