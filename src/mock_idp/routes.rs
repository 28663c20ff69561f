//! The local provider's HTTP endpoints: authorization (automatic or an HTML form), token,
//! userinfo, GitHub's `/user`, `/user/emails`, `/user/teams`, and OpenID Connect's discovery,
//! JWKS, revocation (RFC 7009) and RP-initiated logout.

// Checks return the HTTP answer to send as their error; its size does not matter here.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Form, Query, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use url::Url;

use super::discovery;
use super::id_token;
use super::pages;
use super::state::{
    pkce_matches, random_string, AuthorizationCode, Grant, MockState, MockUser, CODE_TTL,
};

type Shared = Arc<MockState>;
type Params = HashMap<String, String>;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/authorize", get(authorize_page).post(authorize_decision))
        .route("/token", axum::routing::post(token))
        // GitHub's paths, so that GitHubOAuthProvider(base_url=...) works unchanged.
        .route(
            "/login/oauth/authorize",
            get(authorize_page).post(authorize_decision),
        )
        .route("/login/oauth/access_token", axum::routing::post(token))
        .route("/userinfo", get(userinfo))
        .route("/user", get(github_user))
        .route("/user/emails", get(github_emails))
        .route("/user/teams", get(github_teams))
        .route("/.well-known/openid-configuration", get(provider_metadata))
        .route(
            "/.well-known/oauth-authorization-server",
            get(provider_metadata),
        )
        .route("/jwks", get(jwks))
        .route("/revoke", axum::routing::post(revoke))
        .route("/end_session", get(end_session).post(end_session_form))
        .fallback(issuer_path_metadata)
        .with_state(state)
}

/// Counts the request and, when a fault is queued for the endpoint, answers with it.
async fn fault(state: &MockState, endpoint: &str) -> Option<Response> {
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

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (status, [(CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Html(pages::error_page(message))).into_response()
}

/// A redirect back to the client with `pairs` added to its query.
fn redirect(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
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

/// Checks what must be right before anything may be sent to the redirect URI.
fn check_client(state: &MockState, params: &Params) -> Result<(String, String), Response> {
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
    Ok((client_id, redirect_uri))
}

async fn authorize_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if let Some(r) = fault(&state, "authorize").await {
        return r;
    }
    let (_, redirect_uri) = match check_client(&state, &params) {
        Ok(ok) => ok,
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
        None if state.config.login_form => {
            Html(pages::login_form(&state.config.users, &params)).into_response()
        }
        None => {
            let first = state
                .config
                .users
                .first()
                .map(|u| u.username.clone())
                .unwrap_or_default();
            decide(&state, &params, &redirect_uri, &first, true)
        }
    }
}

async fn authorize_decision(State(state): State<Shared>, Form(params): Form<Params>) -> Response {
    state.count_also("authorize.decision");
    let (_, redirect_uri) = match check_client(&state, &params) {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let username = params.get("username").cloned().unwrap_or_default();
    let allow = params.get("decision").map(String::as_str) == Some("allow");
    decide(&state, &params, &redirect_uri, &username, allow)
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
        let mut pairs = vec![("error", code), ("error_description", description)];
        if let Some(s) = state_param {
            pairs.push(("state", s));
        }
        redirect(redirect_uri, &pairs)
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
    let code_challenge = params.get("code_challenge").map(|c| {
        let method = params
            .get("code_challenge_method")
            .cloned()
            .unwrap_or_else(|| "plain".into());
        (c.clone(), method)
    });
    if code_challenge.is_none() && client_id == state.config.public_client_id {
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
        auth_time: id_token::now(),
    });
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = state_param {
        pairs.push(("state", s));
    }
    redirect(redirect_uri, &pairs)
}

/// The client a token request authenticates as (RFC 6749 §2.3): HTTP Basic or form fields.
fn authenticate_client(
    state: &MockState,
    headers: &HeaderMap,
    form: &Params,
) -> Result<String, Response> {
    let invalid = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        )
    };
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let (client_id, secret) = match basic {
        Some(pair) => {
            let (id, secret) = pair.split_once(':').ok_or_else(invalid)?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("v={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            (decode(id), Some(decode(secret)))
        }
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().filter(|s| !s.is_empty()),
        ),
    };
    let config = &state.config;
    let ok = if client_id == config.client_id {
        secret.as_deref() == Some(config.client_secret.as_str())
    } else {
        client_id == config.public_client_id && secret.is_none()
    };
    if ok {
        Ok(client_id)
    } else {
        Err(invalid())
    }
}

async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    if let Some(r) = fault(&state, "token").await {
        return r;
    }
    let client_id = match authenticate_client(&state, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let invalid_grant = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);
    let (grant, nonce) = match field("grant_type") {
        "authorization_code" => {
            state.count_also("token.authorization_code");
            let Some(code) = state.take_code(field("code")) else {
                return invalid_grant("The authorization code is unknown or was already used");
            };
            if code.client_id != client_id || code.redirect_uri != field("redirect_uri") {
                return invalid_grant("The code was issued to another client or redirect_uri");
            }
            if code.issued.elapsed() > CODE_TTL {
                return invalid_grant("The authorization code expired");
            }
            if let Some((challenge, method)) = &code.code_challenge {
                if !pkce_matches(field("code_verifier"), challenge, method) {
                    return invalid_grant("PKCE verification failed");
                }
            }
            let grant = Grant {
                grant_id: random_string(16),
                client_id,
                username: code.username,
                scope: code.scope,
                auth_time: code.auth_time,
            };
            (grant, code.nonce)
        }
        "refresh_token" => {
            state.count_also("token.refresh_token");
            let Some(grant) = state.take_refresh_token(field("refresh_token")) else {
                return invalid_grant("The refresh token is unknown or was already used");
            };
            if grant.client_id != client_id {
                return invalid_grant("The refresh token was issued to another client");
            }
            (grant, None)
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Use authorization_code or refresh_token",
            )
        }
    };
    match state.issue_tokens(grant, nonce.as_deref()) {
        Ok(body) => ([(CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Err(e) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &e.to_string(),
        ),
    }
}

/// The user behind the request's bearer token, or the 401 to answer with.
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
    state: Shared,
    headers: HeaderMap,
    endpoint: &str,
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

async fn userinfo(State(state): State<Shared>, headers: HeaderMap) -> Response {
    user_document(state, headers, "userinfo", MockUser::userinfo).await
}

async fn github_user(State(state): State<Shared>, headers: HeaderMap) -> Response {
    user_document(state, headers, "user", MockUser::github_user).await
}

async fn github_emails(State(state): State<Shared>, headers: HeaderMap) -> Response {
    user_document(state, headers, "user_emails", MockUser::github_emails).await
}

async fn github_teams(State(state): State<Shared>, headers: HeaderMap) -> Response {
    user_document(state, headers, "user_teams", MockUser::github_teams).await
}

/// OpenID Connect Discovery 1.0 §4 and RFC 8414 §3.
async fn provider_metadata(State(state): State<Shared>) -> Response {
    if let Some(r) = fault(&state, "discovery").await {
        return r;
    }
    let base_url = state.base_url().unwrap_or_default();
    let issuer = state.issuer().unwrap_or_default();
    Json(discovery::metadata(&base_url, &issuer, &state.config.users)).into_response()
}

/// Discovery under the path of an `issuer` override (`{issuer}/.well-known/openid-configuration`).
async fn issuer_path_metadata(State(state): State<Shared>, uri: Uri) -> Response {
    let path = uri.path();
    let issuer_path = state
        .config
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

/// The public keys that verify ID tokens (RFC 7517 §5).
async fn jwks(State(state): State<Shared>) -> Response {
    if let Some(r) = fault(&state, "jwks").await {
        return r;
    }
    let doc = state.keys().jwks();
    Json(doc).into_response()
}

/// RFC 7009 §2: the client must authenticate as at the token endpoint; an unknown token (or
/// one of another client) is answered with 200 too.
async fn revoke(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    if let Some(r) = fault(&state, "revoke").await {
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

/// OpenID Connect RP-Initiated Logout 1.0 §2: back to `post_logout_redirect_uri` (with
/// `state`) when given, else a page that says so.
async fn end_session(State(state): State<Shared>, Query(params): Query<Params>) -> Response {
    if let Some(r) = fault(&state, "end_session").await {
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

/// RP-Initiated Logout §2 also allows the parameters in a form POST.
async fn end_session_form(state: State<Shared>, Form(params): Form<Params>) -> Response {
    end_session(state, Query(params)).await
}
