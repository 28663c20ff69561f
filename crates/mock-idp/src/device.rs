//! The device authorization grant (RFC 8628) as the provider keeps it: the device codes it
//! issued with their user codes, the user's decision, and the polls (§3.5: too early a poll
//! is answered `slow_down`, and the interval grows 5 s).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use flet_auth_primitives::{random, time};

use crate::grants::Grant;

/// `grant_type` of the device access token request (§3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// What `slow_down` adds to a device code's interval (§3.5).
pub const SLOW_DOWN: Duration = Duration::from_secs(5);
/// The characters of user codes: consonants only, so no word is spelled (§6.1).
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// What the user did with a user code.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Pending,
    Approved { username: String, auth_time: i64 },
    Denied,
}

/// A device code the provider issued (§3.2).
pub struct DeviceCode {
    pub client_id: String,
    pub scope: String,
    pub user_code: String,
    pub expires: Instant,
    /// The interval the client must keep between polls; `slow_down` lengthens it.
    pub interval: Duration,
    pub decision: Decision,
    last_poll: Option<Instant>,
}

/// What a poll of the token endpoint gets (§3.5).
#[derive(Debug)]
pub enum DevicePoll {
    Approved(Grant),
    Pending,
    SlowDown,
    Denied,
    Expired,
    /// Unknown, already used, or issued to another client.
    Unknown,
}

/// The device codes that were issued and not used yet.
#[derive(Default)]
pub struct DeviceCodes {
    codes: HashMap<String, DeviceCode>,
}

/// A user code such as `BDFG-HJKL`: 8 characters of 20, about 34 bits (§6.1).
fn user_code() -> String {
    let bytes = random::bytes::<8>();
    let mut code = String::with_capacity(9);
    for (i, b) in bytes.iter().enumerate() {
        if i == 4 {
            code.push('-');
        }
        code.push(char::from(USER_CODE_ALPHABET[usize::from(*b) % 20]));
    }
    code
}

impl DeviceCodes {
    /// Issues a device code and a user code for `client_id`; returns `(device_code, user_code)`.
    pub fn issue(
        &mut self,
        client_id: String,
        scope: String,
        ttl: Duration,
        interval: Duration,
    ) -> (String, String) {
        let device_code = random::url_safe(24);
        let user_code = user_code();
        let code = DeviceCode {
            client_id,
            scope,
            user_code: user_code.clone(),
            expires: Instant::now() + ttl,
            interval,
            decision: Decision::Pending,
            last_poll: None,
        };
        self.codes.insert(device_code.clone(), code);
        (device_code, user_code)
    }

    /// Records the user's decision for a user code that waits for one; false when none does.
    pub fn decide(&mut self, user_code: &str, decision: Decision) -> bool {
        let now = Instant::now();
        let waiting = self.codes.values_mut().find(|c| {
            c.user_code == user_code && c.decision == Decision::Pending && c.expires > now
        });
        match waiting {
            Some(code) => {
                code.decision = decision;
                true
            }
            None => false,
        }
    }

    /// A poll with `device_code` by `client_id`; `slow_down` (a queued fault, asked only for a
    /// valid code) answers `slow_down` whatever the timing.
    pub fn poll(
        &mut self,
        device_code: &str,
        client_id: &str,
        slow_down: impl FnOnce() -> bool,
    ) -> DevicePoll {
        let now = Instant::now();
        let Some(code) = self.codes.get_mut(device_code) else {
            return DevicePoll::Unknown;
        };
        if code.client_id != client_id {
            return DevicePoll::Unknown;
        }
        if now >= code.expires {
            self.codes.remove(device_code);
            return DevicePoll::Expired;
        }
        let too_soon = code
            .last_poll
            .is_some_and(|last| now.duration_since(last) < code.interval);
        code.last_poll = Some(now);
        if too_soon || slow_down() {
            code.interval += SLOW_DOWN;
            return DevicePoll::SlowDown;
        }
        match code.decision.clone() {
            Decision::Pending => DevicePoll::Pending,
            Decision::Denied => {
                self.codes.remove(device_code);
                DevicePoll::Denied
            }
            Decision::Approved {
                username,
                auth_time,
            } => {
                let code = self.codes.remove(device_code);
                let scope = code.map(|c| c.scope).unwrap_or_default();
                DevicePoll::Approved(Grant {
                    grant_id: random::url_safe(16),
                    client_id: client_id.to_owned(),
                    username,
                    scope,
                    auth_time,
                    dpop_jkt: None,
                })
            }
        }
    }
}

/// The decision of a user who approves now.
pub fn approved_by(username: &str) -> Decision {
    Decision::Approved {
        username: username.to_owned(),
        auth_time: time::now_secs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(60);

    #[test]
    fn user_codes_are_two_groups_of_four_consonants() {
        let code = user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert!(code
            .bytes()
            .filter(|b| *b != b'-')
            .all(|b| USER_CODE_ALPHABET.contains(&b)));
    }

    #[test]
    fn a_code_is_pending_until_approved_then_used_once() {
        let mut codes = DeviceCodes::default();
        let (device, user) = codes.issue("c".into(), "openid".into(), LONG, Duration::ZERO);
        assert!(matches!(
            codes.poll(&device, "c", || false),
            DevicePoll::Pending
        ));
        assert!(codes.decide(&user, approved_by("alice")));
        assert!(!codes.decide(&user, Decision::Denied), "already decided");
        let DevicePoll::Approved(grant) = codes.poll(&device, "c", || false) else {
            panic!("expected a grant");
        };
        assert_eq!(
            (grant.username.as_str(), grant.scope.as_str()),
            ("alice", "openid")
        );
        assert!(matches!(
            codes.poll(&device, "c", || false),
            DevicePoll::Unknown
        ));
    }

    #[test]
    fn another_clients_poll_is_unknown() {
        let mut codes = DeviceCodes::default();
        let (device, _) = codes.issue("c".into(), String::new(), LONG, Duration::ZERO);
        assert!(matches!(
            codes.poll(&device, "other", || false),
            DevicePoll::Unknown
        ));
    }

    #[test]
    fn a_poll_sooner_than_the_interval_slows_the_client_down() {
        let mut codes = DeviceCodes::default();
        let (device, _) = codes.issue("c".into(), String::new(), LONG, LONG);
        assert!(matches!(
            codes.poll(&device, "c", || false),
            DevicePoll::Pending
        ));
        assert!(matches!(
            codes.poll(&device, "c", || false),
            DevicePoll::SlowDown
        ));
        assert_eq!(codes.codes[&device].interval, LONG + SLOW_DOWN);
    }

    #[test]
    fn an_expired_code_is_expired_token() {
        let mut codes = DeviceCodes::default();
        let (device, user) = codes.issue("c".into(), String::new(), Duration::ZERO, Duration::ZERO);
        assert!(!codes.decide(&user, approved_by("alice")));
        assert!(matches!(
            codes.poll(&device, "c", || false),
            DevicePoll::Expired
        ));
    }
}
