//! `flet_auth.security.SecretBox`: `encrypt`/`decrypt` with the passphrase's key derived once
//! per box instead of once per call, for code that encrypts many small records (a web app's
//! token store). The output is the format of `encrypt`; `decrypt` reads it, and the box reads
//! whatever `decrypt` reads.
//!
//! A box derives a key for a salt of its own (600,000 PBKDF2 rounds, once) and seals every
//! record with it and a fresh 96-bit nonce. Random nonces stay safe well below 2^32 messages
//! per key, so a box moves to a new salt after [`MESSAGES_PER_KEY`]. Keys for the salts of data
//! it reads (other boxes, other processes, `encrypt`) are derived once and kept, up to
//! [`KEPT_KEYS`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use zeroize::Zeroizing;

use crate::crypto::formats::{invalid, random, seal_with, utf8, Envelope, Key, SALT_LEN};
use crate::errors::Result;

/// Records sealed with one key before a box moves to a new salt.
pub const MESSAGES_PER_KEY: u64 = 1 << 30;
/// Keys kept for reading; the oldest is dropped beyond this.
pub const KEPT_KEYS: usize = 64;

pub type Salt = [u8; SALT_LEN];

struct Keys {
    /// The salt and key new records are sealed with, and how many records used them.
    sealing: Option<(Salt, Key, u64)>,
    /// Keys by salt, in the order they were derived.
    known: HashMap<Salt, Key>,
    order: Vec<Salt>,
}

impl Keys {
    fn keep(&mut self, salt: Salt, key: Key) {
        if self.known.insert(salt, key).is_none() {
            self.order.push(salt);
        }
        while self.order.len() > KEPT_KEYS {
            let oldest = self.order.remove(0);
            self.known.remove(&oldest);
        }
    }
}

/// How a box derives a key (PBKDF2 for `secret` and `salt`): the Python layer runs it with
/// the GIL released.
pub trait Derive {
    fn derive(&self, secret: &str, salt: &Salt) -> Key;
}

/// Encrypts and decrypts with `secret_key`, deriving each key once (see the module docs).
pub struct SecretBox {
    secret: Zeroizing<String>,
    keys: Mutex<Keys>,
}

impl SecretBox {
    pub fn new(secret_key: &str) -> Self {
        SecretBox {
            secret: Zeroizing::new(secret_key.to_owned()),
            keys: Mutex::new(Keys {
                sealing: None,
                known: HashMap::new(),
                order: Vec::new(),
            }),
        }
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, Keys> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The sealing salt and key, counting one more record; a new salt when none or worn out.
    fn sealing_key(&self, derive: &impl Derive) -> (Salt, Key) {
        if let Some((salt, key, used)) = self.keys().sealing.as_mut() {
            if *used < MESSAGES_PER_KEY {
                *used += 1;
                return (*salt, key.clone());
            }
        }
        let salt: Salt = random();
        let key = derive.derive(&self.secret, &salt);
        let mut keys = self.keys();
        keys.keep(salt, key.clone());
        keys.sealing = Some((salt, key.clone(), 1));
        (salt, key)
    }

    fn key_for(&self, salt: &[u8], derive: &impl Derive) -> Result<Key> {
        let salt: Salt = salt.try_into().map_err(|_| invalid())?;
        if let Some(key) = self.keys().known.get(&salt) {
            return Ok(key.clone());
        }
        let key = derive.derive(&self.secret, &salt);
        self.keys().keep(salt, key.clone());
        Ok(key)
    }

    /// Encrypts `plain_text` in the format of `encrypt`.
    pub fn seal(&self, plain_text: &str, derive: &impl Derive) -> Result<String> {
        let (salt, key) = self.sealing_key(derive);
        seal_with(&key, &salt, plain_text)
    }

    /// Decrypts what `encrypt` (this box, another one, or the module's) and Flet's
    /// `flet.security` wrote with this passphrase.
    pub fn open(&self, encrypted_data: &str, derive: &impl Derive) -> Result<String> {
        let envelope = Envelope::parse(encrypted_data)?;
        let key = self.key_for(envelope.salt(), derive)?;
        utf8(envelope.open(&key)?)
    }

    /// Whether sealing (`encrypted_data` is None) or opening `encrypted_data` would first
    /// derive a key, so that async code runs only those calls off its event loop. Data that
    /// cannot be parsed fails without a derivation.
    pub fn would_derive(&self, encrypted_data: Option<&str>) -> bool {
        let keys = self.keys();
        let Some(data) = encrypted_data else {
            return !matches!(keys.sealing, Some((_, _, used)) if used < MESSAGES_PER_KEY);
        };
        let Ok(envelope) = Envelope::parse(data) else {
            return false;
        };
        Salt::try_from(envelope.salt()).is_ok_and(|salt| !keys.known.contains_key(&salt))
    }

    /// How many derived keys the box holds (each cost one PBKDF2 derivation).
    pub fn derived_keys(&self) -> usize {
        self.keys().known.len()
    }
}
