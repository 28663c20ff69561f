//! `OAuthToken` and the parsing of token endpoint responses (RFC 6749 §5).
//!
//! A token's data lives in a shared cell: the service and every `OAuthToken` object it hands
//! out see the same values, so a refresh updates tokens the app already holds, and an app that
//! edits a token (say `expires_at`, to force a refresh) edits the service's token.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use serde_json::{Map, Value};

use crate::errors::{Error, Result};
use crate::http::Response;
use crate::json::{py_float_repr, write_str, write_value};

/// A JSON number that keeps the Python type it came with (Flet writes ints as ints).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    fn from_json(value: &Value) -> Option<Number> {
        match value {
            Value::Number(n) => Some(match n.as_i64() {
                Some(i) => Number::Int(i),
                None => Number::Float(n.as_f64()?),
            }),
            _ => None,
        }
    }

    fn write(self, out: &mut String) {
        match self {
            Number::Int(i) => out.push_str(&i.to_string()),
            // Flet's encoder writes float("inf") as the string "inf".
            Number::Float(f) if f == f64::INFINITY => out.push_str("\"inf\""),
            Number::Float(f) => out.push_str(&py_float_repr(f)),
        }
    }
}

impl<'py> FromPyObject<'_, 'py> for Number {
    type Error = PyErr;

    fn extract(ob: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if ob.is_instance_of::<PyBool>() {
            Err(PyTypeError::new_err("expected a number, not bool"))
        } else if ob.is_instance_of::<PyInt>() {
            Ok(Number::Int(ob.extract()?))
        } else if ob.is_instance_of::<PyFloat>() {
            Ok(Number::Float(ob.extract()?))
        } else {
            Err(PyTypeError::new_err("expected an int or a float"))
        }
    }
}

impl<'py> IntoPyObject<'py> for Number {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        Ok(match self {
            Number::Int(i) => i.into_pyobject(py)?.into_any(),
            Number::Float(f) => f.into_pyobject(py)?.into_any(),
        })
    }
}

/// The fields of a token, as Flet names them, plus `id_token` and any unknown saved fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenData {
    pub access_token: String,
    pub scope: Option<Vec<String>>,
    pub token_type: Option<String>,
    pub expires_in: Option<Number>,
    pub expires_at: Option<Number>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    /// Fields of a saved token that this version does not know; written back unchanged.
    /// Boxed: almost every token has none, and an empty map still takes room.
    pub extra: Option<Box<Map<String, Value>>>,
}

pub type TokenCell = Arc<Mutex<TokenData>>;

pub fn lock(cell: &Mutex<TokenData>) -> MutexGuard<'_, TokenData> {
    cell.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl TokenData {
    /// Compact JSON, byte for byte what Flet's `OAuthToken.to_json()` writes.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push('{');
        let mut first = true;
        let mut key = |out: &mut String, name: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            write_str(out, name);
            out.push(':');
        };
        key(&mut out, "access_token");
        write_str(&mut out, &self.access_token);
        if let Some(scope) = &self.scope {
            key(&mut out, "scope");
            out.push('[');
            for (i, s) in scope.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(&mut out, s);
            }
            out.push(']');
        }
        if let Some(t) = &self.token_type {
            key(&mut out, "token_type");
            write_str(&mut out, t);
        }
        if let Some(n) = self.expires_in {
            key(&mut out, "expires_in");
            n.write(&mut out);
        }
        if let Some(n) = self.expires_at {
            key(&mut out, "expires_at");
            n.write(&mut out);
        }
        if let Some(t) = &self.refresh_token {
            key(&mut out, "refresh_token");
            write_str(&mut out, t);
        }
        if let Some(t) = &self.id_token {
            key(&mut out, "id_token");
            write_str(&mut out, t);
        }
        for (name, value) in self.extra.iter().flat_map(|m| m.iter()) {
            if !value.is_null() {
                key(&mut out, name);
                write_value(&mut out, value);
            }
        }
        out.push('}');
        out
    }

    /// Reads what `to_json` (ours or Flet's) wrote.
    pub fn from_json(data: &str) -> Result<TokenData> {
        let bad = |why: &str| Error::Configuration(format!("saved token is not valid: {why}"));
        let Value::Object(mut map) =
            serde_json::from_str(data).map_err(|e| bad(&format!("not JSON ({e})")))?
        else {
            return Err(bad("not a JSON object"));
        };
        let mut take_str = |name: &str| -> Result<Option<String>> {
            match map.remove(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(bad(&format!("{name} is not a string"))),
            }
        };
        let access_token = take_str("access_token")?.ok_or_else(|| bad("no access_token"))?;
        let token_type = take_str("token_type")?;
        let refresh_token = take_str("refresh_token")?;
        let id_token = take_str("id_token")?;
        let scope = match map.remove("scope") {
            None | Some(Value::Null) => None,
            Some(v) => Some(scope_list(&v).ok_or_else(|| bad("scope is not a list of strings"))?),
        };
        let mut take_number = |name: &str| -> Result<Option<Number>> {
            match map.remove(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s == "inf" => Ok(Some(Number::Float(f64::INFINITY))),
                Some(v) => Number::from_json(&v)
                    .map(Some)
                    .ok_or_else(|| bad(&format!("{name} is not a number"))),
            }
        };
        let expires_in = take_number("expires_in")?;
        let expires_at = take_number("expires_at")?;
        Ok(TokenData {
            access_token,
            scope,
            token_type,
            expires_in,
            expires_at,
            refresh_token,
            id_token,
            extra: (!map.is_empty()).then(|| Box::new(map.into_iter().collect())),
        })
    }

    /// Whether the access token expires within `leeway` seconds and can be refreshed.
    pub fn needs_refresh(&self, leeway: f64) -> bool {
        match (self.expires_at, &self.refresh_token) {
            (Some(at), Some(_)) => now() + leeway >= at.as_f64(),
            _ => false,
        }
    }
}

/// A scope from a response or a saved token: a space-delimited string or a list of strings.
fn scope_list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(s.split_whitespace().map(str::to_owned).collect()),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

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
        status,
    })
}

/// Reads a token endpoint answer: an OAuth error in any status, a non-success status, or a
/// token with `expires_at` computed from `expires_in`.
pub fn parse_token_response(response: &Response) -> Result<TokenData> {
    let map = body_object(response);
    if let Some(err) = map.as_ref().and_then(|m| oauth_error(m, response.status)) {
        return Err(err);
    }
    let invalid = |reason: &str| Error::InvalidResponse {
        status: response.status,
        endpoint: response.endpoint.clone(),
        reason: reason.to_owned(),
    };
    if !response.is_success() {
        return Err(Error::HttpStatus {
            status: response.status,
            endpoint: response.endpoint.clone(),
        });
    }
    let Some(map) = map else {
        return Err(invalid("not a JSON object"));
    };
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
        extra: None,
    })
}

/// OAuth token, as Flet's `flet.auth.OAuthToken`: same constructor, attributes and JSON.
#[pyclass(frozen, module = "flet_auth", name = "OAuthToken")]
pub struct OAuthToken {
    pub cell: TokenCell,
}

impl OAuthToken {
    pub fn new_shared(cell: TokenCell) -> Self {
        OAuthToken { cell }
    }

    fn data(&self) -> MutexGuard<'_, TokenData> {
        lock(&self.cell)
    }
}

#[pymethods]
impl OAuthToken {
    #[new]
    #[pyo3(signature = (access_token, scope=None, token_type=None, expires_in=None, expires_at=None, refresh_token=None, id_token=None))]
    fn py_new(
        access_token: String,
        scope: Option<Vec<String>>,
        token_type: Option<String>,
        expires_in: Option<Number>,
        expires_at: Option<Number>,
        refresh_token: Option<String>,
        id_token: Option<String>,
    ) -> Self {
        OAuthToken::new_shared(Arc::new(Mutex::new(TokenData {
            access_token,
            scope,
            token_type,
            expires_in,
            expires_at,
            refresh_token,
            id_token,
            extra: None,
        })))
    }

    /// Compact JSON with the `None` fields left out, as Flet writes it.
    fn to_json(&self) -> String {
        self.data().to_json()
    }

    /// Reads JSON written by `to_json` (ours or Flet's).
    #[staticmethod]
    fn from_json(data: &Bound<'_, PyAny>) -> PyResult<OAuthToken> {
        let text = if data.is_instance_of::<PyString>() {
            data.extract::<String>()?
        } else if let Ok(b) = data.extract::<Vec<u8>>() {
            String::from_utf8(b)
                .map_err(|_| Error::Configuration("saved token is not UTF-8".into()))?
        } else {
            return Err(PyTypeError::new_err("from_json() takes a str"));
        };
        Ok(OAuthToken::new_shared(Arc::new(Mutex::new(
            TokenData::from_json(&text)?,
        ))))
    }

    #[getter]
    fn get_access_token(&self) -> String {
        self.data().access_token.clone()
    }
    #[setter]
    fn set_access_token(&self, value: String) {
        self.data().access_token = value;
    }
    #[getter]
    fn get_scope(&self) -> Option<Vec<String>> {
        self.data().scope.clone()
    }
    #[setter]
    fn set_scope(&self, value: Option<Vec<String>>) {
        self.data().scope = value;
    }
    #[getter]
    fn get_token_type(&self) -> Option<String> {
        self.data().token_type.clone()
    }
    #[setter]
    fn set_token_type(&self, value: Option<String>) {
        self.data().token_type = value;
    }
    #[getter]
    fn get_expires_in(&self) -> Option<Number> {
        self.data().expires_in
    }
    #[setter]
    fn set_expires_in(&self, value: Option<Number>) {
        self.data().expires_in = value;
    }
    #[getter]
    fn get_expires_at(&self) -> Option<Number> {
        self.data().expires_at
    }
    #[setter]
    fn set_expires_at(&self, value: Option<Number>) {
        self.data().expires_at = value;
    }
    #[getter]
    fn get_refresh_token(&self) -> Option<String> {
        self.data().refresh_token.clone()
    }
    #[setter]
    fn set_refresh_token(&self, value: Option<String>) {
        self.data().refresh_token = value;
    }
    #[getter]
    fn get_id_token(&self) -> Option<String> {
        self.data().id_token.clone()
    }
    #[setter]
    fn set_id_token(&self, value: Option<String>) {
        self.data().id_token = value;
    }

    fn __repr__(&self) -> String {
        let d = self.data();
        let hidden = |v: &Option<String>| if v.is_some() { "'***'" } else { "None" };
        format!(
            "OAuthToken(access_token='***', scope={:?}, token_type={:?}, expires_in={}, expires_at={}, refresh_token={}, id_token={})",
            d.scope.clone().unwrap_or_default(),
            d.token_type.clone().unwrap_or_default(),
            d.expires_in.map(|n| n.as_f64().to_string()).unwrap_or("None".into()),
            d.expires_at.map(|n| py_float_repr(n.as_f64())).unwrap_or("None".into()),
            hidden(&d.refresh_token),
            hidden(&d.id_token),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn response(status: u16, content_type: &str, body: &str) -> Response {
        Response {
            status,
            content_type: content_type.into(),
            body: Bytes::from(body.to_owned()),
            endpoint: "idp.test/token".into(),
        }
    }

    #[test]
    fn json_is_compact_and_skips_none() {
        let t = TokenData {
            access_token: "a".into(),
            scope: Some(vec!["x".into(), "y".into()]),
            token_type: Some("Bearer".into()),
            expires_in: Some(Number::Int(3600)),
            expires_at: Some(Number::Float(1700000000.25)),
            ..Default::default()
        };
        assert_eq!(
            t.to_json(),
            r#"{"access_token":"a","scope":["x","y"],"token_type":"Bearer","expires_in":3600,"expires_at":1700000000.25}"#
        );
        assert_eq!(TokenData::from_json(&t.to_json()).ok(), Some(t));
    }

    #[test]
    fn unknown_saved_fields_survive_a_round_trip() {
        let saved = r#"{"access_token":"a","expires_at":17,"custom":{"k":[1,2.5]}}"#;
        let t = TokenData::from_json(saved).ok();
        assert_eq!(t.map(|t| t.to_json()).as_deref(), Some(saved));
    }

    #[test]
    fn saved_token_without_access_token_is_refused() {
        assert!(TokenData::from_json(r#"{"scope":[]}"#).is_err());
        assert!(TokenData::from_json("[]").is_err());
        assert!(TokenData::from_json("{").is_err());
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
                assert_eq!(status, 200);
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
