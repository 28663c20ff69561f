//! The token endpoint (RFC 6749 §3.2): the authorization code grant (§4.1.3, with PKCE's
//! check, RFC 7636 §4.6), the refresh token grant (§6), refresh tokens rotating, and the
//! client credentials grant (§4.4.2) of the confidential client, and the device access token
//! request (RFC 8628 §3.4, §3.5). A request with a DPoP proof (RFC 9449 §5) gets tokens bound
//! to its key; a code or refresh token bound to a key needs a proof made with it. The last
//! request's form, without the client's secret, is kept for tests (`last_token_request`).

use std::sync::Arc;

use axum::extract::{Form, OriginalUri, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use flet_auth_primitives::random;
use flet_auth_primitives::rfc7636;

use super::client_auth::authenticate_client;
use super::dpop::{token_proof, with_nonce};
use super::shared::{fault, oauth_error, Params};
use crate::device::{DevicePoll, DEVICE_CODE_GRANT};
use crate::faults::Endpoint;
use crate::grants::{Grant, CODE_TTL};
use crate::state::MockState;

pub async fn token(
    State(state): State<Arc<MockState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    if let Some(r) = fault(&state, Endpoint::Token).await {
        return r;
    }
    let client_id = match authenticate_client(&state, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let jkt = match token_proof(&state, &headers, &uri, "token") {
        Ok(proof) => proof.map(|p| p.jkt),
        Err(r) => return r,
    };
    with_nonce(&state, grant(&state, client_id, form, jkt))
}

/// The grant of the request's `grant_type`, its tokens bound to the proof's key `jkt`.
fn grant(state: &MockState, client_id: String, form: Params, jkt: Option<String>) -> Response {
    let invalid_proof = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", why);
    let mut seen = form.clone();
    seen.remove("client_secret");
    state.set_last_token_request(seen.into_iter().collect());
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let invalid_grant = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);
    let (grant, nonce) = match field("grant_type") {
        "authorization_code" => {
            state.count_also("token.authorization_code");
            let Some(code) = state.take_code(field("code")) else {
                return invalid_grant("The authorization code is unknown or was already used");
            };
            if code.client_id != client_id || code.redirect_uri != field("redirect_uri") {
                return invalid_grant("The code was issued to another client or redirect_uri");
            }
            if code.issued.elapsed() > CODE_TTL {
                return invalid_grant("The authorization code expired");
            }
            if let Some((challenge, method)) = &code.code_challenge {
                if !rfc7636::verify(field("code_verifier"), challenge, *method) {
                    return invalid_grant("PKCE verification failed");
                }
            }
            // RFC 9449 §10.1: a code bound by `dpop_jkt` needs a proof made with that key.
            if code.dpop_jkt.is_some() && code.dpop_jkt != jkt {
                return invalid_proof("The code is bound to another DPoP key (dpop_jkt)");
            }
            let grant = Grant {
                grant_id: random::url_safe(16),
                client_id,
                username: code.username,
                scope: code.scope,
                auth_time: code.auth_time,
                dpop_jkt: jkt,
            };
            (grant, code.nonce)
        }
        "refresh_token" => {
            state.count_also("token.refresh_token");
            let Some(grant) = state.take_refresh_token(field("refresh_token")) else {
                return invalid_grant("The refresh token is unknown or was already used");
            };
            if grant.client_id != client_id {
                return invalid_grant("The refresh token was issued to another client");
            }
            // RFC 9449 §5: a refresh token bound to a key is refreshed with a proof of it.
            if grant.dpop_jkt.is_some() && grant.dpop_jkt != jkt {
                return invalid_proof("The refresh token is bound to another DPoP key");
            }
            (
                Grant {
                    dpop_jkt: jkt,
                    ..grant
                },
                None,
            )
        }
        "client_credentials" => {
            state.count_also("token.client_credentials");
            return client_credentials(state, client_id, field("scope"), jkt);
        }
        DEVICE_CODE_GRANT => {
            state.count_also("token.device_code");
            match device_grant(state, field("device_code"), &client_id) {
                Ok(grant) => (
                    Grant {
                        dpop_jkt: jkt,
                        ..grant
                    },
                    None,
                ),
                Err(r) => return r,
            }
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Use authorization_code, refresh_token, client_credentials or the device code",
            )
        }
    };
    match state.issue_tokens(grant, nonce.as_deref()) {
        Ok(body) => ([(CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Err(e) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &e.to_string(),
        ),
    }
}

/// §4.4: only a confidential client may use the grant; its token has no refresh token.
fn client_credentials(
    state: &MockState,
    client_id: String,
    scope: &str,
    jkt: Option<String>,
) -> Response {
    if client_id != state.settings.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "Only the confidential client may use client_credentials",
        );
    }
    let grant = Grant {
        grant_id: random::url_safe(16),
        username: client_id.clone(),
        client_id,
        scope: scope.to_owned(),
        auth_time: 0,
        dpop_jkt: jkt,
    };
    let (body, _) = state.issue_access_token(&grant);
    ([(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// RFC 8628 §3.5: the grant of an approved device code, or the error that tells the client
/// to keep waiting, slow down or stop (counted as `token.<error>`).
fn device_grant(state: &MockState, device_code: &str, client_id: &str) -> Result<Grant, Response> {
    let (error, description) = match state.poll_device(device_code, client_id) {
        DevicePoll::Approved(grant) => return Ok(grant),
        DevicePoll::Pending => ("authorization_pending", "The user has not decided yet"),
        DevicePoll::SlowDown => ("slow_down", "Poll less often: the interval is 5 s longer"),
        DevicePoll::Denied => ("access_denied", "The user denied the request"),
        DevicePoll::Expired => ("expired_token", "The device code expired"),
        DevicePoll::Unknown => (
            "invalid_grant",
            "The device code is unknown or was already used",
        ),
    };
    state.count_also(&format!("token.{error}"));
    Err(oauth_error(StatusCode::BAD_REQUEST, error, description))
}
