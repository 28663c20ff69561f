//! Pushed authorization requests (RFC 9126): when a login pushes (the `use_par` setting and
//! the provider's `require_pushed_authorization_requests`), the authenticated POST of the
//! authorization request's parameters (§2.1), its answer (§2.2, §2.3), and the authorization
//! URL that then carries only `client_id` and `request_uri` (§4).

use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use url::Url;

use crate::errors::{Error, Result};
use crate::rfc6749::provider::ProviderConfig;
use crate::rfc6749::response::success_object;
use crate::rfc9449::{self, Prover};
use crate::transport::{display, request, Response};

/// What the provider answered to a pushed authorization request (§2.2).
#[derive(Debug, PartialEq)]
pub struct PushedAuthorization {
    pub request_uri: String,
    /// The lifetime of `request_uri`, in seconds.
    pub expires_in: u64,
}

/// Whether a login with `p` pushes its authorization request: with `use_par` None when the
/// provider requires it, with True whenever an endpoint is known, with False never. A
/// setting the provider would refuse (False where it requires PAR, True or required without
/// an endpoint) is a configuration error.
pub fn pushes(p: &ProviderConfig) -> Result<bool> {
    let known = p.pushed_authorization_request_endpoint.is_some();
    match (p.use_par, p.require_pushed_authorization_requests) {
        (Some(false), true) => Err(Error::Configuration(
            "the provider requires pushed authorization requests \
             (require_pushed_authorization_requests), but use_par=False: set use_par=None or True"
                .into(),
        )),
        (Some(false), false) | (None, false) => Ok(false),
        (Some(true), _) | (None, true) if known => Ok(true),
        (Some(true), _) => Err(Error::Configuration(
            "use_par=True needs a pushed_authorization_request_endpoint: set it on the provider \
             (or use a provider whose metadata names one)"
                .into(),
        )),
        (None, true) => Err(Error::Configuration(
            "the provider requires pushed authorization requests \
             (require_pushed_authorization_requests) but names no \
             pushed_authorization_request_endpoint: set it on the provider"
                .into(),
        )),
    }
}

fn endpoint(p: &ProviderConfig) -> Result<&Url> {
    p.pushed_authorization_request_endpoint
        .as_ref()
        .ok_or_else(|| {
            Error::Configuration("the provider has no pushed_authorization_request_endpoint".into())
        })
}

/// The POST of a pushed authorization request, with the client's authentication (as at the
/// token endpoint; a JWT assertion's audience is the token endpoint, as at every endpoint)
/// and `params`, the authorization request's parameters. Every pushed request is built here.
pub fn build_request(p: &ProviderConfig, params: &[(String, String)]) -> Result<RequestBuilder> {
    let url = endpoint(p)?;
    let builder = request::request(Method::POST, url, p.timeout)?;
    let mut auth = Vec::new();
    let builder = p
        .client
        .apply(builder, &mut auth, p.token_endpoint.as_str())?;
    Ok(builder.form(&form(params, &auth, &p.client.client_id)))
}

/// §2.1's form: the parameters, `client_id` once (the authentication's when it sends one),
/// and the authentication's fields.
fn form<'a>(
    params: &'a [(String, String)],
    auth: &'a [(&'static str, String)],
    client_id: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| k != "client_id")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !auth.iter().any(|(k, _)| *k == "client_id") {
        fields.push(("client_id", client_id));
    }
    fields.extend(auth.iter().map(|(k, v)| (*k, v.as_str())));
    fields
}

/// §2.1: pushes the authorization request's parameters; returns its `request_uri`. With
/// `dpop`, the POST carries a proof (RFC 9449 §10.1), made once more for a server nonce.
pub async fn push(
    p: &ProviderConfig,
    params: &[(String, String)],
    dpop: Option<Prover<'_>>,
) -> Result<PushedAuthorization> {
    let url = endpoint(p)?;
    let response = rfc9449::with_nonce_retry(dpop, url, move || async move {
        let mut builder = build_request(p, params)?;
        if let Some(prover) = dpop {
            builder = rfc9449::attach(builder, &prover.proof("POST", url, None)?);
        }
        request::send(builder, url, p.max_response_size).await
    })
    .await?;
    let pushed = parse_response(&response)?;
    log::debug!(
        target: "flet_auth",
        "pushed authorization request accepted by {} (expires in {} s)",
        display(url),
        pushed.expires_in
    );
    Ok(pushed)
}

/// Reads §2.2's answer (`request_uri`, `expires_in`, status 201) or §2.3's error (an RFC 6749
/// §5.2 body) as an `OAuthError`.
pub fn parse_response(response: &Response) -> Result<PushedAuthorization> {
    let map = success_object(response)?;
    let invalid =
        |reason: &str| Error::invalid_response(response.status, &response.endpoint, reason);
    let request_uri = match map.get("request_uri") {
        Some(Value::String(uri)) if !uri.is_empty() => uri.clone(),
        Some(_) => return Err(invalid("request_uri is not a string")),
        None => return Err(invalid("no request_uri")),
    };
    let expires_in = match map.get("expires_in") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|s| *s > 0)
            .ok_or_else(|| invalid("expires_in is not a positive integer"))?,
        Some(_) => return Err(invalid("expires_in is not a number")),
        None => return Err(invalid("no expires_in")),
    };
    Ok(PushedAuthorization {
        request_uri,
        expires_in,
    })
}

/// §4: the authorization URL of a pushed request, the endpoint's own query kept.
pub fn authorization_url(p: &ProviderConfig, request_uri: &str) -> Result<String> {
    let mut url = p.authorization_endpoint()?.clone();
    url.query_pairs_mut()
        .append_pair("client_id", &p.client.client_id)
        .append_pair("request_uri", request_uri);
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rfc6749::provider::ProviderSettings;
    use bytes::Bytes;

    fn provider(use_par: Option<bool>, required: bool, endpoint: bool) -> ProviderConfig {
        let settings = ProviderSettings {
            client_id: "client".into(),
            authorization_endpoint: "https://idp.invalid/authorize?prompt=login".into(),
            token_endpoint: "https://idp.invalid/token".into(),
            redirect_url: "http://127.0.0.1:8550/cb".into(),
            pushed_authorization_request_endpoint: endpoint
                .then(|| "https://idp.invalid/par".to_owned()),
            require_pushed_authorization_requests: required,
            use_par,
            ..Default::default()
        };
        ProviderConfig::new(settings).unwrap_or_else(|e| panic!("test provider: {e}"))
    }

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            content_type: "application/json".into(),
            headers: Default::default(),
            body: Bytes::from(body.to_owned()),
            endpoint: "idp.invalid/par".into(),
        }
    }

    #[test]
    fn none_pushes_only_when_the_provider_requires_it() {
        assert!(!pushes(&provider(None, false, true)).unwrap_or(true));
        assert!(pushes(&provider(None, true, true)).unwrap_or(false));
    }

    #[test]
    fn true_pushes_whenever_an_endpoint_is_known() {
        assert!(pushes(&provider(Some(true), false, true)).unwrap_or(false));
        assert!(matches!(
            pushes(&provider(Some(true), false, false)),
            Err(Error::Configuration(m)) if m.contains("pushed_authorization_request_endpoint")
        ));
    }

    #[test]
    fn false_where_the_provider_requires_par_is_a_configuration_error() {
        assert!(!pushes(&provider(Some(false), false, true)).unwrap_or(true));
        assert!(matches!(
            pushes(&provider(Some(false), true, true)),
            Err(Error::Configuration(m)) if m.contains("use_par=False")
        ));
    }

    #[test]
    fn a_required_push_without_an_endpoint_is_a_configuration_error() {
        assert!(matches!(
            pushes(&provider(None, true, false)),
            Err(Error::Configuration(_))
        ));
    }

    #[test]
    fn the_pushed_authorization_url_carries_only_client_id_and_request_uri() {
        let url = authorization_url(&provider(Some(true), false, true), "urn:x:1")
            .unwrap_or_else(|e| panic!("{e}"));
        let parsed = Url::parse(&url).unwrap_or_else(|e| panic!("{e}"));
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        let expected = [
            ("prompt", "login"),
            ("client_id", "client"),
            ("request_uri", "urn:x:1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(pairs, expected);
    }

    #[test]
    fn client_id_is_sent_once_whatever_the_authentication() {
        let params = vec![
            ("response_type".to_owned(), "code".to_owned()),
            ("client_id".to_owned(), "client".to_owned()),
        ];
        let post = [
            ("client_id", "client".to_owned()),
            ("client_secret", "s".to_owned()),
        ];
        let sent = form(&params, &post, "client");
        assert_eq!(sent.iter().filter(|(k, _)| *k == "client_id").count(), 1);
        let basic = form(&params, &[], "client");
        assert_eq!(basic, [("response_type", "code"), ("client_id", "client")]);
    }

    #[test]
    fn the_answer_gives_request_uri_and_expires_in() {
        let ok = parse_response(&response(
            201,
            r#"{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":60}"#,
        ));
        assert_eq!(
            ok.ok(),
            Some(PushedAuthorization {
                request_uri: "urn:ietf:params:oauth:request_uri:x".into(),
                expires_in: 60
            })
        );
    }

    #[test]
    fn unusable_answers_are_typed() {
        let cases = [
            (400, r#"{"error":"invalid_request"}"#, "OAuth"),
            (413, "too big", "HttpStatus"),
            (201, r#"{"expires_in":60}"#, "InvalidResponse"),
            (201, r#"{"request_uri":"u"}"#, "InvalidResponse"),
            (
                201,
                r#"{"request_uri":"u","expires_in":"60"}"#,
                "InvalidResponse",
            ),
            (
                201,
                r#"{"request_uri":"u","expires_in":0}"#,
                "InvalidResponse",
            ),
        ];
        for (status, body, kind) in cases {
            let name = match parse_response(&response(status, body)) {
                Err(Error::OAuth { .. }) => "OAuth",
                Err(Error::HttpStatus { .. }) => "HttpStatus",
                Err(Error::InvalidResponse { .. }) => "InvalidResponse",
                _ => "other",
            };
            assert_eq!(name, kind, "{body}");
        }
    }
}
