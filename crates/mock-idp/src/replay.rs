//! The `jti`s a server has accepted, each until a time, so that a replayed JWT (a client
//! assertion, RFC 7523 §3; a DPoP proof, RFC 9449 §11.1) is refused.

use std::collections::HashMap;

/// `jti` → the Unix time until which it is remembered.
#[derive(Default)]
pub struct JtiSet(HashMap<String, i64>);

impl JtiSet {
    /// Whether `jti` is not remembered at `now`; it is then remembered until `until`. What
    /// has run out is forgotten first, so the set holds only what is still refusable.
    pub fn first_use(&mut self, jti: &str, until: i64, now: i64) -> bool {
        self.0.retain(|_, end| *end >= now);
        if self.0.contains_key(jti) {
            return false;
        }
        self.0.insert(jti.to_owned(), until);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_refused_until_its_time_then_accepted_again() {
        let mut seen = JtiSet::default();
        assert!(seen.first_use("a", 10, 0));
        assert!(!seen.first_use("a", 20, 5));
        assert!(seen.first_use("a", 30, 11));
        assert!(!seen.first_use("a", 40, 25));
    }
}
