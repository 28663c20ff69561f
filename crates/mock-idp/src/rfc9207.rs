//! The `iss` of authorization responses (RFC 9207 §2), and the wrong ones a test can queue.

use std::str::FromStr;

use crate::error::MockError;

/// The `iss` of another provider, as a mix-up attacker's redirect would carry it.
pub const WRONG_ISSUER: &str = "https://attacker.invalid";

/// A way to spoil the `iss` of the next authorization response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssForgery {
    /// Another provider's issuer.
    Wrong,
    /// No `iss`.
    Missing,
}

impl IssForgery {
    pub const ALL: [IssForgery; 2] = [IssForgery::Wrong, IssForgery::Missing];

    /// The name `forge_iss()` takes.
    pub fn name(self) -> &'static str {
        match self {
            IssForgery::Wrong => "wrong",
            IssForgery::Missing => "missing",
        }
    }
}

impl FromStr for IssForgery {
    type Err = MockError;

    fn from_str(name: &str) -> Result<IssForgery, MockError> {
        let found = IssForgery::ALL.into_iter().find(|f| f.name() == name);
        found.ok_or_else(|| {
            MockError::Configuration(format!(
                "unknown iss forgery {name:?}; one of {}",
                IssForgery::ALL.map(IssForgery::name).join(", ")
            ))
        })
    }
}

/// The `iss` an authorization response carries: the issuer when the provider supports the
/// parameter, unless `forgery` spoils it (a wrong one is sent even when it does not).
pub fn response_iss(issuer: &str, supported: bool, forgery: Option<IssForgery>) -> Option<String> {
    match forgery {
        Some(IssForgery::Wrong) => Some(WRONG_ISSUER.to_owned()),
        Some(IssForgery::Missing) => None,
        None => supported.then(|| issuer.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_from_its_name_and_others_are_refused() {
        for kind in IssForgery::ALL {
            assert_eq!(kind.name().parse::<IssForgery>().ok(), Some(kind));
        }
        assert!("right".parse::<IssForgery>().is_err());
    }

    #[test]
    fn the_issuer_is_sent_only_when_supported_and_not_forged() {
        let issuer = "http://127.0.0.1:9";
        assert_eq!(response_iss(issuer, true, None).as_deref(), Some(issuer));
        assert_eq!(response_iss(issuer, false, None), None);
        assert_eq!(response_iss(issuer, true, Some(IssForgery::Missing)), None);
        let wrong = response_iss(issuer, false, Some(IssForgery::Wrong));
        assert_eq!(wrong.as_deref(), Some(WRONG_ISSUER));
    }
}
