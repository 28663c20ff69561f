//! DPoP at the endpoints (RFC 9449): the token endpoint's proof check (§5) and errors (§8),
//! and the protected resources' (§7, §9), with the server's nonce in `DPoP-Nonce`.

use axum::http::header::{CACHE_CONTROL, HOST, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use flet_auth_primitives::time;
use serde_json::json;

use crate::rfc9449::{Expect, Proof, USE_DPOP_NONCE};
use crate::state::{DpopRefusal, MockState};

pub const DPOP: &str = "DPoP";
pub const DPOP_NONCE: &str = "DPoP-Nonce";

/// The URL the request was made to, as a proof's `htu` must name it (§4.3 item 9).
fn htu(headers: &HeaderMap, uri: &Uri) -> String {
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}{}", uri.path())
}

/// Adds the server's nonce to an answer, when nonces are required.
pub fn with_nonce(state: &MockState, mut response: Response) -> Response {
    if let Some(nonce) = state.dpop_nonce() {
        if let Ok(value) = nonce.parse() {
            response.headers_mut().insert(DPOP_NONCE, value);
        }
    }
    response
}

/// The request's one `DPoP` header: None without one, an error with several (§4.3 item 1).
fn header(headers: &HeaderMap) -> Result<Option<&str>, String> {
    let mut values = headers.get_all(DPOP).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err("the request has more than one DPoP header".into());
    }
    first
        .map(|v| {
            v.to_str()
                .map_err(|_| "the DPoP header is not text".to_owned())
        })
        .transpose()
}

/// The proof of a POST to the token or the PAR endpoint (§5, §10.1; `endpoint` names the
/// counts of refusals): None without one; a refusal is the answer to send.
pub fn token_proof(
    state: &MockState,
    headers: &HeaderMap,
    uri: &Uri,
    endpoint: &str,
) -> Result<Option<Proof>, Response> {
    let refuse = |r: DpopRefusal| {
        state.count_also(&format!("{endpoint}.{}", r.error));
        let body = json!({"error": r.error, "error_description": r.description});
        let answer = (
            StatusCode::BAD_REQUEST,
            [(CACHE_CONTROL, "no-store")],
            Json(body),
        );
        with_nonce(state, answer.into_response())
    };
    let proof = header(headers).map_err(|description| {
        refuse(DpopRefusal {
            error: "invalid_dpop_proof",
            description,
        })
    })?;
    let Some(proof) = proof else {
        return Ok(None);
    };
    let htu = htu(headers, uri);
    let expect = Expect {
        htm: "POST",
        htu: &htu,
        now: time::now_secs(),
        access_token: None,
    };
    state.check_dpop(proof, &expect).map(Some).map_err(refuse)
}

/// A refusal at a resource (§7.1, §9): 401 with the DPoP challenge.
pub fn resource_refusal(state: &MockState, error: &str, description: &str) -> Response {
    state.count_also(&format!("resource.{error}"));
    let challenge = format!("DPoP error=\"{error}\", algs=\"ES256\"");
    let body = json!({"error": error, "error_description": description});
    let answer = (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, challenge)],
        Json(body),
    );
    let response = answer.into_response();
    if error == USE_DPOP_NONCE {
        with_nonce(state, response)
    } else {
        response
    }
}

/// A resource request with `Authorization: DPoP <access_token>`: its proof must be for this
/// request, carry `ath`, and be made with the key the token is bound to (`jkt`).
pub fn resource_proof(
    state: &MockState,
    headers: &HeaderMap,
    uri: &Uri,
    access_token: &str,
    jkt: &str,
) -> Result<(), Response> {
    let invalid = |d: &str| resource_refusal(state, "invalid_dpop_proof", d);
    let proof = header(headers).map_err(|d| invalid(&d))?;
    let proof = proof.ok_or_else(|| invalid("a DPoP token needs a DPoP proof"))?;
    let htu = htu(headers, uri);
    let expect = Expect {
        htm: "GET",
        htu: &htu,
        now: time::now_secs(),
        access_token: Some(access_token),
    };
    let proof = state
        .check_dpop(proof, &expect)
        .map_err(|r| resource_refusal(state, r.error, &r.description))?;
    if proof.jkt != jkt {
        return Err(invalid("the proof is not made with the token's key"));
    }
    Ok(())
}
