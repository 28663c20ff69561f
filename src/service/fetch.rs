//! An API call with the service's token (RFC 6750 §2.1): the token of `get_token` (renewed
//! first when due), the HTTPS rule, timeout and size cap of every request, and the redirect
//! rules of `transport::redirect` (a GET only; the token stays with its origin). A 401 from
//! the resource is handed back as it is: the token is renewed by its expiry only. A DPoP token
//! (RFC 9449 §7) goes with a proof, and a resource's `use_dpop_nonce` is retried once.

use std::sync::Arc;

use reqwest::{Method, RequestBuilder};
use url::Url;

use crate::errors::{Error, Result};
use crate::rfc6749::token::{lock, TokenData};
use crate::rfc9449::{self, Nonces, Prover};
use crate::service::{Notify, Service};
use crate::transport::request::{self, Outgoing};
use crate::transport::{check_url, Response};

/// The methods `fetch` sends.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// One API call, checked: its method, its absolute URL (query included) and what it sends.
pub struct ApiRequest {
    pub method: Method,
    pub url: Url,
    pub outgoing: Outgoing,
}

/// The method of a call, upper-cased; one of [`METHODS`].
pub fn method(name: &str) -> Result<Method> {
    let upper = name.to_ascii_uppercase();
    if !METHODS.contains(&upper.as_str()) {
        return Err(Error::Configuration(format!(
            "method must be one of {}, not {name:?}",
            METHODS.join(", ")
        )));
    }
    Method::from_bytes(upper.as_bytes())
        .map_err(|_| Error::Configuration(format!("{name:?} is not an HTTP method")))
}

/// The URL of a call: `url` as it is when absolute, else its path appended to `api_base_url`;
/// `params` added to its query; refused by the HTTPS rule of the provider's endpoints.
pub fn resolve(
    url: &str,
    api_base_url: Option<&str>,
    params: &[(String, String)],
    allow_insecure_http: bool,
) -> Result<Url> {
    let absolute = match Url::parse(url) {
        Ok(_) => url.to_owned(),
        Err(url::ParseError::RelativeUrlWithoutBase) => match api_base_url {
            Some(base) => format!(
                "{}/{}",
                base.trim_end_matches('/'),
                url.trim_start_matches('/')
            ),
            None => {
                return Err(Error::Configuration(format!(
                    "{url:?} is not an absolute URL and the provider has no api_base_url"
                )))
            }
        },
        Err(e) => return Err(Error::Configuration(format!("url is not a valid URL: {e}"))),
    };
    let mut parsed = check_url("url", &absolute, allow_insecure_http)?;
    if !params.is_empty() {
        parsed.query_pairs_mut().extend_pairs(params);
    }
    Ok(parsed)
}

/// The token's credentials on one request: `Authorization: Bearer` (RFC 6750 §2.1) for a
/// bearer token, `Authorization: DPoP` and a proof with `ath` for a DPoP-bound one (RFC 9449
/// §7.1). The one place a token type is turned into headers.
pub fn authorize(
    builder: RequestBuilder,
    token: &TokenData,
    nonces: &Nonces,
    method: &Method,
    url: &Url,
) -> Result<RequestBuilder> {
    match token.token_type.as_deref() {
        None | Some("") => Ok(builder.bearer_auth(&token.access_token)),
        Some(t) if t.eq_ignore_ascii_case("bearer") => Ok(builder.bearer_auth(&token.access_token)),
        Some(t) if t.eq_ignore_ascii_case(rfc9449::DPOP) => {
            let key = token.dpop_key.as_ref().ok_or_else(|| {
                Error::Configuration(
                    "this DPoP token has no key: it was saved without its dpop_jwk".into(),
                )
            })?;
            let prover = Prover { key, nonces };
            rfc9449::authorize(builder, &token.access_token, prover, method, url)
        }
        Some(other) => Err(Error::Configuration(format!(
            "fetch sends bearer tokens only; this token's type is {other:?}"
        ))),
    }
}

impl Service {
    /// Sends `call` with the current token (renewed first when due; `notify` gets a new one).
    pub async fn fetch(
        self: Arc<Self>,
        call: ApiRequest,
        notify: Option<Notify>,
    ) -> Result<Response> {
        let cell =
            self.clone().get_token(notify).await?.ok_or_else(|| {
                Error::Configuration("there is no token yet; log in first".into())
            })?;
        let token = lock(&cell).clone();
        let nonces = &self.nonces;
        let credentials =
            |b: RequestBuilder, m: &Method, u: &Url| authorize(b, &token, nonces, m, u);
        let policy = self.provider.policy();
        let prover = token.dpop_key.as_ref().map(|key| Prover { key, nonces });
        let (call, credentials, policy) = (&call, &credentials, &policy);
        rfc9449::with_nonce_retry(prover, &call.url, move || async move {
            request::exchange(
                call.method.clone(),
                &call.url,
                &call.outgoing,
                Some(credentials),
                policy,
            )
            .await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_is_upper_cased_and_an_unknown_one_refused() {
        assert_eq!(method("post").ok(), Some(Method::POST));
        assert!(matches!(method("BREW"), Err(Error::Configuration(m)) if m.contains("BREW")));
    }

    #[test]
    fn a_relative_url_is_appended_to_the_api_base_url() {
        let got = resolve(
            "/user/emails",
            Some("https://ghe.invalid/api/v3/"),
            &[],
            false,
        );
        assert_eq!(
            got.ok().map(String::from).as_deref(),
            Some("https://ghe.invalid/api/v3/user/emails")
        );
        assert!(matches!(
            resolve("user", None, &[], false),
            Err(Error::Configuration(m)) if m.contains("api_base_url")
        ));
    }

    #[test]
    fn params_are_added_to_the_query() {
        let params = [("q".to_owned(), "a b".to_owned())];
        let got = resolve("https://api.invalid/s?page=2", None, &params, false);
        assert_eq!(
            got.ok().map(String::from).as_deref(),
            Some("https://api.invalid/s?page=2&q=a+b")
        );
    }

    #[test]
    fn plain_http_off_loopback_is_refused() {
        assert!(matches!(
            resolve("http://idp.invalid/x", None, &[], false),
            Err(Error::InsecureTransport(_))
        ));
    }
}
