//! The protected resources a bearer token opens (RFC 6750 §2.1): OpenID Connect's userinfo
//! (Core §5.3) and GitHub's `/user`, `/user/emails` and `/user/teams`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::shared::fault;
use crate::faults::Endpoint;
use crate::state::MockState;
use crate::users::MockUser;

/// The user behind the request's bearer token, or the 401 to answer with (RFC 6750 §3.1).
fn bearer_user(state: &MockState, headers: &HeaderMap) -> Result<MockUser, Response> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .or_else(|| v.strip_prefix("token "))
        })
        .and_then(|token| state.user_for_access_token(token.trim()))
        .ok_or_else(|| {
            let body = json!({"error": "invalid_token", "message": "Bad credentials"});
            (
                StatusCode::UNAUTHORIZED,
                [(WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
                Json(body),
            )
                .into_response()
        })
}

async fn user_document(
    state: Arc<MockState>,
    headers: HeaderMap,
    endpoint: Endpoint,
    doc: fn(&MockUser) -> Value,
) -> Response {
    if let Some(r) = fault(&state, endpoint).await {
        return r;
    }
    match bearer_user(&state, &headers) {
        Ok(user) => Json(doc(&user)).into_response(),
        Err(r) => r,
    }
}

pub async fn userinfo(State(state): State<Arc<MockState>>, headers: HeaderMap) -> Response {
    user_document(state, headers, Endpoint::Userinfo, MockUser::userinfo).await
}

pub async fn github_user(State(state): State<Arc<MockState>>, headers: HeaderMap) -> Response {
    user_document(state, headers, Endpoint::User, MockUser::github_user).await
}

pub async fn github_emails(State(state): State<Arc<MockState>>, headers: HeaderMap) -> Response {
    user_document(
        state,
        headers,
        Endpoint::UserEmails,
        MockUser::github_emails,
    )
    .await
}

pub async fn github_teams(State(state): State<Arc<MockState>>, headers: HeaderMap) -> Response {
    user_document(state, headers, Endpoint::UserTeams, MockUser::github_teams).await
}
