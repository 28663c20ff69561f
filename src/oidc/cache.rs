//! Process-wide caches of provider documents (discovery, JWKS), each entry trusted for a time.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

struct Entry<T> {
    value: T,
    fetched: Instant,
}

/// A map from URL to a fetched value and when it was fetched.
pub struct Cache<T>(Mutex<Option<HashMap<String, Entry<T>>>>);

impl<T: Clone> Cache<T> {
    pub const fn new() -> Self {
        Cache(Mutex::new(None))
    }

    /// The value for `key` if it was fetched less than `ttl` ago.
    pub fn get(&self, key: &str, ttl: Duration) -> Option<T> {
        let guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = guard.as_ref()?.get(key)?;
        (entry.fetched.elapsed() < ttl).then(|| entry.value.clone())
    }

    /// Drops every entry of `origin` (`http://host:port`): the key itself and the URLs below it.
    pub fn forget_origin(&self, origin: &str) {
        let origin = origin.trim_end_matches('/');
        let below = format!("{origin}/");
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(map) = guard.as_mut() {
            map.retain(|key, _| key != origin && !key.starts_with(&below));
        }
    }

    pub fn put(&self, key: &str, value: T) {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        guard.get_or_insert_with(HashMap::new).insert(
            key.to_owned(),
            Entry {
                value,
                fetched: Instant::now(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgetting_an_origin_drops_it_and_its_urls_and_keeps_other_ports() {
        let cache: Cache<u8> = Cache::new();
        for key in [
            "http://127.0.0.1:80",
            "http://127.0.0.1:80/.well-known/openid-configuration",
            "http://127.0.0.1:8080/jwks",
        ] {
            cache.put(key, 1);
        }
        cache.forget_origin("http://127.0.0.1:80/");
        let ttl = Duration::from_secs(60);
        assert_eq!(cache.get("http://127.0.0.1:80", ttl), None);
        assert_eq!(
            cache.get("http://127.0.0.1:80/.well-known/openid-configuration", ttl),
            None
        );
        assert_eq!(cache.get("http://127.0.0.1:8080/jwks", ttl), Some(1));
    }
}
