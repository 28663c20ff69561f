//! The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2): consent at once,
//! as the user a test names in `x-mock-user`, or through the HTML form; then the redirect
//! with a code (and PKCE's challenge kept for the token request) or an error, and the `iss`
//! of RFC 9207. A pushed request (RFC 9126) comes as its `request_uri`.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use flet_auth_primitives::rfc7636::CodeChallengeMethod;
use flet_auth_primitives::time;

use super::shared::{bad_request, fault, redirect, Params};
use crate::faults::Endpoint;
use crate::grants::AuthorizationCode;
use crate::pages;
use crate::rfc9126::Refusal;
use crate::state::MockState;

/// Checks what must be right before anything may be sent to the redirect URI (§4.1.2.1):
/// the client and its redirect URI.
fn check_client(state: &MockState, params: &Params) -> Result<String, Response> {
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    if !state.is_client(&client_id) {
        return Err(bad_request("unknown client_id"));
    }
    let redirect_uri = params.get("redirect_uri").cloned().unwrap_or_default();
    if !state.redirect_allowed(&redirect_uri) {
        return Err(bad_request(
            "redirect_uri is not registered for this client",
        ));
    }
    Ok(redirect_uri)
}

/// RFC 9126 §4: a request with a `request_uri` is the request its client pushed, taken once
/// before it expires; a provider with `require_par` refuses any other.
fn pushed_or_query(state: &MockState, query: Params) -> Result<Params, Response> {
    let Some(request_uri) = query.get("request_uri") else {
        if state.settings.require_par {
            let redirect_uri = check_client(state, &query)?;
            return Err(error_redirect(
                state,
                &query,
                &redirect_uri,
                "invalid_request",
                "Pushed authorization requests are required",
            ));
        }
        return Ok(query);
    };
    let client_id = query.get("client_id").map(String::as_str).unwrap_or("");
    match state.take_pushed_request(request_uri, client_id) {
        Ok(params) => Ok(params),
        // RFC 9101 §6.2's error, on a page: there is no redirect URI to trust.
        Err(Refusal::Unknown) => Err(bad_request(
            "invalid_request_uri: the request_uri is unknown or another client's",
        )),
        Err(Refusal::Spent { why, params }) => {
            let redirect_uri = params.get("redirect_uri").cloned().unwrap_or_default();
            Err(error_redirect(
                state,
                &params,
                &redirect_uri,
                "invalid_request_uri",
                why,
            ))
        }
    }
}

pub async fn page(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    Query(query): Query<Params>,
) -> Response {
    if let Some(r) = fault(&state, Endpoint::Authorize).await {
        return r;
    }
    let params = match pushed_or_query(&state, query) {
        Ok(params) => params,
        Err(r) => return r,
    };
    let redirect_uri = match check_client(&state, &params) {
        Ok(uri) => uri,
        Err(r) => return r,
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    match header("x-mock-user") {
        Some(username) => {
            let allow = header("x-mock-decision").as_deref() != Some("deny");
            decide(&state, &params, &redirect_uri, &username, allow)
        }
        None if state.settings.login_form => {
            Html(pages::login_form(&state.settings.users, &params)).into_response()
        }
        None => {
            let first = state
                .settings
                .users
                .first()
                .map(|u| u.username.clone())
                .unwrap_or_default();
            decide(&state, &params, &redirect_uri, &first, true)
        }
    }
}

/// The login form's answer: the user picked and Allow or Deny.
pub async fn decision(State(state): State<Arc<MockState>>, Form(params): Form<Params>) -> Response {
    state.count_also("authorize.decision");
    let redirect_uri = match check_client(&state, &params) {
        Ok(uri) => uri,
        Err(r) => return r,
    };
    let username = params.get("username").cloned().unwrap_or_default();
    let allow = params.get("decision").map(String::as_str) == Some("allow");
    decide(&state, &params, &redirect_uri, &username, allow)
}

/// An error response (§4.1.2.1) to `redirect_uri`, with the request's `state` and the `iss`
/// of RFC 9207 (error responses carry it too, §2).
fn error_redirect(
    state: &MockState,
    params: &Params,
    redirect_uri: &str,
    code: &str,
    description: &str,
) -> Response {
    let mut pairs = vec![("error", code), ("error_description", description)];
    if let Some(s) = params.get("state") {
        pairs.push(("state", s));
    }
    let iss = state.response_iss();
    if let Some(iss) = &iss {
        pairs.push(("iss", iss));
    }
    redirect(redirect_uri, &pairs)
}

fn decide(
    state: &MockState,
    params: &Params,
    redirect_uri: &str,
    username: &str,
    allow: bool,
) -> Response {
    let state_param = params.get("state").map(String::as_str);
    let error = |code: &str, description: &str| {
        error_redirect(state, params, redirect_uri, code, description)
    };
    if !allow {
        return error("access_denied", "The user denied the request");
    }
    if params.get("response_type").map(String::as_str) != Some("code") {
        return error(
            "unsupported_response_type",
            "Only response_type=code is supported",
        );
    }
    if state.user(username).is_none() {
        return bad_request("unknown user");
    }
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    let code_challenge = match params.get("code_challenge") {
        None => None,
        // RFC 7636 §4.3: no method means plain; §4.4.1: an unsupported one is refused.
        Some(challenge) => {
            let method = params.get("code_challenge_method").map(String::as_str);
            match CodeChallengeMethod::parse(method.unwrap_or("plain")) {
                Some(method) => Some((challenge.clone(), method)),
                None => {
                    return error(
                        "invalid_request",
                        "code_challenge_method must be S256 or plain",
                    )
                }
            }
        }
    };
    if code_challenge.is_none() && client_id == state.settings.public_client_id {
        return error("invalid_request", "PKCE is required for public clients");
    }
    let code = state.issue_code(AuthorizationCode {
        client_id,
        redirect_uri: redirect_uri.to_owned(),
        username: username.to_owned(),
        scope: params.get("scope").cloned().unwrap_or_default(),
        code_challenge,
        nonce: params.get("nonce").cloned(),
        issued: std::time::Instant::now(),
        auth_time: time::now_secs(),
        dpop_jkt: params.get("dpop_jkt").cloned(),
    });
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = state_param {
        pairs.push(("state", s));
    }
    let iss = state.response_iss();
    if let Some(iss) = &iss {
        pairs.push(("iss", iss));
    }
    redirect(redirect_uri, &pairs)
}
