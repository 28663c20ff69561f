//! A token's data (RFC 6749 §5.1, with Flet's field names) and its JSON, byte for byte what
//! Flet's `OAuthToken.to_json()` writes.
//!
//! A token's data lives in a cell shared by the service and the `OAuthToken` objects it hands
//! out, as in Flet: an app that edits the current token (say `expires_at`, to force a refresh)
//! edits the service's token. A refresh puts its token in a new cell, so a token the app
//! already holds never changes under it: its attributes always belong to one token.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};

use crate::errors::{Error, Result};
use crate::python_json::{py_float_repr, write_str, write_value};
use crate::rfc9449::DpopKey;

/// The member of a DPoP-bound token's JSON that holds its private key (RFC 9449): a token
/// restored elsewhere needs it to prove possession.
const DPOP_JWK: &str = "dpop_jwk";

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

    pub fn from_json(value: &Value) -> Option<Number> {
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
    /// The key a DPoP-bound token (`token_type` DPoP) is bound to (RFC 9449 §5).
    pub dpop_key: Option<Arc<DpopKey>>,
    /// Fields of a saved token that this version does not know; written back unchanged.
    /// Boxed: almost every token has none, and an empty map still takes room.
    pub extra: Option<Box<Map<String, Value>>>,
}

pub type TokenCell = Arc<Mutex<TokenData>>;

pub fn lock(cell: &Mutex<TokenData>) -> MutexGuard<'_, TokenData> {
    cell.lock().unwrap_or_else(PoisonError::into_inner)
}

pub use flet_auth_primitives::time::now_secs_f64 as now;

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
        if let Some(dpop_key) = &self.dpop_key {
            key(&mut out, DPOP_JWK);
            write_value(&mut out, &Value::Object(dpop_key.private_jwk()));
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
        let dpop_key = match map.remove(DPOP_JWK) {
            None | Some(Value::Null) => None,
            Some(Value::Object(jwk)) => Some(Arc::new(
                DpopKey::from_jwk(&jwk).map_err(|_| bad("dpop_jwk is not a private P-256 JWK"))?,
            )),
            Some(_) => return Err(bad("dpop_jwk is not a JWK")),
        };
        Ok(TokenData {
            access_token,
            scope,
            token_type,
            expires_in,
            expires_at,
            refresh_token,
            id_token,
            dpop_key,
            extra: (!map.is_empty()).then(|| Box::new(map.into_iter().collect())),
        })
    }

    /// Whether the access token expires within `leeway` seconds and can be refreshed.
    pub fn needs_refresh(&self, leeway: f64) -> bool {
        self.refresh_token.is_some() && self.expires_within(leeway)
    }

    /// Whether the token expires within `leeway` seconds (never, without `expires_at`).
    pub fn expires_within(&self, leeway: f64) -> bool {
        self.expires_at
            .is_some_and(|at| now() + leeway >= at.as_f64())
    }

    /// Whether the token can still be used: it has not expired, or it can be refreshed.
    pub fn is_usable(&self) -> bool {
        match self.expires_at {
            Some(at) => self.refresh_token.is_some() || now() < at.as_f64(),
            None => true,
        }
    }
}

/// A scope from a response or a saved token: a space-delimited string or a list of strings.
pub fn scope_list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(s.split_whitespace().map(str::to_owned).collect()),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_token_needs_refresh_within_the_leeway_only_when_it_can_be_refreshed() {
        let soon = TokenData {
            access_token: "a".into(),
            expires_at: Some(Number::Float(now() + 30.0)),
            refresh_token: Some("r".into()),
            ..Default::default()
        };
        assert!(soon.needs_refresh(60.0));
        assert!(!soon.needs_refresh(10.0));
        let no_refresh = TokenData {
            refresh_token: None,
            ..soon.clone()
        };
        assert!(!no_refresh.needs_refresh(60.0));
    }

    #[test]
    fn an_expired_token_is_usable_only_when_it_can_be_refreshed() {
        let expired = TokenData {
            access_token: "a".into(),
            expires_at: Some(Number::Float(now() - 1.0)),
            ..Default::default()
        };
        assert!(!expired.is_usable());
        let refreshable = TokenData {
            refresh_token: Some("r".into()),
            ..expired.clone()
        };
        assert!(refreshable.is_usable());
        let forever = TokenData {
            expires_at: None,
            ..expired
        };
        assert!(forever.is_usable());
    }
}
