//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 (one document for both).

use flet_auth_primitives::rfc7636::CodeChallengeMethod;
use serde_json::{json, Value};

use crate::device::DEVICE_CODE_GRANT;
use crate::keys::SigningAlg;
use crate::rfc7523::SIGNING_ALGS;
use crate::users::MockUser;

/// The claims every ID token or userinfo answer may carry.
const STANDARD_CLAIMS: [&str; 12] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "name",
    "email",
    "preferred_username",
    "groups",
];

/// The metadata of a provider served at `base_url` that names itself `issuer`.
pub fn metadata(base_url: &str, issuer: &str, users: &[MockUser]) -> Value {
    let mut claims: Vec<&str> = STANDARD_CLAIMS.to_vec();
    for user in users {
        for name in user.claims.keys() {
            if !claims.contains(&name.as_str()) {
                claims.push(name);
            }
        }
    }
    let auth_methods = [
        "client_secret_post",
        "client_secret_basic",
        "private_key_jwt",
        "client_secret_jwt",
        "none",
    ];
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base_url}/authorize"),
        "token_endpoint": format!("{base_url}/token"),
        "userinfo_endpoint": format!("{base_url}/userinfo"),
        "jwks_uri": format!("{base_url}/jwks"),
        "revocation_endpoint": format!("{base_url}/revoke"),
        "end_session_endpoint": format!("{base_url}/end_session"),
        "device_authorization_endpoint": format!("{base_url}/device_authorization"),
        "pushed_authorization_request_endpoint": format!("{base_url}/par"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", DEVICE_CODE_GRANT],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": SigningAlg::ALL.map(SigningAlg::name),
        "dpop_signing_alg_values_supported": crate::rfc9449::ALGORITHMS,
        "code_challenge_methods_supported": [CodeChallengeMethod::S256.as_str(), CodeChallengeMethod::Plain.as_str()],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": SIGNING_ALGS,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": SIGNING_ALGS,
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::default_users;

    #[test]
    fn endpoints_are_on_the_base_url_and_issuer_is_as_given() {
        let doc = metadata(
            "http://127.0.0.1:9",
            "https://issuer.example",
            &default_users(),
        );
        assert_eq!(doc["issuer"], "https://issuer.example");
        assert_eq!(doc["jwks_uri"], "http://127.0.0.1:9/jwks");
        assert_eq!(
            doc["end_session_endpoint"],
            "http://127.0.0.1:9/end_session"
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!(["RS256", "ES256"])
        );
    }

    #[test]
    fn claims_supported_lists_custom_user_claims() {
        let mut custom = serde_json::Map::new();
        custom.insert("realm_access".into(), json!({"roles": ["admin"]}));
        let users = vec![MockUser::new("carol", 1, custom)];
        let doc = metadata("http://127.0.0.1:9", "http://127.0.0.1:9", &users);
        let claims = doc["claims_supported"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(claims.contains(&json!("realm_access")));
        assert_eq!(claims.iter().filter(|c| *c == "email").count(), 1);
    }
}
