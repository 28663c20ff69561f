//! The provider's HTTP endpoints, one module per protocol concept; this module only routes.

// Checks return the HTTP answer to send as their error; its size does not matter here.
#![allow(clippy::result_large_err)]

mod authorize;
mod client_auth;
mod device;
mod dpop;
mod logout;
mod metadata;
mod par;
mod revocation;
mod shared;
mod token;
mod userinfo;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::state::MockState;

pub fn router(state: Arc<MockState>) -> Router {
    Router::new()
        .route("/authorize", get(authorize::page).post(authorize::decision))
        .route("/token", post(token::token))
        // GitHub's paths, so that GitHubOAuthProvider(base_url=...) works unchanged.
        .route(
            "/login/oauth/authorize",
            get(authorize::page).post(authorize::decision),
        )
        .route("/login/oauth/access_token", post(token::token))
        .route("/userinfo", get(userinfo::userinfo))
        .route("/user", get(userinfo::github_user))
        .route("/user/emails", get(userinfo::github_emails))
        .route("/user/teams", get(userinfo::github_teams))
        .route(
            "/.well-known/openid-configuration",
            get(metadata::provider_metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::provider_metadata),
        )
        .route("/jwks", get(metadata::jwks))
        .route("/revoke", post(revocation::revoke))
        .route("/device_authorization", post(device::device_authorization))
        .route("/par", post(par::pushed_authorization_request))
        .route(
            "/device",
            get(device::verification_page).post(device::verification_decision),
        )
        .route(
            "/end_session",
            get(logout::end_session).post(logout::end_session_form),
        )
        .fallback(metadata::issuer_path_metadata)
        .with_state(state)
}
