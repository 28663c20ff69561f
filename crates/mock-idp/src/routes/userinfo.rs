//! The protected resources an access token opens (RFC 6750 §2.1, RFC 9449 §7): OpenID Connect's userinfo
//! (Core §5.3) and GitHub's `/user`, `/user/emails` and `/user/teams`.

use std::sync::Arc;

use axum::extract::{OriginalUri, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::dpop::{resource_proof, resource_refusal, DPOP};
use super::shared::fault;
use crate::faults::Endpoint;
use crate::state::MockState;
use crate::users::MockUser;

/// The user behind the request's access token, or the 401 to answer with: a bearer token
/// with `Bearer` (RFC 6750 §3.1), a DPoP-bound one with `DPoP` and a proof of its key only
/// (RFC 9449 §7).
fn authorized_user(
    state: &MockState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<MockUser, Response> {
    let unauthorized = || {
        let body = json!({"error": "invalid_token", "message": "Bad credentials"});
        (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            Json(body),
        )
            .into_response()
    };
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorized)?;
    let (scheme, token) = value.split_once(' ').ok_or_else(unauthorized)?;
    let token = token.trim();
    let (user, jkt) = state.access_token_binding(token).ok_or_else(unauthorized)?;
    match (scheme, jkt) {
        (DPOP, Some(jkt)) => resource_proof(state, headers, uri, token, &jkt).map(|_| user),
        (DPOP, None) => Err(unauthorized()),
        ("Bearer" | "bearer" | "token", None) => Ok(user),
        ("Bearer" | "bearer" | "token", Some(_)) => Err(resource_refusal(
            state,
            "invalid_token",
            "A DPoP-bound token must be sent with the DPoP scheme and a proof",
        )),
        _ => Err(unauthorized()),
    }
}

async fn user_document(
    state: Arc<MockState>,
    headers: HeaderMap,
    uri: Uri,
    endpoint: Endpoint,
    doc: fn(&MockUser) -> Value,
) -> Response {
    if let Some(r) = fault(&state, endpoint).await {
        return r;
    }
    match authorized_user(&state, &headers, &uri) {
        Ok(user) => Json(doc(&user)).into_response(),
        Err(r) => r,
    }
}

pub async fn userinfo(
    State(state): State<Arc<MockState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    user_document(state, headers, uri, Endpoint::Userinfo, MockUser::userinfo).await
}

pub async fn github_user(
    State(state): State<Arc<MockState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    user_document(state, headers, uri, Endpoint::User, MockUser::github_user).await
}

pub async fn github_emails(
    State(state): State<Arc<MockState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    user_document(
        state,
        headers,
        uri,
        Endpoint::UserEmails,
        MockUser::github_emails,
    )
    .await
}

pub async fn github_teams(
    State(state): State<Arc<MockState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    user_document(
        state,
        headers,
        uri,
        Endpoint::UserTeams,
        MockUser::github_teams,
    )
    .await
}
