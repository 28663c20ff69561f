//! Redirects (RFC 9110 §15.4). A request that carries credentials in its body (token,
//! revocation) is never redirected: its form would be sent again wherever the answer points.
//! A GET follows at most [`MAX_REDIRECTS`] hops, each checked as a configured URL is (HTTPS
//! off loopback unless allowed, never from HTTPS down to HTTP), and its bearer token stays
//! with the origin it was meant for.

use reqwest::header::HeaderValue;
use url::Url;

use crate::errors::{Error, Result};
use crate::transport::request::check_url;

/// Hops a GET follows before it gives up.
pub const MAX_REDIRECTS: usize = 5;

/// Whether a status asks the client to repeat the request elsewhere.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The error for a redirect answered to a request that carries credentials.
pub fn not_followed(status: u16, endpoint: &str) -> Error {
    Error::invalid_response(
        status,
        endpoint,
        "a redirect, which is never followed for a request that carries credentials",
    )
}

/// The error for a GET that is still redirected after [`MAX_REDIRECTS`] hops.
pub fn too_many(status: u16, endpoint: &str) -> Error {
    Error::invalid_response(
        status,
        endpoint,
        format!("more than {MAX_REDIRECTS} redirects"),
    )
}

/// Where a redirect from `from` leads: its `Location` resolved against `from`, without
/// credentials or fragment, refused when the HTTPS rule would refuse it as a setting.
pub fn next_hop(
    from: &Url,
    location: Option<&HeaderValue>,
    status: u16,
    allow_insecure_http: bool,
) -> Result<Url> {
    let endpoint = crate::transport::display(from);
    let invalid = |reason: &str| Error::invalid_response(status, &endpoint, reason);
    let location = location
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| invalid("a redirect without a usable Location"))?;
    let mut next = from
        .join(location)
        .map_err(|_| invalid("a redirect to a Location that is not a URL"))?;
    // Neither fails on an http(s) URL; any other scheme is refused by `check_url` below.
    let _ = next.set_username("");
    let _ = next.set_password(None);
    next.set_fragment(None);
    let what = format!("the redirect from {endpoint}");
    let next = match check_url(&what, next.as_str(), allow_insecure_http) {
        Err(Error::Configuration(reason)) => return Err(invalid(&reason)),
        other => other?,
    };
    if from.scheme() == "https" && next.scheme() == "http" {
        return Err(Error::InsecureTransport(format!(
            "{what} goes from HTTPS down to plain HTTP"
        )));
    }
    Ok(next)
}

/// Whether a hop stays on the origin (scheme, host, port) a bearer token was sent to.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn hop(from: &str, location: &str, insecure: bool) -> Result<Url> {
        let value = HeaderValue::from_str(location).unwrap_or_else(|e| panic!("{e}"));
        next_hop(&url(from), Some(&value), 302, insecure)
    }

    #[test]
    fn a_hop_to_plain_http_off_loopback_is_refused_unless_allowed() {
        let got = hop("http://127.0.0.1:9/doc", "http://idp.invalid/doc", false);
        assert!(matches!(got, Err(Error::InsecureTransport(_))));
        assert!(hop("http://127.0.0.1:9/doc", "http://idp.invalid/doc", true).is_ok());
        assert!(hop("http://127.0.0.1:9/doc", "http://127.0.0.1:10/doc", false).is_ok());
    }

    #[test]
    fn a_hop_from_https_down_to_http_is_refused_even_when_plain_http_is_allowed() {
        let got = hop("https://idp.invalid/doc", "http://idp.invalid/doc", true);
        assert!(matches!(got, Err(Error::InsecureTransport(_))));
    }

    #[test]
    fn a_relative_location_is_resolved_and_loses_credentials_and_fragment() {
        let got = hop("https://idp.invalid/a/b", "../c?x=1#f", false).map(String::from);
        assert_eq!(got.ok().as_deref(), Some("https://idp.invalid/c?x=1"));
        let got = hop("https://idp.invalid/a", "https://u:p@other.invalid/", false);
        assert_eq!(
            got.ok().map(String::from).as_deref(),
            Some("https://other.invalid/")
        );
    }

    #[test]
    fn a_hop_to_another_scheme_or_without_location_is_an_invalid_response() {
        let got = hop("https://idp.invalid/a", "file:///etc/passwd", false);
        assert!(matches!(
            got,
            Err(Error::InvalidResponse {
                status: Some(302),
                ..
            })
        ));
        let got = next_hop(&url("https://idp.invalid/a"), None, 307, false);
        assert!(matches!(
            got,
            Err(Error::InvalidResponse {
                status: Some(307),
                ..
            })
        ));
    }

    #[test]
    fn the_origin_is_scheme_host_and_port() {
        let a = url("https://idp.invalid/userinfo");
        assert!(same_origin(&a, &url("https://idp.invalid:443/other")));
        assert!(!same_origin(&a, &url("http://idp.invalid/userinfo")));
        assert!(!same_origin(&a, &url("https://idp.invalid:8443/userinfo")));
        assert!(!same_origin(&a, &url("https://api.idp.invalid/userinfo")));
    }

    #[test]
    fn only_the_statuses_that_carry_a_location_are_redirects() {
        for status in [301, 302, 303, 307, 308] {
            assert!(is_redirect(status));
        }
        for status in [200, 300, 304, 305, 400] {
            assert!(!is_redirect(status));
        }
    }
}
