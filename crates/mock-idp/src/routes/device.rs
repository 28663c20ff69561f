//! The device authorization endpoint (RFC 8628 §3.1, §3.2): the client authenticates as at
//! the token endpoint and gets a device code and a user code; and the verification page
//! (§3.3), where a user enters the code and approves or denies.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::client_auth::authenticate_client;
use super::shared::{bad_request, fault, Params};
use crate::faults::Endpoint;
use crate::pages;
use crate::state::MockState;

pub async fn device_authorization(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    if let Some(r) = fault(&state, Endpoint::DeviceAuthorization).await {
        return r;
    }
    let client_id = match authenticate_client(&state, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let scope = form.get("scope").cloned().unwrap_or_default();
    let (device_code, user_code) = state.issue_device_code(client_id, scope);
    let verification_uri = format!("{}/device", state.base_url().unwrap_or_default());
    let complete = format!("{verification_uri}?user_code={user_code}");
    let body = json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": complete,
        "expires_in": state.settings.device_code_ttl.as_secs(),
        "interval": seconds(state.settings.device_interval.as_secs_f64()),
    });
    ([(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// Whole seconds as an integer, as the RFC writes them; a test's shorter interval as it is.
fn seconds(secs: f64) -> Value {
    if secs.fract() == 0.0 {
        json!(secs as u64)
    } else {
        json!(secs)
    }
}

/// The verification page: the user code (filled in from `verification_uri_complete`), a user,
/// Allow and Deny.
pub async fn verification_page(
    State(state): State<Arc<MockState>>,
    Query(params): Query<Params>,
) -> Response {
    state.count_also("device");
    let user_code = params.get("user_code").map(String::as_str).unwrap_or("");
    Html(pages::device_form(&state.settings.users, user_code)).into_response()
}

/// The verification page's answer.
pub async fn verification_decision(
    State(state): State<Arc<MockState>>,
    Form(params): Form<Params>,
) -> Response {
    state.count_also("device.decision");
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let username = field("username");
    if state.user(username).is_none() {
        return bad_request("unknown user");
    }
    let allow = field("decision") == "allow";
    if !state.decide_device(field("user_code").trim(), allow.then_some(username)) {
        return (
            StatusCode::BAD_REQUEST,
            Html(pages::error_page("no device login waits for this code")),
        )
            .into_response();
    }
    Html(pages::device_done_page(allow)).into_response()
}
