//! `flet_auth.security`: `encrypt`/`decrypt` with PBKDF2-HMAC-SHA256 keys, reading and
//! writing the two formats of `flet.security` as well as our own.
//!
//! Formats (all URL-safe base64):
//! - ours: `fa.` + b64(version 0x01 | salt 16 | nonce 12 | AES-256-GCM ciphertext+tag), the
//!   version byte authenticated as associated data. Base64 has no `.`, so the prefix tells our
//!   format from Flet's without a key derivation.
//! - Flet `encrypt`: b64(salt 16 | Fernet token as base64 text).
//! - Flet `encrypt_aes_gcm_256`: b64(salt 16 | nonce 32 | AES-256-GCM ciphertext+tag), key =
//!   first 32 characters of the SHA-256 hex digest of the base64 Fernet key.
//!
//! Both Flet formats start with the salt and use the same PBKDF2 key, so `decrypt` derives it
//! once and tries Fernet and AES-GCM cheaply.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes_gcm::aead::generic_array::typenum::U32;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm};
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::errors::{Error, Result};

pub const ITERATIONS: u32 = 600_000;
pub(crate) const SALT_LEN: usize = SALT;
const PREFIX: &str = "fa.";
const VERSION: u8 = 0x01;
const SALT: usize = 16;
const NONCE: usize = 12;
const FLET_NONCE: usize = 32;
const TAG: usize = 16;

pub(crate) type Key = Zeroizing<[u8; 32]>;
type FletAesGcm = AesGcm<aes::Aes256, U32>;

pub(crate) fn invalid() -> Error {
    Error::InvalidToken(
        "the data cannot be decrypted with this key (wrong key, or damaged data)".into(),
    )
}

pub(crate) use flet_auth_primitives::random::bytes as random;

/// PBKDF2-HMAC-SHA256, 600,000 rounds, 32 bytes.
pub fn derive_key(secret: &str, salt: &[u8]) -> Key {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(secret.as_bytes(), salt, ITERATIONS, key.as_mut());
    key
}

/// Accepts base64url with or without padding.
fn b64decode(text: &str) -> Result<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(trimmed).map_err(|_| invalid())
}

pub(crate) fn utf8(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| invalid())
}

/// Encrypted data, parsed but not yet opened: everything that needs no key.
pub enum Envelope {
    Ours {
        salt: Vec<u8>,
        nonce: Vec<u8>,
        sealed: Vec<u8>,
    },
    Flet {
        salt: Vec<u8>,
        rest: Vec<u8>,
    },
}

impl Envelope {
    pub fn parse(text: &str) -> Result<Envelope> {
        if let Some(body) = text.strip_prefix(PREFIX) {
            let raw = b64decode(body)?;
            if raw.len() < 1 + SALT + NONCE + TAG || raw[0] != VERSION {
                return Err(invalid());
            }
            return Ok(Envelope::Ours {
                salt: raw[1..1 + SALT].to_vec(),
                nonce: raw[1 + SALT..1 + SALT + NONCE].to_vec(),
                sealed: raw[1 + SALT + NONCE..].to_vec(),
            });
        }
        let raw = b64decode(text)?;
        if raw.len() <= SALT {
            return Err(invalid());
        }
        Ok(Envelope::Flet {
            salt: raw[..SALT].to_vec(),
            rest: raw[SALT..].to_vec(),
        })
    }

    pub fn salt(&self) -> &[u8] {
        match self {
            Envelope::Ours { salt, .. } | Envelope::Flet { salt, .. } => salt,
        }
    }

    /// Decrypts with the key derived from this envelope's salt.
    pub fn open(&self, key: &Key) -> Result<Vec<u8>> {
        match self {
            Envelope::Ours { nonce, sealed, .. } => {
                let cipher = Aes256Gcm::new(GenericArray::from_slice(key.as_ref()));
                let payload = Payload {
                    msg: sealed,
                    aad: &[VERSION],
                };
                cipher
                    .decrypt(GenericArray::from_slice(nonce), payload)
                    .map_err(|_| invalid())
            }
            Envelope::Flet { rest, .. } => {
                // A Fernet token is base64 text of a token starting with 0x80: "gAAAAA...".
                let fernet_first = rest.first() == Some(&b'g');
                let (first, second) = if fernet_first {
                    (fernet_open(key, rest), flet_gcm_open(key, rest))
                } else {
                    (flet_gcm_open(key, rest), fernet_open(key, rest))
                };
                first.or(second)
            }
        }
    }
}

/// The Fernet key of Flet's formats: base64url of the derived bytes.
fn fernet_key_text(key: &Key) -> Zeroizing<String> {
    Zeroizing::new(URL_SAFE.encode(key.as_ref()))
}

/// Flet's AES-GCM key: the first 32 hex digits of SHA-256(base64 Fernet key), as ASCII.
fn flet_gcm_key(key: &Key) -> Key {
    let digest = Sha256::digest(fernet_key_text(key).as_bytes());
    let mut out = Zeroizing::new([0u8; 32]);
    let hex = b"0123456789abcdef";
    for (i, byte) in digest.iter().take(16).enumerate() {
        out[2 * i] = hex[(byte >> 4) as usize];
        out[2 * i + 1] = hex[(byte & 0x0f) as usize];
    }
    out
}

fn flet_gcm_open(key: &Key, rest: &[u8]) -> Result<Vec<u8>> {
    if rest.len() < FLET_NONCE + TAG {
        return Err(invalid());
    }
    let gcm_key = flet_gcm_key(key);
    let cipher = FletAesGcm::new(GenericArray::from_slice(gcm_key.as_ref()));
    let (nonce, sealed) = rest.split_at(FLET_NONCE);
    cipher
        .decrypt(GenericArray::from_slice(nonce), sealed)
        .map_err(|_| invalid())
}

fn flet_gcm_seal(key: &Key, plain: &[u8]) -> Result<Vec<u8>> {
    let gcm_key = flet_gcm_key(key);
    let cipher = FletAesGcm::new(GenericArray::from_slice(gcm_key.as_ref()));
    let nonce: [u8; FLET_NONCE] = random();
    let sealed = cipher
        .encrypt(GenericArray::from_slice(&nonce), plain)
        .map_err(|_| invalid())?;
    Ok([&nonce[..], &sealed].concat())
}

/// Fernet (https://github.com/fernet/spec): 0x80 | timestamp 8 | iv 16 | AES-128-CBC | HMAC 32,
/// signing key = first 16 bytes of the key, encryption key = last 16.
fn fernet_open(key: &Key, token_text: &[u8]) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(token_text).map_err(|_| invalid())?;
    let token = b64decode(text)?;
    if token.len() < 1 + 8 + 16 + 16 + 32 || token[0] != 0x80 {
        return Err(invalid());
    }
    let (signed, tag) = token.split_at(token.len() - 32);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key[..16]).map_err(|_| invalid())?;
    mac.update(signed);
    mac.verify_slice(tag).map_err(|_| invalid())?;
    let iv = &signed[9..25];
    let ciphertext = &signed[25..];
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return Err(invalid());
    }
    cbc::Decryptor::<aes::Aes128>::new_from_slices(&key[16..], iv)
        .map_err(|_| invalid())?
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| invalid())
}

fn fernet_seal(key: &Key, plain: &[u8]) -> Result<Vec<u8>> {
    let iv: [u8; 16] = random();
    let now = flet_auth_primitives::time::since_epoch().as_secs();
    let ciphertext = cbc::Encryptor::<aes::Aes128>::new_from_slices(&key[16..], &iv)
        .map_err(|_| invalid())?
        .encrypt_padded_vec_mut::<Pkcs7>(plain);
    let mut token = Vec::with_capacity(1 + 8 + 16 + ciphertext.len() + 32);
    token.push(0x80);
    token.extend_from_slice(&now.to_be_bytes());
    token.extend_from_slice(&iv);
    token.extend_from_slice(&ciphertext);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key[..16]).map_err(|_| invalid())?;
    mac.update(&token);
    token.extend_from_slice(&mac.finalize().into_bytes());
    Ok(URL_SAFE.encode(token).into_bytes())
}

/// Our format: AES-256-GCM, fresh salt and nonce, version byte first.
pub fn seal(plain: &str, secret: &str) -> Result<String> {
    let salt: [u8; SALT] = random();
    seal_with(&derive_key(secret, &salt), &salt, plain)
}

/// Our format with a key derived already (`salt` is the one it was derived with).
pub(crate) fn seal_with(key: &Key, salt: &[u8; SALT], plain: &str) -> Result<String> {
    let nonce: [u8; NONCE] = random();
    let cipher = Aes256Gcm::new(GenericArray::from_slice(key.as_ref()));
    let payload = Payload {
        msg: plain.as_bytes(),
        aad: &[VERSION],
    };
    let sealed = cipher
        .encrypt(GenericArray::from_slice(&nonce), payload)
        .map_err(|_| invalid())?;
    let raw = [&[VERSION][..], salt, &nonce, &sealed].concat();
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)))
}

/// Any of the three formats.
pub fn open(text: &str, secret: &str) -> Result<String> {
    let envelope = Envelope::parse(text)?;
    let key = derive_key(secret, envelope.salt());
    utf8(envelope.open(&key)?)
}

/// Flet's `encrypt` format (Fernet), for apps that must stay readable by Flet.
pub fn seal_flet_fernet(plain: &str, secret: &str) -> Result<String> {
    let salt: [u8; SALT] = random();
    let key = derive_key(secret, &salt);
    let token = fernet_seal(&key, plain.as_bytes())?;
    Ok(URL_SAFE.encode([&salt[..], &token].concat()))
}

/// Flet's `encrypt_aes_gcm_256` format.
pub fn seal_flet_gcm(plain: &str, secret: &str) -> Result<String> {
    let salt: [u8; SALT] = random();
    let key = derive_key(secret, &salt);
    let sealed = flet_gcm_seal(&key, plain.as_bytes())?;
    Ok(URL_SAFE.encode([&salt[..], &sealed].concat()))
}

/// Flet's `decrypt_aes_gcm_256`: only that format.
pub fn open_flet_gcm(text: &str, secret: &str) -> Result<String> {
    let raw = b64decode(text)?;
    if raw.len() < SALT + FLET_NONCE + TAG {
        return Err(invalid());
    }
    let key = derive_key(secret, &raw[..SALT]);
    utf8(flet_gcm_open(&key, &raw[SALT..])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips_in_every_format() {
        for seal_fn in [seal, seal_flet_fernet, seal_flet_gcm] {
            let text = seal_fn("héllo 😀", "key").expect("sealed");
            assert_eq!(open(&text, "key").ok().as_deref(), Some("héllo 😀"));
            assert!(matches!(open(&text, "other"), Err(Error::InvalidToken(_))));
        }
        let flet = seal_flet_gcm("x", "k").expect("sealed");
        assert_eq!(open_flet_gcm(&flet, "k").ok().as_deref(), Some("x"));
    }

    #[test]
    fn our_format_is_marked_and_versioned() {
        let text = seal("x", "k").expect("sealed");
        assert!(text.starts_with("fa."));
        let raw = b64decode(&text[3..]).expect("b64");
        assert_eq!(raw[0], VERSION);
        assert_eq!(raw.len(), 1 + SALT + NONCE + 1 + TAG);
    }

    /// Every single-bit flip after the salt, opened with the right key, is refused.
    #[test]
    fn every_bit_flip_is_refused() {
        for seal_fn in [seal, seal_flet_fernet, seal_flet_gcm] {
            let text = seal_fn("a secret token", "key").expect("sealed");
            let envelope = Envelope::parse(&text).expect("parsed");
            let key = derive_key("key", envelope.salt());
            let (prefix, body) = match text.strip_prefix(PREFIX) {
                Some(b) => (PREFIX, b),
                None => ("", text.as_str()),
            };
            let raw = b64decode(body).expect("b64");
            let start = if prefix.is_empty() { SALT } else { 1 + SALT };
            for bit in start * 8..raw.len() * 8 {
                let mut flipped = raw.clone();
                flipped[bit / 8] ^= 1 << (bit % 8);
                let text = format!("{prefix}{}", URL_SAFE.encode(&flipped));
                let opened = Envelope::parse(&text).and_then(|e| e.open(&key));
                assert!(opened.is_err(), "bit {bit} flipped was accepted");
            }
        }
    }

    #[test]
    fn damaged_inputs_are_invalid_tokens() {
        let good = seal("x", "k").expect("sealed");
        let mut wrong_version = b64decode(&good[3..]).expect("b64");
        wrong_version[0] = 2;
        let cases = [
            String::new(),
            "fa.".into(),
            "not base64!".into(),
            good[..good.len() - 4].to_owned(),
            format!("{good}AAAA"),
            format!("fa.{}", URL_SAFE_NO_PAD.encode(wrong_version)),
        ];
        for case in cases {
            assert!(
                matches!(open(&case, "k"), Err(Error::InvalidToken(_))),
                "{case}"
            );
        }
    }

    /// 2,000 cases in the test run; a longer fuzzing run by hand:
    /// `FUZZ_CASES=2000000 cargo test --release decoder_never_panics`.
    fn fuzz_cases() -> u32 {
        std::env::var("FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: fuzz_cases(), ..ProptestConfig::default() })]

        /// The decoder never panics, whatever it is given (the key is fixed: no derivation).
        #[test]
        fn decoder_never_panics(text in "\\PC{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let key = Zeroizing::new([7u8; 32]);
            let _ = Envelope::parse(&text).and_then(|e| e.open(&key));
            let b64 = URL_SAFE.encode(&bytes);
            let _ = Envelope::parse(&b64).and_then(|e| e.open(&key));
            let ours = format!("fa.{}", URL_SAFE_NO_PAD.encode(&bytes));
            let _ = Envelope::parse(&ours).and_then(|e| e.open(&key));
        }
    }
}
