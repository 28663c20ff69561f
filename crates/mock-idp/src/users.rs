//! The users who can log in at the provider: their OpenID Connect claims and groups, and the
//! documents userinfo and GitHub's user endpoints answer with.

use serde_json::{json, Map, Value};

use crate::error::MockError;

/// A user who can log in: OpenID Connect claims plus group names.
#[derive(Clone, Debug)]
pub struct MockUser {
    pub username: String,
    /// Numeric id, as GitHub gives it; `sub` is its decimal string unless the claims set one.
    pub id: u64,
    pub claims: Map<String, Value>,
    pub groups: Vec<String>,
}

impl MockUser {
    pub fn new(username: &str, id: u64, mut claims: Map<String, Value>) -> MockUser {
        let groups = match claims.remove("groups") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        claims
            .entry("sub")
            .or_insert_with(|| Value::String(id.to_string()));
        claims
            .entry("preferred_username")
            .or_insert_with(|| Value::String(username.to_owned()));
        claims
            .entry("email")
            .or_insert_with(|| Value::String(format!("{username}@example.com")));
        claims
            .entry("name")
            .or_insert_with(|| Value::String(username.to_owned()));
        MockUser {
            username: username.to_owned(),
            id,
            claims,
            groups,
        }
    }

    /// The OpenID Connect userinfo document.
    pub fn userinfo(&self) -> Value {
        let mut doc = self.claims.clone();
        doc.insert("groups".into(), json!(self.groups));
        Value::Object(doc)
    }

    /// GitHub's `/user`.
    pub fn github_user(&self) -> Value {
        json!({
            "id": self.id,
            "login": self.username,
            "name": self.claims.get("name"),
            "email": Value::Null,
            "type": "User",
        })
    }

    /// GitHub's `/user/emails`: the claimed email is the primary one.
    pub fn github_emails(&self) -> Value {
        json!([
            {"email": format!("{}@users.noreply.github.com", self.username), "primary": false, "verified": true, "visibility": Value::Null},
            {"email": self.claims.get("email"), "primary": true, "verified": true, "visibility": "private"},
        ])
    }

    /// GitHub's `/user/teams`: one team per group.
    pub fn github_teams(&self) -> Value {
        let teams: Vec<Value> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                json!({"id": 100 + i, "name": g, "slug": g.to_lowercase().replace(' ', "-"),
                       "organization": {"login": "mock-org"}})
            })
            .collect();
        Value::Array(teams)
    }
}

/// The built-in users, so that a test needs no setup.
pub fn default_users() -> Vec<MockUser> {
    let claims = |name: &str, email: &str| {
        let mut m = Map::new();
        m.insert("name".into(), Value::String(name.into()));
        m.insert("email".into(), Value::String(email.into()));
        m
    };
    let mut alice = claims("Alice Liddell", "alice@example.com");
    alice.insert("groups".into(), json!(["admins", "developers"]));
    let mut bob = claims("Bob Builder", "bob@example.com");
    bob.insert("groups".into(), json!(["developers"]));
    vec![
        MockUser::new("alice", 1001, alice),
        MockUser::new("bob", 1002, bob),
    ]
}

/// Users from `(username, claims)` pairs, in order: each claims value must be a JSON object; a
/// numeric `id` in it becomes the user's id, else the n-th user gets 1000 + n.
pub fn users_from_claims(
    users: impl IntoIterator<Item = (String, Value)>,
) -> Result<Vec<MockUser>, MockError> {
    let mut out = Vec::new();
    for (i, (name, claims)) in users.into_iter().enumerate() {
        let Value::Object(mut claims) = claims else {
            return Err(MockError::Configuration(format!(
                "the claims of user {name:?} must be a dict"
            )));
        };
        let position = 1001 + i as u64;
        let id = match claims.remove("id") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(position),
            _ => position,
        };
        out.push(MockUser::new(&name, id, claims));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_get_standard_claims_and_their_groups_apart() {
        let users = default_users();
        let alice = &users[0];
        assert_eq!(alice.claims["sub"], "1001");
        assert_eq!(alice.claims["preferred_username"], "alice");
        assert_eq!(alice.groups, ["admins", "developers"]);
        assert!(!alice.claims.contains_key("groups"));
        assert_eq!(alice.userinfo()["groups"], json!(["admins", "developers"]));
    }

    #[test]
    fn claims_give_the_id_or_the_position_does() -> Result<(), MockError> {
        let users = users_from_claims([
            ("kc".to_owned(), json!({"id": 7, "email": "kc@example.org"})),
            ("dee".to_owned(), json!({})),
        ])?;
        assert_eq!((users[0].id, users[1].id), (7, 1002));
        assert_eq!(users[0].claims["email"], "kc@example.org");
        assert_eq!(users[1].claims["email"], "dee@example.com");
        assert!(!users[0].claims.contains_key("id"));
        Ok(())
    }

    #[test]
    fn claims_that_are_not_an_object_are_refused() {
        let bad = users_from_claims([("x".to_owned(), json!([1]))]);
        assert!(matches!(bad, Err(MockError::Configuration(m)) if m.contains("\"x\"")));
    }
}
