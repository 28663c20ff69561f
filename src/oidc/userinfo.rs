//! The UserInfo response (OpenID Connect Core §5.3.2): merged over the ID token's claims, for
//! the same subject only.

use serde_json::{Map, Value};

use crate::errors::{Error, Result};

/// The ID token's claims (when there are any) with the userinfo answer's on top; the answer
/// must be a JSON object for the ID token's `sub` (§5.3.4).
pub fn merge(
    id_claims: Option<Map<String, Value>>,
    info: Value,
    endpoint: &str,
) -> Result<Map<String, Value>> {
    let Value::Object(info) = info else {
        return Err(Error::InvalidResponse {
            status: Some(200),
            endpoint: endpoint.to_owned(),
            reason: "the userinfo answer is not a JSON object".into(),
        });
    };
    if let Some(known) = &id_claims {
        if known.get("sub") != info.get("sub") {
            return Err(Error::IdToken(
                "userinfo is for another subject than the ID token".into(),
            ));
        }
    }
    let mut merged = id_claims.unwrap_or_default();
    merged.extend(info);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Option<Map<String, Value>> {
        v.as_object().cloned()
    }

    #[test]
    fn userinfo_for_another_subject_is_refused() {
        let got = merge(
            claims(json!({"sub": "a"})),
            json!({"sub": "b"}),
            "idp/userinfo",
        );
        assert!(matches!(got, Err(Error::IdToken(_))));
    }

    #[test]
    fn userinfo_that_is_not_an_object_is_an_invalid_response() {
        let got = merge(None, json!(["x"]), "idp/userinfo");
        assert!(matches!(got, Err(Error::InvalidResponse { .. })));
    }

    #[test]
    fn userinfo_claims_go_over_the_id_tokens() {
        let got = merge(
            claims(json!({"sub": "a", "name": "old", "iss": "i"})),
            json!({"sub": "a", "name": "new"}),
            "idp/userinfo",
        );
        let got = got.unwrap_or_default();
        assert_eq!(got["name"], "new");
        assert_eq!(got["iss"], "i");
    }
}
