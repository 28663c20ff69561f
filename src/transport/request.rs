//! One HTTP exchange with a provider: the transport policy (HTTPS off loopback, timeouts,
//! redirects, the answer's size cap), the request log line, and the mapping of every failure
//! to a typed [`Error`].

use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{Method, RequestBuilder};
use url::{Host, Url};

use crate::errors::{Error, Result};
use crate::transport::body::{self, ReadError};
use crate::transport::policy::Policy;
use crate::transport::redirect;
use crate::transport::runtime::engine;

/// Whether a host is loopback: 127.0.0.0/8, ::1 or `localhost` (RFC 8252 §8.3, RFC 6761 §6.3).
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Parses an endpoint URL and refuses plain HTTP off loopback unless it is allowed.
pub fn check_url(what: &str, url: &str, allow_insecure_http: bool) -> Result<Url> {
    let parsed = Url::parse(url)
        .map_err(|e| Error::Configuration(format!("{what} is not a valid URL: {e}")))?;
    let host = parsed
        .host()
        .ok_or_else(|| Error::Configuration(format!("{what} has no host")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if allow_insecure_http || is_loopback(&host) => Ok(parsed),
        "http" => Err(Error::InsecureTransport(format!(
            "{what} uses plain HTTP on a non-loopback host ({host}); use HTTPS or set allow_insecure_http=True"
        ))),
        other => Err(Error::Configuration(format!(
            "{what} must be an http(s) URL, not {other}:"
        ))),
    }
}

/// Host and path of a URL, for log lines and messages (never the query, which may hold secrets).
pub fn display(url: &Url) -> String {
    format!("{}{}", url.host_str().unwrap_or(""), url.path())
}

/// What came back: status, headers and body.
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    pub endpoint: String,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Builds a request on the shared client with the JSON `Accept` header and the timeout.
pub fn request(method: Method, url: &Url, timeout: Duration) -> Result<RequestBuilder> {
    Ok(engine()?
        .client
        .request(method, url.clone())
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .timeout(timeout))
}

/// Sends a request that carries credentials (a token or revocation form) and reads its answer,
/// at most `max_size` bytes of it. A redirect is an error: the form is never sent again.
pub async fn send(builder: RequestBuilder, url: &Url, max_size: usize) -> Result<Response> {
    let endpoint = display(url);
    let request = builder.build().map_err(|e| transport_error(&endpoint, e))?;
    let response = execute(request, &endpoint).await?;
    let status = response.status().as_u16();
    if redirect::is_redirect(status) {
        return Err(redirect::not_followed(status, &endpoint));
    }
    read(response, endpoint, max_size).await
}

/// GETs `url` (with `Authorization: Bearer` when `bearer` is given) and reads the answer,
/// following redirects by the rules of [`redirect`], all within the policy's timeout.
pub async fn get(url: &Url, bearer: Option<&str>, policy: &Policy) -> Result<Response> {
    let token = bearer.unwrap_or_default();
    let bearer_auth = |builder: RequestBuilder, _: &Method, _: &Url| -> Result<RequestBuilder> {
        Ok(builder.bearer_auth(token))
    };
    let authorize = bearer.is_some().then_some(&bearer_auth as &Authorize<'_>);
    exchange(Method::GET, url, &Outgoing::default(), authorize, policy).await
}

/// What a request sends besides its method, URL and credentials.
#[derive(Default)]
pub struct Outgoing {
    /// Replace the defaults (`Accept: application/json`) where they share a name.
    pub headers: HeaderMap,
    pub body: Option<bytes::Bytes>,
}

/// Adds the credentials of one hop (method and URL) to its request.
pub type Authorize<'a> =
    dyn Fn(RequestBuilder, &Method, &Url) -> Result<RequestBuilder> + Sync + 'a;

/// Sends a request and reads its answer, within the policy's timeout and size cap. A GET
/// follows redirects by the rules of [`redirect`], with `authorize` applied only while the hops
/// stay on the first URL's origin; any other method gets its redirect back unfollowed (its body
/// is never sent again).
pub async fn exchange(
    method: Method,
    url: &Url,
    outgoing: &Outgoing,
    authorize: Option<&Authorize<'_>>,
    policy: &Policy,
) -> Result<Response> {
    let deadline = Instant::now().checked_add(policy.timeout);
    let mut url = url.clone();
    let mut authorize = authorize;
    let mut hops = 0;
    loop {
        let endpoint = display(&url);
        let remaining = deadline.map_or(policy.timeout, |d| {
            d.saturating_duration_since(Instant::now())
        });
        if remaining.is_zero() {
            return Err(Error::Timeout(format!("{endpoint} did not answer in time")));
        }
        let mut builder =
            request(method.clone(), &url, remaining)?.headers(outgoing.headers.clone());
        if let Some(body) = &outgoing.body {
            builder = builder.body(body.clone());
        }
        if let Some(authorize) = authorize {
            builder = authorize(builder, &method, &url)?;
        }
        let request = builder.build().map_err(|e| transport_error(&endpoint, e))?;
        let response = execute(request, &endpoint).await?;
        let status = response.status().as_u16();
        if !redirect::is_redirect(status) || method != Method::GET {
            return read(response, endpoint, policy.max_response_size).await;
        }
        if hops == redirect::MAX_REDIRECTS {
            return Err(redirect::too_many(status, &endpoint));
        }
        let location = response.headers().get(LOCATION);
        let next = redirect::next_hop(&url, location, status, policy.allow_insecure_http)?;
        if !redirect::same_origin(&url, &next) {
            authorize = None;
        }
        url = next;
        hops += 1;
    }
}

/// One request, without reading its body; logged with its status and time.
async fn execute(request: reqwest::Request, endpoint: &str) -> Result<reqwest::Response> {
    let method = request.method().clone();
    let client = engine()?.client.clone();
    let started = Instant::now();
    let result = client.execute(request).await;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(response) => {
            let status = response.status().as_u16();
            log::debug!(target: "flet_auth::http", "{method} {endpoint} -> {status} in {elapsed:.1} ms");
            Ok(response)
        }
        Err(e) => {
            log::debug!(target: "flet_auth::http", "{method} {endpoint} failed in {elapsed:.1} ms");
            Err(transport_error(endpoint, e))
        }
    }
}

/// Reads an answer's body within the cap (see [`body`]).
async fn read(
    mut response: reqwest::Response,
    endpoint: String,
    max_size: usize,
) -> Result<Response> {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // Moved out, not copied: the body is read without them (its length is the body's hint).
    let headers = std::mem::take(response.headers_mut());
    match body::read(response, &endpoint, max_size).await {
        Ok(body) => Ok(Response {
            status,
            content_type,
            headers,
            body,
            endpoint,
        }),
        Err(ReadError::TooLarge(e)) => {
            log::debug!(target: "flet_auth::http", "{endpoint}: answer over {max_size} bytes, dropped");
            Err(e)
        }
        Err(ReadError::Transport(e)) => Err(transport_error(&endpoint, e)),
    }
}

fn transport_error(endpoint: &str, e: reqwest::Error) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        return Error::Timeout(format!("{endpoint} did not answer in time"));
    }
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    Error::Transport {
        message: format!("request to {endpoint} failed: {reason}"),
        source: Some(std::sync::Arc::new(e)),
    }
}
