//! OpenID Connect RP-Initiated Logout 1.0 §2: back to `post_logout_redirect_uri` (with
//! `state`) when given, else a page that says so; the parameters in the query or a form POST.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Response};
use url::Url;

use super::shared::{bad_request, fault, redirect, Params};
use crate::faults::Endpoint;
use crate::pages;
use crate::state::MockState;

pub async fn end_session(
    State(state): State<Arc<MockState>>,
    Query(params): Query<Params>,
) -> Response {
    if let Some(r) = fault(&state, Endpoint::EndSession).await {
        return r;
    }
    state.set_last_end_session(params.clone().into_iter().collect::<BTreeMap<_, _>>());
    match params.get("post_logout_redirect_uri") {
        Some(uri) => {
            let is_web = Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !is_web {
                return bad_request("post_logout_redirect_uri is not an http(s) URL");
            }
            let pairs: Vec<(&str, &str)> = params
                .get("state")
                .map(|s| ("state", s.as_str()))
                .into_iter()
                .collect();
            redirect(uri, &pairs)
        }
        None => Html(pages::signed_out_page()).into_response(),
    }
}

pub async fn end_session_form(
    state: State<Arc<MockState>>,
    Form(params): Form<Params>,
) -> Response {
    end_session(state, Query(params)).await
}
