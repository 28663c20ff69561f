//! The revocation endpoint (RFC 7009 §2): the client authenticates as at the token endpoint;
//! an unknown token, or one of another client, is answered with 200 too (§2.2).

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::client_auth::authenticate_client;
use super::shared::{fault, oauth_error, Params};
use crate::faults::Endpoint;
use crate::state::MockState;

pub async fn revoke(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    if let Some(r) = fault(&state, Endpoint::Revoke).await {
        return r;
    }
    let client_id = match authenticate_client(&state, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The token parameter is missing",
        );
    };
    let hint = form.get("token_type_hint").map(String::as_str);
    if let Some(kind) = state.revoke(&client_id, token, hint) {
        state.count_also(&format!("revoke.{kind}"));
    }
    (StatusCode::OK, [(CACHE_CONTROL, "no-store")]).into_response()
}
