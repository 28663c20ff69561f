//! The device authorization grant (RFC 8628): the device authorization request (§3.1) and
//! response (§3.2), then the device access token request (§3.4), polled at `interval` until
//! the user decides (§3.5).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Map, Value};

use crate::errors::{Error, Result};
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::response::success_object;
use crate::rfc6749::token::TokenData;
use crate::rfc6749::token_request;
use crate::rfc9449::Prover;
use crate::transport::{display, request, Response};

/// `grant_type` of the device access token request (§3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The polling interval when the provider gives none (§3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// What `slow_down` adds to the interval (§3.5).
pub const SLOW_DOWN: Duration = Duration::from_secs(5);

/// The device authorization response (§3.2). `device_code` never leaves the engine.
pub struct DeviceAuthorization {
    device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    /// The lifetime of the codes, in seconds.
    pub expires_in: u64,
    /// The current polling interval in milliseconds: `slow_down` makes it longer.
    interval_ms: AtomicU64,
    received: Instant,
}

impl DeviceAuthorization {
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms.load(Ordering::Relaxed))
    }

    fn slow_down(&self) {
        let ms = u64::try_from(SLOW_DOWN.as_millis()).unwrap_or(u64::MAX);
        self.interval_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// When the codes expire.
    fn deadline(&self) -> Instant {
        self.received + Duration::from_secs(self.expires_in)
    }
}

/// §3.1: POSTs the client's identity (authenticated as at the token endpoint) and `scope`.
pub async fn device_authorization_request(
    p: &ProviderConfig,
    scope: &[String],
) -> Result<DeviceAuthorization> {
    let url = p.device_authorization_endpoint.as_ref().ok_or_else(|| {
        Error::Configuration(
            "the provider has no device_authorization_endpoint: set \
             device_authorization_endpoint= on the provider"
                .into(),
        )
    })?;
    let mut form = Vec::new();
    if !scope.is_empty() {
        form.push(("scope", scope.join(" ")));
    }
    let builder = request::request(Method::POST, url, p.timeout)?;
    // OpenID Connect Core §9: the assertion's audience is the token endpoint.
    let builder = p
        .client
        .apply(builder, &mut form, p.token_endpoint.as_str())?;
    let response = request::send(builder.form(&form), url, p.max_response_size).await?;
    let device = parse_device_authorization_response(&response)?;
    log::info!(target: "flet_auth", "device login started at {}", display(url));
    Ok(device)
}

/// Reads §3.2's answer (or §3.2's error, an RFC 6749 §5.2 body, in any status).
pub fn parse_device_authorization_response(response: &Response) -> Result<DeviceAuthorization> {
    let map = success_object(response)?;
    let invalid =
        |reason: &str| Error::invalid_response(response.status, &response.endpoint, reason);
    let text = |name: &str| -> Result<Option<String>> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(invalid(&format!("{name} is not a string"))),
        }
    };
    let required = |name: &str| text(name)?.ok_or_else(|| invalid(&format!("no {name}")));
    // Google's endpoint says `verification_url`, as drafts of the RFC did.
    let verification_uri = match text("verification_uri")? {
        Some(uri) => uri,
        None => text("verification_url")?.ok_or_else(|| invalid("no verification_uri"))?,
    };
    let expires_in = seconds(&map, "expires_in")
        .ok_or_else(|| invalid("expires_in is not a number"))?
        .ok_or_else(|| invalid("no expires_in"))?;
    let interval = match seconds(&map, "interval") {
        None => return Err(invalid("interval is not a number")),
        // At most an hour: a broken provider's huge interval would hang the wait.
        Some(Some(s)) if s > 0.0 => Duration::from_secs_f64(s.min(3600.0)),
        Some(_) => DEFAULT_INTERVAL,
    };
    Ok(DeviceAuthorization {
        device_code: required("device_code")?,
        user_code: required("user_code")?,
        verification_uri,
        verification_uri_complete: text("verification_uri_complete")?,
        expires_in: expires_in.max(0.0) as u64,
        interval_ms: AtomicU64::new(u64::try_from(interval.as_millis()).unwrap_or(u64::MAX)),
        received: Instant::now(),
    })
}

/// A number of seconds (or a string of one): `Some(None)` when absent, `None` when not a number.
fn seconds(map: &Map<String, Value>, name: &str) -> Option<Option<f64>> {
    match map.get(name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()).map(Some),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some),
        Some(_) => None,
    }
}

/// What one poll of the token endpoint tells (§3.5).
pub enum Poll {
    Token(TokenData),
    /// `authorization_pending`: ask again after the interval.
    Pending,
    /// `slow_down`: ask again after an interval 5 s longer.
    SlowDown,
}

/// Sorts a token endpoint answer: the token, one of the two "keep waiting" errors, or the end
/// (`access_denied`, `expired_token`, any other failure).
pub fn poll_answer(answer: Result<TokenData>) -> Result<Poll> {
    match answer {
        Ok(token) => Ok(Poll::Token(token)),
        Err(Error::OAuth { error, .. }) if error == "authorization_pending" => Ok(Poll::Pending),
        Err(Error::OAuth { error, .. }) if error == "slow_down" => Ok(Poll::SlowDown),
        Err(e) => Err(e),
    }
}

/// §3.4: polls the token endpoint at the interval until the user approves (the token), denies
/// (`access_denied`) or the codes expire (`expired_token`, from the provider or, when the next
/// poll would come after `expires_in`, from here). Dropping the future stops the polling.
pub async fn poll(
    p: &ProviderConfig,
    device: &DeviceAuthorization,
    dpop: Option<Prover<'_>>,
) -> Result<TokenData> {
    loop {
        let interval = device.interval();
        if Instant::now() + interval > device.deadline() {
            return Err(Error::OAuth {
                error: "expired_token".into(),
                description: Some(format!(
                    "the user did not approve the device login within expires_in ({} s)",
                    device.expires_in
                )),
                uri: None,
                status: None,
            });
        }
        tokio::time::sleep(interval).await;
        let form = vec![
            ("grant_type", DEVICE_CODE_GRANT.to_owned()),
            ("device_code", device.device_code.clone()),
        ];
        match poll_answer(token_request::post(p, form, dpop).await)? {
            Poll::Token(token) => return Ok(token),
            Poll::Pending => {}
            Poll::SlowDown => device.slow_down(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            content_type: "application/json".into(),
            headers: Default::default(),
            body: Bytes::from(body.to_owned()),
            endpoint: "idp.test/device".into(),
        }
    }

    #[test]
    fn the_interval_defaults_to_five_seconds() {
        let r = response(
            200,
            r#"{"device_code":"d","user_code":"U","verification_uri":"https://idp.test/device","expires_in":600}"#,
        );
        let device = parse_device_authorization_response(&r).expect("a device authorization");
        assert_eq!(device.interval(), DEFAULT_INTERVAL);
        assert_eq!(device.expires_in, 600);
        assert_eq!(device.verification_uri_complete, None);
    }

    #[test]
    fn slow_down_adds_five_seconds_to_the_interval() {
        let r = response(
            200,
            r#"{"device_code":"d","user_code":"U","verification_url":"https://idp.test/device","expires_in":"600","interval":2}"#,
        );
        let device = parse_device_authorization_response(&r).expect("a device authorization");
        assert_eq!(device.verification_uri, "https://idp.test/device");
        device.slow_down();
        assert_eq!(device.interval(), Duration::from_secs(7));
    }

    #[test]
    fn unusable_answers_are_typed() {
        let cases = [
            (400, r#"{"error":"invalid_client"}"#, "OAuth"),
            (500, "oops", "HttpStatus"),
            (
                200,
                r#"{"user_code":"U","verification_uri":"v","expires_in":1}"#,
                "InvalidResponse",
            ),
            (
                200,
                r#"{"device_code":"d","user_code":"U","verification_uri":"v"}"#,
                "InvalidResponse",
            ),
            (
                200,
                r#"{"device_code":"d","user_code":"U","verification_uri":"v","expires_in":1,"interval":"soon"}"#,
                "InvalidResponse",
            ),
        ];
        for (status, body, kind) in cases {
            let name = match parse_device_authorization_response(&response(status, body)) {
                Err(Error::OAuth { .. }) => "OAuth",
                Err(Error::HttpStatus { .. }) => "HttpStatus",
                Err(Error::InvalidResponse { .. }) => "InvalidResponse",
                _ => "other",
            };
            assert_eq!(name, kind, "{body}");
        }
    }

    #[test]
    fn pending_and_slow_down_keep_polling_and_other_errors_end_it() {
        let oauth = |error: &str| {
            Err(Error::OAuth {
                error: error.into(),
                description: None,
                uri: None,
                status: Some(400),
            })
        };
        assert!(matches!(
            poll_answer(oauth("authorization_pending")),
            Ok(Poll::Pending)
        ));
        assert!(matches!(
            poll_answer(oauth("slow_down")),
            Ok(Poll::SlowDown)
        ));
        for end in ["access_denied", "expired_token", "invalid_grant"] {
            assert!(
                matches!(poll_answer(oauth(end)), Err(Error::OAuth { error, .. }) if error == end)
            );
        }
    }
}
