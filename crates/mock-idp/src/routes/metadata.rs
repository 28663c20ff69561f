//! What a client discovers: the provider metadata (OpenID Connect Discovery 1.0 §4, RFC 8414
//! §3), also under the path of an `issuer` setting, and the JWK Set (RFC 7517 §5).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use url::Url;

use super::shared::fault;
use crate::discovery;
use crate::faults::Endpoint;
use crate::state::MockState;

pub async fn provider_metadata(State(state): State<Arc<MockState>>) -> Response {
    if let Some(r) = fault(&state, Endpoint::Discovery).await {
        return r;
    }
    let base_url = state.base_url().unwrap_or_default();
    let issuer = state.issuer().unwrap_or_default();
    let mut doc = discovery::metadata(&base_url, &issuer, &state.settings.users);
    doc["authorization_response_iss_parameter_supported"] =
        state.settings.iss_parameter_supported.into();
    doc["require_pushed_authorization_requests"] = state.settings.require_par.into();
    Json(doc).into_response()
}

/// Discovery under the path of an `issuer` setting (`{issuer}/.well-known/openid-configuration`);
/// any other unknown path is 404.
pub async fn issuer_path_metadata(State(state): State<Arc<MockState>>, uri: Uri) -> Response {
    let path = uri.path();
    let issuer_path = state
        .settings
        .issuer
        .as_deref()
        .and_then(|i| Url::parse(i).ok())
        .map(|u| u.path().trim_end_matches('/').to_owned());
    match issuer_path {
        Some(p) if path == format!("{p}/.well-known/openid-configuration") => {
            provider_metadata(State(state)).await
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The public keys that verify ID tokens.
pub async fn jwks(State(state): State<Arc<MockState>>) -> Response {
    if let Some(r) = fault(&state, Endpoint::Jwks).await {
        return r;
    }
    let doc = state.keys().jwks();
    Json(doc).into_response()
}
