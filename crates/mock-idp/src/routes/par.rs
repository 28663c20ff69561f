//! The pushed authorization request endpoint (RFC 9126 §2): the client authenticates as at
//! the token endpoint and POSTs the authorization request's parameters, checked as the
//! authorization endpoint would check them; the answer is a `request_uri` for the
//! authorization endpoint (§2.2) or an error (§2.3). The last request's form, without the
//! client's secret, is kept for tests (`last_par_request`). A DPoP proof (RFC 9449 §10.1)
//! binds the code to its key.

use std::sync::Arc;

use axum::extract::{Form, OriginalUri, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::client_auth::authenticate_client;
use super::dpop::token_proof;
use super::shared::{fault, oauth_error, Params};
use crate::faults::Endpoint;
use crate::state::MockState;

pub async fn pushed_authorization_request(
    State(state): State<Arc<MockState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    if let Some(r) = fault(&state, Endpoint::PushedAuthorizationRequest).await {
        return r;
    }
    let client_id = match authenticate_client(&state, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let jkt = match token_proof(&state, &headers, &uri, "par") {
        Ok(proof) => proof.map(|p| p.jkt),
        Err(r) => return r,
    };
    let mut seen = form.clone();
    seen.remove("client_secret");
    state.set_last_par_request(seen.into_iter().collect());
    let invalid = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", why);
    let field = |name: &str| form.get(name).map(String::as_str);
    // §2.1: `client_id` is required here as at the authorization endpoint, and is the
    // authenticated client's; `request_uri` must not be pushed.
    if field("client_id") != Some(client_id.as_str()) {
        return invalid("client_id must be sent and be the authenticated client's");
    }
    if field("request_uri").is_some() {
        return invalid("request_uri must not be pushed");
    }
    if field("response_type") != Some("code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "Only response_type=code is supported",
        );
    }
    if !state.redirect_allowed(field("redirect_uri").unwrap_or_default()) {
        return invalid("redirect_uri is not registered for this client");
    }
    // RFC 9449 §10.1: a proof binds the code to its key, as `dpop_jkt` does; both must agree.
    if let Some(jkt) = &jkt {
        if field("dpop_jkt").is_some_and(|sent| sent != jkt) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_dpop_proof",
                "dpop_jkt is not the thumbprint of the proof's key",
            );
        }
    }
    let mut params = form.clone();
    if let Some(jkt) = jkt {
        params.insert("dpop_jkt".into(), jkt);
    }
    for credential in ["client_secret", "client_assertion", "client_assertion_type"] {
        params.remove(credential);
    }
    let request_uri = state.push_request(client_id, params);
    let body = json!({
        "request_uri": request_uri,
        "expires_in": state.settings.par_expires_in.as_secs(),
    });
    (
        StatusCode::CREATED,
        [(CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}
