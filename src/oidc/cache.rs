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
