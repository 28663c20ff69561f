//! The authorization response (RFC 6749 §4.1.2): the redirect's query carries the code and
//! the `state`, or the provider's error (§4.1.2.1).

use std::collections::HashMap;

use crate::errors::{Error, Result};

/// What a successful redirect carries.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub code: String,
    pub state: Option<String>,
}

/// Reads a redirect's query: an `error` becomes `Error::OAuth` (without an HTTP status), a
/// redirect without a code an `Error::InvalidResponse`.
pub fn authorization_response(query: &HashMap<String, String>) -> Result<AuthorizationResponse> {
    let text = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
    if let Some(error) = text("error") {
        return Err(Error::OAuth {
            error,
            description: text("error_description"),
            uri: text("error_uri"),
            status: None,
        });
    }
    let code = text("code").ok_or_else(|| Error::InvalidResponse {
        status: None,
        endpoint: "the redirect".into(),
        reason: "it carries no code".into(),
    })?;
    Ok(AuthorizationResponse {
        code,
        state: text("state"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_redirect_with_a_code_gives_the_code_and_state() {
        let got = authorization_response(&query(&[("code", "c"), ("state", "s")]));
        assert_eq!(
            got.ok(),
            Some(AuthorizationResponse {
                code: "c".into(),
                state: Some("s".into())
            })
        );
    }

    #[test]
    fn a_redirect_with_an_error_is_an_oauth_error_without_status() {
        let got = authorization_response(&query(&[
            ("error", "access_denied"),
            ("error_description", "no"),
            ("code", "ignored"),
        ]));
        match got {
            Err(Error::OAuth {
                error,
                description,
                status,
                ..
            }) => {
                assert_eq!(error, "access_denied");
                assert_eq!(description.as_deref(), Some("no"));
                assert_eq!(status, None);
            }
            other => panic!("expected an OAuth error, got {other:?}"),
        }
    }

    #[test]
    fn a_redirect_without_code_or_error_is_an_invalid_response() {
        assert!(matches!(
            authorization_response(&query(&[("state", "s")])),
            Err(Error::InvalidResponse { status: None, .. })
        ));
    }
}
