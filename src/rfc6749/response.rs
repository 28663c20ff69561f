//! Reading a token endpoint's answer (RFC 6749 §5.1, §5.2): an OAuth error in any status
//! (GitHub answers 200 with one), a non-success status, or a token.

use serde_json::{Map, Value};

use crate::errors::{Error, Result};
use crate::rfc6749::token::{now, scope_list, Number, TokenData};
use crate::transport::Response;

/// The body of a provider answer as a JSON object, when it is one (or a form, as GitHub sends
/// without `Accept: application/json`).
pub fn body_object(response: &Response) -> Option<Map<String, Value>> {
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&response.body) {
        return Some(map);
    }
    if response
        .content_type
        .starts_with("application/x-www-form-urlencoded")
    {
        let map: Map<String, Value> = url::form_urlencoded::parse(&response.body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        if !map.is_empty() {
            return Some(map);
        }
    }
    None
}

/// The OAuth error in a body, if there is one (RFC 6749 §5.2).
pub fn oauth_error(map: &Map<String, Value>, status: u16) -> Option<Error> {
    let error = map.get("error")?.as_str()?.to_owned();
    let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(Error::OAuth {
        error,
        description: text("error_description"),
        uri: text("error_uri"),
        status: Some(status),
    })
}

/// Ok for a success status; else the OAuth error in the body, or the status.
pub fn check_status(response: &Response) -> Result<()> {
    if response.is_success() {
        return Ok(());
    }
    if let Some(err) = body_object(response).and_then(|m| oauth_error(&m, response.status)) {
        return Err(err);
    }
    Err(Error::HttpStatus {
        status: response.status,
        endpoint: response.endpoint.clone(),
    })
}

/// The JSON object of an endpoint's answer as RFC 6749 §5.1–5.2 read it: an OAuth error in
/// the body, in any status, is that error; else a non-success status is `HttpStatus`; else
/// the body must be a JSON object. The token, device authorization and PAR answers share it.
pub fn success_object(response: &Response) -> Result<Map<String, Value>> {
    let map = body_object(response);
    if let Some(err) = map.as_ref().and_then(|m| oauth_error(m, response.status)) {
        return Err(err);
    }
    if !response.is_success() {
        return Err(Error::HttpStatus {
            status: response.status,
            endpoint: response.endpoint.clone(),
        });
    }
    map.ok_or_else(|| {
        Error::invalid_response(response.status, &response.endpoint, "not a JSON object")
    })
}

/// Reads a token endpoint answer: an OAuth error in any status, a non-success status, or a
/// token with `expires_at` computed from `expires_in`.
pub fn parse_token_response(response: &Response) -> Result<TokenData> {
    let map = success_object(response)?;
    let invalid =
        |reason: &str| Error::invalid_response(response.status, &response.endpoint, reason);
    let string = |name: &str| -> Result<Option<String>> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(&format!("{name} is not a string"))),
        }
    };
    let access_token = string("access_token")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("no access_token"))?;
    let expires_in = match map.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Some(i),
            (None, Some(f)) if f.is_finite() => Some(f as i64),
            _ => return Err(invalid("expires_in is not a number")),
        },
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| invalid("expires_in is not a number"))?,
        ),
        Some(_) => return Err(invalid("expires_in is not a number")),
    };
    let scope = match map.get("scope") {
        None | Some(Value::Null) => None,
        Some(v) => Some(scope_list(v).ok_or_else(|| invalid("scope is not a string"))?),
    };
    Ok(TokenData {
        access_token,
        scope,
        token_type: string("token_type")?,
        expires_in: expires_in.map(Number::Int),
        expires_at: expires_in.map(|s| Number::Float(now() + s as f64)),
        refresh_token: string("refresh_token")?.filter(|t| !t.is_empty()),
        id_token: string("id_token")?,
        dpop_key: None,
        extra: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn response(status: u16, content_type: &str, body: &str) -> Response {
        Response {
            status,
            content_type: content_type.into(),
            headers: Default::default(),
            body: Bytes::from(body.to_owned()),
            endpoint: "idp.test/token".into(),
        }
    }

    #[test]
    fn token_response_computes_expires_at() {
        let r = response(
            200,
            "application/json",
            r#"{"access_token":"t","token_type":"bearer","expires_in":"60","scope":"a b","refresh_token":"r"}"#,
        );
        let t = parse_token_response(&r).expect("a token");
        assert_eq!(t.expires_in, Some(Number::Int(60)));
        let at = t.expires_at.map(Number::as_f64).unwrap_or(0.0);
        assert!((at - now() - 60.0).abs() < 5.0);
        assert_eq!(t.scope, Some(vec!["a".into(), "b".into()]));
        assert_eq!(t.refresh_token.as_deref(), Some("r"));
    }

    #[test]
    fn error_body_with_status_200_is_an_oauth_error() {
        let r = response(
            200,
            "application/json",
            r#"{"error":"bad_verification_code","error_description":"expired"}"#,
        );
        match parse_token_response(&r) {
            Err(Error::OAuth { error, status, .. }) => {
                assert_eq!(error, "bad_verification_code");
                assert_eq!(status, Some(200));
            }
            other => panic!("expected OAuthError, got {other:?}"),
        }
    }

    #[test]
    fn form_encoded_answers_are_read() {
        let r = response(
            200,
            "application/x-www-form-urlencoded",
            "access_token=t&token_type=bearer&scope=repo%2Cuser",
        );
        assert_eq!(
            parse_token_response(&r).map(|t| t.access_token).ok(),
            Some("t".into())
        );
    }

    #[test]
    fn unusable_answers_are_typed() {
        let cases = [
            (500, "text/html", "<html>oops</html>", "HttpStatus"),
            (200, "text/html", "<html>login</html>", "InvalidResponse"),
            (
                200,
                "application/json",
                "{\"access_token\":",
                "InvalidResponse",
            ),
            (
                200,
                "application/json",
                "{\"token_type\":\"bearer\"}",
                "InvalidResponse",
            ),
            (
                200,
                "application/json",
                "{\"access_token\":\"t\",\"expires_in\":\"soon\"}",
                "InvalidResponse",
            ),
            (
                400,
                "application/json",
                "{\"error\":\"invalid_grant\"}",
                "OAuth",
            ),
        ];
        for (status, ct, body, kind) in cases {
            let got = parse_token_response(&response(status, ct, body));
            let name = match got {
                Err(Error::HttpStatus { .. }) => "HttpStatus",
                Err(Error::InvalidResponse { .. }) => "InvalidResponse",
                Err(Error::OAuth { .. }) => "OAuth",
                _ => "other",
            };
            assert_eq!(name, kind, "{body}");
        }
    }
}
