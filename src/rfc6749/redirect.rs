//! The authorization response (RFC 6749 §4.1.2): the redirect's query carries the code and
//! the `state`, or the provider's error (§4.1.2.1), and the issuer's `iss` (RFC 9207).

use std::collections::HashMap;

use crate::errors::{Error, Result};

/// What a successful redirect carries.
#[derive(Debug, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub code: String,
    pub state: Option<String>,
    /// RFC 9207 §2: as sent, empty included (an empty `iss` is a wrong one).
    pub iss: Option<String>,
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
        iss: query.get("iss").cloned(),
    })
}

/// RFC 9207 §2.4: an `iss` must be `issuer`, compared as strings; a provider that announces
/// the parameter (`authorization_response_iss_parameter_supported`) must send it. With no
/// known issuer an `iss` cannot be compared and is let through: §2.4 leaves responses with an
/// unannounced `iss` to local policy, and providers send it unannounced.
pub fn check_issuer(iss: Option<&str>, issuer: Option<&str>, announced: bool) -> Result<()> {
    match (iss, issuer) {
        (Some(iss), Some(issuer)) if iss == issuer => Ok(()),
        (Some(_), Some(issuer)) => Err(Error::IssuerMismatch(format!(
            "the redirect's iss is not the provider's issuer {issuer}: it may come from \
             another provider (mix-up, RFC 9207); start a new login"
        ))),
        (None, _) if announced => Err(Error::IssuerMismatch(
            "the redirect carries no iss, though the provider announces it (RFC 9207); \
             start a new login"
                .into(),
        )),
        _ => Ok(()),
    }
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
                state: Some("s".into()),
                iss: None,
            })
        );
    }

    const ISSUER: &str = "https://idp.example";

    #[test]
    fn the_issuer_itself_is_accepted_announced_or_not() {
        for announced in [true, false] {
            assert!(check_issuer(Some(ISSUER), Some(ISSUER), announced).is_ok());
        }
    }

    #[test]
    fn another_iss_is_refused_announced_or_not() {
        for announced in [true, false] {
            for iss in [
                "https://attacker.example",
                "https://idp.example/",
                "",
                "HTTPS://idp.example",
            ] {
                assert!(
                    matches!(
                        check_issuer(Some(iss), Some(ISSUER), announced),
                        Err(Error::IssuerMismatch(_))
                    ),
                    "{iss:?} (announced: {announced})"
                );
            }
        }
    }

    #[test]
    fn a_missing_iss_is_refused_only_when_announced() {
        assert!(matches!(
            check_issuer(None, Some(ISSUER), true),
            Err(Error::IssuerMismatch(_))
        ));
        assert!(check_issuer(None, Some(ISSUER), false).is_ok());
    }

    #[test]
    fn an_iss_without_a_known_issuer_is_let_through() {
        assert!(check_issuer(Some("https://anyone.example"), None, false).is_ok());
    }

    #[test]
    fn the_wrong_iss_is_not_in_the_message() {
        let got = check_issuer(Some("https://attacker.example"), Some(ISSUER), true);
        let message = got.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains(ISSUER) && !message.contains("attacker"));
    }

    #[test]
    fn the_redirect_s_iss_is_kept_as_sent() {
        let got = authorization_response(&query(&[("code", "c"), ("iss", "")]));
        assert_eq!(got.ok().and_then(|r| r.iss).as_deref(), Some(""));
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
