//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2): the provider's logout URL.

use url::Url;

/// The end-session URL with the ID token as `id_token_hint` and the client's `client_id`.
pub fn end_session_url(
    endpoint: &Url,
    client_id: &str,
    id_token_hint: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> String {
    let mut url = endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        if let Some(hint) = id_token_hint {
            query.append_pair("id_token_hint", hint);
        }
        query.append_pair("client_id", client_id);
        if let Some(uri) = post_logout_redirect_uri {
            query.append_pair("post_logout_redirect_uri", uri);
        }
        if let Some(s) = state {
            query.append_pair("state", s);
        }
    }
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logout_url_carries_the_hint_the_client_and_the_return_address() {
        let endpoint =
            Url::parse("https://idp.invalid/logout?x=1").unwrap_or_else(|e| panic!("{e}"));
        let url = end_session_url(&endpoint, "c", Some("jwt"), Some("https://app/"), Some("s"));
        assert_eq!(
            url,
            "https://idp.invalid/logout?x=1&id_token_hint=jwt&client_id=c&post_logout_redirect_uri=https%3A%2F%2Fapp%2F&state=s"
        );
    }
}
