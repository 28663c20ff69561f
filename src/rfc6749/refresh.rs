//! Refreshing an access token (RFC 6749 §6): when it is due, and what the new token keeps of
//! the old one.

use crate::rfc6749::token::TokenData;

/// A token is refreshed this many seconds before it expires.
pub const REFRESH_LEEWAY: f64 = 60.0;

/// The token after a refresh: an answer without a new refresh token, scope or ID token keeps
/// the old ones (§6: the provider MAY issue a new refresh token).
pub fn merge(old: TokenData, mut new: TokenData) -> TokenData {
    if new.refresh_token.is_none() {
        new.refresh_token = old.refresh_token;
    }
    if new.scope.is_none() {
        new.scope = old.scope;
    }
    if new.id_token.is_none() {
        new.id_token = old.id_token;
    }
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_answer_without_a_new_refresh_token_keeps_the_old_one() {
        let old = TokenData {
            access_token: "old".into(),
            refresh_token: Some("r1".into()),
            scope: Some(vec!["a".into()]),
            ..Default::default()
        };
        let new = TokenData {
            access_token: "new".into(),
            ..Default::default()
        };
        let merged = merge(old, new);
        assert_eq!(merged.access_token, "new");
        assert_eq!(merged.refresh_token.as_deref(), Some("r1"));
        assert_eq!(merged.scope, Some(vec!["a".to_owned()]));
    }

    #[test]
    fn a_rotated_refresh_token_replaces_the_old_one() {
        let old = TokenData {
            refresh_token: Some("r1".into()),
            ..Default::default()
        };
        let new = TokenData {
            refresh_token: Some("r2".into()),
            ..Default::default()
        };
        assert_eq!(merge(old, new).refresh_token.as_deref(), Some("r2"));
    }
}
