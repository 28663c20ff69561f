//! What the endpoints share: the parameters of a request, injected faults, OAuth error bodies
//! (RFC 6749 §5.2), error pages and redirects back to the client.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;
use url::Url;

use crate::faults::Endpoint;
use crate::pages;
use crate::state::MockState;

/// The parameters of a query or a form.
pub type Params = HashMap<String, String>;

/// Counts the request and, when a fault is queued for the endpoint, answers with it.
pub async fn fault(state: &MockState, endpoint: Endpoint) -> Option<Response> {
    let fault = state.hit(endpoint)?;
    if let Some(delay) = fault.delay {
        tokio::time::sleep(delay).await;
    }
    if fault.close {
        let parts: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"{\"access_token\":\"")),
            Err(std::io::Error::other(
                "connection closed by fault injection",
            )),
        ];
        let body = Body::from_stream(futures_util::stream::iter(parts));
        return Some(([(CONTENT_TYPE, "application/json")], body).into_response());
    }
    let status = StatusCode::from_u16(fault.status?).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = fault
        .content_type
        .unwrap_or_else(|| "application/json".into());
    Some(
        (
            status,
            [(CONTENT_TYPE, content_type)],
            fault.body.unwrap_or_default(),
        )
            .into_response(),
    )
}

pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (status, [(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

pub fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Html(pages::error_page(message))).into_response()
}

/// A redirect back to the client with `pairs` added to its query.
pub fn redirect(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return bad_request("redirect_uri is not a URL");
    };
    // With nothing to add, the URI goes back as it came (no bare `?`).
    if !pairs.is_empty() {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    (StatusCode::FOUND, [(LOCATION, url.to_string())]).into_response()
}
