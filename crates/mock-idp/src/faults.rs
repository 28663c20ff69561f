//! Fault injection: the endpoints a test can break, and the wrong answers it queues for them.

use std::str::FromStr;
use std::time::Duration;

use crate::error::MockError;

/// An endpoint of the provider, as faults and request counts name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Authorize,
    Token,
    Userinfo,
    /// GitHub's `/user`.
    User,
    /// GitHub's `/user/emails`.
    UserEmails,
    /// GitHub's `/user/teams`.
    UserTeams,
    Revoke,
    EndSession,
    Discovery,
    Jwks,
    /// RFC 8628's device authorization endpoint.
    DeviceAuthorization,
    /// RFC 9126's pushed authorization request endpoint.
    PushedAuthorizationRequest,
}

impl Endpoint {
    pub const ALL: [Endpoint; 12] = [
        Endpoint::Authorize,
        Endpoint::Token,
        Endpoint::Userinfo,
        Endpoint::User,
        Endpoint::UserEmails,
        Endpoint::UserTeams,
        Endpoint::Revoke,
        Endpoint::EndSession,
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::DeviceAuthorization,
        Endpoint::PushedAuthorizationRequest,
    ];

    /// The name `fail()` takes and `counts()` uses.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Authorize => "authorize",
            Endpoint::Token => "token",
            Endpoint::Userinfo => "userinfo",
            Endpoint::User => "user",
            Endpoint::UserEmails => "user_emails",
            Endpoint::UserTeams => "user_teams",
            Endpoint::Revoke => "revoke",
            Endpoint::EndSession => "end_session",
            Endpoint::Discovery => "discovery",
            Endpoint::Jwks => "jwks",
            Endpoint::DeviceAuthorization => "device_authorization",
            Endpoint::PushedAuthorizationRequest => "par",
        }
    }
}

impl FromStr for Endpoint {
    type Err = MockError;

    fn from_str(name: &str) -> Result<Endpoint, MockError> {
        let found = Endpoint::ALL.into_iter().find(|e| e.name() == name);
        found.ok_or_else(|| {
            MockError::Configuration(format!(
                "unknown endpoint {name:?}; one of {}",
                Endpoint::ALL.map(Endpoint::name).join(", ")
            ))
        })
    }
}

/// One answer to give instead of the normal one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fault {
    pub status: Option<u16>,
    pub body: Option<String>,
    pub content_type: Option<String>,
    /// Wait this long first; alone, it slows the normal answer down.
    pub delay: Option<Duration>,
    /// Send part of an answer, then close the connection.
    pub close: bool,
}

impl Fault {
    /// A fault from what a test gives: `delay` in seconds (finite, >= 0); with nothing else
    /// given, the answer is HTTP 500.
    pub fn new(
        status: Option<u16>,
        body: Option<String>,
        content_type: Option<String>,
        delay: Option<f64>,
        close: bool,
    ) -> Result<Fault, MockError> {
        let delay = match delay {
            Some(d) if d >= 0.0 => Some(Duration::try_from_secs_f64(d).map_err(|_| {
                MockError::Configuration("delay is too large a number of seconds".into())
            })?),
            Some(_) => {
                return Err(MockError::Configuration(
                    "delay must be >= 0 seconds".into(),
                ))
            }
            None => None,
        };
        let status = match (status, delay, close) {
            (None, None, false) => Some(500),
            (status, _, _) => status,
        };
        Ok(Fault {
            status,
            body,
            content_type,
            delay,
            close,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_parses_from_its_name_and_others_are_refused() {
        for endpoint in Endpoint::ALL {
            assert_eq!(endpoint.name().parse::<Endpoint>().ok(), Some(endpoint));
        }
        let unknown = "nowhere".parse::<Endpoint>();
        assert!(matches!(unknown, Err(MockError::Configuration(m)) if m.contains("end_session")));
    }

    #[test]
    fn a_fault_of_nothing_is_a_500_and_a_delay_alone_keeps_the_answer() -> Result<(), MockError> {
        assert_eq!(Fault::new(None, None, None, None, false)?.status, Some(500));
        let slow = Fault::new(None, None, None, Some(0.5), false)?;
        assert_eq!(
            (slow.status, slow.delay),
            (None, Some(Duration::from_millis(500)))
        );
        assert_eq!(Fault::new(None, None, None, None, true)?.status, None);
        Ok(())
    }

    #[test]
    fn negative_and_infinite_delays_are_refused() {
        for delay in [-1.0, f64::INFINITY, f64::NAN] {
            assert!(Fault::new(None, None, None, Some(delay), false).is_err());
        }
    }
}
